# SPDX-License-Identifier: MIT
"""pidone_harness - run the built pidone as a real PID 1 and observe it.

Every integration test file imports this module and ends with
``pidone_harness.main()``. The module:

- finds the binary under test in ``PIDONE_BIN`` and the helper programs in
  ``PIDONE_HELPERS`` (both set by ``make check``);
- exits 77 (automake SKIP) when not root or when ``unshare --pid`` does not
  work here, and 1 when the binary or a helper is missing;
- starts pidone either as PID 1 of a fresh PID namespace
  (``unshare --pid --fork --mount-proc --kill-child PIDONE_BIN ...``) or
  directly as a child subreaper (``mode="subreaper"``);
- captures stdout and stderr separately, on reader threads, so that nothing
  ever blocks on a full pipe, and parses stderr as one JSON object per line;
- bounds every wait with a timeout and kills everything it started, by pid:
  PID 1 of the namespace (which takes the whole namespace with it) and every
  process of the session it created, in a cleanup that runs even when a test
  fails or the interpreter exits;
- starts pidone with every signal disposition at SIG_DFL and nothing
  blocked, whatever the test runner inherited (nohup, ``make check &``),
  unless a test asks for an inherited state (``inherit_ignored``,
  ``inherit_blocked``);
- runs the binary under a wrapper when ``PIDONE_WRAP`` is set, e.g.
  ``PIDONE_WRAP="valgrind --error-exitcode=99 --leak-check=full -q"``
  (every timeout is then multiplied by ``PIDONE_TIMEOUT_SCALE``, default 4);
- stretches every bounded wait by ``timeout_scale()`` when the machine is
  busier than it has CPUs (``make -j``, a shared CI runner). Tests wait on
  conditions, never assert how long something took.

Nothing here touches the network beyond loopback: the health-port helpers
(``free_port``, ``HttpConn``, ``http_get``, ``wait_http``) talk only to
127.0.0.1 and ::1.
"""

import atexit
import concurrent.futures
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

EXIT_SKIP = 77

BIN = os.environ.get("PIDONE_BIN", "")
HELPERS = os.environ.get("PIDONE_HELPERS", "")
UNSHARE = shutil.which("unshare") or ""
TINI = shutil.which("tini") or ""

# Health server and privilege drop are not what these tests are about.
DEFAULT_OPTS = ["--health-port", "0", "--user", "keep"]

# A wrapper the binary under test runs under (valgrind, strace...).
WRAP = shlex.split(os.environ.get("PIDONE_WRAP", ""))
if WRAP:  # an absolute path: some tests exec through os.execv
    WRAP[0] = shutil.which(WRAP[0]) or WRAP[0]
TIMEOUT_SCALE = float(os.environ.get("PIDONE_TIMEOUT_SCALE",
                                     "4" if WRAP else "1"))

# Generous bounds: the box running the suite may be shared and slow.
START_TIMEOUT = 5.0 * TIMEOUT_SCALE
EXIT_TIMEOUT = 15.0 * TIMEOUT_SCALE

_NCPU = os.cpu_count() or 1


