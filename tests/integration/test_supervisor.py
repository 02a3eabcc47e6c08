# SPDX-License-Identifier: MIT
"""The supervisor survives whatever it inherits and never blocks.

Each test is a bug that once was: an inherited ignored SIGCHLD hung pidone,
pidone held its start directory, waited a whole grace for a group it could
not reap, froze while a new child was slow to exec, spun on a dead stderr
at debug level, and gave up a restart policy on one failed fork.
"""

import os
import signal
import subprocess
import time

import pidone_harness as h

# LeakSanitizer (the sanitizer build) cannot check for leaks under ptrace
# or without a spare process: off where a test takes those away.
NO_LSAN = {"ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") +
                            ":detect_leaks=0").lstrip(":")}


def cpu_ticks(pid):
    """utime + stime of @pid in clock ticks, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


class InheritedSignals(h.TestCase):
    def test_ignored_sigchld_does_not_hang(self):
        # The kernel reaps the children of a process that ignores SIGCHLD:
        # pidone must undo that for itself and still see the exit.
        p = self.run_pidone(["sh", "-c", "exit 3"], mode="subreaper",
                            inherit_ignored=[signal.SIGCHLD],
                            timeout=10 * h.TIMEOUT_SCALE)
        self.assertExit(p, 3)
        self.assertEqual([r["code"] for r in p.records("^child exited$")],
                         [3], p.describe())

    def test_child_gets_the_ignored_sigchld_and_mask_back(self):
        p = self.run_pidone([h.helper("sigconf")], mode="subreaper",
                            inherit_ignored=[signal.SIGCHLD],
                            inherit_blocked=[signal.SIGTERM])
        self.assertExit(p, 0)
        conf = h.parse_keyvals(p.stdout())
        self.assertIn(17, h.numbers(conf["ignored"]), p.describe())
        self.assertEqual(h.numbers(conf["blocked"]), [15], p.describe())

    def test_blocked_and_ignored_term_still_stops_it(self):
        # pidone reads TERM from its signalfd whatever the inherited
        # disposition and mask; the child, which inherits TERM blocked,
        # does not die of it, so the grace's SIGKILL ends it.
        p = self.start(h.python_child("""
            import sys, time
            print("ready", flush=True)
            time.sleep(60)
            """), ["--grace", "1"], mode="subreaper",
            inherit_ignored=[signal.SIGTERM, signal.SIGCHLD],
            inherit_blocked=[signal.SIGTERM])
        h.wait_for(lambda: "ready" in p.stdout(), h.START_TIMEOUT,
                   what="the child to start")
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 137)
        self.assertTrue(p.records(r"received SIGTERM: shutting down"),
                        p.describe())
        self.assertTrue(p.records(r"grace period over"), p.describe())


class StartDirectory(h.TestCase):
    def test_pidone_leaves_it_the_child_keeps_it(self):
        d = os.path.realpath(self.tmpdir())
        p = self.start(h.python_child("""
            import os, time
            print("cwd", os.getcwd(), flush=True)
            time.sleep(60)
            """), prefix=["env", "-C", d])
        h.wait_for(lambda: "cwd" in p.stdout(), h.START_TIMEOUT,
                   what="the child to start")
        self.assertIn("cwd %s" % d, p.stdout())
        self.assertEqual(os.readlink("/proc/%d/cwd" % p.pid), "/",
                         "pidone still holds %s" % d)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_a_restarted_child_starts_there_too(self):
        d = os.path.realpath(self.tmpdir())
        os.chmod(d, 0o755)
        p = self.run_pidone(h.python_child("""
            import os, sys
            print("cwd", os.getcwd(), flush=True)
            sys.exit(1)
            """), ["--restart", "on-failure", "--restart-max", "1"],
            prefix=["env", "-C", d])
        self.assertExit(p, 1)
        self.assertEqual(p.stdout().count("cwd %s\n" % d), 2, p.describe())


class NotTheReaper(h.TestCase):
    def test_does_not_wait_the_grace_for_a_group_it_cannot_reap(self):
        # Neither PID 1 nor a subreaper: the sleeper re-parents elsewhere,
        # no SIGCHLD would ever come. pidone sends it TERM once and ends.
        p = self.run_pidone(
            ["sh", "-c", "sleep 60 & echo $!; exit 0"], ["--grace", "60"],
            mode="subreaper", env={"PIDONE_SUBREAPER": "0"},
            timeout=20 * h.TIMEOUT_SCALE)
        self.assertExit(p, 0)
        self.assertTrue(p.records(r"not waiting for it"), p.describe())
        sleeper = int(p.stdout().split()[0])

        def gone():
            st = h.proc_stat(sleeper)
            return st is None or st[0] == "Z"
        h.wait_for(gone, h.START_TIMEOUT, what="the sleeper to end")


class SlowExec(h.TestCase):
    def test_probes_answered_while_the_child_is_before_its_exec(self):
        # strace holds the child's execve for 5 s; pidone must keep
        # serving its side port meanwhile (it used to sit in clone(VFORK)),
        # and say the child has not started: its exec may yet fail.
        if not h.shutil.which("strace"):
            self.skipTest("strace not installed")
        port = h.free_port()
        p = self.start(["/bin/true"], ["--health-port", str(port),
                                  "--health-addr", "127.0.0.1"],
                       mode="subreaper", env=NO_LSAN,
                       prefix=["strace", "-f", "-qq", "-o", "/dev/null",
                               "-e", "trace=execve",
                               "-e", "inject=execve:delay_enter=5000000"])
        a = h.wait_http(port, "/healthz", 503,
                        timeout=4 * h.TIMEOUT_SCALE)
        self.assertIn(b"child not started yet", a.body)
        pidone = h.children_of(p.proc.pid)[0]  # strace's child
        kids = h.children_of(pidone)
        self.assertEqual(len(kids), 1, p.describe())
        self.assertEqual(os.readlink("/proc/%d/exe" % kids[0]),
                         os.readlink("/proc/%d/exe" % pidone),
                         "the child has exec'd already: no slow window")
        p.wait(timeout=30 * h.TIMEOUT_SCALE)
        self.assertExit(p, 0)


class DeadStderr(h.TestCase):
    def test_debug_log_to_a_dead_stderr_does_not_spin(self):
        # Each failed write raises SIGPIPE; logging that at debug level
        # raised the next one, for ever.
        r, w = os.pipe()
        argv = h.clean_signals_argv(
            h.WRAP + [h.BIN, "--health-port", "0", "--user", "keep",
                      "--log-level", "debug", "--"] + h.python_child("""
                import time
                time.sleep(60)
                """))
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=w,
                                env=h.base_env(), start_new_session=True)
        os.close(w)
        try:
            # Signals are read once the child runs; then the reader goes.
            h.wait_for(lambda: h.children_of(proc.pid), h.START_TIMEOUT,
                       what="pidone's child")
            os.close(r)
            # forwarded (the child ignores it) and logged: EPIPE
            proc.send_signal(signal.SIGWINCH)
            time.sleep(0.2)
            before = cpu_ticks(proc.pid)
            time.sleep(1.0)
            after = cpu_ticks(proc.pid)
            self.assertIsNone(proc.poll(), "pidone died of the dead pipe")
            self.assertLess(after - before, 50,
                            "pidone spun on the CPU: %d ticks in 1 s"
                            % (after - before))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=h.EXIT_TIMEOUT), 143)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class ForkFailure(h.TestCase):
    def test_a_failed_fork_is_retried_within_the_budget(self):
        # uid 4242 may own two processes: pidone and a blocker. pidone's
        # fork fails with EAGAIN until the blocker ends; the policy retries.
        blocker = subprocess.Popen(["setpriv", "--reuid=4242",
                                    "--regid=4242", "--clear-groups",
                                    "sleep", "60"])
        self.addCleanup(blocker.wait)
        self.addCleanup(blocker.kill)
        h.wait_for(lambda: h.proc_status(blocker.pid).get("Uid", "")
                   .startswith("4242"), h.START_TIMEOUT,
                   what="the blocker to run as uid 4242")
        p = self.start(["/bin/echo", "ran"],
                       ["--user", "4242:4242", "--restart", "on-failure",
                        "--restart-max", "3"],
                       prefix=["prlimit", "--nproc=2", "--"], env=NO_LSAN)
        self.assertTrue(p.wait_log(r"fork failed, retrying",
                                   h.START_TIMEOUT), p.describe())
        blocker.kill()
        blocker.wait()
        p.wait()
        self.assertExit(p, 0)
        self.assertIn("ran", p.stdout())

    def test_without_a_restart_policy_it_ends_at_once(self):
        # The failed fork happens before the loop runs: pidone must still
        # end (it used to wait in the loop for ever).
        p = self.run_pidone(["/bin/echo", "ran"], ["--user", "4242:4242"],
                            prefix=["prlimit", "--nproc=1", "--"],
                            env=NO_LSAN)
        self.assertExit(p, 70)
        self.assertTrue(p.records(r"cannot start the command: fork "
                                  r"failed$"), p.describe())

    def test_gives_up_when_the_budget_is_spent(self):
        p = self.run_pidone(["/bin/echo", "ran"],
                            ["--user", "4242:4242", "--restart",
                             "on-failure", "--restart-max", "1"],
                            prefix=["prlimit", "--nproc=1", "--"],
                            env=NO_LSAN)
        self.assertExit(p, 70)
        self.assertTrue(p.records(r"cannot start the command: fork "
                                    r"failed$"), p.describe())
        # No child ever ran: not "ended again", not "its own output".
        gave_up = p.records(r"^giving up")
        self.assertEqual([r["msg"] for r in gave_up],
                         ["giving up: the child could not be started again "
                          "after 1 restart within 10 minutes"], p.describe())
        self.assertNotIn("hint", gave_up[0])
        self.assertNotIn("ran", p.stdout())


if __name__ == "__main__":
    h.main()
