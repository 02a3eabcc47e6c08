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

    def run_on_tty(self, extra_opts=()):
        argv = h.clean_signals_argv(
            [h.UNSHARE, "--pid", "--fork", "--mount-proc", "--kill-child",
             h.BIN] + h.DEFAULT_OPTS + list(extra_opts)
            + ["--", sys.executable, "-c", CHILD])
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
            out = read_until(master, b"fg=", 10)
            out += read_until(master, b"\n", 5)
            line = [x for x in out.decode(errors="replace").splitlines()
                    if x.startswith("pgid=")][0]
            pgid, fg = (int(x.split("=")[1]) for x in line.split())
            self.assertEqual(pgid, fg, "the child's group is not the "
                             "terminal's foreground group: %s" % line)
            os.write(master, b"\x03")          # Ctrl-C, as typed
            deadline = time.monotonic() + h.scaled(10)
            status = None
            while time.monotonic() < deadline:
                wpid, status = os.waitpid(pid, os.WNOHANG)
                if wpid == pid:
                    break
                # drain the pty so nothing blocks on a full buffer
                if select.select([master], [], [], 0.05)[0]:
                    try:
                        os.read(master, 4096)
                    except OSError:
                        pass
            else:
                self.fail("pidone did not exit after Ctrl-C")
            self.assertTrue(os.WIFEXITED(status))
            self.assertEqual(os.WEXITSTATUS(status), 128 + signal.SIGINT,
                             "the app did not die of the terminal's SIGINT")
        finally:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            os.close(master)


if __name__ == "__main__":
    h.main()
