#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py - `make bench`: pidone side by side with tini, dumb-init,
catatonit and a floor.

Every figure is taken for every init in the same run, interleaved: a figure
is measured in rounds, and each round runs every init once, in an order
rotated by one each round, so that the noise of a shared two-core machine
falls on all of them alike. A figure is then reported as the median over
the rounds (with the min-max of the rounds), and as a ratio to the floor
(tests/bench/floor.c, a static fork/exec/waitpid loop linked with glibc;
floor-musl is the same program against musl): the median over the
rounds of (init / floor in the same round). The health-port figures compare
pidone with tests/bench/httpfloor.c, a bare epoll HTTP responder, the same
way. The signal and reaping figures also show tests/bench/sigfloor.c, the
least a signal-forwarding init can do, taking each signal with
sigwaitinfo() (sigfloor-wait, as the peers do) and through epoll and a
signalfd (sigfloor-fd, as pidone's event loop does).

The C helpers: latdrive (starts an init and times it), latchild (the child
that stamps CLOCK_MONOTONIC), orphan_maker (hands PID 1 its orphans),
httpdrive (exactly N HTTP requests, for the servers' CPU per request), floor,
sigfloor and httpfloor.

The bench installs what it needs from Debian when it is missing (the peers,
wrk, gnuplot, valgrind), builds its C helpers with the C compiler into a
scratch directory, and writes RESULTS.md, results.dat, results.svg and
README-section.md into --out-dir. Figures whose pidone feature is not in
the binary yet (health server, `pidone health`, default privilege drop) are
skipped, and RESULTS.md says so. Only loopback addresses are used. Every
process it starts has a bounded wait and is killed by pid on the way out.

BENCH_QUICK=1 (or --quick) runs fewer rounds, fewer orphans and shorter
loads, for CI: about 130 s of measurements on 2 cores, plus the builds
(make bench also builds the musl binary) and any install.
"""

import argparse
import atexit
import datetime
import json
import multiprocessing
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLEAN_ENV = {"PATH": CLEAN_PATH}


def pod_env():
    """The environment of a container in a Kubernetes pod: 60 variables,
    the links of 8 services (7 variables each) and 4 more, 3 of them
    pidone settings (harmless to every configuration; the peers ignore
    them)."""
    env = {"PATH": CLEAN_PATH, "HOSTNAME": "web-7d9f8c6b5-x2x9q",
           "HOME": "/root", "LANG": "C.UTF-8", "PIDONE_GRACE": "20",
           "PIDONE_LOG_FORMAT": "json", "PIDONE_LOG_LEVEL": "info"}
    for i in range(8):
        svc, addr = "SVC%d" % i, "10.96.0.%d" % (10 + i)
        tcp = svc + "_PORT_80_TCP"
        env.update({svc + "_SERVICE_HOST": addr, svc + "_SERVICE_PORT": "80",
                    svc + "_PORT": "tcp://%s:80" % addr,
                    tcp: "tcp://%s:80" % addr, tcp + "_PROTO": "tcp",
                    tcp + "_PORT": "80", tcp + "_ADDR": addr})
    return env

FULL = {
    "startup_rounds": 31, "startup_batch": 40,
    "callgrind_rounds": 3,
    "rss_rounds": 3, "idle_seconds": 10.0,
    "orphans": 5000, "burst": 1000, "reap_rounds": 3,
    "reap_deadline": {"stream": 400, "burst": 300},
    "term_rounds": 25, "exit_rounds": 25,
    "http_rounds": 3, "http_seconds": 3.0,
    "cpu_rounds": 7, "cpu_keep": 20000, "cpu_close": 5000, "cg_requests": 2000,
    "health_batch": 50, "health_rounds": 5,
    "attack_probes": 1000, "flood_rounds": 15,
    "drain_rounds": 25, "drain_ms": 300,
    "scrape_rounds": 5, "scrape_batch": 400, "status_runs": 30,
    "reload_rounds": 15,
}
QUICK = {
    "startup_rounds": 7, "startup_batch": 15,
    "callgrind_rounds": 1,
    "rss_rounds": 1, "idle_seconds": 4.0,
    "orphans": 2000, "burst": 500, "reap_rounds": 1,
    "reap_deadline": {"stream": 40, "burst": 55},
    "term_rounds": 5, "exit_rounds": 5,
    "http_rounds": 1, "http_seconds": 1.0,
    "cpu_rounds": 3, "cpu_keep": 5000, "cpu_close": 2000, "cg_requests": 1000,
    "health_batch": 20, "health_rounds": 1,
    "attack_probes": 200, "flood_rounds": 3,
    "drain_rounds": 5, "drain_ms": 300,
    "scrape_rounds": 2, "scrape_batch": 100, "status_runs": 10,
    "reload_rounds": 3,
}

# What the bench needs and the Debian package that brings it.
NEEDED = [
    ("/usr/bin/tini", "tini"), ("/usr/bin/tini-static", "tini"),
    ("/usr/bin/dumb-init", "dumb-init"), ("/usr/bin/catatonit", "catatonit"),
    ("/usr/bin/wrk", "wrk"), ("/usr/bin/gnuplot", "gnuplot-nox"),
    ("/usr/bin/valgrind", "valgrind"),
    ("/usr/bin/callgrind_annotate", "valgrind"),
]

_live = set()


def log(msg):
    """Progress on stderr, with the time since start."""
    sys.stderr.write("bench [%6.1fs] %s\n" % (time.monotonic() - T0, msg))
    sys.stderr.flush()


def kill_live():
    """Kill, by pid, whatever this run started and has not reaped."""
    for p in list(_live):
        try:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        _live.discard(p)


def start(argv, **kw):
    """Popen that remembers the process until it is reaped."""
    p = subprocess.Popen(argv, **kw)
    _live.add(p)
    return p


def finish(p, timeout=10):
    """Wait for @p (killing it after @timeout) and forget it."""
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)
    _live.discard(p)
    return p.returncode


def stop_init(p):
    """End a pidone started here (not as PID 1) and its child: SIGTERM,
    which it forwards before exiting with the child; after 5 s SIGKILL to
    the child first, then pidone. A SIGKILL to pidone alone would leave
    its child running (it is in a process group of its own)."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            for kid in children_of(p.pid):
                try:
                    os.kill(kid, signal.SIGKILL)
                except OSError:
                    pass
            p.kill()
    return finish(p)


def run(argv, timeout=60, env=None, check=True, input_=None):
    """Run @argv to completion; returns (rc, stdout, stderr) as text."""
    p = start(argv, stdin=subprocess.PIPE if input_ else subprocess.DEVNULL,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              env=env if env is not None else CLEAN_ENV, text=True)
    try:
        out, err = p.communicate(input=input_, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        _live.discard(p)
        raise RuntimeError("timed out after %ss: %s" % (timeout,
                                                        " ".join(argv)))
    _live.discard(p)
    if check and p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv), p.returncode,
                                                 err.strip()[-400:]))
    return p.returncode, out, err


def median(xs):
    return statistics.median(xs) if xs else None


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_line(pipe, timeout):
    """One line from a binary pipe, or None after @timeout seconds."""
    buf = b""
    end = time.monotonic() + timeout
    fd = pipe.fileno()
    while not buf.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return None
        c = os.read(fd, 1)
        if not c:
            return None
        buf += c
    return buf.decode()


def proc_status(pid):
    """/proc/PID/status as a dict of the first token of each value."""
    d = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.split()
            if v:
                d[k] = v[0]
    return d


def cpu_ns(pid):
    """CPU time (user + system) of process @pid in ns, from its CPU clock."""
    return time.clock_gettime_ns(((~pid) << 3) | 2)


# x86_64 numbers of the calls an idle init may block in.
SYSCALLS = {0: "read", 7: "poll", 23: "select", 34: "pause", 35: "nanosleep",
            61: "wait4", 128: "rt_sigtimedwait", 230: "clock_nanosleep",
            232: "epoll_wait", 247: "waitid", 270: "pselect6", 271: "ppoll",
            281: "epoll_pwait", 441: "epoll_pwait2"}


def read_timespec(pid, addr):
    """A struct timespec at @addr in process @pid, in seconds."""
    with open("/proc/%d/mem" % pid, "rb") as f:
        f.seek(addr)
        raw = f.read(16)
    sec = int.from_bytes(raw[:8], "little", signed=True)
    nsec = int.from_bytes(raw[8:], "little", signed=True)
    return sec + nsec / 1e9


def idle_wait(pid):
    """(call, timeout in s or None) that process @pid is blocked in now.

    Read from /proc/PID/syscall (and /proc/PID/mem for a timeout passed by
    pointer): a finite timeout means a wake-up even when nothing happens,
    however long the window in which wake-ups are counted.
    """
    if platform.machine() != "x86_64":
        return "?", None
    with open("/proc/%d/syscall" % pid) as f:
        t = f.read().split()
    if not t or not t[0].isdigit():
        return "running", None
    nr = int(t[0])
    a = [int(x, 16) for x in t[1:7]]
    name = SYSCALLS.get(nr, "syscall %d" % nr)
    timeout = None
    if nr in (232, 281, 7):
        ms = a[3] if nr != 7 else a[2]
        ms = ms - (1 << 32) if ms >= 1 << 31 else ms
        timeout = ms / 1000.0 if ms >= 0 else None
    elif nr in (128, 271, 441, 270):
        ptr = {128: a[2], 271: a[2], 441: a[4], 270: a[4]}[nr]
        if ptr:
            timeout = read_timespec(pid, ptr)
    return name, timeout


