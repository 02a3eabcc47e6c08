# SPDX-License-Identifier: MIT
"""File descriptors, stdout/stderr discipline, log records, idle wakeups
(README: Options, What pidone does, Logs).
"""

import os
import re
import sys
import time

import pidone_harness as h

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"error", "warn", "info", "debug"}
MARKER = "pidone-it-marker-7f3a"
PT_LOAD, PT_GNU_RELRO = 1, 0x6474e552

CLOSE_STDIN = ["-I", "-c",
               "import os, sys; os.close(0); os.execv(sys.argv[1], "
               "sys.argv[1:])"]


class Fds(h.TestCase):

    def sigconf(self, **kwargs):
        p = self.run_pidone([h.helper("sigconf")], **kwargs)
        self.assertExit(p, 0)
        return p, h.parse_keyvals(p.stdout())

    def test_child_sees_only_0_1_2(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode=mode)
                self.assertEqual(h.numbers(conf["fds"]), [0, 1, 2],
                                 "an fd pidone opened leaked into the child"
                                 + p.describe())

    def test_child_sees_only_0_1_2_with_debug_logs(self):
        p, conf = self.sigconf(opts=["--log-level", "debug"])
        self.assertEqual(h.numbers(conf["fds"]), [0, 1, 2], p.describe())

    def test_inherited_fd_is_passed_through(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        os.set_inheritable(w, True)
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode=mode, pass_fds=(w,))
                self.assertEqual(h.numbers(conf["fds"]), [0, 1, 2, w],
                                 p.describe())

    def test_closed_stdin_is_sanitized(self):
        # pidone started with fd 0 closed: its own first fd must not land
        # on 0 (0, 1, 2 are pointed at /dev/null at start).
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode=mode,
                                       prefix=[sys.executable] + CLOSE_STDIN)
                self.assertEqual(h.numbers(conf["fds"]), [0, 1, 2],
                                 p.describe())


class Streams(h.TestCase):

    def test_stdout_is_only_the_childs(self):
        cmd = h.python_child("print(%r)" % MARKER)
        for mode in ("pid1", "subreaper"):
            for level in ("info", "debug"):
                with self.subTest(mode=mode, level=level):
                    p = self.run_pidone(cmd, ["--log-level", level],
                                        mode=mode)
                    self.assertExit(p, 0)
                    self.assertEqual(p.stdout(), MARKER + "\n",
                                     p.describe())

    def test_stdout_empty_on_errors(self):
        for cmd in (["/nonexistent-pidone-it"],
                    h.python_child("import sys; sys.exit(3)")):
            with self.subTest(cmd=cmd[0]):
                p = self.run_pidone(cmd)
                self.assertEqual(p.stdout(), "", p.describe())

    def test_child_stderr_passes_through(self):
        p = self.run_pidone(h.python_child(
            "import sys; sys.stderr.write('child says hi\\n')"),
            ["--log-level", "error"])
        self.assertExit(p, 0)
        self.assertEqual(p.stderr(), "child says hi\n")


