# SPDX-License-Identifier: MIT
"""Every orphan is reaped (README, What pidone does).

The child is a Python checker: it runs the orphans helper, which leaves N
grandchildren re-parented to pidone (PID 1 of the namespace, or pidone as a
child subreaper), then scans /proc for processes whose parent is pidone
(its own parent) and reports how many were alive (re-parented) and how
many zombies are left after a bounded wait. It exits 0 only when all were
reaped, so the exit status and the printed counts both tell the story.
"""

import pidone_harness as h

N = 250

CHECKER = r"""
import os, subprocess, sys, time

orphans, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold"
timeout = float(sys.argv[4])
reaper = os.getppid()
me = os.getpid()

def scan():
    alive = zombies = 0
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(rest[1]) != reaper:
            continue
        if rest[0] == "Z":
            zombies += 1
        else:
            alive += 1
    return alive, zombies

# With "hold", the grandchildren block on the read end of a pipe until
# this process closes the write end: they stay alive under their new
# parent as long as it takes to see them all, however slow the machine.
args = [orphans, str(n)]
pass_fds = ()
if hold:
    rfd, wfd = os.pipe()
    args += ["--hold", str(rfd)]
    pass_fds = (rfd,)
# The grandchildren inherit the stdout pipe: read the one line, do not wait
# for EOF (that would wait for them to exit).
r = subprocess.Popen(args, stdout=subprocess.PIPE, text=True,
                     pass_fds=pass_fds)
if hold:
    os.close(rfd)
print(r.stdout.readline().strip(), flush=True)
if r.wait(timeout=timeout) != 0:
    sys.exit(3)

if hold:
    # While they wait, the grandchildren must belong to pidone.
    best = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and best < n:
        best = max(best, scan()[0])
        time.sleep(0.02)
    print("reparented: %d" % best, flush=True)
    os.close(wfd)

deadline = time.monotonic() + timeout
while True:
    alive, zombies = scan()
    if alive == 0 and zombies == 0:
        break
    if time.monotonic() > deadline:
        break
    time.sleep(0.02)
print("alive: %d" % alive, flush=True)
print("zombies: %d" % zombies, flush=True)
sys.exit(0 if alive == 0 and zombies == 0 else 4)
"""


class Reaping(h.TestCase):

    def check(self, mode, hold):
        # The checker's own bounds: it runs inside pidone, so it cannot
        # stretch them itself.
        p = self.run_pidone(
            h.python_child(CHECKER, h.helper("orphans"), N,
                           "hold" if hold else "at-once",
                           h.scaled(20)),
            mode=mode, timeout=90)
        out = h.parse_keyvals(p.stdout())
        self.assertEqual(out.get("orphans"), str(N), p.describe())
        if hold:
            self.assertEqual(out.get("reparented"), str(N),
                             "orphans re-parented to pidone" + p.describe())
        self.assertEqual(out.get("zombies"), "0", p.describe())
        self.assertEqual(out.get("alive"), "0", p.describe())
        self.assertExit(p, 0)

    def test_pid1_reaps_orphaned_zombies(self):
        self.check("pid1", False)

    def test_pid1_reaps_orphans_that_exit_later(self):
        self.check("pid1", True)

    def test_subreaper_adopts_and_reaps_orphans(self):
        self.check("subreaper", True)

    def test_subreaper_reaps_orphaned_zombies(self):
        self.check("subreaper", False)

    def test_orphans_left_by_exiting_child_do_not_change_status(self):
        # The main child exits 7 right after leaving sleeping orphans:
        # pidone reaps them all and still exits with the child's status.
        p = self.run_pidone([h.helper("orphans"), "20", "--sleep", "300",
                             "--exit", "7"], timeout=20)
        self.assertExit(p, 7)
        self.assertIn("orphans: 20", p.stdout())


# Leaves N orphans that exit at once, so that their SIGCHLDs collapse into
# a few, then stays up for /metrics.
BURST = r"""
import subprocess, sys, time
r = subprocess.run([sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE,
                   text=True, timeout=30)
print(r.stdout.strip(), flush=True)
time.sleep(60)
"""


class ReapCount(h.TestCase):

    def test_every_orphan_counted_once(self):
        # One SIGCHLD may stand for many exited orphans: the reaper must
        # loop until none is left, and count each exactly once.
        port = h.free_port()
        p = self.start(h.python_child(BURST, h.helper("orphans"), N),
                       h.health_opts(port, "--health-addr", "127.0.0.1"))
        p.wait_stdout(r"^orphans: %d$" % N, timeout=30)

        def reaped():
            text = h.http_get(port, "/metrics").text()
            for line in text.splitlines():
                if line.startswith("pidone_zombies_reaped_total "):
                    return int(line.split()[1])
            return None
        try:
            h.wait_for(lambda: reaped() == N, 5, interval=0.05,
                       what="%d orphans reaped" % N)
        except AssertionError:
            self.fail("pidone_zombies_reaped_total %s, expected %d%s"
                      % (reaped(), N, p.describe()))
        # Nothing is left to reap (pidone's only child is the main one),
        # so no later SIGCHLD can move the count: it must still be N.
        child = p.child_pid()
        self.assertEqual(h.children_of(p.pid), [child], p.describe())
        self.assertEqual(reaped(), N, p.describe())
        self.assertTrue(p.alive(), p.describe())


# Forks a grandchild (same process group) that exits at once, leaves it a
# zombie, and exits 5. The kernel re-parents the zombie to pidone and makes
# the child a zombie under one lock, so pidone finds both in one batch.
WITH_ZOMBIE = r"""
import os, time
pid = os.fork()
if pid == 0:
    os._exit(0)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with open("/proc/%d/stat" % pid) as f:
        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
            break
    time.sleep(0.01)
os._exit(5)
"""


class ReapBatch(h.TestCase):

    def test_group_reaped_with_the_child_is_not_sent_sigterm(self):
        # The group is judged after the whole batch is reaped: a member
        # that is already reaped is not "the rest of the group".
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.run_pidone(h.python_child(WITH_ZOMBIE), mode=mode)
                self.assertExit(p, 5)
                msgs = [r["msg"] for r in p.logs()]
                self.assertIn("exiting", msgs, p.describe())
                self.assertNotIn(
                    "terminating the rest of the child's process group",
                    msgs, p.describe())


if __name__ == "__main__":
    h.main()
