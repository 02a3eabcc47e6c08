#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - build the libFuzzer targets of tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined) and run each for a bounded time.
# Without autotools: `make fuzz` in a configured build does the same.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default: 60, http health)
#
# Environment: CC (default clang), FUZZ_WORK (default ./fuzz-work): where
# the binaries, the grown corpora and any crash-* reproducers go. The seed
# corpora in tests/fuzz/corpus/ are only read. Exit status: non-zero when a
# target crashed; the reproducer path is printed by libFuzzer.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-http health}
cc=${CC:-clang}
work=${FUZZ_WORK:-./fuzz-work}
flags="-std=gnu11 -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

mkdir -p "$work"
for t in $targets; do
	# shellcheck disable=SC2086 # $flags is a word list
	$cc $flags -I"$top/src" -o "$work/fuzz_$t" \
		"$here/fuzz_$t.c" "$top/src/$t.c"
	mkdir -p "$work/corpus-$t"
	dict=
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	# shellcheck disable=SC2086 # $dict is empty or one word
	"$work/fuzz_$t" -max_total_time="$secs" -timeout=10 -max_len=9216 \
		-print_final_stats=1 -artifact_prefix="$work/crash-$t-" \
		$dict "$work/corpus-$t" "$here/corpus/$t"
done