class Logs(h.TestCase):

    def check_records(self, p):
        records = p.logs()            # asserts: one JSON object per line
        self.assertTrue(records, "no log records" + p.describe())
        for r in records:
            self.assertRegex(str(r.get("ts")), TS, r)
            self.assertIn(r.get("level"), LEVELS, r)
            self.assertIsInstance(r.get("msg"), str, r)
            self.assertTrue(r["msg"], r)
        return records

    def test_every_stderr_line_is_a_json_record(self):
        cases = [
            h.python_child("print('ok')"),
            h.python_child("import sys; sys.exit(9)"),
            [h.helper("orphans"), "5"],
            ["/nonexistent-pidone-it"],
        ]
        for mode in ("pid1", "subreaper"):
            for cmd in cases:
                with self.subTest(mode=mode, cmd=cmd[-1]):
                    p = self.run_pidone(cmd, ["--log-level", "debug"],
                                        mode=mode)
                    self.check_records(p)

    def test_child_started_record(self):
        cmd = [h.helper("sigconf")]
        p = self.run_pidone(cmd)
        self.assertExit(p, 0)
        conf = h.parse_keyvals(p.stdout())
        started = [r for r in self.check_records(p)
                   if r["msg"] == "child started"]
        self.assertEqual(len(started), 1, p.describe())
        rec = started[0]
        self.assertEqual(rec.get("level"), "info")
        self.assertEqual(rec.get("pid"), int(conf["pid"]),
                         "pid as the child sees it" + p.describe())
        self.assertEqual(rec.get("argv"), cmd, p.describe())

    def test_child_started_record_as_subreaper(self):
        cmd = [h.helper("sigconf"), "--"] + h.python_child(
            "import os; print('pid: %d' % os.getpid())", "a b", 'q"uote')
        p = self.run_pidone(cmd, mode="subreaper")
        self.assertExit(p, 0)
        rec = [r for r in self.check_records(p)
               if r["msg"] == "child started"][0]
        self.assertEqual(rec.get("argv"), cmd)
        self.assertEqual(rec.get("pid"),
                         int(h.parse_keyvals(p.stdout())["pid"]))

    def test_error_record_has_hint(self):
        # Not found, a usage error, a bad value: each says what to do.
        for opts, code, hint in (([], 127, "full path"),
                                 (["--bogus"], 64, "pidone --help"),
                                 (["--grace", "abc"], 78, "pidone check")):
            with self.subTest(code=code):
                p = self.run_pidone(["/nonexistent-pidone-it"], opts)
                self.assertExit(p, code)
                self.check_records(p)
                err = self.one_error(p)
                self.assertIn(hint, err.get("hint", ""), p.describe())

    def test_text_format(self):
        for how in ("option", "env"):
            with self.subTest(how=how):
                opts = ["--log-format", "text"] if how == "option" else []
                env = {"PIDONE_LOG_FORMAT": "text"} if how == "env" else {}
                p = self.run_pidone(h.python_child("print('ok')"), opts,
                                    env=env)
                self.assertExit(p, 0)
                lines = p.stderr_lines()
                self.assertTrue(lines, p.describe())
                for line in lines:
                    self.assertTrue(line.startswith("pidone: "), line)
                self.assertTrue(any(re.match(r"^pidone: info: child "
                                             r"started", x)
                                    for x in lines), p.describe())

    def test_level_error_is_quiet_on_success(self):
        p = self.run_pidone(h.python_child("print('ok')"),
                            ["--log-level", "error"])
        self.assertExit(p, 0)
        self.assertEqual(p.stderr(), "", p.describe())

    def test_level_debug_keeps_info_records(self):
        info = self.run_pidone(h.python_child("print('ok')"))
        debug = self.run_pidone(h.python_child("print('ok')"),
                                ["--log-level", "debug"])
        msgs = [r["msg"] for r in self.check_records(debug)]
        self.assertGreaterEqual(len(msgs), len(self.check_records(info)))
        self.assertIn("child started", msgs, debug.describe())

    def test_level_warn_hides_info(self):
        p = self.run_pidone(h.python_child("print('ok')"),
                            ["--log-level", "warn"])
        self.assertExit(p, 0)
        levels = {r["level"] for r in p.logs()}
        self.assertLessEqual(levels, {"warn", "error"}, p.describe())