def children_of(ppid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        if int(s.rsplit(")", 1)[1].split()[1]) == ppid:
            kids.append(int(d))
    return kids


# ---------------------------------------------------------------- the inits


# The modules only the health server needs: its listener, the HTTP
# parser, the answers and /metrics, the app checks that drive readiness,
# and the `pidone health` and `pidone status` clients.
HEALTH_MODULES = ("health_http", "http", "health", "metrics", "sample",
                  "appcheck", "readytcp", "probe", "status", "ptree", "peer")

# Output sections that are bytes in the file (not .bss, symbols or notes).
FILE_SECTIONS = {".init", ".text", ".fini", ".rodata", ".eh_frame",
                 ".init_array", ".fini_array", ".data.rel.ro", ".got",
                 ".got.plt", ".data", ".tdata"}


def link_map_sizes(path):
    """Bytes per origin from GNU ld's -Map output: pidone's own modules by
    name, "libc", "libev", "inih", "runtime" for the rest; None when
    @path is missing."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    sizes, out, pending, started = {}, None, None, False
    for line in lines:
        if line.startswith("Linker script and memory map"):
            started = True
            continue
        m = re.match(r"^(\.\S+)", line)
        if not started or m:
            out, pending = (m.group(1) if m else None), None
            continue
        if out not in FILE_SECTIONS:
            continue
        m = re.match(r"^ (\S+)\s*$", line)
        if m:  # a long input section name, its numbers on the next line
            pending = m.group(1)
            continue
        m = re.match(r"^ (\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$",
                     line)
        name = m and (m.group(1) or pending)
        pending = None
        if not name or name == "*fill*":
            continue
        origin = link_map_origin(m.group(3).strip())
        sizes[origin] = sizes.get(origin, 0) + int(m.group(2), 16)
    return sizes or None


def link_map_origin(f):
    m = re.search(r"([^/(]+)\.a\(([^)]+)\)$", f)
    if m:
        lib, obj = m.groups()
        if lib == "libpidone":
            return obj[:-2]
        return {"libev": "libev", "libinih": "inih"}.get(lib, lib)
    m = re.search(r"(?:^|/)src/(?:pidone-)?([^/]+)\.o$", f)
    return m.group(1) if m else "runtime"


class Init:
    """One init under test: how to run it as a subreaper and as PID 1."""

    def __init__(self, name, path, pre, pre_pid1=None, kind="peer",
                 shown=None):
        self.name = name
        self.path = path
        self.pre = pre
        self.pre_pid1 = pre_pid1 if pre_pid1 is not None else pre
        self.kind = kind
        self.shown = shown

    def argv(self, cmd, pid1=False):
        pre = self.pre_pid1 if pid1 else self.pre
        return [self.path] + (pre() if callable(pre) else pre) + cmd

    def invocation(self):
        pre = self.pre() if callable(self.pre) else self.pre
        return self.shown or " ".join([os.path.basename(self.path)] + pre +
                                      ["CMD"])


class Bench:
    def __init__(self, args):
        self.args = args
        self.p = QUICK if args.quick else FULL
        self.work = args.work_dir
        self.cpu = "1" if (os.cpu_count() or 1) > 1 else "0"
        self.load_cpu = "0"
        self.root = os.geteuid() == 0
        self.results = {}
        self.skipped = []
        self.failed = []
        self.notes = []
        self.features = {}
        self.pidone = None
        self.health_port = None

    # ------------------------------------------------------------ set-up

    def ensure_packages(self):
        missing = sorted({pkg for path, pkg in NEEDED
                          if not os.path.exists(path)})
        if not missing:
            return
        if not self.root:
            self.notes.append("not root: could not install %s" %
                              ", ".join(missing))
            return
        log("installing from Debian: %s" % " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
               "--no-install-recommends"] + missing
        if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL) != 0:
            subprocess.call(["apt-get", "-o", "DPkg::Lock::Timeout=300",
                             "update"], env=env, stdout=subprocess.DEVNULL)
            subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL)

    def build_helpers(self):
        cc = os.environ.get("CC", "cc")
        flags = ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
        for name in ("latdrive", "latchild", "orphan_maker", "httpfloor",
                     "httpdrive"):
            run([cc] + flags + ["-o", self.tool(name),
                                os.path.join(HERE, name + ".c")],
                env=dict(os.environ), timeout=120)
        for name in ("floor", "sigfloor"):
            run([cc] + flags + ["-static", "-s", "-o", self.tool(name),
                                os.path.join(HERE, name + ".c")],
                env=dict(os.environ), timeout=120)
        # The same floor against musl, the libc pidone ships with, and
        # the least a probe command can do, with the libc pidone ships.
        if shutil.which("musl-gcc"):
            run(["musl-gcc"] + flags + ["-static", "-s", "-o",
                                        self.tool("floor-musl"),
                                        os.path.join(HERE, "floor.c")],
                env=dict(os.environ), timeout=120)
        run([shutil.which("musl-gcc") or cc] + flags +
            ["-static", "-s", "-o", self.tool("probefloor"),
             os.path.join(HERE, "probefloor.c")],
            env=dict(os.environ), timeout=120)

    def tool(self, name):
        return os.path.join(self.work, name)

    def pick_pidone(self, path, prof):
        """The static pidone to measure (and an unstripped twin to profile)."""
        path = os.path.abspath(path)
        if not os.access(path, os.X_OK):
            self.notes.append("no pidone binary at %s: pidone not measured" %
                              path)
            return None
        _, out, _ = run(["file", "-L", path])
        if "statically linked" not in out and prof and os.path.exists(prof):
            self.n_stripped = getattr(self, "n_stripped", 0) + 1
            stripped = self.tool("pidone-stripped-%d" % self.n_stripped)
            run(["strip", "-o", stripped, prof])
            self.notes.append(
                "%s is not statically linked (configured without "
                "--enable-static-binary): measured a stripped copy of the "
                "static %s instead" % (path, prof))
            return stripped
        if "statically linked" not in out:
            self.notes.append("%s is NOT statically linked: configure with "
                              "--enable-static-binary for figures that "
                              "mean something" % path)
        return path

    def detect_features(self):
        """Which pidone features the binary has: only those are measured."""
        f = self.features
        minimal = ["--health-port", "0", "--user", "keep", "--"]
        rc, _, err = run([self.pidone] + minimal + ["/bin/true"], check=False,
                         timeout=20)
        f["core"] = rc == 0
        if not f["core"]:
            self.notes.append("pidone --health-port 0 --user keep -- "
                              "/bin/true exited %d (%s): pidone not measured"
                              % (rc, err.strip()[-200:]))
            return
        if self.root:
            rc, out, err = run([self.pidone, "--health-port", "0", "--",
                                "/usr/bin/id", "-u"], check=False,
                               timeout=20)
            f["user_drop"] = rc == 0 and out.strip() == "65532"
            f["user_drop_text"] = ("the child ran as uid %s" % out.strip()
                                   if rc == 0 else
                                   "exit %d: %s" % (rc, err.strip()[-200:]))
        else:
            f["user_drop"] = False
            f["user_drop_text"] = "not root: no drop to try"
        port = free_port()
        p = start([self.pidone, "--health-addr", "127.0.0.1",
                   "--health-port", str(port), "--",
                   self.tool("latchild"), "pause"],
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, env=CLEAN_ENV)
        f["health_server"] = False
        f["health_cmd"] = False
        try:
            if read_line(p.stdout, 5) is not None:
                f["health_server"] = self.http_ok(port, 3.0)
                if f["health_server"]:
                    rc, _, _ = run([self.pidone, "health"], check=False,
                                   env=self.health_env(port), timeout=20)
                    f["health_cmd"] = rc == 0
        finally:
            if p.poll() is None:
                p.kill()
            finish(p)
        if not f["health_server"]:
            err = p.stderr.read().decode(errors="replace").strip()[-200:]
            f["health_text"] = "pidone --health-port %d did not answer " \
                "GET /healthz (%s)" % (port, err or "no error text")

    @staticmethod
    def health_env(port):
        return dict(CLEAN_ENV, PIDONE_HEALTH_PORT=str(port),
                    PIDONE_HEALTH_ADDR="127.0.0.1")

    @staticmethod
    def http_ok(port, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", port),
                                              timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
                    data = s.recv(64)
                    return data.startswith(b"HTTP/1.1 200")
            except OSError:
                time.sleep(0.05)
        return False

    def make_inits(self):
        inits = [Init("floor", self.tool("floor"), ["--"], kind="floor"),
                 Init("floor-musl", self.tool("floor-musl"), ["--"],
                      kind="floor")]
        if self.pidone and self.features.get("core"):
            inits.append(Init("pidone-min", self.pidone,
                              ["--health-port", "0", "--user", "keep", "--"],
                              kind="pidone"))
            if self.features.get("health_server"):
                self.health_port = free_port()
                default = ["--health-addr", "127.0.0.1", "--health-port",
                           str(self.health_port), "--"]
                shown = ("pidone --health-addr 127.0.0.1 --health-port P "
                         "-- CMD (all else default)")
            else:
                default = ["--"]
                shown = "pidone -- CMD (defaults)"
            inits.append(Init("pidone", self.pidone, default, kind="pidone",
                              shown=shown))
        if self.pidone_glibc:
            gport = free_port()
            inits.append(Init(
                "pidone-glibc", self.pidone_glibc,
                ["--health-addr", "127.0.0.1", "--health-port", str(gport),
                 "--"], kind="variant",
                shown="pidone built with glibc (--enable-static-binary), "
                "defaults as for pidone"))
        inits += [
            Init("tini-static", "/usr/bin/tini-static", ["-s", "--"], ["--"]),
            Init("tini", "/usr/bin/tini", ["-s", "--"], ["--"]),
            Init("dumb-init", "/usr/bin/dumb-init", ["--"]),
            Init("catatonit", "/usr/bin/catatonit", ["--"]),
        ]
        self.inits = [i for i in inits if os.access(i.path, os.X_OK)]
        # Measured only where a signal or a child's end is timed: the
        # signal and reaping tables show them below the inits.
        self.sigfloors = [Init("sigfloor-wait", self.tool("sigfloor"),
                               ["wait", "--"], kind="sigfloor"),
                          Init("sigfloor-fd", self.tool("sigfloor"),
                               ["fd", "--"], kind="sigfloor")]
        for i in inits:
            if i not in self.inits:
                self.notes.append("%s is missing (%s): not measured" %
                                  (i.name, i.path))

    def rounds(self, n, inits=None):
        """Yield (round, init) round-robin, rotated by one every round."""
        inits = inits if inits is not None else self.inits
        for r in range(n):
            k = r % len(inits)
            for init in inits[k:] + inits[:k]:
                yield r, init

    def record(self, fig, name, value, rnd=None):
        self.results.setdefault(fig, {}).setdefault(name, []).append(
            (rnd, value))

    # ------------------------------------------------------------ figures

    # pidone-min without one of two parts of its start that go to the file
    # system: timed in the same rounds, for "where pidone-min's start-up
    # time goes" (label, extra environment, options before --).
    STARTUP_PARTS = [
        ("the OOM watch", {"PIDONE_TEST_CGROUP_ROOT": "/nonexistent"}, []),
        ("proving /tmp writable", {}, ["--writable", "/dev/shm"]),
    ]

    def spawn_times(self, cpu, n, argv, env=None, timeout=60):
        """latdrive spawn: @argv run @n times one after the other on @cpu;
        (the median wall time in us, the median page faults)."""
        _, out, _ = run(["taskset", "-c", cpu, self.tool("latdrive"),
                         "spawn", str(n), "--"] + argv, env=env,
                        timeout=timeout)
        runs = [ln.split() for ln in out.splitlines()]
        return (median([int(ns) for ns, _ in runs]) / 1000.0,
                median([int(pf) for _, pf in runs]))

    def fig_startup(self):
        p = self.p
        log("start-up + tear-down: %d rounds x %d runs of INIT -- /bin/true, "
            "on CPU %s" % (p["startup_rounds"], p["startup_batch"], self.cpu))

        parts = self.STARTUP_PARTS if os.path.isdir("/dev/shm") else []
        for r, init in self.rounds(p["startup_rounds"]):
            # pidone-min and its variants in an order that turns with the
            # round: the run after another is not always the same one.
            group = [(None, None, init.argv(["/bin/true"]))]
            if init.name == "pidone-min":
                pre = [a for a in init.pre if a != "--"]
                group += [(label, dict(CLEAN_ENV, **env),
                           [init.path] + pre + opts + ["--", "/bin/true"])
                          for label, env, opts in parts]
            k = r % len(group)
            for label, env, argv in group[k:] + group[:k]:
                us, faults = self.spawn_times(self.cpu, p["startup_batch"],
                                              argv, env, timeout=120)
                if label:
                    self.record("startup_part_us", label, us, r)
                else:
                    self.record("startup_us", init.name, us, r)
                    self.record("startup_faults", init.name, faults, r)

    def callgrind_argv(self, path_argv, tag, env=None):
        """(argv running @path_argv under callgrind, its output file)."""
        outdir = os.path.join(self.work, "cg")
        os.makedirs(outdir, mode=0o755, exist_ok=True)
        self.cg_count = getattr(self, "cg_count", 0) + 1
        fn = os.path.join(outdir, "%s.%d" % (tag, self.cg_count))
        # pidone drops to 65532 before callgrind writes its file at exit:
        # the file must already exist and be writable by anyone.
        fd = os.open(fn, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o666)
        os.fchmod(fd, 0o666)
        os.close(fd)
        env = env if env is not None else {}
        cmd = ["/usr/bin/env", "-i"] + ["%s=%s" % kv for kv in env.items()] + [
            shutil.which("valgrind") or "/usr/bin/valgrind",
            "--tool=callgrind", "--trace-children=no", "--vgdb=no",
            "--callgrind-out-file=" + fn] + path_argv
        return cmd, fn

    def fig_callgrind(self, path_argv, tag, env=None):
        """Instructions of one run of @path_argv (the init only)."""
        cmd, fn = self.callgrind_argv(path_argv, tag, env)
        p = start(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                  stderr=subprocess.PIPE)
        _, err = p.communicate(timeout=120)
        _live.discard(p)
        return self.callgrind_totals(fn, err), fn

    @staticmethod
    def callgrind_totals(fn, err=b""):
        """The instruction total callgrind wrote to @fn."""
        with open(fn) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
        raise RuntimeError("callgrind left no totals in %s: %s" %
                           (fn, err.decode(errors="replace")[-300:]))

    def fig_instructions(self):
        n = self.p["callgrind_rounds"]
        log("instructions (callgrind, env -i, init only): %d rounds" % n)
        for r, init in self.rounds(n):
            ins, _ = self.fig_callgrind(init.argv(["/bin/true"]),
                                        "true-" + init.name)
            self.record("instructions", init.name, ins, r)
        log("instructions with a pod's environment (callgrind, init only)")
        for init in self.inits:
            ins, _ = self.fig_callgrind(init.argv(["/bin/true"]),
                                        "pod-" + init.name, env=pod_env())
            self.record("instructions_pod", init.name, ins)

    def fig_syscalls(self):
        """System calls of the init process alone (strace without -f) for
        one INIT -- /bin/true under env -i: a count that the machine's noise
        moves by one at most (the child's end wakes an event loop once or
        twice), where it moves start-up time by tens of percent."""
        strace = shutil.which("strace")
        if not strace:
            self.skipped.append("system calls at start: no strace")
            return
        log("system calls at start (strace, env -i, init only)")
        for init in self.inits:
            fn = os.path.join(self.work, "strace-" + init.name)
            run(["/usr/bin/env", "-i", strace, "-o", fn] +
                init.argv(["/bin/true"]), check=False)
            with open(fn) as f:
                self.record("syscalls", init.name, sum(
                    1 for ln in f if not ln.startswith(("+++", "---"))))

    def fig_size(self):
        for init in self.inits:
            _, out, _ = run(["file", "-L", init.path])
            link = "static" if "statically linked" in out else (
                "dynamic" if "dynamically linked" in out else "?")
            if link == "dynamic":
                _, ldd, _ = run(["ldd", init.path], check=False)
                libs = [ln.split()[0] for ln in ldd.splitlines()
                        if "=>" in ln]
                link += " (" + ", ".join(libs) + ")"
            if "not stripped" in out:
                link += ", not stripped"
            self.record("size", init.name, os.path.getsize(init.path))
            self.results.setdefault("linkage", {})[init.name] = link
        groups = link_map_sizes(self.prof + ".map") if self.prof else None
        if groups:
            self.results["size_groups"] = groups
        else:
            self.skipped.append("where the bytes go: no link map beside %s"
                                % self.prof)

    def start_idle(self, init, pid1=False):
        """INIT -- latchild pause, started and waited for until idle."""
        p = start(init.argv([self.tool("latchild"), "pause"], pid1),
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                  stderr=subprocess.DEVNULL, env=CLEAN_ENV)
        if read_line(p.stdout, 10) is None:
            p.kill()
            finish(p)
            raise RuntimeError("%s: the child never started" % init.name)
        return p

    def fig_rss_idle(self):
        p = self.p
        log("RSS and idle wake-ups: %d rounds, wake-ups over %.0f s" %
            (p["rss_rounds"], p["idle_seconds"]))
        for r in range(p["rss_rounds"]):
            k = r % len(self.inits)
            order = self.inits[k:] + self.inits[:k]
            procs = []
            try:
                for init in order:
                    procs.append((init, self.start_idle(init)))
                time.sleep(0.3)
                before = {}
                for init, proc in procs:
                    if r == 0:
                        try:
                            self.results.setdefault("idle_wait", {})[
                                init.name] = idle_wait(proc.pid)
                        except (OSError, ValueError):
                            pass
                    st = proc_status(proc.pid)
                    self.record("rss_kb", init.name, int(st["VmRSS"]), r)
                    before[init.name] = (int(st["voluntary_ctxt_switches"]) +
                                         int(st["nonvoluntary_ctxt_switches"]))
                if r == 0:
                    t0 = time.monotonic()
                    time.sleep(p["idle_seconds"])
                    dt = time.monotonic() - t0
                    for init, proc in procs:
                        st = proc_status(proc.pid)
                        n = (int(st["voluntary_ctxt_switches"]) +
                             int(st["nonvoluntary_ctxt_switches"]) -
                             before[init.name])
                        self.record("wakeups", init.name, n)
                        self.record("wakeups_per_s", init.name, n / dt)
            finally:
                for _, proc in procs:
                    if proc.poll() is None:
                        proc.kill()
                    finish(proc)

    def reap_once(self, init, mode):
        n, b = self.p["orphans"], self.p["burst"]
        cmd = [self.tool("orphan_maker"), mode, str(n)] + (
            [str(b)] if mode == "burst" else [])
        u = start(["unshare", "--pid", "--fork", "--mount-proc"] +
                  init.argv(cmd, pid1=True),
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.DEVNULL, env=CLEAN_ENV)
        try:
            if read_line(u.stdout, 10) != "R\n":
                raise RuntimeError("%s: orphan_maker did not start" %
                                   init.name)
            kids = children_of(u.pid)
            if len(kids) != 1:
                raise RuntimeError("unshare has %d children" % len(kids))
            ipid = kids[0]
            c0 = cpu_ns(ipid)
            u.stdin.write(b"g")
            u.stdin.flush()
            line = read_line(u.stdout, 120)
            c1 = cpu_ns(ipid)
            if not line or not line.startswith("D "):
                raise RuntimeError("%s: no result from orphan_maker" %
                                   init.name)
            u.stdin.write(b"b")
            u.stdin.flush()
            _, wall, left = line.split()
            return int(wall), c1 - c0, int(left)
        finally:
            if u.poll() is None:
                try:
                    os.kill(ipid, signal.SIGKILL)
                except (OSError, UnboundLocalError):
                    u.kill()
            finish(u, timeout=20)

    def fig_reaping(self):
        if not self.root:
            self.skipped.append("reaping as PID 1: needs root for unshare")
            return
        p = self.p
        n = p["orphans"]
        for mode in ("stream", "burst"):
            log("reaping as PID 1: %d orphans, %s, %d rounds" %
                (n, mode, p["reap_rounds"]))
            last, t0 = -1, time.monotonic()
            for r, init in self.rounds(p["reap_rounds"],
                                       self.inits + self.sigfloors):
                if r != last and r > 0 and \
                        time.monotonic() - t0 > p["reap_deadline"][mode]:
                    self.notes.append(
                        "reaping (%s) stopped after %d of %d rounds to keep "
                        "the bench within its time budget" %
                        (mode, r, p["reap_rounds"]))
                    break
                last = r
                wall, cpu, left = self.reap_once(init, mode)
                self.record("reap_%s_ms" % mode, init.name, wall / 1e6, r)
                self.record("reap_%s_cpu_us" % mode, init.name,
                            cpu / 1000.0 / n, r)
                self.record("reap_%s_left" % mode, init.name, left, r)

    def fig_term(self):
        if not self.root:
            self.skipped.append("SIGTERM latency as PID 1: needs root")
            return
        rounds = self.p["term_rounds"]
        log("SIGTERM forwarding and SIGTERM-to-exit as PID 1: %d rounds, "
            "on CPU %s" % (rounds, self.cpu))
        inits = [i for i in self.inits if i.kind != "floor"] + \
            self.sigfloors
        for r, init in self.rounds(rounds, inits):
            _, out, _ = run(["taskset", "-c", self.cpu, self.tool("latdrive"),
                             "term", "--pid1", "--"] +
                            init.argv([self.tool("latchild"), "term"], True),
                            timeout=30)
            fwd, ex, status = out.split()
            self.record("term_fwd_us", init.name, int(fwd) / 1000.0, r)
            self.record("term_exit_us", init.name, int(ex) / 1000.0, r)
            self.record("term_status", init.name, int(status), r)

    def fig_exit(self):
        if not self.root:
            self.skipped.append("child-exit latency as PID 1: needs root")
            return
        rounds = self.p["exit_rounds"]
        log("child-exit-to-init-exit as PID 1: %d rounds, on CPU %s" %
            (rounds, self.cpu))
        for r, init in self.rounds(rounds):
            _, out, _ = run(["taskset", "-c", self.cpu, self.tool("latdrive"),
                             "exit", "--pid1", "--"] +
                            init.argv([self.tool("latchild"), "exit", "30"],
                                      True), timeout=30)
            ex, status = out.split()
            self.record("exit_us", init.name, int(ex) / 1000.0, r)

    # ------------------------------------------------------------ health

    @staticmethod
    def parse_wrk(out):
        def dur(s):
            m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
            v = float(m.group(1))
            return v * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m.group(2)]
        res = {"errors": 0, "non2xx": 0}
        for line in out.splitlines():
            t = line.split()
            if line.startswith("Requests/sec:"):
                res["rps"] = float(t[1])
            elif len(t) > 2 and t[1] == "requests" and t[2] == "in":
                res["requests"] = int(t[0])
            elif len(t) == 2 and t[0] in ("50%", "99%"):
                res["p" + t[0][:-1]] = dur(t[1])
            elif line.strip().startswith("Socket errors:"):
                res["errors"] = sum(int(x) for x in
                                    re.findall(r"\d+", line))
            elif line.strip().startswith("Non-2xx"):
                res["non2xx"] = int(t[-1])
        return res

    HTTP_LOADS = (("c1", ["-c1"], "wrk keep-alive, 1 connection"),
                  ("c50", ["-c50"], "wrk keep-alive, 50 connections"),
                  ("close", ["-c50", "-H", "Connection: close"],
                   "wrk, 50 connections, a new connection per request"))

    def fig_health(self):
        if not self.features.get("health_server"):
            self.skipped.append("health port (wrk, new connections, RSS "
                                "under load): %s" %
                                self.features.get("health_text",
                                                  "pidone not measured"))
            return
        p = self.p
        port, fport = free_port(), free_port()
        log("health port: wrk keep-alive 1 and 50 connections, a new "
            "connection per request; pidone and httpfloor, %d rounds of "
            "%.0f s" % (p["http_rounds"], p["http_seconds"]))
        srv = start(["taskset", "-c", self.cpu, self.pidone, "--health-addr",
                     "127.0.0.1", "--health-port", str(port), "--",
                     self.tool("latchild"), "pause"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=CLEAN_ENV)
        flo = start(["taskset", "-c", self.cpu, self.tool("httpfloor"),
                     "127.0.0.1", str(fport)], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    env=CLEAN_ENV)
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.02):
                try:
                    peak[0] = max(peak[0],
                                  int(proc_status(srv.pid)["VmRSS"]))
                except (OSError, KeyError):
                    return
        try:
            if read_line(srv.stdout, 10) is None or \
                    not self.http_ok(port, 5):
                raise RuntimeError("pidone's health server did not answer")
            if not self.http_ok(fport, 5):
                raise RuntimeError("httpfloor did not answer")
            time.sleep(0.2)
            st = proc_status(srv.pid)
            rss0 = int(st["VmRSS"])
            peak[0] = rss0
            self.record("health_rss_idle_kb", "pidone", rss0)
            th = threading.Thread(target=sample, daemon=True)
            th.start()
            secs = "%ds" % max(1, round(p["http_seconds"]))
            targets = [("httpfloor", fport), ("pidone", port)]
            for r in range(p["http_rounds"]):
                k = r % 2
                for name, prt in targets[k:] + targets[:k]:
                    url = "http://127.0.0.1:%d/healthz" % prt
                    for label, opts, _ in self.HTTP_LOADS:
                        _, out, _ = run(["taskset", "-c", self.load_cpu,
                                         "wrk", "-t1", "-d" + secs,
                                         "--latency"] + opts + [url],
                                        timeout=60)
                        res = self.parse_wrk(out)
                        for key, v in res.items():
                            self.record("wrk_%s_%s" % (label, key), name, v,
                                        r)
            stop.set()
            th.join()
            st = proc_status(srv.pid)
            self.record("health_rss_after_kb", "pidone", int(st["VmRSS"]))
            self.record("health_rss_peak_kb", "pidone", peak[0])
            self.record("health_rss_growth_kb", "pidone", peak[0] - rss0)
            try:
                self.fig_health_cmd(port)
            except (RuntimeError, OSError, ValueError) as e:
                self.skipped.append("`pidone health`: failed: %s" % e)
        finally:
            stop.set()
            for proc in (srv, flo):
                if proc.poll() is None:
                    proc.kill()
                finish(proc)

    HTTP_CPU_LOADS = (("keep", "keep-alive, one connection"),
                      ("close", "a new connection per request"))

    def fig_health_cpu(self):
        """The health server's CPU per request, next to httpfloor's.

        httpdrive makes exactly N requests, one after the other, so the
        server's utime + stime over the run (its CPU clock, which is that
        sum in ns rather than in /proc/PID/stat's 10 ms ticks) divided by N
        is its CPU per request, with nothing left in flight as wrk leaves
        it. Rounds alternate the servers; then callgrind counts the
        instructions of a kept-alive request.
        """
        if not self.features.get("health_server"):
            self.skipped.append("health server CPU per request: %s" %
                                self.features.get("health_text",
                                                  "pidone not measured"))
            return
        p = self.p
        log("health server CPU per request: %d rounds of %d kept-alive "
            "and %d new-connection requests, pidone and httpfloor" %
            (p["cpu_rounds"], p["cpu_keep"], p["cpu_close"]))
        srv, port = self.start_health([self.tool("latchild"), "pause"])
        fport = free_port()
        flo = start(["taskset", "-c", self.cpu, self.tool("httpfloor"),
                     "127.0.0.1", str(fport)], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    env=CLEAN_ENV)
        try:
            if not self.http_ok(fport, 5):
                raise RuntimeError("httpfloor did not answer")
            targets = [("httpfloor", flo.pid, fport),
                       ("pidone", srv.pid, port)]
            for r in range(p["cpu_rounds"]):
                k = r % 2
                for name, pid, prt in targets[k:] + targets[:k]:
                    for mode, _ in self.HTTP_CPU_LOADS:
                        n = p["cpu_" + mode]
                        cpu0 = cpu_ns(pid)
                        _, out, _ = run(["taskset", "-c", self.load_cpu,
                                         self.tool("httpdrive"), mode,
                                         "127.0.0.1", str(prt), "/healthz",
                                         str(n)], timeout=300)
                        self.record("http_cpu_%s_ns" % mode, name,
                                    (cpu_ns(pid) - cpu0) / n, r)
                        self.record("http_wall_%s_us" % mode, name,
                                    int(out) / n / 1000.0, r)
        finally:
            for proc in (srv, flo):
                if proc.poll() is None:
                    proc.kill()
                finish(proc)
        servers = [("pidone", [self.pidone, "--health-addr", "127.0.0.1",
                               "--health-port"], ["--",
                                                  self.tool("latchild"),
                                                  "pause"]),
                   ("httpfloor", [self.tool("httpfloor"), "127.0.0.1"], [])]
        if getattr(self, "pidone_glibc", None):
            servers.insert(1, ("pidone-glibc", [self.pidone_glibc] +
                               servers[0][1][1:], servers[0][2]))
        for name, pre, post in servers:
            try:
                self.record("http_instructions", name,
                            self.cg_per_request(name, pre, post))
            except (RuntimeError, OSError, ValueError,
                    subprocess.TimeoutExpired) as e:
                self.skipped.append("instructions per request of %s: %s" %
                                    (name, e))

    def cg_per_request(self, name, pre, post):
        """Instructions per kept-alive GET /healthz of a server under
        callgrind: two runs that serve n and n + N requests (start-up, the
        readiness request and the exit are the same in both), the
        difference over N."""
        n0, n = 100, self.p["cg_requests"]
        totals = []
        for count in (n0, n0 + n):
            port = free_port()
            cmd, fn = self.callgrind_argv(pre + [str(port)] + post,
                                          "http-" + name, CLEAN_ENV)
            proc = start(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                if (post and read_line(proc.stdout, 60) is None) or \
                        not self.http_ok(port, 60):
                    raise RuntimeError("%s did not answer under callgrind" %
                                       name)
                run([self.tool("httpdrive"), "keep", "127.0.0.1", str(port),
                     "/healthz", str(count)], timeout=300)
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=120)
            finally:
                if proc.poll() is None:
                    proc.kill()
                finish(proc)
            totals.append(self.callgrind_totals(fn, err))
        return (totals[1] - totals[0]) / n

    def fig_health_cmd(self, port):
        if not self.features.get("health_cmd"):
            self.skipped.append("`pidone health` cost: the subcommand is not "
                                "in this binary (or it did not exit 0)")
            return
        p = self.p
        log("pidone health: %d rounds x %d runs, and callgrind" %
            (p["health_rounds"], p["health_batch"]))
        env = self.health_env(port)
        # Each round also times the floor, a client that only connects,
        # GETs and reads (tests/bench/probefloor.c): what an exec and one
        # answer cost on this machine.
        for r in range(p["health_rounds"]):
            for name, argv in (("pidone", [self.pidone, "health"]),
                               ("floor", [self.tool("probefloor")])):
                us, _ = self.spawn_times(self.load_cpu, p["health_batch"],
                                         argv, env)
                self.record("health_cmd_us", name, us, r)
        try:
            ins, _ = self.fig_callgrind([self.pidone, "health"], "health",
                                        env={k: v for k, v in env.items()
                                             if k.startswith("PIDONE_")})
            self.record("health_cmd_instructions", "pidone", ins)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            self.skipped.append("`pidone health` instructions: %s" % e)

    ATTACK_IDLE, ATTACK_SLOW, FLOOD_CONNS = 1000, 1000, 250

    def start_health(self, child):
        """pidone with the health port on loopback and @child; (proc,
        port) once the port answers."""
        port = free_port()
        srv = start(["taskset", "-c", self.cpu, self.pidone, "--health-addr",
                     "127.0.0.1", "--health-port", str(port), "--"] + child,
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=CLEAN_ENV)
        if read_line(srv.stdout, 10) is None or not self.http_ok(port, 5):
            stop_init(srv)
            raise RuntimeError("pidone's health server did not answer")
        return srv, port

    @staticmethod
    def raise_nofile(n):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(n, hard), hard))

    def hold_attack(self, port, stop):
        """Hold ATTACK_IDLE idle and ATTACK_SLOW slow (a byte a second)
        connections, reopening each one pidone closes, until @stop."""
        sel = __import__("selectors").DefaultSelector()
        slow_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: "
        conns = {}

        def opened(kind):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            conns[s] = [kind, 0]
            sel.register(s, __import__("selectors").EVENT_READ)

        for i in range(self.ATTACK_IDLE + self.ATTACK_SLOW):
            opened("idle" if i < self.ATTACK_IDLE else "slow")
        next_drip = time.monotonic() + 1.0
        while not stop.is_set():
            for key, _ in sel.select(0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:    # evicted or timed out: come back
                    kind = conns.pop(s)[0]
                    sel.unregister(s)
                    s.close()
                    opened(kind)
            if time.monotonic() >= next_drip:
                next_drip += 1.0
                for s, st in conns.items():
                    if st[0] == "slow":
                        b = slow_head[st[1]:st[1] + 1] or b"a"
                        st[1] += 1
                        try:
                            s.send(b)
                        except OSError:
                            pass
        for s in conns:
            s.close()
        sel.close()

    @staticmethod
    def probe_once(port, timeout=1.0):
        """A kubelet-style probe from a new connection: (µs, status)."""
        t0 = time.monotonic_ns()
        try:
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return (time.monotonic_ns() - t0) / 1000.0, 0
        m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
        return (time.monotonic_ns() - t0) / 1000.0, int(m.group(1)) if m \
            else 0

    def fig_appcheck_probe(self):
        """Probes while both app checks hang on an app that takes the
        connection and never answers (a listener nobody accepts from)."""
        n = self.p["attack_probes"]
        log("health probes while --ready-http and --live-http hang on a "
            "silent app: %d probes" % n)
        app = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        app.bind(("127.0.0.1", 0))
        app.listen(16)
        url = "http://127.0.0.1:%d/health" % app.getsockname()[1]
        port = free_port()
        srv = start(["taskset", "-c", self.cpu, self.pidone, "--health-addr",
                     "127.0.0.1", "--health-port", str(port),
                     "--ready-http", url, "--live-http", url,
                     "--check-interval", "0.05", "--check-timeout", "3600",
                     "--", self.tool("latchild"), "pause"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=CLEAN_ENV)
        try:
            if read_line(srv.stdout, 10) is None or \
                    not self.http_ok(port, 5):
                raise RuntimeError("pidone's health server did not answer")
            # both checks connected (in the backlog), requests unanswered
            deadline = time.monotonic() + 5
            to_app = ":%04X" % app.getsockname()[1]

            def connected():
                with open("/proc/net/tcp") as f:
                    rows = [r.split() for r in f.readlines()[1:]]
                return len([r for r in rows if r[2].endswith(to_app)
                            and r[3] == "01"])
            while connected() < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError("the app checks did not connect")
                time.sleep(0.01)
            lat, failed = [], 0
            for _ in range(n):
                us, status = self.probe_once(port)
                lat.append(us)
                failed += status != 200     # live passes until failures
                time.sleep(0.005)
            lat.sort()
            self.record("appcheck_probe_p50_us", "pidone",
                        lat[len(lat) // 2])
            self.record("appcheck_probe_p99_us", "pidone",
                        lat[min(len(lat) - 1, len(lat) * 99 // 100)])
            self.record("appcheck_probe_failed", "pidone", failed)
        finally:
            stop_init(srv)
            app.close()

    def fig_probe_attack(self):
        n = self.p["attack_probes"]
        log("health probes under %d idle + %d slow connections: %d probes "
            "from new connections" % (self.ATTACK_IDLE, self.ATTACK_SLOW, n))
        self.raise_nofile(self.ATTACK_IDLE + self.ATTACK_SLOW + 256)
        srv, port = self.start_health([self.tool("latchild"), "pause"])
        # A process, not a thread: the probe's timing must not wait for
        # the attacker's turn at the interpreter lock (5 ms slices).
        mp = multiprocessing.get_context("fork")
        stop = mp.Event()
        th = mp.Process(target=self.hold_attack, args=(port, stop),
                        daemon=True)
        try:
            th.start()
            time.sleep(2.0)     # every connection opened, some dripping
            lat, failed = [], 0
            for _ in range(n):
                us, status = self.probe_once(port)
                lat.append(us)
                failed += status != 200
                time.sleep(0.01)
            lat.sort()
            self.record("attack_probe_p50_us", "pidone",
                        lat[len(lat) // 2])
            self.record("attack_probe_p99_us", "pidone",
                        lat[min(len(lat) - 1, len(lat) * 99 // 100)])
            self.record("attack_probe_failed", "pidone", failed)
        finally:
            stop.set()
            th.join(10)
            if th.is_alive():
                th.kill()
            stop_init(srv)

    def flood(self, port, stop, served):
        """FLOOD_CONNS clients pipelining /metrics and reading every answer
        as fast as they can, until @stop; counts bytes read in @served."""
        import selectors
        sel = selectors.DefaultSelector()
        batch = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 64
        socks = []
        for _ in range(self.FLOOD_CONNS):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setblocking(False)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while not stop.is_set():
            for key, ev in sel.select(0.05):
                s = key.fileobj
                try:
                    if ev & selectors.EVENT_READ:
                        served[0] += len(s.recv(1 << 16))
                    if ev & selectors.EVENT_WRITE:
                        s.send(batch)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    sel.unregister(s)
        for s in socks:
            s.close()
        sel.close()

    def fig_term_flood(self):
        rounds = self.p["flood_rounds"]
        log("SIGTERM to child under %d clients pipelining /metrics: %d "
            "rounds" % (self.FLOOD_CONNS, rounds))
        for r in range(rounds):
            srv, port = self.start_health([self.tool("latchild"), "term"])
            # A process (see fig_probe_attack); served is shared memory.
            mp = multiprocessing.get_context("fork")
            stop, served = mp.Event(), mp.Array("q", 1, lock=False)
            th = mp.Process(target=self.flood, args=(port, stop, served),
                            daemon=True)
            try:
                th.start()
                end = time.monotonic() + 10
                while served[0] < (4 << 20) and time.monotonic() < end:
                    time.sleep(0.05)
                if served[0] < (4 << 20):
                    raise RuntimeError("the /metrics flood did not start")
                t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                os.kill(srv.pid, signal.SIGTERM)
                line = read_line(srv.stdout, 10)
                if not line or not line.startswith("T "):
                    raise RuntimeError("the child did not get SIGTERM")
                self.record("flood_term_us", "pidone",
                            (int(line.split()[1]) - t0) / 1000.0, r)
            finally:
                stop.set()
                th.join(10)
                if th.is_alive():
                    th.kill()
                stop_init(srv)

    @staticmethod
    def readyz_on(sock):
        """GET /readyz on the keep-alive @sock: the status code, or 0."""
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return 0
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        m = re.search(rb"Content-Length: (\d+)", head, re.I)
        want = int(m.group(1)) if m else 0
        while len(body) < want:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
        m = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
        return int(m.group(1)) if m else 0

    def fig_drain(self):
        """--drain: from SIGTERM to a /readyz 503 (a request sent right
        after the kill on a kept-alive connection), and how far after the
        drain the child gets its SIGTERM."""
        p = self.p
        rounds, drain_ms = p["drain_rounds"], p["drain_ms"]
        log("--drain %g: SIGTERM to /readyz 503, and the drain's precision:"
            " %d rounds" % (drain_ms / 1000.0, rounds))
        for r in range(rounds):
            port = free_port()
            srv = start(["taskset", "-c", self.cpu, self.pidone,
                         "--health-addr", "127.0.0.1", "--health-port",
                         str(port), "--drain", "%g" % (drain_ms / 1000.0),
                         "--", self.tool("latchild"), "term"],
                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, env=CLEAN_ENV)
            try:
                if read_line(srv.stdout, 10) is None or \
                        not self.http_ok(port, 5):
                    raise RuntimeError("pidone's health server did not "
                                       "answer")
                with socket.create_connection(("127.0.0.1", port),
                                              timeout=5) as s:
                    if self.readyz_on(s) != 200:
                        raise RuntimeError("/readyz was not 200 before the "
                                           "stop")
                    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                    os.kill(srv.pid, signal.SIGTERM)
                    # signals come before clients in pidone's loop: the
                    # first request after the kill normally sees the 503
                    while self.readyz_on(s) == 200:
                        pass
                    t503 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                line = read_line(srv.stdout, drain_ms / 1000.0 + 10)
                if not line or not line.startswith("T "):
                    raise RuntimeError("the child did not get SIGTERM")
                self.record("drain_readyz_us", "pidone",
                            (t503 - t0) / 1000.0, r)
                self.record("drain_late_us", "pidone",
                            (int(line.split()[1]) - t0) / 1000.0 -
                            drain_ms * 1000.0, r)
            finally:
                stop_init(srv)

    def fig_scrape(self):
        """/metrics with the series read from the kernel at scrape time
        (the cgroup, the child's /proc) against the same server with no
        cgroup to read (an empty tree given as PIDONE_TEST_CGROUP_ROOT):
        server CPU per scrape. And `pidone status` wall time."""
        p = self.p
        log("/metrics scrape CPU with and without the kernel series, %d "
            "rounds of %d scrapes; pidone status x %d" %
            (p["scrape_rounds"], p["scrape_batch"], p["status_runs"]))
        empty = tempfile.mkdtemp(prefix="nocg-", dir=self.work)
        for r in range(p["scrape_rounds"]):
            for label, extra in (("kernel", {}),
                                 ("none", {"PIDONE_TEST_CGROUP_ROOT": empty})):
                port = free_port()
                env = dict(CLEAN_ENV, **extra)
                srv = start(["taskset", "-c", self.cpu, self.pidone,
                             "--health-addr", "127.0.0.1", "--health-port",
                             str(port), "--", self.tool("latchild"), "pause"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
                try:
                    if read_line(srv.stdout, 10) is None or \
                            not self.http_ok(port, 5):
                        raise RuntimeError("pidone's health server did not "
                                           "answer")
                    req = (b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    with socket.create_connection(("127.0.0.1", port),
                                                  timeout=5) as s:
                        cpu0 = cpu_ns(srv.pid)
                        for _ in range(p["scrape_batch"]):
                            s.sendall(req)
                            self.read_http(s)
                        cpu = cpu_ns(srv.pid) - cpu0
                    self.record("scrape_cpu_ns_" + label, "pidone",
                                cpu / p["scrape_batch"], r)
                    if label == "kernel" and r == 0:
                        senv = dict(CLEAN_ENV, PIDONE_HEALTH_PORT=str(port),
                                    PIDONE_HEALTH_ADDR="127.0.0.1")
                        # --version: what exec'ing the binary costs alone
                        for key, argv in (("status_wall_us", ["status"]),
                                          ("version_wall_us",
                                           ["--version"])):
                            walls = []
                            for _ in range(p["status_runs"]):
                                t0 = time.monotonic_ns()
                                rc, _, _ = run([self.pidone] + argv,
                                               env=senv, check=False)
                                walls.append(
                                    (time.monotonic_ns() - t0) / 1000.0)
                                if rc != 0:
                                    raise RuntimeError("pidone %s exit %d"
                                                       % (argv[0], rc))
                            self.record(key, "pidone", median(walls), r)
                finally:
                    stop_init(srv)

    def read_http(self, s):
        """One HTTP/1.1 answer with Content-Length from socket @s."""
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        head, body = buf.split(b"\r\n\r\n", 1)
        m = re.search(rb"(?i)content-length: *(\d+)", head)
        want = int(m.group(1)) if m else 0
        while len(body) < want:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            body += chunk
        return head, body
    @staticmethod
    def configmap(root, n, text):
        """Version @n of a ConfigMap-style volume in @root (app.conf holding
        @text): a timestamped dir, "..data" to it, app.conf through
        "..data". Version 0 creates the whole layout; a later one returns
        what the kubelet's rename needs: (the new "..data_tmp", the old
        dir)."""
        name = "..2026_12_04_00_00_%02d.%09d" % (n, n)
        os.mkdir(os.path.join(root, name))
        with open(os.path.join(root, name, "app.conf"), "w") as f:
            f.write(text)
        if n == 0:
            os.symlink(name, os.path.join(root, "..data"))
            os.symlink("..data/app.conf", os.path.join(root, "app.conf"))
            return None
        tmp = os.path.join(root, "..data_tmp")
        os.symlink(name, tmp)
        return tmp, os.path.join(root, "..2026_12_04_00_00_%02d.%09d"
                                 % (n - 1, n - 1))

    def fig_reload(self):
        """--watch on a ConfigMap-style volume: from the rename of a new
        "..data" over the old to the old child's SIGTERM (its handler's
        CLOCK_MONOTONIC) and to the new child's first line (read by the
        driver). Both include the 1 s debounce."""
        rounds = self.p["reload_rounds"]
        log("--watch: a ..data swap to the new child's start: %d rounds"
            % rounds)
        for r in range(rounds):
            vol = tempfile.mkdtemp(prefix="configmap-", dir=self.work)
            os.chmod(vol, 0o755)
            self.configmap(vol, 0, "v0")
            srv = start(["taskset", "-c", self.cpu, self.pidone,
                         "--health-port", "0", "--watch", vol, "--",
                         self.tool("latchild"), "term"],
                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, env=CLEAN_ENV)
            try:
                # The watch is armed before the child is spawned.
                if read_line(srv.stdout, 10) != "R\n":
                    raise RuntimeError("the child did not start")
                end = time.monotonic() + 5
                while idle_wait(srv.pid)[0] not in ("epoll_wait",
                                                    "epoll_pwait") and \
                        time.monotonic() < end:
                    time.sleep(0.01)
                tmp, old = self.configmap(vol, 1, "v1")
                t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                os.rename(tmp, os.path.join(vol, "..data"))
                shutil.rmtree(old)
                line = read_line(srv.stdout, 10)
                if not line or not line.startswith("T "):
                    raise RuntimeError("the old child did not get SIGTERM")
                t_stop = int(line.split()[1])
                if read_line(srv.stdout, 10) != "R\n":
                    raise RuntimeError("no new child after the swap")
                t_new = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                self.record("reload_stop_ms", "pidone",
                            (t_stop - t0) / 1e6, r)
                self.record("reload_start_ms", "pidone",
                            (t_new - t0) / 1e6, r)
            finally:
                stop_init(srv)
                shutil.rmtree(vol, True)

    # ------------------------------------------------------------ profile

    def profile(self):
        """callgrind_annotate of pidone's start-up, on an unstripped twin."""
        prof = self.prof
        if not prof or not os.path.exists(prof) or not self.features.get(
                "core"):
            self.skipped.append("start-up profile: no unstripped pidone "
                                "(--pidone-prof)")
            return
        log("profiling pidone's start-up with callgrind")
        out = {}
        for label, opts in (("minimal", ["--health-port", "0", "--user",
                                         "keep", "--"]),
                            ("defaults", self.default_pre())):
            ins, fn = self.fig_callgrind([prof] + opts + ["/bin/true"],
                                         "prof-" + label)
            _, ann, _ = run(["callgrind_annotate", "--inclusive=no",
                             "--threshold=99", fn], env=dict(os.environ),
                            timeout=60)
            _, inc, _ = run(["callgrind_annotate", "--inclusive=yes",
                             "--threshold=99", fn], env=dict(os.environ),
                            timeout=60)
            out[label] = (ins, self.top_lines(ann, 14),
                          self.top_lines(inc, 22))
        self.results["profile"] = out

    def default_pre(self):
        for i in self.inits:
            if i.name == "pidone":
                return i.pre
        return ["--"]

    @staticmethod
    def top_lines(text, n):
        lines = []
        seen = False
        for line in text.splitlines():
            if re.match(r"^\s*[\d,]+\s+\(", line) and \
                    "PROGRAM TOTALS" not in line:
                seen = True
                if "'" in line.split(":")[-1]:
                    continue  # callgrind's recursion copies, e.g. main'2
                line = re.sub(r"\s+\[[^\]]*\]\s*$", "", line.rstrip())
                lines.append(line.replace("???:", ""))
            elif seen and not line.strip():
                break
            if len(lines) >= n:
                break
        return lines

    # ------------------------------------------------------------ report

    def summary(self, fig, name):
        """(median, min, max) of a figure's round values for one init."""
        vals = [v for _, v in self.results.get(fig, {}).get(name, [])]
        if not vals:
            return None
        return median(vals), min(vals), max(vals)

    def ratio(self, fig, name):
        """Median, min, max over rounds of init/floor in the same round."""
        rows = self.results.get(fig, {})
        fl = dict(rows.get("floor", []))
        mine = rows.get(name, [])
        if not fl or not mine:
            return None
        if None in fl or any(r is None for r, _ in mine):
            f = median(list(fl.values()))
            m = median([v for _, v in mine])
            return (m / f, m / f, m / f) if f else None
        rs = [v / fl[r] for r, v in mine if r in fl and fl[r]]
        if not rs:
            return None
        return median(rs), min(rs), max(rs)

    def machine(self):
        info = {}
        info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
        info["kernel"] = platform.release()
        model = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        model = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        info["cpu"] = "%s, %d logical CPUs" % (model, os.cpu_count() or 0)
        try:
            with open("/proc/meminfo") as f:
                kb = int(f.readline().split()[1])
            info["memory"] = "%.1f GiB" % (kb / 1048576.0)
        except (OSError, ValueError):
            info["memory"] = "?"
        try:
            with open("/etc/debian_version") as f:
                info["os"] = "Debian " + f.read().strip()
        except OSError:
            info["os"] = platform.platform()
        _, ccv, _ = run([os.environ.get("CC", "cc"), "--version"],
                        check=False, env=dict(os.environ))
        info["cc"] = ccv.splitlines()[0] if ccv else "?"
        rc, pkgs, _ = run(["dpkg-query", "-W", "-f",
                           "${Package} ${Version}\\n", "tini", "dumb-init",
                           "catatonit", "wrk", "valgrind"], check=False)
        info["packages"] = ", ".join(pkgs.split("\n")[:-1]) if pkgs else "?"
        if self.pidone:
            _, v, _ = run([self.pidone, "--version"], check=False)
            info["pidone"] = v.strip() or "?"
        rc, rev, _ = run(["git", "-C", HERE, "describe", "--always",
                          "--dirty"], check=False, env=dict(os.environ))
        info["revision"] = rev.strip() if rc == 0 else "(no commit yet)"
        return info

    def fmt(self, fig, name, unit_fmt="%.1f", ratio=True):
        s = self.summary(fig, name)
        if s is None:
            return "n/a"
        m, lo, hi = s
        text = unit_fmt % m
        if lo != hi:
            text += " (%s–%s)" % (unit_fmt % lo, unit_fmt % hi)
        if ratio and name != "floor":
            rt = self.ratio(fig, name)
            if rt:
                text += " ×%.2f" % rt[0]
        return text

    def goals(self):
        """[(goal, measured, rounds, verdict)] for every goal (README, Performance).

        The verdict compares medians. "rounds" says in how many of the
        paired rounds the goal held on its own, which shows how firm the
        verdict is on a noisy machine.
        """
        g = []
        names = [i.name for i in self.inits]
        peers = [i.name for i in self.inits if i.kind == "peer"]
        pidones = [n for n in ("pidone-min", "pidone") if n in names]

        def rat(fig, n):
            r = self.ratio(fig, n)
            return r[0] if r else None

        def med(fig, n):
            s = self.summary(fig, n)
            return s[0] if s else None

        def paired(fig, a, b, k=1.0):
            """Rounds in which a <= k * b, as "i/n"."""
            rows = self.results.get(fig, {})
            ra, rb = dict(rows.get(a, [])), dict(rows.get(b, []))
            common = [r for r in ra if r is not None and r in rb]
            if len(common) < 2:
                return ""
            ok = sum(1 for r in common if ra[r] <= k * rb[r])
            return "%d/%d" % (ok, len(common))

        def add(goal, measured, met, rounds=""):
            mark = "n/a" if met is None else ("met" if met else "NOT met")
            g.append((goal, measured, rounds or "", mark))

        for n, limit in (("pidone-min", 1.05), ("pidone", 1.15)):
            r = rat("startup_us", n)
            add("start-up of %s ≤ %.2f× floor" % (n, limit),
                "×%.3f" % r if r else "n/a", r <= limit if r else None,
                paired("startup_us", n, "floor", limit))
        pr = [(rat("startup_us", n), n) for n in peers if rat("startup_us", n)]
        if pr:
            best, bp = min(pr)
            for n in pidones:
                r = rat("startup_us", n)
                add("start-up of %s under every peer's ratio" % n,
                    "×%.3f vs best peer %s ×%.3f" % (r, bp, best)
                    if r else "n/a", r < best if r else None,
                    paired("startup_us", n, bp))
        r = rat("instructions", "pidone-min")
        add("instructions of pidone-min for -- /bin/true ≤ 1.2× floor",
            "×%.3f (%s vs %s)" % (r, self.fmt_int(med("instructions",
                                                      "pidone-min")),
                                  self.fmt_int(med("instructions", "floor")))
            if r else "n/a", r <= 1.2 if r else None)
        ts = med("rss_kb", "tini-static")
        for n in pidones:
            m = med("rss_kb", n)
            add("RSS of %s ≤ tini-static's" % n,
                "%s kB vs %s kB" % (m, ts) if m and ts else "n/a",
                m <= ts if m and ts else None,
                paired("rss_kb", n, "tini-static"))
        for n in pidones:
            m = med("wakeups", n)
            call, tmo = self.results.get("idle_wait", {}).get(n, ("?", None))
            add("zero idle wake-ups (%s)" % n,
                "%d in %.0f s; blocks in %s" % (
                    m, self.p["idle_seconds"], self.wait_text(n))
                if m is not None else "n/a",
                # A timeout of a day or more is no periodic wake-up.
                m == 0 and (tmo is None or tmo >= 86400)
                if m is not None else None)
        for mode in ("stream", "burst"):
            fig = "reap_%s_cpu_us" % mode
            for n in pidones:
                r = rat(fig, n)
                add("reaping CPU per orphan (%s) of %s ≤ floor's" % (mode, n),
                    "%.2f µs vs %.2f µs (×%.2f)" % (med(fig, n),
                                                    med(fig, "floor"), r)
                    if r else "n/a", r <= 1.0 if r else None,
                    paired(fig, n, "floor"))
            pv = [(med(fig, n), n) for n in peers if med(fig, n)]
            for n in pidones if pv else ():
                m, (bv, bn) = med(fig, n), min(pv)
                add("reaping CPU per orphan (%s) of %s ≤ 1.15× the best "
                    "peer's" % (mode, n),
                    "%.2f µs vs %s %.2f µs (×%.2f)" % (m, bn, bv, m / bv)
                    if m else "n/a", m <= 1.15 * bv if m else None,
                    paired(fig, n, bn, 1.15))
        for n in pidones:
            left = [v for fig in ("reap_stream_left", "reap_burst_left")
                    for _, v in self.results.get(fig, {}).get(n, [])]
            add("no zombie left after reaping (%s)" % n,
                "%d left" % max(left) if left else "n/a",
                max(left) == 0 if left else None)
        for fig, what in (("term_fwd_us", "SIGTERM forwarding latency"),
                          ("exit_us", "child-exit-to-init-exit latency")):
            pv = [(med(fig, n), n) for n in peers if med(fig, n)]
            if not pv:
                continue
            bv, bn = min(pv)
            for n in pidones:
                m = med(fig, n)
                add("%s of %s ≤ best peer's" % (what, n),
                    "%.1f µs vs %s %.1f µs" % (m, bn, bv) if m else "n/a",
                    m <= bv if m else None, paired(fig, n, bn))
        rps, p99 = med("wrk_c50_rps", "pidone"), med("wrk_c50_p99", "pidone")
        frps, fp99 = (med("wrk_c50_rps", "httpfloor"),
                      med("wrk_c50_p99", "httpfloor"))
        add("health keep-alive, 50 connections: ≥ 50 000 req/s, p99 < 2 ms",
            "%.0f req/s, p99 %.0f µs (httpfloor: %.0f req/s, p99 %.0f µs)" %
            (rps, p99, frps or 0, fp99 or 0) if rps else "n/a",
            (rps >= 50000 and p99 < 2000) if rps else None)
        nc = med("wrk_close_rps", "pidone")
        fnc = med("wrk_close_rps", "httpfloor")
        add("health: ≥ 10 000 new connections/s",
            "%.0f /s (httpfloor: %.0f /s)" % (nc, fnc or 0) if nc else "n/a",
            nc >= 10000 if nc else None)
        gr = med("health_rss_growth_kb", "pidone")
        add("health: RSS growth under load < 256 kB",
            "%d kB" % gr if gr is not None else "n/a",
            gr < 256 if gr is not None else None)
        for label, what in self.HTTP_CPU_LOADS:
            fig = "http_cpu_%s_ns" % label
            c, fc = med(fig, "pidone"), med(fig, "httpfloor")
            add("health CPU per request, %s: ≤ 1.2× httpfloor" % what,
                "%.0f ns vs %.0f ns (×%.2f)" % (c, fc, c / fc)
                if c and fc else "n/a", c <= 1.2 * fc if c and fc else None,
                paired(fig, "pidone", "httpfloor", 1.2))
        p99 = med("attack_probe_p99_us", "pidone")
        bad = med("attack_probe_failed", "pidone")
        add("probe under %d idle + %d slow connections: p99 < 10 ms, 0 "
            "failed" % (self.ATTACK_IDLE, self.ATTACK_SLOW),
            "p50 %.0f µs, p99 %.0f µs, %d failed" %
            (med("attack_probe_p50_us", "pidone"), p99, bad)
            if p99 is not None else "n/a",
            (p99 < 10000 and bad == 0) if p99 is not None else None)
        p99 = med("appcheck_probe_p99_us", "pidone")
        bad = med("appcheck_probe_failed", "pidone")
        add("probe while --ready-http and --live-http hang on a silent "
            "app: p99 < 10 ms, 0 failed",
            "p50 %.0f µs, p99 %.0f µs, %d failed" %
            (med("appcheck_probe_p50_us", "pidone"), p99, bad)
            if p99 is not None else "n/a",
            (p99 < 10000 and bad == 0) if p99 is not None else None)
        ft = med("flood_term_us", "pidone")
        add("SIGTERM to child under a pipelined /metrics flood < 10 ms",
            "%.0f µs (max %.0f µs)" % (ft, max(
                v for _, v in self.results["flood_term_us"]["pidone"]))
            if ft is not None else "n/a", ft < 10000 if ft else None)
        hc = med("health_cmd_us", "pidone")
        hf = med("health_cmd_us", "floor")
        add("`pidone health` < 1 ms wall",
            ("%.0f µs (the minimal client: %.0f µs)" % (hc, hf) if hf else
             "%.0f µs" % hc) if hc else "n/a", hc < 1000 if hc else None)
        size = med("size", "pidone")
        add("size of pidone ≤ 150 KB",
            "%s B" % self.fmt_int(size) if size else "n/a",
            size <= 150000 if size else None)
        groups = self.results.get("size_groups")
        if size and groups:
            light = size - sum(groups.get(m, 0) for m in HEALTH_MODULES)
            add("pidone without the health server's modules < 100 KB "
                "(from the link map)", "%s B" % self.fmt_int(light),
                light < 100000)
        return g

    def wait_text(self, name):
        w = self.results.get("idle_wait", {}).get(name)
        if not w:
            return "?"
        call, tmo = w
        if tmo is None:
            return "%s, no timeout" % call
        return "%s, %s timeout" % (call, self.duration(tmo))

    @staticmethod
    def duration(secs):
        if secs >= 2 * 86400:
            return "%.1f days" % (secs / 86400.0)
        if secs >= 2 * 3600:
            return "%.1f h" % (secs / 3600.0)
        return "%g s" % secs

    def short_wait(self, name):
        w = self.results.get("idle_wait", {}).get(name)
        if not w:
            return "?"
        return "none" if w[1] is None else self.duration(w[1])

    @staticmethod
    def fmt_int(v):
        return "n/a" if v is None else "{:,}".format(int(v)).replace(",", " ")

    def table(self, rows, header):
        out = ["| " + " | ".join(header) + " |",
               "|" + "|".join("---" for _ in header) + "|"]
        for r in rows:
            out.append("| " + " | ".join(str(c) for c in r) + " |")
        return "\n".join(out)

    SIGFLOOR_TEXT = (
        "Below the inits, `tests/bench/sigfloor.c`, the least an init that "
        "forwards signals can do (block every signal, forward each to the "
        "child, reap on SIGCHLD; static, glibc), two ways: **sigfloor-wait** "
        "takes each signal with sigwaitinfo(), as tini, dumb-init and "
        "catatonit do; **sigfloor-fd** with epoll_wait() on a signalfd and "
        "a read() of it, as an init whose one event loop also serves "
        "sockets must (pidone, through libev). They run in the same rounds "
        "as the inits.")

    def sigfloor_cost(self, unit="µs"):
        """What taking a signal through a signalfd costs, paired rounds."""
        out = []
        for fig, what in (("term_fwd_us", "SIGTERM forwarding"),
                          ("reap_stream_cpu_us", "CPU per orphan (stream)")):
            rows = self.results.get(fig, {})
            a = dict(rows.get("sigfloor-fd", []))
            b = dict(rows.get("sigfloor-wait", []))
            common = [r for r in a if r is not None and r in b]
            if len(common) < 2:
                continue
            d = [a[r] - b[r] for r in common]
            out.append("%s %+.2f %s (sigfloor-fd slower in %d of %d rounds)"
                       % (what, median(d), unit, sum(1 for x in d if x > 0),
                          len(d)))
        if not out:
            return ""
        return ("The signalfd's extra read(), sigfloor-fd minus "
                "sigfloor-wait, median of the paired rounds: %s." %
                "; ".join(out))

    def write_report(self, info, elapsed):
        names = [i.name for i in self.inits]
        md = []
        w = md.append
        w("# pidone benchmark results\n")
        w("Written by `make bench` (tests/bench/bench.py) on %s, %s mode, "
          "in %.0f s. Do not edit: run `make bench` again.\n" %
          (info["date"], "quick (BENCH_QUICK=1)" if self.args.quick
           else "full", elapsed))
        w("**Machine:** %s; %s; %s, Linux %s. Load average at start %s, "
          "at end %s (a shared machine: read the ratios, not the absolute "
          "numbers).  " % (info["cpu"], info["memory"], info["os"],
                           info["kernel"], self.load0, self.load1))
        w("**Built with:** %s. **Peers:** %s. **pidone:** %s, revision %s.\n"
          % (info["cc"], info["packages"], info.get("pidone", "n/a"),
             info["revision"]))
        w("**Method.** Every figure is taken for every init in this same "
          "run, in rounds: each round runs each init once, in an order "
          "rotated by one every round. A cell reads `median (min–max) "
          "×ratio`: the median over the rounds, the smallest and largest "
          "round, and the median over the rounds of (this init ÷ the floor "
          "in the same round). The floor is `tests/bench/floor.c`: static, "
          "fork + execvp + a blocking `waitpid(-1)` loop, no signal "
          "handling, linked with glibc; floor-musl is the same program "
          "linked with musl, the libc pidone ships with. Latency figures "
          "run pinned to one CPU (`taskset -c %s`); "
          "instruction counts come from `valgrind --tool=callgrind "
          "--trace-children=no` under `env -i` (hardware counters: %s).\n"
          % (self.cpu, self.perf_text))
        w("## Inits\n")
        rows = []
        for i in self.inits:
            rows.append([i.name, "`%s`" % i.path, "`%s`" % i.invocation(),
                         self.results.get("linkage", {}).get(i.name, "?")])
        w(self.table(rows, ["name", "binary", "invocation", "linkage"]) +
          "\n")
        if self.pidone:
            f = self.features
            w("pidone in this binary: core runtime %s; health server %s; "
              "`pidone health` %s; default drop to 65532:65532 %s (%s). "
              "Both pidone rows log at the default level (info) to "
              "stderr, which goes to /dev/null.\n" % (
                  "yes" if f.get("core") else "NO",
                  "yes" if f.get("health_server") else "not yet",
                  "yes" if f.get("health_cmd") else "not yet",
                  "yes" if f.get("user_drop") else "not yet",
                  f.get("user_drop_text", "?")))

        w("## Start-up, size, memory, idle\n")
        w("1. **start-up + tear-down**: wall time of `INIT -- /bin/true`, "
          "as a subreaper, µs; each round is the median of %d runs.\n"
          "2. **instructions** of the init process alone for the same run.\n"
          "3. **pod env**: the same instructions with the environment of "
          "a container in a Kubernetes pod, 60 variables (8 services' "
          "links and 4 more), 3 of them pidone settings.\n"
          "4. **syscalls**: the system calls of the init process alone for "
          "the same run (strace without -f; one run: the count moves by one "
          "at most, as the child's end wakes an event loop once or "
          "twice).\n"
          "5. **faults**: the minor page faults of the same start, the "
          "init's and its child's (wait4's count; the child is the same "
          "/bin/true for all), median of the round's medians: on this "
          "machine a fault costs about 10 µs, several system calls' "
          "worth.\n"
          "6. **size** of the binary in bytes.\n"
          "7. **RSS**: VmRSS of the init while its child sleeps, kB.\n"
          "8. **wake-ups**: voluntary + involuntary context switches of "
          "the init over %.0f s while its child sleeps.\n"
          "9. **idle in**: the call the idle init blocks in, from "
          "/proc/PID/syscall; a timeout means wake-ups that a short window "
          "may not see.\n" %
          (self.p["startup_batch"], self.p["idle_seconds"]))
        rows = []
        for n in names:
            rows.append([n, self.fmt("startup_us", n),
                         self.fmt("instructions", n, "%.0f"),
                         self.fmt("instructions_pod", n, "%.0f"),
                         self.fmt("syscalls", n, "%.0f", ratio=False),
                         self.fmt("startup_faults", n, "%.0f",
                                  ratio=False),
                         self.fmt("size", n, "%.0f"),
                         self.fmt("rss_kb", n, "%.0f"),
                         self.fmt("wakeups", n, "%.0f", ratio=False),
                         self.wait_text(n)])
        w(self.table(rows, ["init", "start-up µs", "instructions",
                            "pod env", "syscalls", "faults", "size B", "RSS kB",
                            "wake-ups", "idle in"]) + "\n")

        w("## Reaping as PID 1\n")
        w("`unshare --pid --fork --mount-proc INIT -- orphan_maker MODE %d`: "
          "**stream** makes the orphans one after the other (fork, fork, "
          "exit); **burst** releases them %d at a time. *time* runs from "
          "the first fork until /proc lists no process but PID 1 and the "
          "maker (ms); *CPU per orphan* is the init's own user + system "
          "CPU time (its process CPU clock, read before and after) divided "
          "by %d (µs); *left* is what was still there at the end. %s\n" %
          (self.p["orphans"], self.p["burst"], self.p["orphans"],
           self.SIGFLOOR_TEXT))
        rows = []
        for n in names + [i.name for i in self.sigfloors]:
            rows.append([n] + [self.fmt(f, n, fm) for f, fm in (
                ("reap_stream_ms", "%.0f"), ("reap_stream_cpu_us", "%.2f"),
                ("reap_burst_ms", "%.0f"), ("reap_burst_cpu_us", "%.2f"))] +
                [self.fmt_left(n)])
        w(self.table(rows, ["init", "stream time ms", "stream CPU µs/orphan",
                            "burst time ms", "burst CPU µs/orphan",
                            "left"]) + "\n")

        w("## Signals and exit, as PID 1\n")
        w("Pinned to CPU %s, in a new PID namespace. **SIGTERM "
          "forwarding**: the driver reads CLOCK_MONOTONIC and sends SIGTERM "
          "to the init; the child's handler reads CLOCK_MONOTONIC first "
          "thing (µs). **SIGTERM to exit**: from the same send until "
          "waitpid() returns the init. **child exit to init exit**: from "
          "the child's last CLOCK_MONOTONIC read before _exit() until "
          "waitpid() returns the init. The floor forwards nothing, so it "
          "has no SIGTERM figures; sigfloor-wait and sigfloor-fd do (see "
          "above), with no other figure. %s\n" % (self.cpu,
                                                 self.sigfloor_cost()))
        rows = []
        for n in names + [i.name for i in self.sigfloors]:
            rows.append([n, self.fmt("term_fwd_us", n, ratio=False),
                         self.fmt("term_exit_us", n, ratio=False),
                         self.fmt("exit_us", n)])
        w(self.table(rows, ["init", "SIGTERM forwarding µs",
                            "SIGTERM to exit µs",
                            "child exit to init exit µs"]) + "\n")

        w("## Health port (pidone, next to an HTTP floor)\n")
        if "wrk_c50_rps" in self.results:
            w("pidone with `--health-addr 127.0.0.1 --health-port P` and "
              "all else default, next to `tests/bench/httpfloor.c` (one "
              "epoll loop that answers 200 to anything, the floor for an "
              "HTTP endpoint), each pinned to CPU %s; wrk (`-t1 --latency`, "
              "GET /healthz) runs on CPU %s. %d rounds of %.0f s per load "
              "and server, the servers alternating. On two cores the load "
              "generator is often the limit: the httpfloor row says where "
              "it is.\n" % (self.cpu, self.load_cpu,
                            self.p["http_rounds"], self.p["http_seconds"]))
            rows = []
            for label, _, what in self.HTTP_LOADS:
                for name in ("pidone", "httpfloor"):
                    rows.append([what if name == "pidone" else "",
                                 name,
                                 self.fmt_vs("wrk_%s_rps" % label, name),
                                 self.fmt("wrk_%s_p50" % label, name, "%.0f",
                                          ratio=False),
                                 self.fmt("wrk_%s_p99" % label, name, "%.0f",
                                          ratio=False),
                                 "%s / %s" % (
                                     self.fmt("wrk_%s_errors" % label, name,
                                              "%.0f", ratio=False),
                                     self.fmt("wrk_%s_non2xx" % label, name,
                                              "%.0f", ratio=False))])
            w(self.table(rows, ["load", "server", "req/s", "p50 µs",
                                "p99 µs", "socket errors / non-2xx"]) +
              "\n")
            w("pidone's RSS: %s kB idle, %s kB at the peak under load "
              "(sampled every 20 ms), %s kB after: growth %s kB.\n" % (
                  self.fmt("health_rss_idle_kb", "pidone", "%.0f"),
                  self.fmt("health_rss_peak_kb", "pidone", "%.0f"),
                  self.fmt("health_rss_after_kb", "pidone", "%.0f"),
                  self.fmt("health_rss_growth_kb", "pidone", "%.0f")))
            if "health_cmd_us" in self.results:
                w("`pidone health` against it: %s µs wall (median of %d "
                  "runs per round, %d rounds; × is to a minimal static "
                  "client that only connects, GETs /healthz and reads, "
                  "tests/bench/probefloor.c, in the same round: %s µs), "
                  "%s instructions.\n" % (
                      self.fmt("health_cmd_us", "pidone", "%.0f"),
                      self.p["health_batch"], self.p["health_rounds"],
                      self.fmt("health_cmd_us", "floor", "%.0f"),
                      self.fmt_int((self.summary("health_cmd_instructions",
                                                 "pidone") or [None])[0])))
        else:
            w("Not measured: see *Skipped* below.\n")
        if "http_cpu_keep_ns" in self.results:
            w("**Server CPU per request**: tests/bench/httpdrive.c (CPU %s) "
              "makes exactly N GET /healthz, each after the answer to the "
              "one before, and the server's utime + stime over them (its "
              "CPU clock: the same sum in ns) is divided by N; %d rounds "
              "of %d kept-alive and %d new-connection requests per server, "
              "the servers alternating; × is the median (min–max) of "
              "pidone / httpfloor in the same round.\n" % (
                  self.load_cpu, self.p["cpu_rounds"], self.p["cpu_keep"],
                  self.p["cpu_close"]))
            rows = []
            for label, what in self.HTTP_CPU_LOADS:
                for name in ("pidone", "httpfloor"):
                    rows.append([what if name == "pidone" else "", name,
                                 self.fmt_vs("http_cpu_%s_ns" % label, name),
                                 self.fmt("http_wall_%s_us" % label, name,
                                          ratio=False)])
            w(self.table(rows, ["load", "server", "CPU ns per request",
                                "wall µs per request"]) + "\n")
            ins = [(n, self.summary("http_instructions", n)) for n in
                   ("pidone", "pidone-glibc", "httpfloor")]
            ins = ["%s %s" % (n, self.fmt_int(s[0])) for n, s in ins if s]
            if ins:
                w("Instructions per kept-alive request (callgrind: two runs "
                  "of the server, serving 100 and 100 + %d requests, the "
                  "difference over %d): %s.\n" % (
                      self.p["cg_requests"], self.p["cg_requests"],
                      ", ".join(ins)))

        w("## The drain (--drain)\n")
        late = [v for _, v in self.results.get("drain_late_us", {}).get(
            "pidone", [])]
        if late:
            late.sort()
            w("pidone with `--drain %g` and the health port on loopback, "
              "pinned to CPU %s, %d rounds. **SIGTERM to /readyz 503**: "
              "from the driver's CLOCK_MONOTONIC read before the kill until "
              "the first 503 to a GET /readyz sent right after it on a "
              "kept-alive connection: %s µs (median, min–max). **Drain "
              "precision**: when the child's handler read CLOCK_MONOTONIC, "
              "minus the kill, minus the drain: %.0f µs late at p99 "
              "(median %.0f µs, min %.0f µs). No goal: the drain is a "
              "timer, and these say how close to its word it keeps.\n" % (
                  self.p["drain_ms"] / 1000.0, self.cpu,
                  self.p["drain_rounds"],
                  self.fmt("drain_readyz_us", "pidone", "%.0f",
                           ratio=False),
                  late[min(len(late) - 1, len(late) * 99 // 100)],
                  median(late), late[0]))
        else:
            w("Not measured: see *Skipped* below.\n")

        w("## /metrics with the kernel's series, and pidone status\n")
        if self.results.get("scrape_cpu_ns_kernel"):
            w("pidone's CPU (utime + stime) per `GET /metrics` on a kept-alive "
              "connection, %d scrapes per round, %d rounds: with the "
              "container's cgroup and the child's /proc read at each scrape "
              "%s ns, with no cgroup to read (an empty tree) %s ns. An idle "
              "pidone still never wakes: the series are read only when "
              "asked. `pidone status` (three GETs, the cgroup, the process "
              "tree of this machine's %d processes) against it: %s µs "
              "wall, where `pidone --version` takes %s µs (the cost of "
              "starting the binary from the driver; medians of %d runs; "
              "goal under 5 ms).\n" % (
                  self.p["scrape_batch"], self.p["scrape_rounds"],
                  self.fmt("scrape_cpu_ns_kernel", "pidone", "%.0f",
                           ratio=False),
                  self.fmt("scrape_cpu_ns_none", "pidone", "%.0f",
                           ratio=False),
                  len([d for d in os.listdir("/proc") if d.isdigit()]),
                  self.fmt("status_wall_us", "pidone", "%.0f", ratio=False),
                  self.fmt("version_wall_us", "pidone", "%.0f", ratio=False),
                  self.p["status_runs"]))
        w("## A ConfigMap reload (--watch)\n")
        start_ms = self.summary("reload_start_ms", "pidone")
        if start_ms:
            w("pidone with `--watch` on a directory laid out like a mounted "
              "ConfigMap, pinned to CPU %s, %d rounds; the driver renames a "
              "new `..data` over the old and removes the old timestamped "
              "directory, as the kubelet does. **Swap to SIGTERM**: until "
              "the old child's handler read CLOCK_MONOTONIC: %s ms. **Swap "
              "to the new child**: until the driver read the new child's "
              "first line: %s ms (median, min–max). Both include the 1 s "
              "debounce (the quiet second after the last change); the goal "
              "is the debounce + under 50 ms for the new child: %s.\n" % (
                  self.cpu, self.p["reload_rounds"],
                  self.fmt("reload_stop_ms", "pidone", "%.1f", ratio=False),
                  self.fmt("reload_start_ms", "pidone", "%.1f",
                           ratio=False),
                  "met" if start_ms[0] < 1050 else "not met"))
        else:
            w("Not measured: see *Skipped* below.\n")

        w("## Goals\n")
        w("The verdict compares medians. *Rounds* counts the paired rounds "
          "(same round, same noise) in which the goal held on its own: a "
          "verdict backed by 16/31 rounds could flip on the next run, one "
          "backed by 31/31 will not.\n")
        w(self.table(self.goals(), ["goal", "measured", "rounds",
                                    "verdict"]) + "\n")

        parts = self.results.get("startup_part_us")
        base = dict(self.results.get("startup_us", {}).get("pidone-min", []))
        if parts and base:
            _, fs, _ = run(["findmnt", "-n", "-o", "FSTYPE", "--target",
                            "/tmp"], check=False)
            w("## Where pidone-min's start-up time goes\n")
            w("pidone-min timed in the same rounds without each of two "
              "parts of its start that go to the file system: *the OOM "
              "watch* (its cgroup root pointed at nothing, as "
              "PIDONE_TEST_CGROUP_ROOT=/nonexistent does: no "
              "/proc/self/cgroup, no cgroup directory, no watch) and "
              "*proving /tmp writable* (--writable /dev/shm, a tmpfs, in "
              "place of /tmp, here %s; the file is created and removed "
              "either way). The part's cost is the median of the paired "
              "differences, µs.\n" % (fs.strip() or "?"))
            rows = []
            for label, _, _ in self.STARTUP_PARTS:
                got = dict(parts.get(label, []))
                diffs = [base[r] - got[r] for r in got if r in base]
                if diffs:
                    rows.append([label, "%.0f" % median(diffs),
                                 "%.0f–%.0f" % (min(diffs), max(diffs)),
                                 "%d" % len(diffs)])
            w(self.table(rows, ["part", "µs", "min–max", "rounds"]) + "\n")

        prof = self.results.get("profile")
        if prof:
            w("## Where pidone's start-up goes\n")
            w("callgrind on an unstripped twin of the same static build, "
              "`-- /bin/true`, init only. The floor's total is %s "
              "instructions.\n" % self.fmt_int(
                  (self.summary("instructions", "floor") or [None])[0]))
            for label, (ins, top, inc) in prof.items():
                w("**%s settings**: %s instructions. Self cost:\n" %
                  (label, self.fmt_int(ins)))
                w("```\n" + "\n".join(top) + "\n```\n")
                w("Inclusive:\n")
                w("```\n" + "\n".join(inc) + "\n```\n")

        groups = self.results.get("size_groups")
        if groups:
            w("## Where pidone's bytes go\n")
            total = sum(groups.values())
            own = sum(v for k, v in groups.items()
                      if k not in ("libc", "libev", "inih", "runtime"))
            health = sum(groups.get(m, 0) for m in HEALTH_MODULES)
            w("GNU ld's link map of the unstripped twin (the same objects, "
              "the same static link): %s bytes in the file's loaded "
              "sections (the file adds its headers and alignment). "
              "libc %s, libev %s, inih %s, pidone's own modules %s, of "
              "which the health server's (%s) %s.\n" % (
                  self.fmt_int(total), self.fmt_int(groups.get("libc")),
                  self.fmt_int(groups.get("libev")),
                  self.fmt_int(groups.get("inih")), self.fmt_int(own),
                  ", ".join(HEALTH_MODULES), self.fmt_int(health)))
            w("```\n" + "\n".join(
                "%7s (%5.2f%%)  %s" % ("{:,}".format(v), 100.0 * v / total,
                                       k)
                for k, v in sorted(groups.items(), key=lambda kv: -kv[1])
                if v >= total / 200) + "\n```\n")

        if self.skipped or self.notes:
            w("## Skipped and notes\n")
            for s in self.skipped:
                w("- skipped: %s" % s)
            for s in self.notes:
                w("- %s" % s)
            w("")
        w("![ratios to the floor](results.svg)\n")
        path = os.path.join(self.args.out_dir, "RESULTS.md")
        with open(path, "w") as f:
            f.write("\n".join(md).rstrip() + "\n")
        log("wrote %s" % path)

    def fmt_vs(self, fig, name):
        """Like fmt, with pidone's ratio to httpfloor in the same round."""
        text = self.fmt(fig, name, "%.0f", ratio=False)
        if name == "pidone" and text != "n/a":
            rows = self.results.get(fig, {})
            fl = dict(rows.get("httpfloor", []))
            rs = [v / fl[r] for r, v in rows.get("pidone", [])
                  if fl.get(r)]
            if rs:
                text += " ×%.2f" % median(rs)
                if len(rs) > 1:
                    text += " (%.2f–%.2f)" % (min(rs), max(rs))
        return text

    def fmt_left(self, n):
        left = [v for fig in ("reap_stream_left", "reap_burst_left")
                for _, v in self.results.get(fig, {}).get(n, [])]
        return str(max(left)) if left else "n/a"

    # Binary size is left out: a dynamic binary's size does not count libc.
    CHART = [("startup_us", "start-up"), ("instructions", "instructions"),
             ("rss_kb", "RSS"),
             ("reap_stream_cpu_us", "reaping (stream)"),
             ("reap_burst_cpu_us", "reaping (burst)"),
             ("exit_us", "exit latency")]

    def write_chart(self):
        names = [i.name for i in self.inits]
        dat = os.path.join(self.args.out_dir, "results.dat")
        with open(dat, "w") as f:
            f.write("# ratio to floor (median over rounds); "
                    "? = not measured\n")
            f.write("figure " + " ".join(names) + "\n")
            for fig, label in self.CHART:
                row = ['"%s"' % label]
                for n in names:
                    r = self.ratio(fig, n) if n != "floor" else (
                        (1.0,) if self.summary(fig, "floor") else None)
                    row.append("%.4f" % r[0] if r else "?")
                f.write(" ".join(row) + "\n")
        gp = shutil.which("gnuplot")
        if not gp:
            self.notes.append("gnuplot missing: no chart")
            return
        svg = os.path.join(self.args.out_dir, "results.svg")
        self.plot(gp, dat, svg, 'svg size 1000,460 dynamic font "sans,12" '
                  'background rgb "white"')
        if self.args.chart_png:
            self.plot(gp, dat, self.args.chart_png,
                      'pngcairo size 1000,460 font "sans,10"')

    def plot(self, gp, dat, out, terminal):
        names = [i.name for i in self.inits]
        script = """
set terminal %s
set output '%s'
set title "pidone vs tini, dumb-init, catatonit: median ratio to the floor \\
(lower is better; log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 2
set yrange [%s]
set ytics ("1/16" 0.0625, "1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, \\
  "2" 2, "4" 4, "8" 8, "16" 16, "32" 32, "64" 64)
set grid ytics
set key outside right top
set datafile missing "?"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 dt 2 \\
  lc rgb "black" front
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (terminal, out, self.chart_range(), len(names) + 1, dat)
        p = subprocess.run([gp], input=script, text=True,
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            self.notes.append("gnuplot failed: %s" % p.stderr[-300:])
        else:
            log("wrote %s" % out)

    def chart_range(self):
        """y range in powers of two around every ratio on the chart."""
        top, bottom = 2.0, 0.5
        for fig, _ in self.CHART:
            for i in self.inits:
                r = self.ratio(fig, i.name)
                if r and r[0] > 0:
                    top = max(top, r[0])
                    bottom = min(bottom, r[0])
        hi, lo = 2.0, 0.5
        while hi < top * 1.2:
            hi *= 2
        while lo > bottom / 1.2:
            lo /= 2
        return "%g:%g" % (lo, hi)

    def write_readme_section(self):
        """The README's performance section, in the README's plain style."""
        import textwrap

        def para(text):
            return textwrap.fill(text, 76, break_on_hyphens=False) + "\n"

        def med(fig, n, f="%.0f"):
            s = self.summary(fig, n)
            return f % s[0] if s else "-"

        def rat(fig, n):
            if n == "floor":
                return "1" if self.summary(fig, n) else "-"
            r = self.ratio(fig, n)
            return "%.2f" % r[0] if r else "-"

        cols = [("", "", lambda n: n),
                ("start-up", "x floor", lambda n: rat("startup_us", n)),
                ("instr.", "x floor", lambda n: rat("instructions", n)),
                ("syscalls", "", lambda n: med("syscalls", n)),
                ("RSS", "kB", lambda n: med("rss_kb", n)),
                ("idle", "timeout", self.short_wait),
                ("reap CPU", "x floor", lambda n: rat("reap_stream_cpu_us",
                                                      n)),
                ("SIGTERM", "fwd us", lambda n: med("term_fwd_us", n)),
                ("exit", "us", lambda n: med("exit_us", n))]
        rows = [[c[0] for c in cols], [c[1] for c in cols]]
        for i in self.inits:
            rows.append([c[2](i.name) for c in cols])
        # The signal floors have only the reaping and SIGTERM figures.
        shown = ("", "reap CPU", "SIGTERM")
        for i in self.sigfloors:
            rows.append([c[2](i.name) if c[0] in shown else "-"
                         for c in cols])
        widths = [max(len(r[k]) for r in rows) for k in range(len(cols))]
        table = "\n".join(
            "  " + "  ".join(r[k].ljust(widths[k]) for k in
                             range(len(cols))).rstrip() for r in rows)
        out = ["Performance", "-----------", ""]
        out.append(para(
            "`make bench` runs pidone next to tini, tini-static, dumb-init "
            "and catatonit (from Debian) and next to a floor, a static "
            "program that only forks, execs and waits (tests/bench/floor.c, "
            "linked with glibc; floor-musl is the same against musl)."
            " Every figure is taken for all of them in the same run, "
            "interleaved round by round, and read as a ratio to the floor, "
            "so that a busy machine slows all of them alike. pidone-min is "
            "pidone with --health-port 0 --user keep; pidone is pidone with "
            "its defaults%s. Medians of one run on %s (%s):" %
            ("; both are the musl build users get in the images (make "
             "static), and "
             "pidone-glibc is the glibc static build with the defaults"
             if self.pidone_glibc else "",
             self.info["date"], self.info["cpu"])))
        out.append(table + "\n")
        out.append(para(
            "start-up: wall time of INIT -- /bin/true; instr.: instructions "
            "of the init alone for that run (callgrind); syscalls: its "
            "system calls in that run (strace); RSS: while the child "
            "sleeps; idle timeout: the timeout of the call the idle init "
            "blocks in (a wake-up each time it runs out); reap CPU: the "
            "init's CPU time per orphan, as PID 1, %d orphans one after "
            "another; SIGTERM fwd: from kill() to the child's handler; exit: "
            "from the child's exit to the init's, as PID 1. sigfloor-wait "
            "and sigfloor-fd (tests/bench/sigfloor.c) are the least an init "
            "that forwards signals can do, taking each with sigwaitinfo() "
            "as the peers do, or with epoll and a signalfd's read() as "
            "pidone's event loop does. %s" %
            (self.p["orphans"], self.sigfloor_cost("us"))))
        out.append(para(
            "The chart tests/bench/results.svg draws these ratios; "
            "tests/bench/RESULTS.md has the full tables with min-max, the "
            "health-port figures, the machine, the method, which goals are "
            "met, the page faults of each start, where pidone-min's "
            "start-up time and instructions go and where the bytes of its "
            "binary go (from the link map). "
            "BENCH_QUICK=1 make bench is the short run for CI: about "
            "130 s of measurements on 2 cores, plus the builds (the musl "
            "binary, the bench's helpers) and, the first time, installing "
            "the peers. make bench writes its results to tests/bench/out in "
            "the build tree (BENCH_OUT_DIR=DIR to choose; "
            "BENCH_OUT_DIR=tests/bench from the top of the source tree "
            "replaces the published figures)."))
        path = os.path.join(self.args.out_dir, "README-section.md")
        with open(path, "w") as f:
            f.write("\n".join(out))
        log("wrote %s" % path)

    def fmt_ratio_only(self, fig, n):
        if n == "floor":
            return "1 (%s)" % self.fmt_int(
                (self.summary(fig, n) or [None])[0])
        r = self.ratio(fig, n)
        return "×%.2f" % r[0] if r else "n/a"

    # ------------------------------------------------------------ main

    def step(self, fn, what):
        try:
            fn()
        except Exception as e:  # one failed figure must not sink the rest
            self.skipped.append("%s: failed: %s" % (what, e))
            self.failed.append(what)
            log("FAILED %s: %s" % (what, e))

    def choose_inits(self):
        """The pidone builds to measure (the musl one as pidone when
        given), their features, and the inits of every figure."""
        self.pidone = self.pidone_glibc = None
        self.prof = self.args.pidone_prof
        if self.args.pidone_musl:
            # The musl build is the small one users copy to /init; the
            # glibc build is measured beside it with default settings.
            self.pidone = self.pick_pidone(self.args.pidone_musl,
                                           self.args.pidone_musl_prof)
            self.prof = self.args.pidone_musl_prof
            self.pidone_glibc = self.pick_pidone(self.args.pidone,
                                                 self.args.pidone_prof)
        if not self.pidone:
            self.pidone = self.pick_pidone(self.args.pidone,
                                           self.args.pidone_prof)
            self.prof = self.args.pidone_prof
            self.pidone_glibc = None
        if self.pidone:
            self.detect_features()
        self.make_inits()

    def only(self, names):
        self.build_helpers()
        self.choose_inits()
        for name in names.split(","):
            self.step(getattr(self, "fig_" + name), name)
        print(json.dumps(self.results, indent=1, default=str))
        return 1 if self.failed else 0

    def main(self):
        if self.args.only:
            return self.only(self.args.only)
        self.load0 = " ".join(open("/proc/loadavg").read().split()[:3])
        self.ensure_packages()
        rc = subprocess.run(["perf", "stat", "-x,", "-e", "instructions",
                             "true"], capture_output=True, text=True) \
            if shutil.which("perf") else None
        self.perf_text = ("`perf stat -e instructions` works here" if rc and
                          rc.returncode == 0 and "not supported" not in
                          rc.stderr else "`perf stat -e instructions true` "
                          "says not supported here")
        self.build_helpers()
        self.choose_inits()
        log("inits: %s" % ", ".join(i.name for i in self.inits))
        self.step(self.fig_size, "size")
        self.step(self.fig_startup, "start-up")
        self.step(self.fig_instructions, "instructions")
        self.step(self.fig_syscalls, "system calls at start")
        self.step(self.fig_rss_idle, "RSS / wake-ups")
        self.step(self.fig_reaping, "reaping")
        self.step(self.fig_term, "SIGTERM latency")
        self.step(self.fig_exit, "child-exit latency")
        if "pidone" in [i.name for i in self.inits]:
            self.step(self.fig_health, "health port")
            self.step(self.fig_health_cpu, "health server CPU per request")
            self.step(self.fig_probe_attack, "probes under attack")
            self.step(self.fig_appcheck_probe, "probes while app checks hang")
            self.step(self.fig_term_flood, "SIGTERM under a /metrics flood")
            self.step(self.fig_drain, "drain")
            self.step(self.fig_scrape, "/metrics scrape, pidone status")
            self.step(self.fig_reload, "reload")
        else:
            self.skipped.append("health port: pidone not measured")
        self.step(self.profile, "profile")
        self.load1 = " ".join(open("/proc/loadavg").read().split()[:3])
        self.info = self.machine()
        elapsed = time.monotonic() - T0
        with open(os.path.join(self.work, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        self.write_chart()
        self.write_report(self.info, elapsed)
        self.write_readme_section()
        log("done in %.0f s" % (time.monotonic() - T0))
        if self.failed:
            log("these figures failed (see RESULTS.md): %s" %
                ", ".join(self.failed))
            return 1
        return 0


def main():
    global T0
    T0 = time.monotonic()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pidone", required=True,
                    help="the pidone binary (a static build)")
    ap.add_argument("--pidone-prof",
                    help="an unstripped static pidone, for the profile")
    ap.add_argument("--pidone-musl",
                    help="pidone built against musl (contrib/musl/build): "
                    "measured as pidone and pidone-min, and --pidone as "
                    "pidone-glibc")
    ap.add_argument("--pidone-musl-prof",
                    help="an unstripped static musl pidone, for the profile")
    ap.add_argument("--out-dir",
                    default=os.environ.get("BENCH_OUT_DIR") or
                    os.path.join(HERE, "out"),
                    help="where RESULTS.md and the chart go (default "
                    "$BENCH_OUT_DIR, else tests/bench/out, which git "
                    "ignores; make bench passes tests/bench/out of the "
                    "build tree; --out-dir tests/bench replaces the "
                    "published figures)")
    ap.add_argument("--work-dir", help="scratch dir (default: a new one "
                    "under /tmp, removed at the end)")
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
                    help="short run for CI (also BENCH_QUICK=1)")
    ap.add_argument("--chart-png", help="also draw the chart to this PNG")
    ap.add_argument("--only", help="run only these figures (comma list of "
                    "fig_ method names without fig_, e.g. probe_attack), "
                    "print their results as JSON, write no report")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    keep = bool(args.work_dir)
    if not args.work_dir:
        args.work_dir = tempfile.mkdtemp(prefix="pidone-bench-")
    os.makedirs(args.work_dir, exist_ok=True)
    # The helpers run as the final user (65532) under pidone's defaults.
    os.chmod(args.work_dir, 0o755)
    atexit.register(kill_live)
    if not keep:
        atexit.register(shutil.rmtree, args.work_dir, True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
