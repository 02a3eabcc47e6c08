# SPDX-License-Identifier: MIT
"""Shutdown: SIGTERM handling, the grace period, and waiting for the group
(README, What pidone does).

Timing bounds are generous on purpose: the suite may run on a busy box.
"""

import os
import signal
import time

import pidone_harness as h

# A main child that starts a sibling in its own process group and then
# exits with status 3. The sibling, on SIGTERM, takes about a second to
# "shut down cleanly", then writes the marker file and exits (or, with
# "ignore", ignores SIGTERM and sleeps). Both report their pids on stdout.
FAMILY = r"""
import os, signal, sys, time

marker, how, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    if how == "ignore":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        def on_term(sig, frame):
            time.sleep(1.0)
            with open(marker, "w") as f:
                f.write("done\n")
            os._exit(0)
        signal.signal(signal.SIGTERM, on_term)
    print("sibling %d" % os.getpid(), flush=True)
    os.write(w, b"x")
    while True:
        time.sleep(60)
os.close(w)
os.read(r, 1)          # the sibling's handler is installed
print("main %d" % os.getpid(), flush=True)
sys.exit(code)
"""

SLEEPER = """
import time
print("ready", flush=True)
time.sleep(60)
"""


class Shutdown(h.TestCase):

    def test_term_forwarded_child_exit_code_passed_on(self):
        # print_signals exits 0 on TERM.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start([h.helper("print_signals")],
                               ["--grace", "30"], mode=mode)
                p.wait_stdout(r"^ready$")
                p.kill(signal.SIGTERM)
                p.wait(10)
                self.assertExit(p, 0)
                self.assertIn("signal 15", p.stdout())

    def test_term_kills_default_child_143(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start(h.python_child(SLEEPER), ["--grace", "30"],
                               mode=mode)
                p.wait_stdout(r"^ready$")
                p.kill(signal.SIGTERM)
                p.wait(10)
                self.assertExit(p, 143)

    def test_int_and_quit_forwarded(self):
        for sig in (signal.SIGINT, signal.SIGQUIT):
            with self.subTest(sig=sig):
                p = self.start(h.python_child(
                    "import resource, signal, time\n"
                    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
                    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
                    "print('ready', flush=True)\n"
                    "time.sleep(60)\n"), ["--grace", "30"])
                p.wait_stdout(r"^ready$")
                p.kill(sig)
                p.wait(10)
                self.assertExit(p, 128 + sig)

    def test_child_ignoring_term_killed_after_grace(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start([h.helper("print_signals"), "--ignore-term"],
                               ["--grace", "1"], mode=mode)
                p.wait_stdout(r"^ready$")
                t0 = time.monotonic()
                p.kill(signal.SIGTERM)
                p.wait_stdout(r"^signal 15$", timeout=3)
                p.wait(10)
                took = time.monotonic() - t0
                self.assertExit(p, 137)
                self.assertGreaterEqual(took, 0.9, "SIGKILL before grace")
                self.assertLess(took, 5.0, "SIGKILL long after grace")

    def test_fractional_grace(self):
        p = self.start([h.helper("print_signals"), "--ignore-term"],
                       ["--grace", "0.5"])
        p.wait_stdout(r"^ready$")
        t0 = time.monotonic()
        p.kill(signal.SIGTERM)
        p.wait(10)
        took = time.monotonic() - t0
        self.assertExit(p, 137)
        self.assertGreaterEqual(took, 0.4)
        self.assertLess(took, 3.0)

    def test_waits_for_sibling_that_needs_a_second(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                marker = os.path.join(self.tmpdir(), "sibling-done")
                p = self.start(h.python_child(FAMILY, marker, "clean", 3),
                               ["--grace", "10"], mode=mode)
                p.wait_stdout(r"^main \d+$")
                t0 = time.monotonic()
                p.wait(15)
                took = time.monotonic() - t0
                self.assertExit(p, 3)
                self.assertTrue(os.path.exists(marker),
                                "pidone did not wait for the sibling"
                                + p.describe())
                self.assertGreaterEqual(took, 0.8)
                # Done as soon as nothing is left, not at the end of grace.
                self.assertLess(took, 6.0, "waited for the grace period")

    def test_sibling_ignoring_term_killed_after_grace(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                marker = os.path.join(self.tmpdir(), "never")
                p = self.start(h.python_child(FAMILY, marker, "ignore", 4),
                               ["--grace", "1"], mode=mode)
                m = p.wait_stdout(r"^sibling (\d+)$")
                sibling = int(m.group(1))
                p.wait_stdout(r"^main \d+$")
                t0 = time.monotonic()
                p.wait(15)
                took = time.monotonic() - t0
                self.assertExit(p, 4)
                self.assertGreaterEqual(took, 0.8, "no grace for sibling")
                self.assertLess(took, 6.0)
                if mode == "subreaper":
                    # Host pid: pidone must have killed (and reaped) it,
                    # not left it running.
                    h.wait_for(lambda: (h.proc_stat(sibling) or "Z")[0]
                               == "Z", 2, what="sibling %d to be gone"
                               % sibling)

    def test_main_child_exit_terms_the_group_at_once(self):
        # The sibling exits on SIGTERM at once: pidone must not wait for
        # the grace period (10 s) before finishing.
        p = self.start(h.python_child(
            "import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    print('sibling', flush=True)\n"
            "    time.sleep(60)\n"
            "    os._exit(0)\n"
            "time.sleep(0.3)\n"
            "sys.exit(5)\n"), ["--grace", "10"])
        p.wait_stdout(r"^sibling$")
        p.wait(15)
        self.assertExit(p, 5)
        self.assertLess(p.elapsed, 5.0)


if __name__ == "__main__":
    h.main()