class DeadStderr(h.TestCase):
    """Whoever read pidone's stderr went away: every log write now fails
    with EPIPE and raises a SIGPIPE at pidone itself. pidone must neither
    die of it nor forward it, and must keep forwarding and exiting right."""

    # The handlers write with one os.write: a print() in a handler can be
    # re-entered by the next signal while it flushes, and CPython then
    # raises into the child (its traceback going to the dead stderr).
    CHILD = ("import os, signal, sys, time\n"
             "signal.signal(signal.SIGUSR1,"
             " lambda *a: os.write(1, b'usr1\\n'))\n"
             "signal.signal(signal.SIGPIPE,"
             " lambda *a: os.write(1, b'pipe\\n'))\n"
             "signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))\n"
             "os.write(1, b'up\\n')\n"
             "while True: time.sleep(1)\n")

    def test_reader_gone_pidone_keeps_working(self):
        import signal
        import subprocess
        r, w = os.pipe()
        argv = h.clean_signals_argv(
            [h.UNSHARE, "--pid", "--fork", "--mount-proc", "--kill-child",
             h.BIN] + h.DEFAULT_OPTS + ["--log-level", "debug", "--",
                                        sys.executable, "-c", self.CHILD])
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=w,
                             stdin=subprocess.DEVNULL, env=h.base_env(),
                             start_new_session=True)
        os.close(w)
        out = h.LineReader(p.stdout, "stdout-%d" % p.pid)

        def line(regex, start):
            m = out.wait_match(regex, h.START_TIMEOUT, start)
            self.assertIsNotNone(m, "no line %r on stdout: %r"
                                 % (regex, out.snapshot()))
            return len(out.snapshot())

        try:
            seen = line(r"^up$", 0)
            os.close(r)
            r = -1
            init = int(h.wait_for(lambda: h.children_of(p.pid), 5,
                                  what="pidone's pid")[0])
            # Each of these makes pidone log (debug), hitting EPIPE. The
            # next one is sent only once the child reported the last.
            for i in range(3):
                os.kill(init, signal.SIGUSR1)
                h.wait_for(lambda: out.snapshot()[seen:].count("usr1\n")
                           >= i + 1, h.START_TIMEOUT,
                           what="usr1 number %d" % (i + 1))
            os.kill(init, signal.SIGTERM)
            self.assertEqual(p.wait(timeout=h.scaled(h.EXIT_TIMEOUT)), 7)
            out.join(h.scaled(5))
            self.assertEqual(out.snapshot().count("usr1\n"), 3,
                             out.snapshot())
            self.assertNotIn("pipe\n", out.snapshot(),
                             "pidone forwarded its own SIGPIPE")
        finally:
            if r >= 0:
                os.close(r)
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
            p.stdout.close()


class Idle(h.TestCase):

    def test_idle_pidone_never_wakes_up(self):
        # pidone as PID 1 with a sleeping child, no health server: nothing
        # can happen, so it must not be scheduled at all (tini wakes every
        # second; its count over the same window is printed for reference).
        sleeper = h.python_child("import time; print('ready', flush=True);"
                                 " time.sleep(60)")
        runs = [("pidone", self.start(sleeper))]
        if h.TINI:
            runs.append(("tini", self.start(sleeper, defaults=False,
                                            binary=h.TINI)))
        for name, p in runs:
            p.wait_stdout("^ready$")
        # start-up is over once pidone sleeps with no timer armed
        h.wait_idle(runs[0][1].pid)
        before = {name: h.ctxt_switches(p.pid) for name, p in runs}
        time.sleep(3.0)                  # the window observed
        after = {name: h.ctxt_switches(p.pid) for name, p in runs}
        for name, p in runs:
            self.assertTrue(p.alive(), p.describe())
            print("\n    idle 3 s: %s context switches: %d"
                  % (name, after[name] - before[name]), file=sys.stderr,
                  end="")
        h.assert_wakeups(self, runs[0][1], after["pidone"] - before["pidone"],
                         1, "while idle")

    def test_idle_wait_has_no_timeout(self):
        # A few seconds cannot show a wakeup every minute: read the
        # timeout of the call pidone sleeps in instead. epoll_wait's fourth
        # argument is in ms; libev's default cap is 59743 ms, which is a
        # poll. With the health server on, too.
        sleeper = h.python_child("import time; print('ready', flush=True);"
                                 " time.sleep(60)")
        port = h.free_port()
        for opts in ([], ["--health-port", str(port),
                          "--health-addr", "127.0.0.1"]):
            p = self.start(sleeper, opts=opts)
            p.wait_stdout("^ready$")
            # Once start-up is over pidone must sleep in epoll_wait with
            # no timeout (a poll would show as a finite one, every time).
            timeout_ms = h.wait_idle(p.pid)
            self.assertGreater(timeout_ms, h.NO_TIMEOUT_MS,
                               "epoll_wait times out after %d ms with %s"
                               % (timeout_ms, opts))
            p.kill(15)
            p.wait()


