# SPDX-License-Identifier: MIT
"""The drain window (README, Stopping; --drain): on SIGTERM, SIGINT or
SIGQUIT /readyz turns 503 at once while the app keeps running and serving
and /healthz stays 200; the signal, after --rewrite, reaches the app only
after the drain, and the grace starts then. A second stop is forwarded at
once, the app ending by itself ends the drain, a SIGINT while stdin is a
terminal never waits, and all of it works with the health port off.

The app here is a real Python server on a loopback port. It prints
"got SIG MONOTONIC" when a signal reaches it (CLOCK_MONOTONIC is the same
clock in the test and in the PID namespace) and exits 100+SIG on a stop
or on SIGUSR1. Nothing asserts how long something took at most: a drain
is checked from below ("at least about SECS") against the app's own record,
and "forwarded at once" with a drain (60 s) far beyond any bounded wait of
the test.
"""

import os
import pty
import re
import select
import signal
import socket
import sys
import time

import pidone_harness as h

APP = r"""
import os, signal, socket, sys, threading, time

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)

def serve():
    while True:
        c, _ = srv.accept()
        try:
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        finally:
            c.close()

def on_signal(sig, frame):
    # os.write: a print() here could land inside the main thread's own
    os.write(1, b"got %d %.6f\n" % (sig, time.monotonic()))
    if sig != signal.SIGHUP:
        os._exit(100 + sig)

SIGS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1,
        signal.SIGHUP}
for s in SIGS:
    signal.signal(s, on_signal)
# Signals go to the main thread: only its sleep() they interrupt. The
# thread is born with them blocked (blocking them in the thread itself
# left a moment in which the kernel could hand it one).
signal.pthread_sigmask(signal.SIG_BLOCK, SIGS)
threading.Thread(target=serve, daemon=True).start()
signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGS)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""

LONG = "60"        # a drain no bounded wait of this file comes near
SHORT = 2.0        # a drain that is waited out
GOT = r"^got (\d+) (\d+\.\d+)$"


def app_get(port):
    """One request to the app itself; its answer body."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[-1]


def got(p):
    """The signals the app has reported so far: [(signo, monotonic)]."""
    out = []
    for line in p.stdout_lines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "got":
            out.append((int(parts[1]), float(parts[2])))
    return out


def msgs(p):
    return [r.get("msg", "") for r in p.logs()]


