#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - build the libFuzzer targets of tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined) and run each for a bounded time.
# Without autotools: `make fuzz` in a configured build does the same.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#       (default: 60, every target of targets.sh)
#
# Environment: CC (default clang), FUZZ_WORK (default ./fuzz-work): where
# the binaries, the grown corpora and any crash-* reproducers go. The seed
# corpora in tests/fuzz/corpus/ and the regressions in tests/fuzz/regress/
# are only read (libFuzzer writes new inputs to the first corpus dir only). Exit status: non-zero when a
# target crashed; the reproducer path is printed by libFuzzer.
# FUZZ_RUNS (optional): stop each target after that many executions too.
# FUZZ_JOBS (optional): libFuzzer -fork=N workers (default: 1 process).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
cc=${CC:-clang}
work=${FUZZ_WORK:-./fuzz-work}
# _GNU_SOURCE as configure's AC_USE_SYSTEM_EXTENSIONS gives the build;
# a function used without its declaration stops the build, as in it.
flags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE
	-Werror=implicit-function-declaration -Werror=int-conversion
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

. "$here/targets.sh"
targets=${*:-$all_targets}

mkdir -p "$work"
for t in $targets; do
	srcs=
	for f in $(sources "$t"); do
		srcs="$srcs $top/src/$f"
	done
	# shellcheck disable=SC2086 # $flags, $srcs and $(libs) are word lists
	$cc $flags -I"$top/src" -o "$work/fuzz_$t" \
		"$here/fuzz_$t.c" $srcs $(libs "$t")
	mkdir -p "$work/corpus-$t"
	dict=
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	runs=
	[ -n "${FUZZ_RUNS:-}" ] && runs="-runs=$FUZZ_RUNS"
	jobs=
	[ -n "${FUZZ_JOBS:-}" ] && jobs="-fork=$FUZZ_JOBS"
	regress=
	[ -d "$here/regress/$t" ] && regress="$here/regress/$t"
	# shellcheck disable=SC2086 # $dict, $runs, $jobs, $regress: 0 or 1 word
	"$work/fuzz_$t" -max_total_time="$secs" -timeout=10 -max_len=9216 \
		-print_final_stats=1 -artifact_prefix="$work/crash-$t-" \
		$dict $runs $jobs "$work/corpus-$t" "$here/corpus/$t" $regress
done
