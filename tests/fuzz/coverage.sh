#!/bin/sh
# SPDX-License-Identifier: MIT
#
# coverage.sh - line and branch coverage of src/ reached by the fuzz
# corpora: each target is rebuilt with clang's source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping), run once over its grown
# corpus (FUZZ_WORK/corpus-TARGET, from run.sh) and its seeds, and
# llvm-cov reports the target's own src/ files. Numbers for tests/fuzz/README.
#
#   tests/fuzz/coverage.sh [TARGET...]   (default: every target)
#
# Environment: CC (clang), LLVM_COV / LLVM_PROFDATA (llvm-cov, llvm-profdata
# or their -14 names), FUZZ_WORK (./fuzz-work, as for run.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cc=${CC:-clang}
work=${FUZZ_WORK:-./fuzz-work}
cov=${LLVM_COV:-$(command -v llvm-cov || command -v llvm-cov-14)}
prof=${LLVM_PROFDATA:-$(command -v llvm-profdata || command -v llvm-profdata-14)}

. "$here/targets.sh"
targets=${*:-$all_targets}

mkdir -p "$work/cov"
for t in $targets; do
	srcs=
	for f in $(sources "$t"); do
		srcs="$srcs $top/src/$f"
	done
	# shellcheck disable=SC2086 # word lists
	$cc -std=gnu11 -O0 -g -fsanitize=fuzzer -fprofile-instr-generate \
		-fcoverage-mapping -I"$top/src" -o "$work/cov/fuzz_$t" \
		"$here/fuzz_$t.c" $srcs $(libs "$t")
	corpora="$here/corpus/$t"
	[ -d "$work/corpus-$t" ] && corpora="$work/corpus-$t $corpora"
	[ -d "$here/regress/$t" ] && corpora="$corpora $here/regress/$t"
	# shellcheck disable=SC2086 # $corpora is a list of dirs
	LLVM_PROFILE_FILE="$work/cov/$t.profraw" "$work/cov/fuzz_$t" \
		-runs=0 $corpora >/dev/null 2>&1
	$prof merge -sparse -o "$work/cov/$t.profdata" "$work/cov/$t.profraw"
	echo "== $t"
	# only the module under test, not the helpers it links
	$cov report "$work/cov/fuzz_$t" -instr-profile="$work/cov/$t.profdata" \
		"$top/src/$(sources "$t" | cut -d' ' -f1)" | tail -n 1
done
