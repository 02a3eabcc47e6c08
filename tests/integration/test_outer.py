# SPDX-License-Identifier: MIT
"""pidone under an outer supervisor (README: Podman and systemd, Socket
activation): the sd_notify messages pidone itself sends to the
$NOTIFY_SOCKET it was started with (READY=1 once readiness holds,
STOPPING=1, STATUS=, WATCHDOG=1 while $WATCHDOG_USEC asks for it, and no
timer otherwise), the child's environment without the outer socket, and
socket activation ($LISTEN_FDS/$LISTEN_PID) passed on to the child and
to a restarted one.

The test binds the outer socket itself (a path, or an abstract name) and
records every datagram with its sender's pid (SO_PASSCRED).
"""

import json
import os
import signal
import socket
import stat
import struct
import sys
import threading

import pidone_harness as h

# The child: prints its environment as one JSON line ("env {...}"), then
# runs each step given on its command line, in order:
#   @PATH        wait until the test creates PATH (a gate)
#   notify:MSG   send MSG (\n escapes) to $NOTIFY_SOCKET (pidone's own)
#   listen:PORT  listen on 127.0.0.1:PORT
#   exit:N       exit with status N
# and then waits to be stopped.
CHILD = r"""
import json, os, socket, sys, time
print("env " + json.dumps(dict(os.environ)), flush=True)
keep = []
for step in sys.argv[1:]:
    if step.startswith("@"):
        while not os.path.exists(step[1:]):
            time.sleep(0.02)
    elif step.startswith("notify:"):
        name = os.environ["NOTIFY_SOCKET"]
        addr = "\0" + name[1:] if name.startswith("@") else name
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(step[7:].replace("\\n", "\n").encode(), addr)
        print("sent " + step[7:], flush=True)
    elif step.startswith("listen:"):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(step[7:])))
        s.listen()
        keep.append(s)
        print("listening", flush=True)
    elif step.startswith("exit:"):
        sys.exit(int(step[5:]))
time.sleep(120)
"""

# The socket-activated app: takes fd 3 as sd_listen_fds() would (only
# when LISTEN_PID is its own pid), answers one connection with its pid,
# LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, then exits with status 3 (so
# --restart on-failure starts it again).
ACTIVATED = r"""
import os, socket, sys
pid = os.getpid()
ours = os.environ.get("LISTEN_PID") == str(pid)
print("activated %d %s" % (pid, ours), flush=True)
if not ours:
    sys.exit(4)
s = socket.socket(fileno=3)
c, _ = s.accept()
c.sendall(("%d %s %s %s\n" % (pid, os.environ["LISTEN_PID"],
                              os.environ["LISTEN_FDS"],
                              os.environ.get("LISTEN_FDNAMES"))).encode())
c.close()
sys.exit(3)
"""

# A launcher run as the "binary": puts the listener it is given (fd
# number in $OUTER_TEST_FD) at fd 3, sets LISTEN_FDS=1 (or
# $OUTER_TEST_FDS), LISTEN_PID (its
# own pid, which pidone keeps across the exec, unless $OUTER_TEST_PID
# names another), LISTEN_FDNAMES=web, then execs pidone with its argv.
LAUNCHER = r"""
import os, sys
fd = int(os.environ.pop("OUTER_TEST_FD"))
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = os.environ.pop("OUTER_TEST_FDS", "1")
os.environ["LISTEN_PID"] = os.environ.pop("OUTER_TEST_PID", str(os.getpid()))
os.environ["LISTEN_FDNAMES"] = "web"
os.execv(os.environ["PIDONE_BIN"], [os.environ["PIDONE_BIN"]] + sys.argv[1:])
"""

# Prints LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, whether fd 3 is open and
# its own pid.
SHOW_LISTEN = r"""
import os
print(os.environ.get("LISTEN_PID"), os.environ.get("LISTEN_FDS"),
      os.environ.get("LISTEN_FDNAMES"), os.path.exists("/proc/self/fd/3"),
      os.getpid())
"""

# Pings WATCHDOG=1 on $NOTIFY_SOCKET every 20 ms, except between the
# creation of the path in argv[1] and that of argv[2].
PINGER = r"""
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = "\0" + os.environ["NOTIFY_SOCKET"][1:]
while True:
    if not os.path.exists(sys.argv[1]) or os.path.exists(sys.argv[2]):
        s.sendto(b"WATCHDOG=1", addr)
    time.sleep(0.02)
"""