def timeout_scale():
    """How much longer than usual a wait may take right now: the
    1-minute load average per CPU, at least 1, at most 4."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1.0
    return min(4.0, max(1.0, load / _NCPU))


def scaled(timeout):
    """@timeout stretched by timeout_scale()."""
    return timeout * timeout_scale()


FORWARDABLE = [s for s in range(1, 32)
               if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD)]
TERMINATING = [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT]

_live = set()
_live_lock = threading.Lock()


def helper(name):
    """Absolute path of a helper program (tests/helpers/NAME)."""
    return os.path.join(HELPERS, name)


# pidone hands the ignored dispositions and the mask it was started with on
# to its child (as tini does, so that `nohup` keeps working). The test
# runner's own state depends on how the suite was started: nohup ignores
# HUP, a shell's background job (`make check &`) ignores INT and QUIT, a CI
# agent may block anything. Passed on, that state would reach the child:
# signal tests would see an "ignored" signal pidone never set, and a child
# would survive a signal the test expects to kill it. So every pidone starts
# from the defaults (through `sigconf --reset`, in the new process, which
# is safe with the harness's threads where a preexec_fn is not), plus
# exactly what a test states it inherits.
def clean_signals_argv(argv, inherit_ignored=(), inherit_blocked=()):
    """@argv prefixed so that it starts with every signal at SIG_DFL and
    an empty mask, except @inherit_ignored (SIG_IGN) and @inherit_blocked
    (in the mask)."""
    pre = [helper("sigconf"), "--reset"]
    for sig in inherit_ignored:
        pre += ["--ignore", str(int(sig))]
    for sig in inherit_blocked:
        pre += ["--block", str(int(sig))]
    return pre + ["--"] + [str(a) for a in argv]


def python_child(code, *args):
    """argv running a Python snippet (dedented) with sys.argv[1:] = args.

    A snippet whose signal handlers a test waits for sleeps in short
    pieces (while True: time.sleep(0.05)): CPython runs a handler only
    between bytecodes, and a signal that lands after its last check and
    before time.sleep() blocks waits for that sleep's end (a CI run
    once waited 5 s in vain for the handler of a forwarded HUP).
    """
    return [sys.executable, "-I", "-c", textwrap.dedent(code)] + [
        str(a) for a in args]


# An outer supervisor's variables that the test runner may have inherited
# (a systemd unit, a podman container): pidone would talk to it.
OUTER_VARS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
              "LISTEN_PID", "LISTEN_FDNAMES")


def base_env(extra=None):
    """The test's environment without any PIDONE_* variable or an outer
    supervisor's (OUTER_VARS), plus @extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIDONE_") and k not in OUTER_VARS}
    env.update(extra or {})
    return env


def wait_for(pred, timeout, interval=0.02, what="condition"):
    """Poll pred() until it returns a true value; return it. Bounded by
    @timeout seconds, stretched by timeout_scale() on a busy machine.
    @what names the condition in the timeout's error; a callable is called
    then, so that a description of the processes is taken at the timeout,
    not before the wait."""
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what() if callable(what)
                                    else what))
        time.sleep(interval)


def proc_stat(pid):
    """(state, ppid, pgrp, session) of /proc/PID/stat, or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data.rsplit(")", 1)[1].split()
    return rest[0], int(rest[1]), int(rest[2]), int(rest[3])


def proc_status(pid):
    """/proc/PID/status as a dict of str, or {} if the process is gone."""
    fields = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        pass
    return fields


def fd_links(pid):
    """What each fd of process @pid points at (readlink of /proc/PID/fd/N).
    An fd that closes between the listing and its readlink is left out:
    pidone closes some of its own at any time (an exec report pipe, a
    health connection)."""
    links = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            links.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except FileNotFoundError:
            pass
    return links


def elf_segments(data):
    """(p_type, offset, vaddr, filesz, memsz) of each program header of
    the ELF64 little-endian file whose first bytes are @data; [] for
    anything else."""
    if data[:6] != b"\x7fELF\x02\x01":
        return []
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        ptype, _, off, vaddr, _, filesz, memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        out.append((ptype, off, vaddr, filesz, memsz))
    return out


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def children_of(pid):
    """Host pids whose parent is @pid."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        pass
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[1] == pid:
            out.append(p)
    return out


def session_members(sid):
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[3] == sid:
            out.append(p)
    return out


# epoll_wait (glibc) and epoll_pwait (musl) on x86_64: the call an idle
# pidone sleeps in; its timeout (ms) is the fourth argument of both.
EPOLL_SYSCALLS = ("232", "281")
NO_TIMEOUT_MS = 24 * 3600 * 1000


