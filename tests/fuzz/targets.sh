# SPDX-License-Identifier: MIT
#
# targets.sh - sourced by run.sh and coverage.sh, so that both build each
# fuzz target from the same files.
#
# Every target, in the order run.sh and coverage.sh take them by default.
all_targets="http health cmdjson config signame answer"

# The src/ files each target needs (its module and what that calls), and
# extra link flags.
sources() {
	case $1 in
	cmdjson) echo "cmdjson.c escape.c strv.c arena.c textbuf.c" ;;
	http) echo "http.c parse.c textbuf.c" ;;
	signame) echo "signame.c parse.c textbuf.c" ;;
	answer) echo "probe.c parse.c clock.c fdutil.c textbuf.c" ;;
	health) echo "health.c escape.c exitstatus.c signame.c parse.c textbuf.c" ;;
	config) echo "config.c settings.c parse.c signame.c cmdjson.c escape.c strv.c arena.c textbuf.c probe.c clock.c fdutil.c" ;;
	*) echo "$1.c" ;;
	esac
}
libs() {
	case $1 in
	config) pkg-config --libs inih 2>/dev/null || echo -linih ;;
	esac
}