class OwnFds(h.TestCase):

    def test_pidone_holds_one_signalfd_and_no_pipe_of_its_own(self):
        # With the health server off, pidone's loop is epoll, libev's
        # timerfd and one signalfd that carries SIGCHLD too. libev's own
        # signal machinery (a second signalfd for ev_child, an eventfd or
        # a pipe for ev_async) must not be there. Any other pipe fd is a
        # reopened copy of stdin/stdout/stderr. The OOM watch (an eventfd
        # on cgroup v1) is kept out with an empty cgroup tree: test_oom.py
        # counts its fds.
        sleeper = h.python_child("import time; print('ready', flush=True);"
                                 " time.sleep(60)")
        no_cgroup = {"PIDONE_TEST_CGROUP_ROOT": self.tmpdir()}
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start(sleeper, mode=mode, env=no_cgroup)
                p.wait_stdout("^ready$")
                fd_dir = "/proc/%d/fd" % p.pid
                links = {int(fd): os.readlink(os.path.join(fd_dir, fd))
                         for fd in os.listdir(fd_dir)}
                kinds = sorted(t for t in links.values()
                               if t.startswith("anon_inode:"))
                self.assertEqual(kinds, ["anon_inode:[eventpoll]",
                                         "anon_inode:[signalfd]",
                                         "anon_inode:[timerfd]"],
                                 "%r%s" % (links, p.describe()))
                stdio = {links.get(fd) for fd in (0, 1, 2)}
                extra_pipes = [t for fd, t in links.items() if fd > 2 and
                               t.startswith("pipe:") and t not in stdio]
                self.assertEqual(extra_pipes, [],
                                 "%r%s" % (links, p.describe()))


class Relro(h.TestCase):

    def test_the_relro_it_declares_is_read_only_once_running(self):
        # A PT_GNU_RELRO header promises that the data it covers (the GOT,
        # .init_array, .data.rel.ro) turns read-only after start-up. The
        # dynamic loader and glibc's static start-up keep that promise;
        # musl's static start-up does not, and there the header would be
        # only padding in the file (configure leaves it out). Either no
        # header, or every page it covers is mapped without write access.
        if h.WRAP:
            self.skipTest("under %s the wrapper maps the binary" % h.WRAP[0])
        with open(h.BIN, "rb") as f:
            segs = h.elf_segments(f.read(65536))
        self.assertTrue(segs, "not an ELF64 file: " + h.BIN)
        relros = [(v, m) for t, _, v, _, m in segs if t == PT_GNU_RELRO]
        if not relros:
            return
        relro = relros[0]
        first_load = next(v for t, _, v, _, _ in segs if t == PT_LOAD)
        sleeper = h.python_child("import time; print('ready', flush=True);"
                                 " time.sleep(60)")
        p = self.start(sleeper, mode="subreaper")
        p.wait_stdout("^ready$")
        exe = os.path.realpath(h.BIN)
        with open("/proc/%d/maps" % p.pid) as f:
            maps = [ln.split() for ln in f]
        # The load base: 0 for a fixed-address binary, else where the
        # kernel put the first mapping of the file.
        base = min(int(m[0].split("-")[0], 16) for m in maps
                   if len(m) > 5 and m[5] == exe) - (first_load & ~0xfff)
        start = (base + relro[0]) & ~0xfff
        end = (base + relro[0] + relro[1]) & ~0xfff
        self.assertLess(start, end, "PT_GNU_RELRO %r covers no whole page"
                        % (relro,))
        for m in maps:
            lo, hi = (int(x, 16) for x in m[0].split("-"))
            if lo < end and hi > start:
                self.assertNotIn("w", m[1], "page %s of PT_GNU_RELRO "
                                 "(%#x-%#x) is writable:\n%s"
                                 % (m[0], start, end, "\n".join(
                                     " ".join(x) for x in maps)))
        p.kill(15)
        p.wait()


if __name__ == "__main__":
    h.main()
