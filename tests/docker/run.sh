#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/docker/run.sh - the docker suite: pidone shipped the way users run it.
#
# Starts a private dockerd (own socket, data root and exec root under
# $PIDONE_DOCKER_STATE, no bridge, no iptables), makes the local base images
# that stand in for gcr.io/distroless/* and debian:12 (nothing is ever
# pulled; libev's Debian source, which the musl build needs, is fetched
# from the Debian archive once and kept), copies the files git would track into a clean build context, and
# runs test_docker.py against the contrib/ Dockerfiles, compose file and
# Kubernetes manifest. Every container it makes is labelled pidone-test=1
# and removed on exit, whatever happens; the dockerd it started is stopped
# by its pid. A dockerd already answering on the private socket is used and
# left running.
#
# Needs root, docker.io (dockerd 20.10+), docker-compose, python3-yaml.
# Exit 77 (skip) when those are missing, else the suite's status.
#
# Environment:
#   PIDONE_DOCKER_STATE   state dir (default /tmp/pidone-docker); its data
#                         root keeps the images between runs (a second run
#                         makes no image again)
#   PIDONE_DOCKER_KEEP=1  leave the dockerd running for the next run
#   PIDONE_DOCKER_CLEAN=1 after the run, also delete the data root
#   PIDONE_DOCKER_STRICT=1 checks waiting for unfinished features fail
#   PIDONE_DOCKER_ONLY=RE run only the checks whose name matches RE
#   LIBEV_SRC             an unpacked libev source tree for the builder
#                         image (default: fetched into $PIDONE_DOCKER_STATE)
#   DOCKER, DOCKERD, DOCKER_COMPOSE, PYTHON  the programs (Debian's paths
#                         by default)

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${PIDONE_DOCKER_STATE:-/tmp/pidone-docker}
DOCKER=${DOCKER:-/usr/bin/docker}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER_COMPOSE=${DOCKER_COMPOSE:-/usr/bin/docker-compose}
# Debian's python3 (python3-yaml is for it), not whatever is first in PATH.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
KEEP=${PIDONE_DOCKER_KEEP:-0}
CLEAN=${PIDONE_DOCKER_CLEAN:-0}
SOCK=$STATE/docker.sock
CTX=$STATE/context.$$
STARTED_PID=
SUITE_PID=
export DOCKER DOCKER_COMPOSE
export DOCKER_HOST=unix://$SOCK
export PIDONE_SRC=$SRC PIDONE_CONTEXT=$CTX PIDONE_DOCKER_STATE=$STATE

say() { echo "docker suite: $*" >&2; }
skip() {
	say "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root to run dockerd"
[ -x "$DOCKER" ] || skip "$DOCKER missing (apt-get install docker.io)"
[ -x "$DOCKERD" ] || skip "$DOCKERD missing (apt-get install docker.io)"
[ -x "$DOCKER_COMPOSE" ] || skip "$DOCKER_COMPOSE missing (apt-get install docker-compose)"
[ -n "$PYTHON" ] || skip "python3 missing"
"$PYTHON" -c 'import yaml' 2>/dev/null || skip "python3 yaml missing (apt-get install python3-yaml)"

daemon_up() {
	timeout 10 "$DOCKER" version >/dev/null 2>&1
}

stop_dockerd() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.5
	done
	say "dockerd $pid did not stop in 20 s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null
}

# start_dockerd [STORAGE_DRIVER]: start the private daemon, wait for it.
start_dockerd() {
	local driver=${1:-} pid
	# A pidfile left by a daemon that died would stop dockerd from starting.
	if [ -f "$STATE/docker.pid" ]; then
		pid=$(cat "$STATE/docker.pid")
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
			rm -f "$STATE/docker.pid"
		fi
	fi
	mkdir -p "$STATE/data" "$STATE/exec"
	say "starting dockerd${driver:+ with --storage-driver $driver} (log: $STATE/dockerd.log)"
	setsid "$DOCKERD" --host "$DOCKER_HOST" \
		--data-root "$STATE/data" --exec-root "$STATE/exec" \
		--pidfile "$STATE/docker.pid" \
		--bridge=none --iptables=false --ip6tables=false \
		--ip-forward=false --ip-masq=false \
		${driver:+--storage-driver "$driver"} \
		>>"$STATE/dockerd.log" 2>&1 </dev/null &
	STARTED_PID=$!
	for _ in $(seq 1 60); do
		daemon_up && return 0
		kill -0 "$STARTED_PID" 2>/dev/null || break
		sleep 0.5
	done
	stop_dockerd "$STARTED_PID"
	STARTED_PID=
	return 1
}

