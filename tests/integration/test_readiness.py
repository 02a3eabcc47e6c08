# SPDX-License-Identifier: MIT
"""Readiness and liveness at run time (README: Options, Health side port): --ready-delay,
--ready-tcp, --ready-notify and --watchdog with real Python children that
speak sd_notify over $NOTIFY_SOCKET (AF_UNIX datagrams, abstract address),
the drain on SIGTERM, STOPPING=1, restart backoff, and who may notify.
"""

import os
import re
import signal
import socket
import threading
import time

import pidone_harness as h

# Send each argv item as one datagram to $NOTIFY_SOCKET, one per "step"
# given on the command line as DELAY:MESSAGE (\n escapes allowed), then
# wait. DELAY is seconds, or @PATH: wait until the test creates PATH (a
# gate: the test decides when, however slow the machine is). Prints the
# socket name first and "sent MESSAGE" after each send.
NOTIFIER = r"""
import os, socket, sys, time
name = os.environ.get("NOTIFY_SOCKET", "")
print("socket %s" % name, flush=True)
print("watchdog_usec %s" % os.environ.get("WATCHDOG_USEC", ""), flush=True)
print("watchdog_pid %s self %d" % (os.environ.get("WATCHDOG_PID", ""),
                                   os.getpid()), flush=True)
# (listdir's own fd is gone when it returns: keep the fds still open)
fds = [f for f in os.listdir("/proc/self/fd")
       if os.path.exists("/proc/self/fd/" + f)]
print("fds %s" % " ".join(sorted(fds, key=int)), flush=True)
addr = "\0" + name[1:] if name.startswith("@") else name
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for step in sys.argv[1:]:
    delay, _, msg = step.partition(":")
    if delay.startswith("@"):
        while not os.path.exists(delay[1:]):
            time.sleep(0.02)
    else:
        time.sleep(float(delay))
    s.sendto(msg.replace("\\n", "\n").encode(), addr)
    print("sent %s" % msg, flush=True)
time.sleep(120)
"""


def unix_sockets(pid):
    """How many AF_UNIX sockets process @pid holds."""
    inodes = set()
    for link in h.fd_links(pid):
        m = re.match(r"^socket:\[(\d+)\]$", link)
        if m:
            inodes.add(m.group(1))
    with open("/proc/net/unix") as f:
        unix = {line.split()[6] for line in f.readlines()[1:]}
    return len(inodes & unix)


def listen_queue(port):
    """Connections waiting in the accept backlog of the listener on
    @port."""
    return sum(s["rx_queue"] for s in h.tcp_sockets(port,
                                                     state=h.TCP_LISTEN))


def server_connections(port):
    """Established connections accepted on the server side of @port."""
    return len(h.tcp_sockets(port, state=h.TCP_ESTABLISHED))


def readyz(port, verbose=False):
    return h.http_get(port, "/readyz?verbose" if verbose else "/readyz")


def open_gate(path):
    """Let a child waiting for @path go on."""
    with open(path, "w"):
        pass