class Drain(h.TestCase):

    def start_app(self, opts, health_port=None, mode="pid1"):
        app_port = h.free_port()
        opts = list(opts)
        if health_port:
            opts = h.health_opts(health_port) + opts
        p = self.start(h.python_child(APP, app_port), opts, mode=mode)
        p.wait_stdout(r"^ready$")
        return p, app_port

    def test_demo_app_stops_cleanly_with_an_idle_keep_alive_client(self):
        # contrib/demo/app.py, as the images run it: an idle HTTP/1.1
        # connection must not keep it from its exit 0 after its drain
        # (it once waited for that request thread until pidone's SIGKILL).
        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "contrib", "demo", "app.py")
        port = h.free_port()
        p = self.start([sys.executable, demo, "--addr", "127.0.0.1",
                        "--port", str(port), "--drain", "1",
                        "--log-dir", self.tmpdir()], ["--grace", "30"])
        p.wait_stdout(r'"msg": "listening"')
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.addCleanup(conn.close)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(conn.recv(4096).startswith(b"HTTP/1."))
        p.kill(signal.SIGTERM)
        p.wait(10)
        self.assertExit(p, 0)
        self.assertFalse(p.records(r"^grace period over"), p.describe())

    def assertStopRecord(self, p, sig, drain_ms):
        rec = p.wait_log(r"^received SIG%s: shutting down" % sig)
        self.assertEqual(rec.get("drain_ms"), drain_ms, p.describe())
        self.assertRegex(rec.get("forward_at", ""),
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                         "the record says when the signal goes out"
                         + p.describe())
        return rec

    # -- during the drain ---------------------------------------------------

    def test_readiness_falls_at_once_while_the_app_serves(self):
        hp = h.free_port()
        p, ap = self.start_app(["--drain", LONG, "--grace", "30"], hp)
        h.wait_http(hp, "/readyz", 200)
        p.kill(signal.SIGTERM)
        h.wait_http(hp, "/readyz", 503)
        self.assertStopRecord(p, "TERM", 60000)
        # The app runs and serves on, live, and has not heard of the stop.
        self.assertEqual(h.http_get(hp, "/healthz").status, 200)
        self.assertEqual(app_get(ap), b"hello")
        verbose = h.http_get(hp, "/readyz?verbose")
        self.assertEqual(verbose.status, 503)
        self.assertRegex(verbose.text(),
                         r"\[-\]shutdown failed: shutdown in progress: "
                         r"draining, \d+\.\d s of 60 s left, then SIGTERM")
        self.assertIn("[+]child ok", verbose.text())
        body = h.http_get(hp, "/readyz").json()
        self.assertIn("draining", body.get("reason", ""))
        metrics = h.http_get(hp, "/metrics").text().splitlines()
        self.assertIn("pidone_draining 1", metrics)
        self.assertIn("pidone_ready 0", metrics)
        self.assertIn("pidone_live 1", metrics)
        self.assertEqual(got(p), [], "the app got a signal during the drain"
                         + p.describe())
        # A non-stop signal still goes through at once, the drain goes on.
        p.kill(signal.SIGHUP)
        h.wait_for(lambda: got(p), 10, what="the app to get SIGHUP")
        self.assertEqual([s for s, _ in got(p)], [signal.SIGHUP])
        self.assertIn("pidone_draining 1",
                      h.http_get(hp, "/metrics").text().splitlines())
        # Another stop ends the drain: forwarded at once.
        p.kill(signal.SIGINT)
        p.wait()
        self.assertExit(p, 100 + signal.SIGINT)
        self.assertEqual([s for s, _ in got(p)],
                         [signal.SIGHUP, signal.SIGINT], p.describe())
        self.assertTrue(p.records(r"^received SIGINT during the drain"),
                        p.describe())
        self.assertEqual(p.records(r"^drain over"), [], p.describe())

    def test_signal_reaches_the_app_only_after_the_drain_rewritten(self):
        # Health port off (the default here): the drain is the same.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, ap = self.start_app(["--drain", str(SHORT), "--rewrite",
                                        "TERM:QUIT", "--grace", "30"],
                                       mode=mode)
                # No timer before a stop: the drain's exists only in one.
                h.wait_idle(p.pid)
                sent = time.monotonic()
                p.kill(signal.SIGTERM)
                self.assertStopRecord(p, "TERM", int(SHORT * 1000))
                m = p.wait_stdout(GOT, timeout=SHORT + 10)
                sig, at = int(m.group(1)), float(m.group(2))
                self.assertEqual(sig, signal.SIGQUIT,
                                 "the rewritten signal" + p.describe())
                self.assertGreaterEqual(at - sent, SHORT - 0.1,
                                        "the app got the signal before "
                                        "the drain was over" + p.describe())
                p.wait()
                self.assertExit(p, 100 + signal.SIGQUIT)
                order = [m for m in msgs(p)
                         if m.startswith(("received SIGTERM", "drain over",
                                          "child exited", "exiting"))]
                self.assertEqual(len(order), 4, p.describe())
                self.assertTrue(order[0].startswith("received SIGTERM"))
                self.assertEqual(order[1], "drain over: forwarded SIGQUIT")
                self.assertTrue(order[2].startswith("child exited"))
                self.assertEqual(got(p)[0][0], signal.SIGQUIT)
                self.assertEqual(len(got(p)), 1, p.describe())

    def test_the_signal_as_received_decides_whether_it_is_a_stop(self):
        # TERM rewritten to USR1 is still a stop: readiness falls at once
        # and the app hears USR1 only after the drain.
        hp = h.free_port()
        p, ap = self.start_app(["--drain", str(SHORT), "--rewrite",
                                "TERM:USR1", "--grace", "30"], hp)
        h.wait_http(hp, "/readyz", 200)
        sent = time.monotonic()
        p.kill(signal.SIGTERM)
        self.assertStopRecord(p, "TERM", int(SHORT * 1000))
        self.assertEqual(h.http_get(hp, "/readyz").status, 503)
        m = p.wait_stdout(GOT, timeout=SHORT + 10)
        self.assertEqual(int(m.group(1)), signal.SIGUSR1, p.describe())
        self.assertGreaterEqual(float(m.group(2)) - sent, SHORT - 0.1,
                                "USR1 before the drain was over"
                                + p.describe())
        p.wait()
        self.assertExit(p, 100 + signal.SIGUSR1)
        # HUP rewritten to TERM is not a stop: no drain (60 s), the app
        # gets TERM at once.
        p, ap = self.start_app(["--drain", LONG, "--rewrite", "HUP:TERM",
                                "--grace", "30"])
        p.kill(signal.SIGHUP)
        m = p.wait_stdout(GOT, timeout=10)
        self.assertEqual(int(m.group(1)), signal.SIGTERM, p.describe())
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)
        self.assertFalse(p.records("shutting down"), p.describe())

    def test_second_stop_is_forwarded_at_once_rewritten(self):
        p, ap = self.start_app(["--drain", LONG, "--rewrite", "TERM:QUIT",
                                "--grace", "30"])
        p.kill(signal.SIGTERM)
        self.assertStopRecord(p, "TERM", 60000)
        self.assertEqual(app_get(ap), b"hello", "serving during the drain")
        self.assertEqual(got(p), [])
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGQUIT)
        self.assertEqual([s for s, _ in got(p)], [signal.SIGQUIT],
                         "one signal, the second stop rewritten"
                         + p.describe())
        self.assertTrue(p.records(r"^received SIGTERM during the drain"),
                        p.describe())

    def test_app_exiting_during_the_drain_ends_it(self):
        hp = h.free_port()
        p, ap = self.start_app(["--drain", LONG, "--grace", "30"], hp)
        p.kill(signal.SIGTERM)
        self.assertStopRecord(p, "TERM", 60000)
        # SIGUSR1 is no stop: forwarded at once, and this app exits on it.
        p.kill(signal.SIGUSR1)
        p.wait()
        self.assertExit(p, 100 + signal.SIGUSR1)
        self.assertEqual([s for s, _ in got(p)], [signal.SIGUSR1],
                         "the stop itself never reached the app"
                         + p.describe())
        self.assertEqual(p.records(r"^drain over"), [], p.describe())
        self.assertTrue(p.records(r"^child exited"), p.describe())

    def test_sigint_without_a_terminal_waits(self):
        p, ap = self.start_app(["--drain", LONG, "--grace", "30"])
        p.kill(signal.SIGINT)
        self.assertStopRecord(p, "INT", 60000)
        self.assertEqual(app_get(ap), b"hello")
        self.assertEqual(got(p), [])
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)

    def test_sigint_on_a_terminal_never_waits(self):
        # pidone itself on a pty (a subreaper here, so the test knows its
        # pid): stdin is a terminal, as under docker run -it.
        argv = h.clean_signals_argv(
            [h.BIN] + h.DEFAULT_OPTS + ["--drain", LONG, "--grace", "30",
                                        "--"]
            + h.python_child(APP, h.free_port()))
        pid, master = pty.fork()
        if pid == 0:
            try:
                os.execvpe(argv[0], argv, h.base_env())
            finally:
                os._exit(127)
        out = b""
        try:
            deadline = time.monotonic() + h.scaled(10)
            status = None
            sent = False
            while time.monotonic() < deadline:
                # "ready" alone on a line: the log's argv quotes it too
                if not sent and re.search(rb"(^|\n)ready\r?\n", out):
                    os.kill(pid, signal.SIGINT)
                    sent = True
                if sent:
                    wpid, status = os.waitpid(pid, os.WNOHANG)
                    if wpid == pid:
                        break
                if select.select([master], [], [], 0.05)[0]:
                    try:
                        out += os.read(master, 4096)
                    except OSError:
                        pass
            else:
                self.fail("pidone did not end at once after SIGINT on a "
                          "terminal (sent: %s): %r" % (sent, out))
            out += h.pty_rest(master)
            self.assertTrue(os.WIFEXITED(status), status)
            self.assertEqual(os.WEXITSTATUS(status), 100 + signal.SIGINT,
                             "%r" % out)
            self.assertIn(b"got %d " % signal.SIGINT, out)
        finally:
            h.pty_end(pid, master)

    # -- without a drain, and its settings ------------------------------------

    def test_no_drain_forwards_at_once(self):
        hp = h.free_port()
        p, ap = self.start_app(["--grace", "30"], hp)
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)
        rec = p.records(r"^received SIGTERM: shutting down$")
        self.assertTrue(rec, p.describe())
        self.assertNotIn("drain_ms", rec[0])
        self.assertEqual(p.records(r"drain"), [], p.describe())

    def test_bad_values_are_config_errors_naming_the_setting(self):
        d = self.tmpdir()
        ini = os.path.join(d, "pidone.ini")
        with open(ini, "w") as f:
            f.write("[process]\ndrain = forever\n")
        cases = [
            (["--drain", "soon"], {}, ["--drain", "soon"]),
            (["--drain", "3601"], {}, ["--drain", "3601"]),
            ([], {"PIDONE_DRAIN": "-1"}, ["PIDONE_DRAIN", "-1"]),
            (["--config", ini], {}, ["%s:2" % ini, "drain", "forever"]),
        ]
        for opts, env, names in cases:
            with self.subTest(opts=opts, env=env):
                p = self.run_pidone(h.python_child("print('ran')"), opts,
                                    env=env, mode="subreaper", timeout=10)
                self.assertExit(p, 78)
                self.assertEqual(p.stdout(), "", "the child ran")
                text = " ".join(h.flatten(r) for r in p.logs()
                                if r.get("level") == "error")
                for n in names:
                    self.assertIn(n, text, p.describe())

    def test_check_prints_drain_and_grace(self):
        p = self.run_pidone(["true"], ["check", "--health-port", "0",
                                       "--drain", "5", "--grace", "10"],
                            defaults=False, mode="subreaper")
        self.assertExit(p, 0)
        stop = [l for l in p.stdout_lines() if l.startswith("stop ")]
        self.assertEqual(len(stop), 1, p.describe())
        self.assertIn("drain 5 s + grace 10 s = 15 s", stop[0])
        for name in ("docker stop -t", "stop_grace_period",
                     "terminationGracePeriodSeconds"):
            self.assertIn(name, stop[0])
        self.assertIn("must be longer", stop[0])
        table = [l.split() for l in p.stdout_lines()
                 if l.startswith("drain ")]
        self.assertEqual(table, [["drain", "5", "--drain"]], p.describe())


if __name__ == "__main__":
    h.main()