def epoll_timeout_ms(pid):
    """The timeout of the epoll wait @pid is blocked in (huge for -1), or
    None when it is not blocked in one (running, another call, gone)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 5 or fields[0] not in EPOLL_SYSCALLS:
        return None
    return int(fields[4], 16)


def wait_idle(pid, timeout=None):
    """Wait until @pid sleeps in an epoll wait with no timer armed (the
    state an idle pidone must reach); returns that timeout in ms."""
    last = [None]

    def idle():
        last[0] = epoll_timeout_ms(pid)
        return last[0] if (last[0] or 0) > NO_TIMEOUT_MS else None

    try:
        return wait_for(idle, START_TIMEOUT if timeout is None else timeout,
                        what="pid %d to sleep in epoll_wait with no timeout"
                        % pid)
    except AssertionError as e:
        raise AssertionError("%s (last seen: %s)" % (
            e, "not in epoll_wait" if last[0] is None
            else "timeout %d ms" % last[0]))


TCP_ESTABLISHED = "01"
TCP_LISTEN = "0A"


def tcp_sockets(local_port=None, remote_port=None, state=None):
    """TCP sockets of this network namespace from /proc/net/tcp{,6}, as
    dicts: state (hex, e.g. TCP_LISTEN), local_port, remote_port, tx_queue
    and rx_queue (bytes; for a listener rx_queue is its accept backlog)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            lport = int(fields[1].rsplit(":", 1)[1], 16)
            rport = int(fields[2].rsplit(":", 1)[1], 16)
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            if local_port is not None and lport != local_port:
                continue
            if remote_port is not None and rport != remote_port:
                continue
            if state is not None and fields[3] != state:
                continue
            out.append(dict(state=fields[3], local_port=lport,
                            remote_port=rport, tx_queue=tx, rx_queue=rx))
    return out


def ctxt_switches(pid):
    """voluntary + nonvoluntary context switches of @pid's main thread."""
    st = proc_status(pid)
    return (int(st.get("voluntary_ctxt_switches", 0))
            + int(st.get("nonvoluntary_ctxt_switches", 0)))


def trace_wakeups(pid, seconds=2.0):
    """What @pid does over the next @seconds, as strace shows it: for the
    message of an idle test that saw it wake up, since the wake-ups of a
    loaded machine's run are gone by the time anyone looks."""
    if not shutil.which("strace"):
        return "(strace not installed)"
    try:
        r = subprocess.run(["strace", "-p", str(pid), "-tt", "-qq", "-y"],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True,
                           timeout=seconds)
        out = r.stderr
    except subprocess.TimeoutExpired as e:
        # run() has killed strace, and a SIGKILLed tracer detaches
        out = e.stderr.decode(errors="replace") if e.stderr else ""
    lines = out.splitlines()
    return ("\n  strace -p %d for %.1f s after the window (%d lines):\n%s"
            % (pid, seconds, len(lines),
               textwrap.indent("\n".join(lines[:60]) or "(nothing)",
                               "    ")))


def assert_wakeups(test, p, delta, most, what):
    """Fail @test when pidone @p woke up @delta times (context switches
    counted by the caller) where @most are allowed, with what it does
    right after (trace_wakeups) and its describe()."""
    if delta > most:
        test.fail("pidone woke up %d times %s%s%s"
                  % (delta, what, trace_wakeups(p.pid), p.describe()))