class Readiness(h.TestCase):

    def start_health(self, child, *opts, **kwargs):
        port = h.free_port()
        p = self.start(child, h.health_opts(port, *opts), defaults=False,
                       **kwargs)
        h.wait_http(port, "/livez")
        return p, port

    def test_ready_delay(self):
        # 3 s: long enough that a slow start still sees the delay running
        p, port = self.start_health(["sleep", "60"], "--ready-delay", "3")
        a = readyz(port)
        self.assertEqual(a.status, 503)
        self.assertRegex(a.json()["reason"], r"^running [0-2]\.\d s of 3 s$")
        self.assertEqual(h.http_get(port, "/livez").status, 200)
        h.wait_http(port, "/readyz", 200, timeout=8)
        self.assertGreater(p.elapsed, 2.9, "ready before the delay")
        self.assertIn("[+]ready-delay ok", readyz(port, True).text())

    def test_ready_tcp(self):
        app_port = h.free_port()
        gate = os.path.join(self.tmpdir(), "listen")
        child = h.python_child("""
            import os, socket, sys, time
            while not os.path.exists(sys.argv[2]):
                time.sleep(0.02)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1])))
            s.listen(64)
            print("listening", flush=True)
            n = 0
            while True:
                c, _ = s.accept()
                n += 1
                print("accepted %d" % n, flush=True)
                c.close()
            """, app_port, gate)
        p, port = self.start_health(child, "--ready-tcp", app_port)
        a = readyz(port)
        self.assertEqual(a.status, 503)
        self.assertEqual(a.json()["reason"],
                         "127.0.0.1:%d: connection refused" % app_port)
        # liveness does not depend on the app's port
        self.assertEqual(h.http_get(port, "/healthz").status, 200)
        open_gate(gate)
        p.wait_stdout("^listening$")
        h.wait_http(port, "/readyz", 200, timeout=5)
        self.assertIn("[+]ready-tcp ok", readyz(port, True).text())

        # a probe storm costs one connect per second, not one per probe
        before = len([l for l in p.stdout_lines() if l.startswith("acc")])
        answers = []

        def storm():
            for _ in range(10):
                answers.append(readyz(port).status)

        threads = [threading.Thread(target=storm) for _ in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(h.scaled(10))
        took = time.monotonic() - t0
        after = len([l for l in p.stdout_lines() if l.startswith("acc")])
        self.assertEqual(answers, [200] * 80)
        self.assertLessEqual(after - before, int(took) + 2,
                             "%d connects for 80 probes in %.2f s"
                             % (after - before, took))

    def test_ready_tcp_timeout_parks_probes(self):
        # a listener whose backlog is full drops SYNs: connect() hangs
        with socket.socket() as app:
            app.bind(("127.0.0.1", 0))
            app.listen(0)
            app_port = app.getsockname()[1]
            fillers = []
            for _ in range(3):
                f = socket.socket()
                f.setblocking(False)
                f.connect_ex(("127.0.0.1", app_port))
                fillers.append(f)
            # the backlog is full once the listener holds a connection
            h.wait_for(lambda: listen_queue(app_port) >= 1, 5,
                       what="the app's backlog to fill")
            try:
                p, port = self.start_health(["sleep", "60"], "--ready-tcp",
                                            "127.0.0.1:%d" % app_port)
                results = []

                def probe():
                    t0 = time.monotonic()
                    a = readyz(port)
                    results.append((a.status, a.json().get("reason"),
                                    time.monotonic() - t0))

                threads = [threading.Thread(target=probe) for _ in range(5)]
                for t in threads:
                    t.start()
                # liveness is not held up meanwhile: answered while the
                # readiness probes are still parked on the connect
                h.wait_for(lambda: server_connections(port) >= 5, 5,
                           what="the /readyz probes to connect")
                self.assertEqual(h.http_get(port, "/livez").status, 200)
                self.assertLess(len(results), 5, "/livez waited for the "
                                "parked probes")
                for t in threads:
                    t.join(h.scaled(5))
            finally:
                for f in fillers:
                    f.close()
        self.assertEqual(len(results), 5)
        for status, reason, took in results:
            self.assertEqual(status, 503)
            self.assertEqual(reason, "127.0.0.1:%d: no answer within 1 s"
                             % app_port)
        self.assertGreater(max(r[2] for r in results), 0.8)

    def test_ready_notify(self):
        gate = os.path.join(self.tmpdir(), "ready")
        child = h.python_child(NOTIFIER, "0:STATUS=warming up",
                               "@%s:READY=1" % gate)
        p, port = self.start_health(child, "--ready-notify")
        m = p.wait_stdout(r"^socket (\S*)$")
        self.assertRegex(m.group(1), r"^@pidone-notify-1-[0-9a-f]{16}$")
        self.assertEqual(p.wait_stdout(r"^fds (.*)$").group(1), "0 1 2")
        self.assertEqual(unix_sockets(p.pid), 1, "the notify socket")
        self.assertEqual(p.wait_stdout(r"^watchdog_usec ?(.*)$").group(1), "")
        p.wait_stdout("^sent STATUS")
        want = "no READY=1 yet (STATUS=warming up)"
        # the datagram may still be on its way
        h.wait_for(lambda: readyz(port).json().get("reason") == want, 5,
                   what="/readyz to say %r" % want)
        self.assertEqual(readyz(port).status, 503)
        open_gate(gate)
        p.wait_stdout("^sent READY=1$")
        h.wait_http(port, "/readyz", 200, timeout=2)
        p.wait_log("child sent READY=1")

    def test_stopping(self):
        gate = os.path.join(self.tmpdir(), "stop")
        child = h.python_child(NOTIFIER, "0:READY=1",
                               "@%s:STOPPING=1" % gate)
        p, port = self.start_health(child, "--ready-notify")
        h.wait_http(port, "/readyz", 200)
        open_gate(gate)
        p.wait_stdout("^sent STOPPING=1$")
        a = h.wait_http(port, "/readyz", 503, timeout=2)
        self.assertEqual(a.json()["reason"], "app sent STOPPING=1")
        self.assertEqual(h.http_get(port, "/livez").status, 200)

    def test_only_the_childs_group_may_notify(self):
        # a grandchild in its own session, then the test itself (outside
        # the PID namespace) send READY=1: both are refused; the child's
        # own READY=1, sent once the test opens the gate, counts.
        gate = os.path.join(self.tmpdir(), "send")
        child = h.python_child("""
            import os, socket, sys, time
            name = os.environ["NOTIFY_SOCKET"]
            print("socket " + name, flush=True)
            addr = "\\0" + name[1:]
            if os.fork() == 0:
                os.setsid()
                socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(
                    b"READY=1", addr)
                print("outsider sent", flush=True)
                time.sleep(60)
            while not os.path.exists(sys.argv[1]):
                time.sleep(0.02)
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(
                b"READY=1", addr)
            print("child sent", flush=True)
            time.sleep(60)
            """, gate)
        p, port = self.start_health(child, "--ready-notify",
                                    "--log-level", "debug")
        name = p.wait_stdout(r"^socket (\S+)$").group(1)
        p.wait_stdout("^outsider sent$")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"READY=1", "\0" + name[1:])

        def dropped():
            return [r for r in p.logs()
                    if r["msg"].startswith("notify: datagram dropped")]
        h.wait_for(lambda: len(dropped()) >= 2, 5,
                   what=lambda: "both datagrams dropped" + p.describe())
        self.assertEqual(readyz(port).status, 503)
        open_gate(gate)
        p.wait_stdout("^child sent$", timeout=5)
        h.wait_http(port, "/readyz", 200, timeout=2)
        self.assertEqual(len(dropped()), 2, p.describe())

    def test_watchdog(self):
        # pings every 0.1 s until the test opens the gate, then none
        gate = os.path.join(self.tmpdir(), "stop")
        again = os.path.join(self.tmpdir(), "again")
        steps = ["0.1:WATCHDOG=1"] * 12 + ["@%s:STATUS=stopped" % gate,
                                           "@%s:WATCHDOG=1" % again]
        child = h.python_child(NOTIFIER, *steps)
        p, port = self.start_health(child, "--watchdog", "1")
        self.assertEqual(p.wait_stdout(r"^watchdog_usec (\d+)$").group(1),
                         "1000000")
        m = p.wait_stdout(r"^watchdog_pid (\d+) self (\d+)$")
        self.assertEqual(m.group(1), m.group(2), "WATCHDOG_PID is the child")
        self.assertRegex(p.wait_stdout(r"^socket (\S*)$").group(1),
                         r"^@pidone-notify-")
        # live all the time it pings (1.2 s, longer than the limit)
        p.wait_stdout("^sent WATCHDOG=1$")
        sent = 1
        while sent < 12:
            self.assertEqual(h.http_get(port, "/livez").status, 200,
                             "after %d pings" % sent)
            p.wait_stdout("^sent WATCHDOG=1$")
            sent = len([x for x in p.stdout_lines()
                        if x == "sent WATCHDOG=1"])
        open_gate(gate)
        # then not, once a second has passed without a ping
        a = h.wait_http(port, "/livez", 503, timeout=4)
        self.assertRegex(a.json()["reason"],
                         r"^no WATCHDOG=1 for \d+\.\d s \(limit 1 s\)$")
        self.assertEqual(readyz(port).status, 503)
        # the silence is logged, once, though it lasts two limits more
        silent = "^child sent no WATCHDOG=1 for 1 s \\(--watchdog\\): " \
            "not live any more$"
        rec = p.wait_log(silent, timeout=4)
        started = p.wait_log("^child started$")
        self.assertEqual((rec["level"], rec["pid"]), ("warn", started["pid"]))
        time.sleep(2.2)
        self.assertEqual(len(p.records(silent)), 1, p.describe())
        self.assertEqual(p.records("again: live$"), [])
        # and a ping after it makes it live again, said at info
        open_gate(again)
        rec = p.wait_log("^child sent WATCHDOG=1 again: live$", timeout=4)
        self.assertEqual(rec["level"], "info")
        self.assertEqual(h.http_get(port, "/livez").status, 200)

    def test_watchdog_silence_in_a_stop_not_logged(self):
        # the app stops pinging as the stop begins; the drain outlasts
        # the limit, and an app that winds down is no news
        gate = os.path.join(self.tmpdir(), "never")
        steps = ["0.1:WATCHDOG=1"] * 3 + ["@%s:STATUS=x" % gate]
        child = h.python_child(NOTIFIER, *steps)
        p, port = self.start_health(child, "--watchdog", "1", "--drain",
                                    "2.5")
        m = p.wait_stdout(r"^watchdog_pid (\d+) self (\d+)$")
        self.assertEqual(m.group(1), m.group(2))
        while len([x for x in p.stdout_lines()
                   if x == "sent WATCHDOG=1"]) < 3:
            p.wait_stdout("^sent WATCHDOG=1$")
        p.kill(signal.SIGTERM)
        p.wait(10)
        self.assertEqual(p.records("WATCHDOG"), [], p.describe())
        # the same silence without the stop is logged
        child = h.python_child(NOTIFIER, *steps)
        p, port = self.start_health(child, "--watchdog", "1")
        p.wait_log("^child sent no WATCHDOG=1 for 1 s", timeout=4)

    def test_watchdog_trigger(self):
        # READY=1 last: its log record shows pidone has read the
        # datagrams before it (one socket, read in order)
        child = h.python_child(NOTIFIER, "0:WATCHDOG=1",
                               "0.5:WATCHDOG=trigger", "0.1:WATCHDOG=1",
                               "0:READY=1")
        p, port = self.start_health(child, "--watchdog", "30")
        p.wait_stdout("^sent WATCHDOG=trigger$")
        a = h.wait_http(port, "/livez", 503, timeout=2)
        self.assertEqual(a.json()["reason"], "app sent WATCHDOG=trigger")
        p.wait_stdout("^sent READY=1$")
        p.wait_log("^child sent READY=1$")
        # a ping after the trigger does not make it live again
        self.assertEqual(h.http_get(port, "/livez").status, 503)

    def test_drain_on_sigterm(self):
        # the child shuts down only once the test opens the gate
        gate = os.path.join(self.tmpdir(), "exit")
        child = h.python_child("""
            import os, signal, sys, time
            def term(*a):
                os.write(1, b"term\\n")
                while not os.path.exists(sys.argv[1]):
                    time.sleep(0.02)
                os._exit(0)
            signal.signal(signal.SIGTERM, term)
            print("ready", flush=True)
            while True:
                time.sleep(0.05)
            """, gate)
        # A grace far longer than any wait below: on a loaded machine the
        # child's handler may take seconds to run (seen under ASan with
        # two suites at once), and the grace must not end the test's story.
        p, port = self.start_health(child, "--log-level", "debug",
                                    "--grace", "120")
        p.wait_stdout("^ready$")
        self.assertEqual(readyz(port).status, 200)
        p.kill(signal.SIGTERM)
        try:
            p.wait_stdout("^term$", timeout=h.EXIT_TIMEOUT * 2)
        except AssertionError as e:
            # what the child's signal state was (a diagnosis for a flake)
            kid = h.children_of(p.pid)
            st = h.proc_status(kid[0]) if kid else {}
            raise AssertionError("%s\n  child %s: state %s SigBlk %s SigPnd "
                                 "%s ShdPnd %s SigCgt %s; pidone state %s"
                                 % (e, kid, st.get("State"),
                                    st.get("SigBlk"), st.get("SigPnd"),
                                    st.get("ShdPnd"), st.get("SigCgt"),
                                    h.proc_status(p.pid).get("State")))
        a = readyz(port)
        self.assertEqual(a.status, 503)
        self.assertEqual(a.json()["reason"], "shutdown in progress")
        # still live until the child is gone
        for _ in range(5):
            self.assertEqual(h.http_get(port, "/livez").status, 200)
            self.assertEqual(readyz(port).status, 503)
        self.assertTrue(p.alive(), p.describe())
        open_gate(gate)
        p.wait(10)
        self.assertExit(p, 0)

    def test_restart_backoff_is_live_not_ready(self):
        child = h.python_child("""
            import time
            time.sleep(0.3)
            raise SystemExit(1)
            """)
        p, port = self.start_health(child, "--restart", "always")

        def in_backoff():
            a = readyz(port, verbose=True)
            return a if "restart pending" in a.text() else None

        a = h.wait_for(in_backoff, 5, interval=0.05, what="backoff")
        self.assertEqual(a.status, 503)
        self.assertIn("[-]child failed: child exited with status 1, "
                      "restart pending", a.text())
        self.assertEqual(h.http_get(port, "/livez").status, 200)

    def test_no_notify_socket_unless_asked(self):
        child = h.python_child(NOTIFIER)
        p, port = self.start_health(child, env={"NOTIFY_SOCKET": "@outer"})
        # the outer socket is pidone's alone (test_outer.py): the child
        # gets none, and pidone holds only its client end of @outer
        self.assertEqual(p.wait_stdout(r"^socket (\S*)$").group(1), "")
        self.assertEqual(unix_sockets(p.pid), 1, "pidone made its own")


if __name__ == "__main__":
    h.main()