# umount_under DIR/: unmount what is mounted below DIR, deepest first;
# umount_under DIR: DIR itself when it is a mount point.
# shellcheck disable=SC2317 # called from cleanup
umount_under() {
	awk -v d="$1" 'index($2, d) == 1 && (d ~ /\/$/ || $2 == d) { print $2 }' \
		/proc/self/mounts | sort -r | while read -r m; do
		umount "$m" || umount -l "$m"
	done
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$? ids
	trap - EXIT INT TERM
	if [ -n "$SUITE_PID" ]; then
		kill -TERM "$SUITE_PID" 2>/dev/null
		wait "$SUITE_PID" 2>/dev/null
	fi
	if daemon_up; then
		"$DOCKER_COMPOSE" --ansi never -p pidonetest \
			-f "$SRC/contrib/compose.yaml" \
			-f "$SRC/tests/docker/compose.test.yaml" \
			down -v --remove-orphans >/dev/null 2>&1
		ids=$("$DOCKER" ps -aq --filter label=pidone-test=1)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || "$DOCKER" rm -f -v $ids >/dev/null
		"$DOCKER" image prune -f --filter label=pidone-test=1 >/dev/null
	fi
	if [ -n "$STARTED_PID" ] && [ "$KEEP" != 1 ]; then
		say "stopping dockerd $STARTED_PID"
		stop_dockerd "$STARTED_PID"
		# It leaves its default netns bind-mounted in the exec root,
		# and may leave its storage mounts (overlay2's own bind mount,
		# a container's merged dir) in the data root.
		umount_under "$STATE/exec/"
		umount_under "$STATE/data/"
		umount_under "$STATE/data"
	fi
	rm -rf "$CTX"
	if [ "$CLEAN" = 1 ] && ! daemon_up; then
		umount_under "$STATE/"
		rm -rf "$STATE/data" "$STATE/exec"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$STATE"
t0=$(date +%s)
if daemon_up; then
	say "using the dockerd already on $SOCK"
elif ! start_dockerd; then
	# overlay2 needs a filesystem that supports it; vfs works anywhere.
	say "dockerd did not start with its default storage driver: $(tail -n 3 "$STATE/dockerd.log")"
	start_dockerd vfs || skip "dockerd does not start here (see $STATE/dockerd.log)"
fi
# Left over by a run that was killed outright.
stale=$("$DOCKER" ps -aq --filter label=pidone-test=1)
# shellcheck disable=SC2086
[ -z "$stale" ] || "$DOCKER" rm -f -v $stale >/dev/null
say "$("$DOCKER" info --format 'dockerd {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}})')"

# The build context: what a fresh clone would have (git's tracked and
# not-ignored files), so nothing built in the tree leaks into the image.
# The context's .dockerignore decides what the builds see of it.
rm -rf "$CTX"
mkdir -p "$CTX"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -) | tar -C "$CTX" -xf - ||
		{ say "could not copy the source tree"; exit 1; }
else
	tar -C "$SRC" --exclude=.git --exclude='./build*' \
		--exclude=autom4te.cache --exclude='*.o' --exclude='*.a' \
		--exclude=config.status --exclude=config.log \
		--exclude=./Makefile --exclude=./src/pidone -cf - . |
		tar -C "$CTX" -xf - || { say "could not copy the source tree"; exit 1; }
fi

# Then what the README's quick start leaves in the tree: an in-place
# autoreconf, configure and build (configure, build-aux/, config.status,
# Makefile, src/*.o), so the Dockerfiles and .dockerignore are tested on
# the tree users build from, not only on a pristine clone.
if ! (cd "$CTX" && autoreconf -fi && ./configure -q --enable-tests=no &&
	make -s -j2 src/pidone) \
	>"$STATE/context-configure.log" 2>&1; then
	say "could not configure the build context (see $STATE/context-configure.log)"
	exit 1
fi

# The builder stand-in has no network, and the musl build stage fetches
# libev's Debian source: fetch it here once, as that build does (kept in
# $STATE), for mkimages.py to put in the image. LIBEV_SRC may name an
# unpacked tree to use instead.
PIDONE_LIBEV_SRC=${LIBEV_SRC:-$STATE/libev/apt/src/libev}
if [ ! -f "$PIDONE_LIBEV_SRC/ev.c" ]; then
	PIDONE_LIBEV_SRC=$("$SRC/contrib/musl/build" --fetch-libev "$STATE/libev") ||
		{ say "could not fetch libev's Debian source (set LIBEV_SRC to an unpacked one)"; exit 1; }
fi
export PIDONE_LIBEV_SRC

timeout 600 "$PYTHON" "$SRC/tests/docker/mkimages.py" "$DOCKER" ||
	{ say "could not make the base images"; exit 1; }
"$DOCKER" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
	--filter reference='pidone-test/*' >&2

# In the background, so that a TERM or INT to this script is acted on at
# once (bash runs traps only between foreground commands).
timeout 900 "$PYTHON" "$SRC/tests/docker/test_docker.py" &
SUITE_PID=$!
wait "$SUITE_PID"
rc=$?
SUITE_PID=
say "took $(($(date +%s) - t0)) s"
exit $rc