def _kill(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def flatten(value):
    """All strings and numbers inside a JSON value, space-joined."""
    if isinstance(value, dict):
        return " ".join(flatten(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(flatten(v) for v in value)
    return str(value)


class _Reader(threading.Thread):
    """Collects a pipe's lines until EOF; waiters are woken per line."""

    def __init__(self, pipe, name):
        super().__init__(name=name, daemon=True)
        self.pipe = pipe
        self.lines = []
        self.eof = False
        self.cond = threading.Condition()
        self.start()

    def run(self):
        try:
            for raw in iter(self.pipe.readline, b""):
                with self.cond:
                    self.lines.append(raw.decode("utf-8", "replace"))
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.lines)

    def wait_match(self, regex, timeout, start=0):
        """The first line (from index @start) matching @regex, or None."""
        rx = re.compile(regex)
        deadline = time.monotonic() + (scaled(timeout) if timeout else 0)
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(left)


# Collects a pipe's lines on a thread: for tests that start a process of
# their own and need bounded waits on its output (wait_match).
LineReader = _Reader


class Pidone:
    """One pidone run: PID 1 of a new PID namespace, or a subreaper.

    @cmd      the child's argv (after "--")
    @opts     pidone options; DEFAULT_OPTS are put first unless defaults=False
    @mode     "pid1" (under unshare) or "subreaper" (run directly)
    @env      extra environment (the test's own PIDONE_* are removed)
    @prefix   argv to exec pidone through (e.g. a sigconf --block ... --)
    @pass_fds fds the pidone process inherits besides 0, 1 and 2
    @binary   run this instead of PIDONE_BIN (e.g. tini, for comparison);
              PIDONE_WRAP applies to PIDONE_BIN only
    @inherit_ignored  signals pidone (and @prefix) is started with ignored
    @inherit_blocked  signals pidone (and @prefix) is started with blocked;
              every other signal starts at SIG_DFL and unblocked, whatever
              the test runner inherited (see clean_signals_argv)
    """

    def __init__(self, cmd, opts=(), mode="pid1", env=None, defaults=True,
                 prefix=(), pass_fds=(), stdin=subprocess.DEVNULL,
                 separator=True, binary=None, inherit_ignored=(),
                 inherit_blocked=()):
        if mode not in ("pid1", "subreaper"):
            raise ValueError(mode)
        self.mode = mode
        self.cmd = [str(c) for c in cmd]
        argv = [binary] if binary else WRAP + [BIN]
        argv += list(DEFAULT_OPTS) if defaults else []
        argv += [str(o) for o in opts]
        if separator:
            argv.append("--")
        argv += self.cmd
        if mode == "pid1":
            argv = [UNSHARE, "--pid", "--fork", "--mount-proc",
                    "--kill-child"] + argv
        self.argv = clean_signals_argv(list(prefix) + argv, inherit_ignored,
                                       inherit_blocked)
        self._pid = None
        self._cleaned = False
        self.returncode = None
        self.started = time.monotonic()
        self.ended = None
        self.proc = subprocess.Popen(
            self.argv, stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=base_env(env), close_fds=True,
            pass_fds=tuple(pass_fds), start_new_session=True)
        with _live_lock:
            _live.add(self)
        self._out = _Reader(self.proc.stdout, "stdout-%d" % self.proc.pid)
        self._err = _Reader(self.proc.stderr, "stderr-%d" % self.proc.pid)

    # -- pids ---------------------------------------------------------------

    @property
    def pid(self):
        """Host pid of the pidone process (the signal target)."""
        if self._pid is None:
            if self.mode == "subreaper":
                self._pid = self.proc.pid
            else:
                self._pid = wait_for(self._find_pidone, START_TIMEOUT,
                                     what="pidone to start under unshare")
        return self._pid

    def _find_pidone(self):
        # The child of unshare is unshare itself until it has exec'd pidone.
        forked = os.path.realpath(UNSHARE)
        for c in children_of(self.proc.pid):
            try:
                if os.readlink("/proc/%d/exe" % c) != forked:
                    return c
            except OSError:
                pass
        if self.proc.poll() is not None:
            raise AssertionError("pidone exited before it could be found "
                                 "(status %s)%s" % (self.proc.returncode,
                                                    self.describe()))
        return None

    def child_pid(self, timeout=START_TIMEOUT):
        """Host pid of pidone's (first) direct child."""
        return wait_for(lambda: (children_of(self.pid) or [None])[0],
                        timeout, what="pidone's child")

    def state(self):
        """Scheduler state letter of pidone ("S", "T", ...), None if gone."""
        st = proc_stat(self.pid)
        return st[0] if st else None

    # -- signals and exit ---------------------------------------------------

    def kill(self, sig):
        """Send @sig to pidone (from outside its namespace)."""
        os.kill(self.pid, sig)

    def wait(self, timeout=EXIT_TIMEOUT):
        """Wait for pidone (or unshare) to exit; returns the status.

        A negative status -N means that signal N ended pidone. On timeout,
        everything is killed and AssertionError is raised.
        """
        timeout = scaled(timeout)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.cleanup()
            raise AssertionError("pidone did not exit within %.1fs%s"
                                 % (timeout, self.describe()))
        self.ended = time.monotonic()
        # In PID-1 mode the namespace is gone with pidone, so the pipes hit
        # EOF; a subreaper may leave a process holding them: bounded join.
        self._out.join(timeout=2)
        self._err.join(timeout=2)
        return self.returncode

    def alive(self):
        return self.proc.poll() is None

    @property
    def elapsed(self):
        end = self.ended if self.ended is not None else time.monotonic()
        return end - self.started

    # -- output ---------------------------------------------------------------

    def stdout(self):
        return "".join(self._out.snapshot())

    def stdout_lines(self):
        return [line.rstrip("\n") for line in self._out.snapshot()]

    def stderr(self):
        return "".join(self._err.snapshot())

    def stderr_lines(self):
        return [line.rstrip("\n") for line in self._err.snapshot()]

    def wait_stdout(self, regex, timeout=START_TIMEOUT):
        """The first stdout line matching @regex; AssertionError on timeout."""
        m = self._out.wait_match(regex, timeout)
        if m is None:
            raise AssertionError("no stdout line matching %r within %.1fs%s"
                                 % (regex, timeout, self.describe()))
        return m

    def saw_stdout(self, regex):
        """Is there already a stdout line matching @regex? (no waiting)"""
        return self._out.wait_match(regex, 0) is not None

    def wait_stderr(self, regex, timeout=START_TIMEOUT):
        m = self._err.wait_match(regex, timeout)
        if m is None:
            raise AssertionError("no stderr line matching %r within %.1fs%s"
                                 % (regex, timeout, self.describe()))
        return m

    def logs(self):
        """pidone's stderr as a list of dicts, one per line.

        Raises AssertionError if any line is not exactly one JSON object.
        """
        records = []
        for line in self.stderr_lines():
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise AssertionError("stderr line is not JSON (%s): %r%s"
                                     % (e, line, self.describe()))
            if not isinstance(rec, dict):
                raise AssertionError("stderr line is not a JSON object: %r"
                                     % line)
            records.append(rec)
        return records

    def wait_log(self, msg_regex, timeout=START_TIMEOUT):
        """Wait for a JSON record whose "msg" matches; returns the dict."""
        try:
            found = wait_for(lambda: self.records(msg_regex), timeout,
                             what="log record %r" % msg_regex)
        except AssertionError as e:
            raise AssertionError(str(e) + self.describe())
        return found[0]

    def records(self, msg_regex):
        """The JSON records whose "msg" matches @msg_regex (no waiting;
        lines that are not JSON are skipped)."""
        rx = re.compile(msg_regex)
        out = []
        for line in self.stderr_lines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and rx.search(str(rec.get("msg"))):
                out.append(rec)
        return out

    def log_text(self):
        """Every value of every JSON record, space-joined (for searching)."""
        return "\n".join(flatten(r) for r in self.logs())

    def describe(self):
        """Context for assertion messages: argv, status, pidone's process
        while it runs, stderr, stdout."""
        out = self.stdout()
        if len(out) > 2000:
            out = out[:2000] + "...(truncated)"
        return ("\n  argv: %s\n  status: %s%s\n  stderr:\n%s\n  stdout:\n%s"
                % (" ".join(self.argv), self.proc.returncode,
                   self._describe_process(),
                   textwrap.indent(self.stderr() or "(empty)", "    "),
                   textwrap.indent(out or "(empty)", "    ")))

    def _describe_process(self):
        # Where a wait found pidone: asleep or not, in which call, and the
        # signals it has pending, blocked and caught. Only a pid already
        # found: describing must not wait.
        pid = self.proc.pid if self.mode == "subreaper" else self._pid
        st = proc_status(pid) if pid and self.proc.poll() is None else {}
        if not st:
            return ""
        try:
            with open("/proc/%d/wchan" % pid) as f:
                wchan = f.read().strip()
        except OSError:
            wchan = "?"
        return ("\n  pidone (host pid %d): %s, in %s; SigPnd %s ShdPnd %s "
                "SigBlk %s SigCgt %s; children %s"
                % (pid, st.get("State"), wchan, st.get("SigPnd"),
                   st.get("ShdPnd"), st.get("SigBlk"), st.get("SigCgt"),
                   children_of(pid)))

    # -- cleanup --------------------------------------------------------------

    def cleanup(self):
        """SIGKILL everything this run started; idempotent, bounded."""
        if self._cleaned:
            return
        self._cleaned = True
        if self._pid is not None:
            _kill(self._pid)          # PID 1: takes the namespace with it
        for _ in range(5):
            members = [p for p in session_members(self.proc.pid)]
            if self.proc.poll() is None:
                members.append(self.proc.pid)
            if not members:
                break
            for p in members:
                st = proc_stat(p)
                if st and st[0] != "Z":
                    _kill(p)
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.02)
        if self.proc.poll() is None:
            _kill(self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._out.join(timeout=2)
        self._err.join(timeout=2)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        with _live_lock:
            _live.discard(self)


def _cleanup_all():
    with _live_lock:
        runs = list(_live)
    for r in runs:
        r.cleanup()


atexit.register(_cleanup_all)


def run(cmd, opts=(), timeout=EXIT_TIMEOUT, **kwargs):
    """Start pidone, wait for it to exit, clean up; returns the Pidone."""
    p = Pidone(cmd, opts, **kwargs)
    try:
        p.wait(timeout)
    finally:
        p.cleanup()
    return p


def run_many(jobs, workers=8):
    """run() each dict of kwargs in @jobs in parallel; results in order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futures = [ex.submit(run, **job) for job in jobs]
        return [f.result() for f in futures]


# -- health side port ---------------------------------------------------------


def free_port(host="127.0.0.1"):
    """A TCP port that was free on @host a moment ago (bound, then closed).

    Both loopback families are checked when IPv6 is there, so that pidone's
    dual-stack listener can take the port.
    """
    for _ in range(50):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if not has_ipv6() or ":" in host:
            return port
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise AssertionError("no free loopback port found")


_ipv6 = None


def has_ipv6():
    """Can we listen on and connect to [::1] here?"""
    global _ipv6
    if _ipv6 is None:
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.bind(("::1", 0))
            _ipv6 = True
        except OSError:
            _ipv6 = False
    return _ipv6


def pty_rest(master, wait=0.2):
    """What is still to read on pty @master (a process that ended may
    have written last); bounded by @wait per read."""
    out = b""
    while select.select([master], [], [], wait)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def pty_end(pid, master):
    """SIGKILL the group of @pid (a pty.fork child), reap it, close
    @master."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(master)


def health_opts(port, *more):
    """pidone options for a run with the health server on @port."""
    return ["--user", "keep", "--health-port", str(port)] + [
        str(m) for m in more]


class HttpAnswer:
    """One parsed HTTP/1.x answer: status, reason, headers (lower-case
    names), body (bytes, empty for HEAD), head (the raw head bytes)."""

    def __init__(self, status, reason, headers, body, head):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.head = head

    def json(self):
        return json.loads(self.body.decode())

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<HttpAnswer %d %r %r>" % (self.status, self.headers,
                                         self.body[:200])


class HttpConn:
    """A raw client connection to the health port, for tests that need
    control over every byte (pipelining, partial heads, garbage)."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def answer(self, head_only=False):
        """Read one answer (Content-Length body unless @head_only)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        if not version.startswith("HTTP/1."):
            raise AssertionError("not an HTTP answer: %r" % head[:100])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", 0))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return HttpAnswer(int(status), reason, headers, body, head)

    def closed_by_server(self, timeout=2.0):
        """True when the server closes (EOF or reset) within @timeout
        with no further bytes; False if it stays open; raises on data."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if chunk:
            raise AssertionError("unexpected bytes: %r" % chunk[:200])
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def http_get(port, path="/healthz", method="GET", host="127.0.0.1",
             headers=(), timeout=5.0):
    """One request on a new connection with Connection: close."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: test"]
    lines += list(headers) + ["Connection: close", "", ""]
    with HttpConn(port, host, timeout) as c:
        c.send("\r\n".join(lines))
        return c.answer(head_only=(method == "HEAD"))


