# SPDX-License-Identifier: MIT
"""Signal forwarding and the child's signal state (README, What pidone does).

Signals are sent from outside the namespace to the pidone process (PID 1
inside it); print_signals, as the child, reports what reaches it. sigconf
reports the mask, dispositions, process group and no_new_privs the child
was started with.
"""

import os
import signal

import pidone_harness as h

# Forwarded without starting a shutdown.
PLAIN = [s for s in h.FORWARDABLE if s not in h.TERMINATING]
STOPS = [signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU]
USR1 = int(signal.SIGUSR1)
USR2 = int(signal.SIGUSR2)


class Forwarding(h.TestCase):

    def send_all(self, p, sigs):
        """Send each signal and wait until the child reports it."""
        p.wait_stdout(r"^ready$")
        for sig in sigs:
            p.kill(sig)
            p.wait_stdout(r"^signal %d$" % sig, timeout=3)
            self.assertNotEqual(p.state(), "T",
                                "pidone stopped after signal %d" % sig)

    def check_plain_signals(self, mode, opts=()):
        p = self.start([h.helper("print_signals")],
                       ["--grace", "30"] + list(opts), mode=mode)
        self.send_all(p, PLAIN)
        # End with TERM: forwarded, the child exits 0, so does pidone.
        p.kill(signal.SIGTERM)
        p.wait_stdout(r"^signal 15$", timeout=3)
        p.wait(10)
        self.assertExit(p, 0)

    def test_every_signal_reaches_child_group_mode(self):
        self.check_plain_signals("pid1")

    def test_every_signal_reaches_child_explicit_group(self):
        self.check_plain_signals("pid1", ["--forward", "group"])

    def test_every_signal_reaches_child_child_mode(self):
        self.check_plain_signals("pid1", ["--forward", "child"])

    def test_every_signal_reaches_child_as_subreaper(self):
        # Not PID 1: a signal pidone does not block would kill or stop it.
        self.check_plain_signals("subreaper")

    def test_terminating_signals_forwarded(self):
        for mode in ("pid1", "subreaper"):
            for sig in h.TERMINATING:
                with self.subTest(mode=mode, sig=sig):
                    p = self.start([h.helper("print_signals"),
                                    "--exit-after", "1"],
                                   ["--grace", "30"], mode=mode)
                    p.wait_stdout(r"^ready$")
                    p.kill(sig)
                    p.wait_stdout(r"^signal %d$" % sig, timeout=3)
                    p.wait(10)
                    self.assertExit(p, 0)

    def test_realtime_signals_forwarded(self):
        # 35 on: the first that both glibc and musl let print_signals
        # catch (musl keeps 32-34 for itself; the helper may be built
        # with either).
        sigs = [35, 36, int(signal.SIGRTMAX)]
        p = self.start([h.helper("print_signals")], ["--grace", "30"])
        self.send_all(p, sigs)

    def test_libc_reserved_realtime_signals_forwarded(self):
        # glibc's SIGRTMIN is 34, which musl keeps for itself: a musl-built
        # pidone must still block, read and forward it to a glibc child
        # (this Python). (32 and 33 are read and forwarded too, see
        # test_signals.c, but glibc lets no program catch them.)
        child = h.python_child("""
            import signal, time
            signal.pthread_sigmask(signal.SIG_BLOCK, [34])
            print("ready", flush=True)
            print("signal %d" % signal.sigwait([34]), flush=True)
            time.sleep(60)
        """)
        p = self.start(child, ["--grace", "30"])
        self.send_all(p, [34])

    def test_stop_signals_do_not_stop_pidone(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start([h.helper("print_signals")],
                               ["--grace", "30"], mode=mode)
                self.send_all(p, STOPS)
                # A stopped pidone could not forward this one (no CONT
                # yet, which would resume it and hide the stop).
                self.send_all(p, [signal.SIGUSR1])
                self.assertNotEqual(p.state(), "T", p.describe())
                # ... and it still forwards afterwards.
                self.send_all(p, [signal.SIGCONT, signal.SIGUSR2])

    def test_a_stopped_app_still_hears_the_stop(self):
        # docker kill -s TSTP freezes the app; a docker stop then must
        # reach it (SIGCONT follows a stop, as systemd sends it), not
        # leave it frozen until the grace's SIGKILL.
        child = h.python_child("""
            import os, signal, time
            # os.write, not print: a TSTP may stop it inside a print()
            # whose line is out already, and the handler's print would
            # then find the buffer taken
            def term(*a):
                os.write(1, b"term\\n")
                os._exit(0)
            signal.signal(signal.SIGTERM, term)
            os.write(1, b"ready\\n")
            while True:
                time.sleep(0.05)
            """)
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start(child, ["--grace", "30"], mode=mode)
                p.wait_stdout("^ready$")
                kid = p.child_pid()
                p.kill(signal.SIGTSTP)
                h.wait_for(lambda: (h.proc_stat(kid) or ("?",))[0] == "T",
                           5, what="the app stopped")
                p.kill(signal.SIGTERM)
                p.wait(10)
                self.assertExit(p, 0)
                p.wait_stdout("^term$", timeout=1)

    def grandchild_barrier(self, p, after):
        """Return once the grandchild has handled every signal sent to it
        before now: send it a higher-numbered signal @after directly and
        wait for its report (pending standard signals are delivered lowest
        number first, so anything pidone sent it before is reported
        earlier)."""
        child = p.child_pid()
        grandchild = h.wait_for(lambda: (h.children_of(child) or [None])[0],
                                h.START_TIMEOUT, what="the grandchild")
        os.kill(grandchild, after)
        p.wait_stdout(r"^grandchild signal %d$" % after)

    def grandchild_sees(self, forward, sig=signal.SIGUSR1):
        p = self.start([h.helper("print_signals"), "--grandchild"],
                       ["--grace", "30", "--forward", forward])
        p.wait_stdout(r"^ready$")
        p.wait_stdout(r"^grandchild ready$")
        p.kill(sig)
        p.wait_stdout(r"^signal %d$" % sig, timeout=3)
        if forward == "group":
            p.wait_stdout(r"^grandchild signal %d$" % sig, timeout=3)
        else:
            self.grandchild_barrier(p, signal.SIGWINCH)
        return p, p.saw_stdout(r"^grandchild signal %d$" % sig)

    def test_forward_group_reaches_grandchild(self):
        p, seen = self.grandchild_sees("group")
        self.assertTrue(seen, p.describe())

    def test_forward_child_spares_grandchild(self):
        p, seen = self.grandchild_sees("child")
        self.assertFalse(seen, "--forward child signalled the whole group"
                         + p.describe())

    def test_forward_from_env(self):
        p = self.start([h.helper("print_signals"), "--grandchild"],
                       ["--grace", "30"], env={"PIDONE_FORWARD": "child"})
        p.wait_stdout(r"^grandchild ready$")
        p.wait_stdout(r"^ready$")
        p.kill(signal.SIGUSR2)
        p.wait_stdout(r"^signal %d$" % USR2, timeout=3)
        self.grandchild_barrier(p, signal.SIGWINCH)
        self.assertFalse(p.saw_stdout(r"^grandchild signal %d$" % USR2),
                         p.describe())

    def test_rewrite_term_to_quit(self):
        p = self.start([h.helper("print_signals"), "--exit-after", "1"],
                       ["--grace", "30", "--rewrite", "TERM:QUIT"])
        p.wait_stdout(r"^ready$")
        p.kill(signal.SIGTERM)
        p.wait_stdout(r"^signal %d$" % signal.SIGQUIT, timeout=3)
        p.wait(10)
        self.assertExit(p, 0)
        self.assertNotIn("signal 15", p.stdout())

    def test_rewrite_to_zero_drops_and_a_dropped_stop_is_said(self):
        # USR1:0 drops USR1. TERM:0: docker stop's SIGTERM does nothing
        # (documented in the README), and an info line says so, so that a
        # stop that waits for its SIGKILL can be explained; a dropped USR1
        # stays at debug. pidone reads and forwards pending signals lowest
        # number first, and the child handles them in that order: a
        # forwarded USR1 or TERM would be reported before USR2.
        p = self.start([h.helper("print_signals")],
                       ["--grace", "30", "--rewrite", "TERM:0",
                        "--rewrite", "USR1:0"])
        p.wait_stdout(r"^ready$")
        p.kill(signal.SIGUSR1)
        p.kill(signal.SIGTERM)
        p.wait_log(r"^dropped SIGTERM \(--rewrite\)$")
        p.kill(signal.SIGUSR2)
        p.wait_stdout(r"^signal %d$" % USR2, timeout=3)
        self.assertFalse(p.saw_stdout(r"^signal (15|%d)$" % USR1),
                         p.describe())
        self.assertTrue(p.alive(), "pidone ended" + p.describe())
        self.assertEqual(p.records("^dropped SIGUSR1"), [], p.describe())
        self.assertEqual(p.records("shutting down"), [], p.describe())

    def test_rewrite_from_env(self):
        p = self.start([h.helper("print_signals"), "--exit-after", "1"],
                       ["--grace", "30"],
                       env={"PIDONE_REWRITE": "USR1:USR2"})
        p.wait_stdout(r"^ready$")
        p.kill(signal.SIGUSR1)
        p.wait_stdout(r"^signal %d$" % USR2, timeout=3)
        p.wait(10)
        self.assertExit(p, 0)
        self.assertNotIn("signal %d\n" % USR1, p.stdout())


class ChildState(h.TestCase):

    def sigconf(self, mode="pid1", prefix=(), **kwargs):
        p = self.run_pidone([h.helper("sigconf")], mode=mode, prefix=prefix,
                            **kwargs)
        self.assertExit(p, 0)
        return p, h.parse_keyvals(p.stdout())

    def test_clean_mask_and_dispositions(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode)
                self.assertEqual(h.numbers(conf["blocked"]), [],
                                 "child's blocked mask" + p.describe())
                self.assertEqual(h.numbers(conf["ignored"]), [],
                                 "child's ignored signals" + p.describe())

    def test_own_process_group(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode)
                self.assertEqual(conf["pgid"], conf["pid"], p.describe())
                if mode == "pid1":
                    self.assertEqual(conf["ppid"], "1", p.describe())
                else:
                    self.assertEqual(int(conf["ppid"]), p.proc.pid)
                    self.assertNotEqual(int(conf["pgid"]), p.proc.pid)

    def test_no_new_privs(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode)
                self.assertEqual(conf["nonewprivs"], "1", p.describe())

    def test_original_mask_restored_exactly(self):
        # pidone started with USR1 blocked and USR2 ignored by its parent:
        # the child gets exactly the original mask back (no extra TSTP,
        # TTIN, TTOU bits, nothing cleared), and the inherited SIG_IGN and
        # no other.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(mode, inherit_blocked=[USR1],
                                       inherit_ignored=[USR2])
                self.assertEqual(h.numbers(conf["blocked"]), [USR1],
                                 p.describe())
                self.assertEqual(h.numbers(conf["ignored"]), [USR2],
                                 p.describe())

    def test_nohup_hup_stays_ignored(self):
        # Started under nohup (HUP ignored), with TERM blocked as well:
        # the child gets both exactly as pidone got them.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, conf = self.sigconf(
                    mode, inherit_ignored=[signal.SIGHUP],
                    inherit_blocked=[signal.SIGTERM])
                self.assertEqual(h.numbers(conf["ignored"]),
                                 [int(signal.SIGHUP)], p.describe())
                self.assertEqual(h.numbers(conf["blocked"]),
                                 [int(signal.SIGTERM)], p.describe())


class Sigchld(h.TestCase):

    def test_sigchld_is_never_forwarded(self):
        # SIGCHLD shares pidone's signalfd with the forwarded signals, but
        # only wakes the reaper, whoever sent it. WINCH (28) is sent after
        # it: a signalfd hands out the lower number first, so once WINCH is
        # reported a forwarded CHLD (17) would have been reported too.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start([h.helper("print_signals")],
                               ["--grace", "30"], mode=mode)
                p.wait_stdout(r"^ready$")
                for _ in range(3):
                    p.kill(signal.SIGCHLD)
                p.kill(signal.SIGWINCH)
                p.wait_stdout(r"^signal %d$" % signal.SIGWINCH, timeout=3)
                self.assertFalse(
                    p.saw_stdout(r"^signal %d$" % signal.SIGCHLD),
                    "SIGCHLD reached the child" + p.describe())
                self.assertTrue(p.alive(), p.describe())
                p.kill(signal.SIGTERM)
                p.wait(10)
                self.assertExit(p, 0)


if __name__ == "__main__":
    h.main()
