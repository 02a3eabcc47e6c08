# SPDX-License-Identifier: MIT
"""Why the main child ended: the one `child exited` record.

It carries "code", or "signal" and "signal_name"; "core_dumped" (with a
hint of where the core went when one was dumped), "runtime_ms" and
"cause": exit, signal (sent by someone else), grace-kill (pidone's own
SIGKILL after the grace) or oom-kill (tested in test_oom.py with a real
memory cgroup).
"""

import os
import signal

import pidone_harness as h

NO_HEALTH = ["--health-port", "0"]

SLEEP = h.python_child("""
import signal, sys, time
print("up", flush=True)
time.sleep(60)
""")

# Ignores SIGTERM: only a SIGKILL ends it.
STUBBORN = h.python_child("""
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(60)
""")


class Cause(h.TestCase):

    def exited(self, p):
        recs = p.records("^child exited$")
        self.assertEqual(len(recs), 1, p.describe())
        return recs[0]

    def test_exit_code_and_runtime(self):
        p = self.run_pidone(h.python_child(
            "import sys, time; time.sleep(0.3); sys.exit(3)"), NO_HEALTH)
        self.assertExit(p, 3)
        rec = self.exited(p)
        self.assertEqual(rec["code"], 3)
        self.assertEqual(rec["cause"], "exit")
        self.assertIs(rec["core_dumped"], False)
        self.assertNotIn("signal", rec)
        self.assertNotIn("signal_name", rec)
        self.assertGreaterEqual(rec["runtime_ms"], 300, p.describe())
        self.assertLess(rec["runtime_ms"], 60000, p.describe())

    def test_signal_from_someone_else(self):
        p = self.start(SLEEP, NO_HEALTH)
        p.wait_stdout("^up$")
        os.kill(p.child_pid(), signal.SIGKILL)
        p.wait()
        self.assertExit(p, 128 + signal.SIGKILL)
        rec = self.exited(p)
        self.assertEqual(rec["signal"], signal.SIGKILL)
        self.assertEqual(rec["signal_name"], "KILL")
        self.assertEqual(rec["cause"], "signal", p.describe())
        self.assertNotIn("code", rec)

    def test_forwarded_term_is_a_signal(self):
        p = self.start(SLEEP, NO_HEALTH)
        p.wait_stdout("^up$")
        p.kill(signal.SIGTERM)
        p.wait()
        rec = self.exited(p)
        self.assertEqual(rec["signal_name"], "TERM")
        self.assertEqual(rec["cause"], "signal")
        self.assertEqual(rec["level"], "info")

    def test_grace_kill_is_pidones_own(self):
        p = self.start(STUBBORN, NO_HEALTH + ["--grace", "0.5"])
        p.wait_stdout("^up$")
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 128 + signal.SIGKILL)
        rec = self.exited(p)
        self.assertEqual(rec["signal"], signal.SIGKILL)
        self.assertEqual(rec["cause"], "grace-kill", p.describe())

    def test_core_dump_says_where_the_core_went(self):
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
        # A relative pattern puts the core in the dumping process's
        # working directory: a temp dir, not the build tree.
        d = self.tmpdir()
        p = self.run_pidone(h.python_child("""
import os, resource, signal, sys
os.chdir(sys.argv[1])
resource.setrlimit(resource.RLIMIT_CORE, (1 << 30, 1 << 30))
os.kill(os.getpid(), signal.SIGQUIT)
""", d), NO_HEALTH)
        rec = self.exited(p)
        self.assertEqual(rec["signal_name"], "QUIT", p.describe())
        if not rec["core_dumped"]:
            self.skipTest("no core was dumped here (core_pattern %r)"
                          % pattern)
        self.assertIn("kernel.core_pattern", rec["hint"], p.describe())
        if pattern.startswith("|"):
            self.assertIn("piped to " + pattern[1:], rec["hint"])
        else:
            self.assertIn("written to " + pattern, rec["hint"])

    def test_no_core_no_hint(self):
        p = self.run_pidone(h.python_child("""
import os, resource, signal
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.kill(os.getpid(), signal.SIGQUIT)
"""), NO_HEALTH)
        rec = self.exited(p)
        self.assertIs(rec["core_dumped"], False, p.describe())
        self.assertNotIn("hint", rec)


if __name__ == "__main__":
    h.main()