def wait_http(port, path="/healthz", status=200, timeout=START_TIMEOUT,
              host="127.0.0.1", describe=None):
    """Poll until @path answers @status; returns that answer. Bounded.
    @describe: called on a timeout, its text added to the error (e.g.
    Pidone.describe, to see whether pidone still ran)."""
    last = []

    def pred():
        try:
            a = http_get(port, path, host=host, timeout=2.0)
        except (OSError, EOFError) as e:
            last[:] = [e]
            return None
        last[:] = [a]
        return a if a.status == status else None

    try:
        return wait_for(pred, timeout, interval=0.05,
                        what="%s to answer %d" % (path, status))
    except AssertionError as e:
        raise AssertionError("%s (last: %r)%s"
                             % (e, last[0] if last else None,
                                describe() if describe else ""))


def parse_keyvals(text):
    """sigconf's "key: value" lines into a dict of str."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def numbers(value):
    """"1 2 3" into [1, 2, 3]."""
    return [int(x) for x in value.split()]


class TestCase(unittest.TestCase):
    """unittest.TestCase with pidone runs and temp dirs cleaned up."""

    maxDiff = None

    def start(self, cmd, opts=(), **kwargs):
        p = Pidone(cmd, opts, **kwargs)
        self.addCleanup(p.cleanup)
        return p

    def run_pidone(self, cmd, opts=(), timeout=EXIT_TIMEOUT, **kwargs):
        p = self.start(cmd, opts, **kwargs)
        p.wait(timeout)
        p.cleanup()
        return p

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="pidone-it-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def assertExit(self, p, code, msg=""):
        self.assertEqual(p.returncode, code,
                         "%sexit status %s, expected %s%s"
                         % (msg + ": " if msg else "", p.returncode, code,
                            p.describe()))

    def one_error(self, p):
        """The one record at level error (fails unless there is one)."""
        errors = [r for r in p.logs() if r.get("level") == "error"]
        self.assertEqual(len(errors), 1, "one error line" + p.describe())
        return errors[0]

    def assertNotStarted(self, p):
        self.assertFalse(p.records("^child started$"),
                         "the child must not start" + p.describe())
        self.assertEqual(p.stdout(), "", p.describe())


def skip_reason():
    """Why this machine cannot run the suite, or None."""
    if os.geteuid() != 0:
        return "not root (PID namespaces need CAP_SYS_ADMIN)"
    if not UNSHARE:
        return "unshare(1) not found"
    try:
        r = subprocess.run([UNSHARE, "--pid", "--fork", "--mount-proc",
                            "true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unshare --pid does not work here: %s" % e
    if r.returncode != 0:
        return ("unshare --pid does not work here: %s"
                % r.stderr.decode(errors="replace").strip())
    return None


def setup_error():
    """A missing binary or helper (a hard failure, not a skip), or None."""
    if not BIN:
        return "PIDONE_BIN is not set (run through make check)"
    if not os.access(BIN, os.X_OK):
        return "PIDONE_BIN=%s is not an executable file" % BIN
    for name in ("print_signals", "sigconf", "orphans"):
        if not os.access(helper(name), os.X_OK):
            return ("helper %s missing (PIDONE_HELPERS=%s; make check "
                    "builds it)" % (name, HELPERS))
    return None


def main():
    """Run the calling module's tests; exit 0 pass, 1 fail, 77 skip."""
    reason = skip_reason()
    if reason:
        print("SKIP: %s" % reason)
        sys.exit(EXIT_SKIP)
    err = setup_error()
    if err:
        print("ERROR: %s" % err)
        print("0 passed, 1 failed")
        sys.exit(1)
    if os.path.exists("/etc/pidone/pidone.ini"):
        print("warning: /etc/pidone/pidone.ini exists and is read by every "
              "run; results may differ", file=sys.stderr)
    module = sys.modules["__main__"]
    loader = unittest.defaultTestLoader
    if len(sys.argv) > 1:
        suite = loader.loadTestsFromNames(sys.argv[1:], module)
    else:
        suite = loader.loadTestsFromModule(module)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(
        suite)
    _cleanup_all()

    def ids(pairs):
        # A failing subTest is reported per subtest: count each test once.
        return {getattr(t, "test_case", t).id() for t, _ in pairs}

    failed_ids = (ids(result.failures) | ids(result.errors)
                  | {t.id() for t in result.unexpectedSuccesses})
    skipped_ids = ids(result.skipped) - failed_ids
    failed = len(failed_ids)
    passed = result.testsRun - failed - len(skipped_ids)
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    sys.exit(0 if failed == 0 else 1)
