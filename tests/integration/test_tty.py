# SPDX-License-Identifier: MIT
"""Ctrl-C on a terminal reaches the app (README, What pidone does, step 5).

Under `docker run -it` pidone's stdin is a terminal. pidone must make the
child's process group the terminal's foreground group, so that the
terminal driver itself sends SIGINT to the app when the user types Ctrl-C.
The test gives pidone a real pseudo-terminal as its controlling terminal,
lets the child report the foreground group it sees, types the Ctrl-C byte
into the terminal, and expects the child to die of SIGINT (exit 130).
"""

import os
import pty
import select
import signal
import sys
import time

import pidone_harness as h

# SIGINT at SIG_DFL before the child says it is ready: the kernel ends it
# the moment the terminal sends SIGINT. (With Python's own handler, a ^C
# that lands just before time.sleep() starts is acted on only when the
# sleep ends.)
CHILD = r"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
print("pgid=%d fg=%d" % (os.getpgrp(), os.tcgetpgrp(0)), flush=True)
while True:
    time.sleep(30)
"""


def read_until(fd, needle, timeout):
    """Read the pty master until @needle shows up; bounded."""
    out = b""
    deadline = time.monotonic() + h.scaled(timeout)
    while needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for %r, got %r"
                                 % (needle, out))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


class Terminal(h.TestCase):

    def run_on_tty(self, extra_opts=(), child=CHILD, pid1=True):
        # Not PID 1: pidone leads the pty's session, as PID 1 does in
        # docker run -it (under unshare its group is outside its
        # namespace, where it cannot give the terminal to it).
        pre = ([h.UNSHARE, "--pid", "--fork", "--mount-proc",
                "--kill-child"] if pid1 else [])
        argv = h.clean_signals_argv(
            pre + [h.BIN] + h.DEFAULT_OPTS + list(extra_opts)
            + ["--", sys.executable, "-c", child])
        pid, master = pty.fork()
        if pid == 0:
            # The pty is our controlling terminal; pidone inherits it.
            try:
                os.execvpe(argv[0], argv, h.base_env())
            finally:
                os._exit(127)
        return pid, master

    def test_ctrl_c_reaches_the_child_through_the_terminal(self):
        pid, master = self.run_on_tty()
        try:
            out = read_until(master, b"\npgid=", 10)
            if b"\n" not in out.split(b"\npgid=", 1)[1]:
                out += read_until(master, b"\n", 5)
            line = [x for x in out.decode(errors="replace").splitlines()
                    if x.startswith("pgid=")][0]
            pgid, fg = (int(x.split("=")[1]) for x in line.split())
            self.assertEqual(pgid, fg, "the child's group is not the "
                             "terminal's foreground group: %s" % line)
            os.write(master, b"\x03")          # Ctrl-C, as typed
            status, out = self.wait_exit(pid, master, 10)
            self.assertIsNotNone(status, "pidone did not exit after Ctrl-C")
            self.assertTrue(os.WIFEXITED(status))
            self.assertEqual(os.WEXITSTATUS(status), 128 + signal.SIGINT,
                             "the app did not die of the terminal's SIGINT")
        finally:
            h.pty_end(pid, master)

    def wait_exit(self, pid, master, timeout, drain=True):
        """pidone's exit status, reading the pty meanwhile if @drain."""
        deadline = time.monotonic() + h.scaled(timeout)
        out = b""
        while time.monotonic() < deadline:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                return status, out + (h.pty_rest(master) if drain else b"")
            if drain and select.select([master], [], [], 0.05)[0]:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    pass
            elif not drain:
                time.sleep(0.05)
        return None, out

    def test_ctrl_c_with_restart_is_a_stop(self):
        # The terminal's SIGINT reaches the child's group alone: with
        # --restart always pidone must still take it as a person's stop.
        pid, master = self.run_on_tty(["--restart", "always",
                                       "--log-format", "text"])
        try:
            # the child's own line, at a line's start: the "child
            # started" record's argv holds "fg=" too
            read_until(master, b"\npgid=", 10)
            os.write(master, b"\x03")
            status, out = self.wait_exit(pid, master, 10)
            self.assertIsNotNone(status, "pidone restarted the app after "
                                 "Ctrl-C: %r" % out)
            self.assertEqual(os.waitstatus_to_exitcode(status),
                             128 + signal.SIGINT, out)
            self.assertIn(b"the child ended on SIGINT from its terminal: "
                          b"shutting down, no restart", out)
            self.assertNotIn(b"restarting", out)
        finally:
            h.pty_end(pid, master)

    def test_ctrl_c_in_a_restart_backoff_reaches_pidone(self):
        # The child ended by itself: pidone takes the terminal back, so
        # that a Ctrl-C in the backoff reaches it, not a dead group.
        pid, master = self.run_on_tty(
            ["--restart", "on-failure", "--log-format", "text"],
            child="import sys; print('pgid', flush=True); sys.exit(3)",
            pid1=False)
        try:
            read_until(master, b"restarting the child", 10)
            os.write(master, b"\x03")
            status, out = self.wait_exit(pid, master, 10)
            self.assertIsNotNone(status, "the Ctrl-C was lost: %r" % out)
            self.assertEqual(os.waitstatus_to_exitcode(status), 3, out)
        finally:
            h.pty_end(pid, master)

    def test_a_paused_terminal_never_stops_pidone(self):
        # Ctrl-S stops the terminal's output: a write to it would wait
        # for Ctrl-Q. pidone's records are dropped instead, and a SIGTERM
        # still ends the app and pidone.
        pid, master = self.run_on_tty()
        try:
            read_until(master, b"\npgid=", 10)
            pidone = h.wait_for(lambda: (h.children_of(pid) or [None])[0],
                                5, what="pidone")
            os.write(master, b"\x13")          # Ctrl-S
            time.sleep(0.2)
            os.kill(pidone, signal.SIGTERM)
            status, _ = self.wait_exit(pid, master, 10, drain=False)
            self.assertIsNotNone(status, "pidone waited for the paused "
                                 "terminal")
            self.assertEqual(os.waitstatus_to_exitcode(status),
                             128 + signal.SIGTERM)
        finally:
            try:
                os.write(master, b"\x11")      # Ctrl-Q
            except OSError:
                pass
            h.pty_end(pid, master)


if __name__ == "__main__":
    h.main()
