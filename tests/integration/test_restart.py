# SPDX-License-Identifier: MIT
"""--restart supervision with exponential backoff (README: Options, What pidone does).

The child appends its start time (CLOCK_MONOTONIC, the same clock inside
the namespace) to a file and exits with a given status, so the test can
count the starts and check that no restart came before its backoff. How
long a backoff is comes from pidone's own "restarting the child" record,
never from an upper bound on measured time (the machine may be busy).
"""

import os
import signal

import pidone_harness as h

STARTS = """
import sys, time
with open(sys.argv[1], "a") as f:
    f.write("%.6f\\n" % time.monotonic())
sys.exit(int(sys.argv[2]))
"""


def starts(path):
    try:
        with open(path) as f:
            return [float(x) for x in f.read().split()]
    except OSError:
        return []


class Restart(h.TestCase):

    def counter(self):
        return os.path.join(self.tmpdir(), "starts")

    def test_on_failure_backoff_then_gives_up(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 3),
                            ["--restart", "on-failure", "--restart-max", "2"],
                            timeout=20)
        self.assertExit(p, 3)
        t = starts(path)
        self.assertEqual(len(t), 3, "1 start + 2 restarts" + p.describe())
        self.assertEqual([r.get("delay_ms") for r in
                          p.records(r"^restarting the child")],
                         [1000, 2000], "backoff doubles from 1 s"
                         + p.describe())
        # the group ended with the child: all but the reaping is left
        for r in p.records(r"^restarting the child"):
            self.assertTrue(0 < r["wait_ms"] <= r["delay_ms"], r)
        self.assertGreaterEqual(t[1] - t[0], 0.9, "first backoff ~1 s")
        self.assertGreaterEqual(t[2] - t[1], 1.8, "second backoff ~2 s")

    def test_backoff_counts_from_the_exit(self):
        # a group member takes 1.5 s over its SIGTERM: the 1 s backoff
        # has run out by the group's end, and the record says so
        path = self.counter()
        child = h.python_child("""
            import os, signal, sys, time
            with open(sys.argv[1], "a") as f:
                f.write("%.6f\\n" % time.monotonic())
            if os.fork() == 0:
                def term(*a):
                    time.sleep(1.5)
                    os._exit(0)
                signal.signal(signal.SIGTERM, term)
                while True:
                    time.sleep(0.05)
            sys.exit(3)
            """, path)
        p = self.run_pidone(child, ["--restart", "on-failure",
                                    "--restart-max", "1"], timeout=20)
        self.assertExit(p, 3)
        t = starts(path)
        self.assertEqual(len(t), 2, p.describe())
        (r,) = p.records(r"^restarting the child")
        self.assertEqual((r["delay_ms"], r["wait_ms"], r["restarts"]),
                         (1000, 0, 1), p.describe())
        self.assertGreaterEqual(t[1] - t[0], 1.4, p.describe())

    def test_on_failure_restarts_after_signal_death(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(
            STARTS.replace("sys.exit(int(sys.argv[2]))",
                           "import os, signal\n"
                           "os.kill(os.getpid(), signal.SIGTERM)\n"
                           "time.sleep(5)"), path, 0),
            ["--restart", "on-failure", "--restart-max", "1"], timeout=20)
        self.assertEqual(len(starts(path)), 2, p.describe())
        self.assertExit(p, 143)

    def test_always_restarts_after_success(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 0),
                            ["--restart", "always", "--restart-max", "1"],
                            timeout=20)
        self.assertEqual(len(starts(path)), 2, p.describe())
        self.assertExit(p, 0)
        # an exit 0 is no failure: the record says the child ended
        (rec,) = p.records(r"^giving up")
        self.assertEqual(rec["msg"], "giving up: the child ended again "
                         "after 1 restart within 10 minutes", p.describe())

    def test_never_does_not_restart(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 3),
                            ["--restart", "never"], timeout=20)
        self.assertExit(p, 3)
        self.assertEqual(len(starts(path)), 1, p.describe())

    def test_default_is_never(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 3), timeout=20)
        self.assertExit(p, 3)
        self.assertEqual(len(starts(path)), 1, p.describe())

    def test_on_failure_does_not_restart_after_success(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 0),
                            ["--restart", "on-failure"], timeout=20)
        self.assertExit(p, 0)
        self.assertEqual(len(starts(path)), 1, p.describe())

    def test_restart_from_env(self):
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 2),
                            env={"PIDONE_RESTART": "on-failure",
                                 "PIDONE_RESTART_MAX": "1"}, timeout=20)
        self.assertExit(p, 2)
        self.assertEqual(len(starts(path)), 2, p.describe())

    def test_success_exit_status_is_not_a_failure(self):
        # 143 listed as success: on-failure does not restart, exit 0.
        path = self.counter()
        p = self.run_pidone(h.python_child(STARTS, path, 143),
                            ["--restart", "on-failure",
                             "--success-exit", "143"], timeout=20)
        self.assertExit(p, 0)
        self.assertEqual(len(starts(path)), 1, p.describe())

    def test_term_during_backoff_ends_promptly(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                path = self.counter()
                p = self.start(h.python_child(STARTS, path, 3),
                               ["--restart", "on-failure",
                                "--restart-max", "5", "--grace", "10"],
                               mode=mode)
                # After the 2nd start pidone sits in a 2 s backoff.
                h.wait_for(lambda: len(p.records(
                    r"^restarting the child")) >= 2, 8,
                    what=lambda: "the second backoff" + p.describe())
                p.kill(signal.SIGTERM)
                p.wait(10)
                self.assertEqual(len(starts(path)), 2,
                                 "restarted after SIGTERM" + p.describe())
                self.assertNotEqual(p.returncode, 0, p.describe())
                msgs = [r.get("msg") for r in p.logs()]
                self.assertEqual(msgs.count("child started"), 2,
                                 p.describe())


if __name__ == "__main__":
    h.main()
