# SPDX-License-Identifier: MIT
"""Every orphan is reaped (SPEC section 4).

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

orphans, n, sleep_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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

# The grandchildren inherit the pipe: read the one line, do not wait for
# EOF (that would wait for them to exit).
r = subprocess.Popen([orphans, str(n), "--sleep", str(sleep_ms)],
                     stdout=subprocess.PIPE, text=True)
print(r.stdout.readline().strip(), flush=True)
if r.wait(timeout=30) != 0:
    sys.exit(3)

if sleep_ms:
    # While they sleep, the grandchildren must belong to pidone.
    best = 0
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and best < n:
        best = max(best, scan()[0])
        time.sleep(0.02)
    print("reparented: %d" % best, flush=True)

deadline = time.monotonic() + 5 + sleep_ms / 1000.0
peak = 0
while True:
    alive, zombies = scan()
    peak = max(peak, zombies)
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

    def check(self, mode, sleep_ms):
        p = self.run_pidone(
            h.python_child(CHECKER, h.helper("orphans"), N, sleep_ms),
            mode=mode, timeout=30)
        out = h.parse_keyvals(p.stdout())
        self.assertEqual(out.get("orphans"), str(N), p.describe())
        if sleep_ms:
            self.assertEqual(out.get("reparented"), str(N),
                             "orphans re-parented to pidone" + p.describe())
        self.assertEqual(out.get("zombies"), "0", p.describe())
        self.assertEqual(out.get("alive"), "0", p.describe())
        self.assertExit(p, 0)

    def test_pid1_reaps_orphaned_zombies(self):
        self.check("pid1", 0)

    def test_pid1_reaps_orphans_that_exit_later(self):
        self.check("pid1", 1500)

    def test_subreaper_adopts_and_reaps_orphans(self):
        self.check("subreaper", 1500)

    def test_subreaper_reaps_orphaned_zombies(self):
        self.check("subreaper", 0)

    def test_orphans_left_by_exiting_child_do_not_change_status(self):
        # The main child exits 7 right after leaving sleeping orphans:
        # pidone reaps them all and still exits with the child's status.
        p = self.run_pidone([h.helper("orphans"), "20", "--sleep", "300",
                             "--exit", "7"], timeout=20)
        self.assertExit(p, 7)
        self.assertIn("orphans: 20", p.stdout())


if __name__ == "__main__":
    h.main()
