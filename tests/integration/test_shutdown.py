# SPDX-License-Identifier: MIT
"""Shutdown: SIGTERM handling, the grace period, and waiting for the group
(README, What pidone does).

Nothing here asserts how long something took at most: the suite may run on
a busy box. A grace period is checked from below (no SIGKILL before it)
and by the grace pidone reports applying; "did not wait for the grace" is
checked with a grace (300 s) far beyond any bounded wait of the test.
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
        time.sleep(0.05)
os.close(w)
os.read(r, 1)          # the sibling's handler is installed
print("main %d" % os.getpid(), flush=True)
sys.exit(code)
"""

LONG_GRACE = "300"


def grace_ms(test, p):
    """The grace pidone reports when it sends SIGKILL."""
    recs = p.records(r"^grace period over")
    test.assertTrue(recs, "no 'grace period over' record" + p.describe())
    return recs[0].get("grace_ms")


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
                self.assertEqual(grace_ms(self, p), 1000, p.describe())

    def test_fractional_grace(self):
        p = self.start([h.helper("print_signals"), "--ignore-term"],
                       ["--grace", "0.5"])
        p.wait_stdout(r"^ready$")
        t0 = time.monotonic()
        p.kill(signal.SIGTERM)
        p.wait(10)
        took = time.monotonic() - t0
        self.assertExit(p, 137)
        self.assertGreaterEqual(took, 0.4, "SIGKILL before grace")
        self.assertEqual(grace_ms(self, p), 500, p.describe())

    def test_stop_while_the_group_ends_is_no_second_term(self):
        # The main child ends; pidone's SIGTERM goes to the sibling, which
        # takes a second over it; a docker stop then must not send it
        # another (README: the group is told once).
        child = h.python_child("""
            import os, signal, sys, time
            log = sys.argv[1]
            if os.fork() == 0:
                def on_term(sig, frame):
                    with open(log, "a") as f:
                        f.write("term\\n")
                signal.signal(signal.SIGTERM, on_term)
                print("sibling", flush=True)
                while not os.path.exists(log):
                    time.sleep(0.01)
                time.sleep(1.5)
                os._exit(0)
            time.sleep(0.3)
            sys.exit(3)
            """, os.path.join(self.tmpdir(), "terms"))
        log = child[-1]
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                if os.path.exists(log):
                    os.unlink(log)
                p = self.start(child, ["--grace", LONG_GRACE], mode=mode)
                p.wait_log(r"^terminating the rest of the child's process")
                p.kill(signal.SIGTERM)
                p.wait_log(r"^received SIGTERM")
                p.wait(15)
                self.assertExit(p, 3)
                with open(log) as f:
                    self.assertEqual(f.read(), "term\n", p.describe())

    def test_term_dropped_the_rest_is_waited_for_then_killed(self):
        # --rewrite TERM:0: the rest of the group gets no SIGTERM when the
        # child ends, and the record says so (not "terminating")
        marker = os.path.join(self.tmpdir(), "sibling-done")
        p = self.start(h.python_child(FAMILY, marker, "clean", 3),
                       ["--grace", "1", "--rewrite", "TERM:0"])
        p.wait(15)
        self.assertExit(p, 3)
        self.assertFalse(os.path.exists(marker), "the sibling got a TERM")
        self.assertEqual(p.records(r"^terminating the rest"), [])
        p.wait_log(r"^waiting for the rest of the child's process group: "
                   r"no SIGTERM \(--rewrite TERM:0\), SIGKILL after the "
                   r"grace$", timeout=1)
        self.assertEqual(grace_ms(self, p), 1000, p.describe())

    def test_waits_for_sibling_that_needs_a_second(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                marker = os.path.join(self.tmpdir(), "sibling-done")
                p = self.start(h.python_child(FAMILY, marker, "clean", 3),
                               ["--grace", LONG_GRACE], mode=mode)
                p.wait_stdout(r"^main \d+$")
                # Done as soon as nothing is left, not at the end of the
                # grace: a wait far shorter than the grace must do.
                p.wait(15)
                self.assertExit(p, 3)
                self.assertTrue(os.path.exists(marker),
                                "pidone did not wait for the sibling"
                                + p.describe())
                self.assertEqual(p.records(r"^grace period over"), [],
                                 p.describe())

    def test_stop_says_why_it_waits_for_the_group(self):
        # The stop went to the whole group; the main child dies of it at
        # once, its sibling takes a second: the pause between "child
        # exited" and "exiting" is explained, once.
        marker = os.path.join(self.tmpdir(), "sibling-done")
        p = self.start(h.python_child("""
            import os, signal, sys, time
            if os.fork() == 0:
                def on_term(*a):
                    time.sleep(1.0)
                    open(sys.argv[1], "w").close()
                    os._exit(0)
                signal.signal(signal.SIGTERM, on_term)
                os.write(1, b"sibling\\n")
                while True:
                    time.sleep(0.05)
            time.sleep(60)
            """, marker), ["--grace", LONG_GRACE])
        p.wait_stdout(r"^sibling$")
        p.kill(signal.SIGTERM)
        p.wait(15)
        self.assertExit(p, 143)
        self.assertTrue(os.path.exists(marker), p.describe())
        msgs = [r.get("msg", "") for r in p.logs()]
        waits = [i for i, m in enumerate(msgs)
                 if m.startswith("waiting for the rest of the child's "
                                 "process group, told to stop already")]
        self.assertEqual(len(waits), 1, p.describe())
        exited = msgs.index("child exited")
        self.assertLess(exited, waits[0], p.describe())
        self.assertLess(waits[0], msgs.index("exiting"), p.describe())
        self.assertEqual(p.records(r"^terminating the rest"), [],
                         p.describe())

    def test_a_helper_outside_the_group_is_reported(self):
        # A helper in a session of its own is neither signalled nor
        # waited for; pidone says so as it ends, with its pid.
        child = h.python_child("""
            import subprocess
            h = subprocess.Popen(["sleep", "60"], start_new_session=True)
            print("helper %d" % h.pid, flush=True)
        """)
        for mode, words in (("pid1", "the kernel ends it with pidone"),
                            ("subreaper", "left running, to the next "
                                          "reaper")):
            with self.subTest(mode=mode):
                p = self.start(child, mode=mode)
                helper = int(p.wait_stdout(r"^helper (\d+)$").group(1))
                p.wait(15)
                self.assertExit(p, 0)
                rec = p.wait_log(r"^1 process outside the child's group")
                self.assertIn(words, rec["msg"])
                self.assertEqual(rec["level"], "warn")
                # before "exiting": that one is the last record
                self.assertEqual(p.logs()[-1]["msg"], "exiting",
                                 p.describe())
                if mode == "subreaper":
                    self.assertEqual(rec["pids"], str(helper))
                    os.kill(helper, signal.SIGKILL)

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
                self.assertEqual(grace_ms(self, p), 1000, p.describe())
                if mode == "subreaper":
                    # Host pid: pidone must have killed (and reaped) it,
                    # not left it running.
                    h.wait_for(lambda: (h.proc_stat(sibling) or "Z")[0]
                               == "Z", 2, what="sibling %d to be gone"
                               % sibling)

    def test_main_child_exit_terms_the_group_at_once(self):
        # The sibling exits on SIGTERM at once: pidone must not wait for
        # the grace period (300 s, far beyond the bounded wait) first.
        p = self.start(h.python_child(
            "import os, sys, time\n"
            "r, w = os.pipe()\n"
            "if os.fork() == 0:\n"
            "    print('sibling', flush=True)\n"
            "    os.write(w, b'x')\n"
            "    time.sleep(60)\n"
            "    os._exit(0)\n"
            "os.read(r, 1)\n"
            "sys.exit(5)\n"), ["--grace", LONG_GRACE])
        p.wait_stdout(r"^sibling$")
        p.wait(15)
        self.assertExit(p, 5)
        self.assertEqual(p.records(r"^grace period over"), [],
                         p.describe())


if __name__ == "__main__":
    h.main()