UCRED = struct.Struct("iII")


class OuterSocket:
    """The outer supervisor's end: a unix datagram socket bound at
    @address (a path, or "@name"), every datagram kept as (sender pid,
    text), collected on a thread."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if address.startswith("@"):
            self.sock.bind("\0" + address[1:])
        else:
            self.sock.bind(address)
        self.messages = []
        self.cond = threading.Condition()
        self.closing = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.closing:
            try:
                data, anc, _, _ = self.sock.recvmsg(
                    4096, socket.CMSG_SPACE(UCRED.size))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, blob in anc:
                if (level == socket.SOL_SOCKET
                        and kind == socket.SCM_CREDENTIALS):
                    pid = UCRED.unpack(blob[:UCRED.size])[0]
            with self.cond:
                self.messages.append((pid, data.decode("utf-8",
                                                       "replace")))
                self.cond.notify_all()

    def close(self):
        self.closing = True
        self.thread.join(timeout=2)
        self.sock.close()

    def snapshot(self):
        with self.cond:
            return list(self.messages)

    def lines(self):
        """Every assignment received, in order."""
        return [line for _, text in self.snapshot()
                for line in text.split("\n") if line]

    def count(self, line):
        return self.lines().count(line)

    def statuses(self):
        return [line[7:] for line in self.lines()
                if line.startswith("STATUS=")]

    def wait_line(self, pred, timeout=h.START_TIMEOUT, what="a datagram",
                  count=1):
        """Wait until @count assignments satisfy @pred; returns them."""
        def found():
            hits = [line for line in self.lines() if pred(line)]
            return hits if len(hits) >= count else None
        try:
            return h.wait_for(found, timeout, what=what)
        except AssertionError as e:
            raise AssertionError("%s; received: %r" % (e, self.lines()))


class Outer(h.TestCase):

    def outer(self, address=None):
        if address is None:
            address = os.path.join(self.tmpdir(), "notify.sock")
        s = OuterSocket(address)
        self.addCleanup(s.close)
        return s

    def start_under(self, outer, steps=(), opts=(), env=None, **kwargs):
        environ = {"NOTIFY_SOCKET": outer.address}
        environ.update(env or {})
        p = self.start(h.python_child(CHILD, *steps), opts, env=environ,
                       **kwargs)
        return p

    def child_env(self, p):
        m = p.wait_stdout(r"^env (.*)$")
        return json.loads(m.group(1))

    def gate(self):
        """A path the child waits for: the test creates it when it wants."""
        return os.path.join(self.tmpdir(), "gate")

    def assert_from_pidone(self, outer, p):
        senders = {pid for pid, _ in outer.snapshot()}
        self.assertEqual(senders, {p.pid},
                         "datagrams not all from pidone %d: %r"
                         % (p.pid, outer.snapshot()))

    def stop(self, p, outer):
        """SIGTERM: STOPPING=1 arrives, pidone exits with 143."""
        # after the exec: a signal between fork and exec is lost under
        # valgrind (PIDONE_WRAP), which does not carry it across execve
        p.wait_log("^child started$")
        p.kill(signal.SIGTERM)
        outer.wait_line(lambda l: l == "STOPPING=1", what="STOPPING=1")
        p.wait()
        self.assertExit(p, 128 + signal.SIGTERM)

    # -- READY=1 ------------------------------------------------------------

    def test_ready_only_once_readiness_holds(self):
        # --ready-notify: the app tells pidone (on pidone's own socket);
        # pidone tells the outer supervisor, once /readyz is 200.
        outer = self.outer()
        gate = self.gate()
        port = h.free_port()
        p = self.start_under(outer, ["@" + gate, "notify:READY=1"],
                             h.health_opts(port, "--ready-notify"))
        env = self.child_env(p)
        self.assertTrue(env.get("NOTIFY_SOCKET", "").startswith(
            "@pidone-notify-"), "the child must get pidone's own socket, "
            "not the outer one: %r" % env.get("NOTIFY_SOCKET"))
        outer.wait_line(lambda l: l.startswith("STATUS=not ready"),
                        what="a not-ready STATUS")
        self.assertEqual(h.http_get(port, "/readyz").status, 503)
        self.assertEqual(outer.count("READY=1"), 0,
                         "READY=1 before readiness held: %r"
                         % outer.lines())
        open(gate, "w").close()
        outer.wait_line(lambda l: l == "READY=1", what="READY=1")
        self.assertEqual(h.http_get(port, "/readyz").status, 200)
        self.assertIn("ready", outer.statuses())
        self.stop(p, outer)
        self.assertEqual(outer.count("READY=1"), 1, outer.lines())
        self.assertEqual(outer.count("STOPPING=1"), 1, outer.lines())
        lines = outer.lines()
        self.assertLess(lines.index("READY=1"), lines.index("STOPPING=1"))
        self.assertIn("stopping", outer.statuses())
        self.assertEqual(outer.statuses()[-1],
                         "child killed by signal 15 (TERM)")
        self.assert_from_pidone(outer, p)

    def test_stopping_before_the_drain(self):
        # STOPPING=1 goes out when the stop arrives, not when the drain
        # ends and the signal is forwarded.
        outer = self.outer()
        p = self.start_under(outer, opts=["--drain", "60"])
        outer.wait_line(lambda l: l == "READY=1", what="READY=1")
        p.wait_log("^child started$")
        p.kill(signal.SIGTERM)
        outer.wait_line(lambda l: l == "STOPPING=1", what="STOPPING=1")
        self.assertTrue(p.records("^received SIGTERM: shutting down"),
                        p.describe())
        self.assertFalse(p.records("^drain over"), "the signal was "
                         "forwarded before STOPPING=1" + p.describe())
        self.assertFalse(p.records("^child exited$"), p.describe())
        # A second stop ends the drain at once.
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 128 + signal.SIGTERM)
        self.assertEqual(outer.count("STOPPING=1"), 1, outer.lines())

    def test_ready_with_health_port_off(self):
        # No health server, no checks: ready once the child runs.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                outer = self.outer()
                p = self.start_under(outer, mode=mode)
                outer.wait_line(lambda l: l == "READY=1", what="READY=1")
                self.assertNotIn("NOTIFY_SOCKET", self.child_env(p))
                self.stop(p, outer)
                self.assertEqual(outer.count("READY=1"), 1)
                self.assert_from_pidone(outer, p)

    def test_ready_tcp_without_any_probe(self):
        # Nobody asks /readyz (or there is no health port): pidone tries
        # the port itself until the app listens, then sends READY=1.
        for port in (h.free_port(), 0):
            with self.subTest(health_port=port):
                outer = self.outer()
                gate = self.gate()
                app = h.free_port()
                p = self.start_under(outer, ["@" + gate, "listen:%d" % app],
                                     h.health_opts(port, "--ready-tcp", app))
                outer.wait_line(lambda l: l.startswith("STATUS=not ready"),
                                what="a not-ready STATUS")
                self.assertEqual(outer.count("READY=1"), 0, outer.lines())
                open(gate, "w").close()
                p.wait_stdout("^listening$")
                outer.wait_line(lambda l: l == "READY=1", what="READY=1")
                self.stop(p, outer)

    def test_ready_delay_without_any_probe(self):
        for port in (h.free_port(), 0):
            with self.subTest(health_port=port):
                outer = self.outer()
                p = self.start_under(outer, (), h.health_opts(
                    port, "--ready-delay", "1"))
                outer.wait_line(lambda l: l == "READY=1", what="READY=1")
                # "starting" while the exec is not yet confirmed
                statuses = [t for t in outer.statuses() if t != "starting"]
                self.assertTrue(statuses[0].startswith("not ready: running"),
                                statuses)
                self.assertEqual(statuses[1], "ready", statuses)
                lines = outer.lines()
                self.assertLess(lines.index("STATUS=" + statuses[0]),
                                lines.index("READY=1"), lines)
                self.stop(p, outer)

    def test_ready_notify_with_health_port_off(self):
        # The readiness sources work without the server: the app gets
        # pidone's own socket, and its READY=1 is what pidone waits for.
        outer = self.outer()
        gate = self.gate()
        p = self.start_under(outer, ["@" + gate, "notify:READY=1"],
                             ["--ready-notify"])
        self.assertTrue(self.child_env(p).get("NOTIFY_SOCKET", "")
                        .startswith("@pidone-notify-"), p.describe())
        outer.wait_line(lambda l: l.startswith("STATUS=not ready"),
                        what="a not-ready STATUS")
        self.assertEqual(outer.count("READY=1"), 0, outer.lines())
        open(gate, "w").close()
        p.wait_stdout("^sent READY=1$")
        outer.wait_line(lambda l: l == "READY=1", what="READY=1")
        self.stop(p, outer)
        self.assertEqual(outer.count("READY=1"), 1, outer.lines())
        self.assertFalse(p.records("no effect"), p.describe())

    def test_health_options_without_server_or_outer_socket(self):
        # Nobody to tell: the readiness options do nothing, and say so.
        p = self.start(h.python_child(CHILD), ["--ready-notify"])
        self.assertNotIn("NOTIFY_SOCKET", self.child_env(p))
        p.wait_log("no effect with --health-port 0 and no NOTIFY_SOCKET$")
        p.kill(signal.SIGTERM)
        p.wait()

    def test_root_only_socket_reached_after_the_drop(self):
        # The socket is root's, mode 0600: pidone connects before it
        # drops to 65532, so its messages still get through.
        outer = self.outer()
        os.chmod(outer.address, stat.S_IRUSR | stat.S_IWUSR)
        # (the test's python may sit where 65532 cannot reach it)
        p = self.start(["sleep", "120"], ["--health-port", "0"],
                       defaults=False, env={"NOTIFY_SOCKET": outer.address})
        outer.wait_line(lambda l: l == "READY=1", what="READY=1")
        self.stop(p, outer)
        self.assertFalse(p.records("cannot notify"), p.describe())

    def test_abstract_socket(self):
        outer = self.outer("@pidone-it-outer-%d" % os.getpid())
        p = self.start_under(outer)
        outer.wait_line(lambda l: l == "READY=1", what="READY=1")
        self.assertNotIn("NOTIFY_SOCKET", self.child_env(p))
        self.stop(p, outer)

    def test_restart_status_and_one_ready(self):
        # Ready in both runs, told READY=1 once; STATUS= says each step.
        outer = self.outer()
        p = self.start_under(outer, ["exit:3"],
                             ["--restart", "on-failure",
                              "--restart-max", "1"])
        p.wait()
        self.assertExit(p, 3)
        self.assertIn("restarting: child exited with status 3",
                      outer.statuses())
        self.assertEqual(outer.statuses()[-1], "child exited with status 3")
        self.assertEqual(outer.statuses().count("ready"), 2,
                         outer.statuses())
        self.assertEqual(outer.count("READY=1"), 1, outer.lines())
        self.assertEqual(outer.count("STOPPING=1"), 1, outer.lines())

    def test_reload_status_says_reloading(self):
        # A reload's end is no restart: STATUS= says so.
        outer = self.outer()
        p = self.start_under(outer, [], ["--reload-signal", "HUP"])
        p.wait_log("^child started$")
        p.kill(signal.SIGHUP)
        h.wait_for(lambda: len(p.records(r"^child started$")) == 2,
                   h.START_TIMEOUT, what=lambda: "the new child"
                   + p.describe())
        outer.wait_line(lambda l: l.startswith("STATUS=reloading"),
                        what="STATUS=reloading")
        self.assertIn("reloading: child killed by signal 15 (TERM)",
                      outer.statuses())
        self.assertFalse([t for t in outer.statuses()
                          if t.startswith("restarting")], outer.statuses())
        self.stop(p, outer)

    def test_no_ready_for_a_command_that_never_ran(self):
        # Forked is not started: an exec that fails (no such command)
        # must not tell the outer supervisor READY=1, port on or off.
        for opts in ([], h.health_opts(h.free_port())):
            with self.subTest(opts=opts):
                outer = self.outer()
                p = self.start(["/nonexistent-pidone-it/app"], opts,
                               env={"NOTIFY_SOCKET": outer.address})
                p.wait()
                self.assertExit(p, 127)
                outer.wait_line(lambda l: l.startswith("STATUS=child exited"),
                                what="the last STATUS")
                self.assertEqual(outer.count("READY=1"), 0, outer.lines())
                self.assertNotIn("ready", outer.statuses())
                self.assertEqual(outer.count("STOPPING=1"), 1,
                                 outer.lines())

    def test_unreachable_socket_is_logged_once(self):
        missing = os.path.join(self.tmpdir(), "nobody-listens")
        p = self.start(h.python_child(CHILD, "exit:5"),
                       ["--restart", "on-failure", "--restart-max", "1"],
                       env={"NOTIFY_SOCKET": missing})
        p.wait()
        self.assertExit(p, 5)
        self.assertEqual(len(p.records("cannot notify")), 1, p.describe())
        self.assertIn(missing, p.log_text())

    def test_ready_and_stopping_reach_a_supervisor_that_binds_late(self):
        # READY=1 is said once: a send that fails (nobody bound yet) is
        # tried again until it goes through, on a timer (1 s, 2 s, ...)
        # since an idle pidone has nothing else to wake it.
        address = os.path.join(self.tmpdir(), "notify.sock")
        p = self.start(h.python_child(CHILD), ["--health-port", "0"],
                       env={"NOTIFY_SOCKET": address})
        p.wait_stdout("^env ")
        p.wait_log("^cannot notify the outer supervisor")
        outer = self.outer(address)
        outer.wait_line(lambda l: l == "READY=1", what="READY=1 late",
                        timeout=h.scaled(10))
        self.assertIn("ready", outer.statuses())
        self.stop(p, outer)
        self.assertEqual(outer.count("READY=1"), 1, outer.lines())
        self.assertEqual(outer.count("STOPPING=1"), 1, outer.lines())
        self.assertEqual(len(p.records("^cannot notify")), 1, p.describe())
        self.assert_from_pidone(outer, p)

    # -- WATCHDOG=1 -----------------------------------------------------------

    def test_watchdog_pings(self):
        outer = self.outer()
        p = self.start_under(outer, (), env={"WATCHDOG_USEC": "200000"})
        outer.wait_line(lambda l: l == "WATCHDOG=1", what="3 WATCHDOG=1",
                        count=3)
        env = self.child_env(p)
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            self.assertNotIn(name, env)
        self.stop(p, outer)
        self.assert_from_pidone(outer, p)

    def test_watchdog_follows_the_app_with_health_port_off(self):
        # --watchdog without the server: WATCHDOG=1 goes out while the app
        # pings, none while it is silent, and again once it pings again.
        silent = "STATUS=not ready: no WATCHDOG=1"
        outer = self.outer()
        quiet, again = self.gate(), self.gate()
        p = self.start(h.python_child(PINGER, quiet, again),
                       ["--watchdog", "1"],
                       env={"NOTIFY_SOCKET": outer.address,
                            "WATCHDOG_USEC": "20000"})
        outer.wait_line(lambda l: l == "WATCHDOG=1", what="3 WATCHDOG=1",
                        count=3)
        # (a slow start may have seen one silence already)
        downs = len([l for l in outer.lines() if l.startswith(silent)])
        open(quiet, "w").close()
        outer.wait_line(lambda l: l.startswith(silent), count=downs + 1,
                        what="a watchdog STATUS")
        ups = outer.count("STATUS=ready")
        open(again, "w").close()
        outer.wait_line(lambda l: l == "STATUS=ready", count=ups + 1,
                        what="ready again")
        outer.wait_line(lambda l: l == "WATCHDOG=1", what="a WATCHDOG=1 "
                        "after the app pinged again",
                        count=outer.count("WATCHDOG=1") + 1)
        lines = outer.lines()
        down = [i for i, l in enumerate(lines) if l.startswith(silent)][downs]
        up = lines.index("STATUS=ready", down)
        # (the app's first ping again may come with a tick, sent just
        # before pidone looks at readiness)
        self.assertNotIn("WATCHDOG=1", lines[down:up - 1], lines)
        self.assertIn("WATCHDOG=1", lines[up:], lines)
        self.stop(p, outer)

    def test_watchdog_pings_for_pidone_by_pid(self):
        # WATCHDOG_PID naming pidone: in subreaper mode its pid is known
        # before the exec, through a launcher that execs pidone.
        outer = self.outer()
        launcher = h.python_child(
            "import os, sys; os.environ['WATCHDOG_PID'] = str(os.getpid());"
            " os.execv(sys.argv[1], sys.argv[1:])")
        p = self.start_under(outer, (), env={"WATCHDOG_USEC": "200000"},
                             mode="subreaper", prefix=launcher)
        outer.wait_line(lambda l: l == "WATCHDOG=1", what="3 WATCHDOG=1",
                        count=3)
        self.assertNotIn("WATCHDOG_PID", self.child_env(p))
        self.stop(p, outer)

    def test_no_watchdog_no_timer(self):
        # Without WATCHDOG_USEC for pidone, a ready pidone sleeps with no
        # timer at all; WATCHDOG_USEC for another pid is left to the child.
        # Passed on as it was: the pid too (the child once wrote its own
        # pid over the inherited value, past its end into the next one).
        cases = [({}, None, None),
                 ({"WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1",
                   "APP_MODE": "production"}, "200000", "1")]
        for env, child_usec, child_pid in cases:
            with self.subTest(env=env):
                outer = self.outer()
                p = self.start_under(outer, (), env=env, mode="subreaper")
                outer.wait_line(lambda l: l == "READY=1", what="READY=1")
                h.wait_idle(p.pid)
                self.assertEqual(outer.count("WATCHDOG=1"), 0,
                                 outer.lines())
                got = self.child_env(p)
                self.assertEqual(got.get("WATCHDOG_USEC"), child_usec)
                self.assertEqual(got.get("WATCHDOG_PID"), child_pid)
                self.assertEqual(got.get("APP_MODE"), env.get("APP_MODE"))
                self.stop(p, outer)

    def test_no_notify_socket_no_messages(self):
        # Without NOTIFY_SOCKET a bound socket of the test hears nothing,
        # even when its name is passed in a variable of another name.
        outer = self.outer()
        p = self.start(h.python_child(CHILD),
                       env={"NOTIFY_SOCKETX": outer.address})
        self.assertEqual(self.child_env(p).get("NOTIFY_SOCKETX"),
                         outer.address)
        h.wait_idle(p.pid)
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertEqual(outer.lines(), [])

    # -- socket activation ----------------------------------------------------

    def activation(self, mode, restarts, pid_env=None, child=ACTIVATED,
                   fds=None):
        """Run ACTIVATED under pidone started through LAUNCHER with a
        real listener as fd 3; returns (pidone, listener port)."""
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        fd = listener.fileno()
        os.set_inheritable(fd, True)
        launcher = os.path.join(self.tmpdir(), "launcher")
        with open(launcher, "w") as f:
            f.write("#!%s -I\n%s" % (sys.executable, LAUNCHER))
        os.chmod(launcher, 0o755)
        env = {"OUTER_TEST_FD": str(fd), "PIDONE_BIN": h.BIN}
        if pid_env:
            env["OUTER_TEST_PID"] = pid_env
        if fds:
            env["OUTER_TEST_FDS"] = fds
        opts = []
        if restarts:
            opts += ["--restart", "on-failure", "--restart-max",
                     str(restarts)]
        p = self.start(h.python_child(child), opts, mode=mode, env=env,
                       binary=launcher, pass_fds=(fd,))
        return p, listener.getsockname()[1]

    def ask(self, port):
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=h.scaled(10)) as c:
            c.settimeout(h.scaled(10))
            data = b""
            while not data.endswith(b"\n"):
                chunk = c.recv(256)
                if not chunk:
                    break
                data += chunk
        return data.decode().split()

    def test_socket_activation_reaches_every_child(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, port = self.activation(mode, restarts=1)
                first = self.ask(port)
                second = self.ask(port)
                for answer in (first, second):
                    pid, listen_pid, fds, names = answer
                    self.assertEqual(pid, listen_pid,
                                     "LISTEN_PID is not the child's own"
                                     + p.describe())
                    self.assertEqual((fds, names), ("1", "web"))
                self.assertNotEqual(first[0], second[0],
                                    "the second answer must come from the "
                                    "restarted child")
                p.wait()
                self.assertExit(p, 3)

    def test_socket_activation_names_a_closed_fd(self):
        # LISTEN_FDS=2 but only fd 3 is open: pidone says so, and the
        # child still gets fd 3 and its own LISTEN_PID.
        p, port = self.activation("pid1", restarts=0, fds="2",
                                  child=SHOW_LISTEN)
        p.wait()
        self.assertExit(p, 0)
        listen_pid, fds, names, fd3, pid = p.stdout().split()
        self.assertEqual((listen_pid, fds, names, fd3), (pid, "2", "web",
                                                          "True"),
                         p.describe())
        rec = p.wait_log("LISTEN_FDS names an fd that was not open")
        self.assertEqual(rec.get("fd"), 4, rec)

    def test_socket_activation_for_another_pid_left_alone(self):
        # LISTEN_PID names another process: pidone changes none of the
        # three variables, and the inherited fd passes through as any
        # inherited fd does.
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p, _ = self.activation(mode, restarts=0, pid_env="12345",
                                       child=SHOW_LISTEN)
                p.wait()
                self.assertExit(p, 0)
                self.assertEqual(p.stdout().split()[:4],
                                 ["12345", "1", "web", "True"],
                                 p.describe())


if __name__ == "__main__":
    h.main()
