# SPDX-License-Identifier: MIT
"""OOM kills in the container's cgroup, noticed without polling, and the
container's and the main child's figures in /metrics, read when scraped.

cgroup v1 for real: each test makes a memory cgroup with a small limit
under /sys/fs/cgroup/memory, starts pidone inside it and has a process
allocate until the kernel kills it. cgroup v2 through a tree the test
writes itself (PIDONE_TEST_CGROUP_ROOT, a test-only variable): this
machine mounts memory as v1, and the v2 watch only needs memory.events to
change.
"""

import os
import signal
import time
import uuid

import pidone_harness as h

V1_MEMORY = "/sys/fs/cgroup/memory"
LIMIT = 64 << 20
NO_HEALTH = ["--health-port", "0"]

# Allocate and touch 1 MiB at a time until killed.
HOG = """
import sys
chunks = []
while True:
    chunks.append(bytearray(1 << 20))
"""

# The main child: a worker that allocates until the kernel kills it, then
# the child goes on, saying how the worker ended.
WITH_WORKER = """
import subprocess, sys, time
# 50 ms of CPU, so that the child's CPU counter (in 10 ms ticks) is not 0:
# a fast start took less once (a fresh root's run)
t = time.process_time()
while time.process_time() - t < 0.05:
    pass
w = subprocess.run([sys.executable, "-I", "-c", sys.argv[1]])
print("worker", w.returncode, flush=True)
time.sleep(60)
"""


def metrics(port):
    """/metrics as {series: value} (comments left out)."""
    out = {}
    for line in h.http_get(port, "/metrics").text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def v1_usable():
    return os.access(os.path.join(V1_MEMORY, "cgroup.procs"), os.W_OK)


class V1(h.TestCase):

    def setUp(self):
        if not v1_usable():
            self.skipTest("no writable cgroup v1 memory hierarchy")
        self.cg = os.path.join(V1_MEMORY, "pidone-it-" + uuid.uuid4().hex[:12])
        os.mkdir(self.cg)
        self.addCleanup(self.remove_cgroup)
        self.write("memory.limit_in_bytes", str(LIMIT))
        try:
            self.write("memory.swappiness", "0")
        except OSError:
            pass

    def write(self, name, value):
        with open(os.path.join(self.cg, name), "w") as f:
            f.write(value)

    def remove_cgroup(self):
        # Whatever is left in it (a test that failed half-way) is killed
        # by pid first: a cgroup with processes cannot be removed.
        deadline = time.monotonic() + h.scaled(10)
        while time.monotonic() < deadline:
            with open(os.path.join(self.cg, "cgroup.procs")) as f:
                pids = [int(x) for x in f.read().split()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.cg)
                return
            except OSError:
                time.sleep(0.05)
        os.rmdir(self.cg)

    def start_inside(self, cmd, opts=NO_HEALTH):
        """pidone (through unshare) started as a member of the cgroup."""
        join = h.python_child(
            "import os, sys\n"
            "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
            "os.execv(sys.argv[2], sys.argv[2:])\n",
            os.path.join(self.cg, "cgroup.procs"))
        return self.start(cmd, opts, prefix=join)

    def test_a_worker_killed_is_logged_once_and_the_app_lives_on(self):
        p = self.start_inside(h.python_child(WITH_WORKER, HOG),
                              NO_HEALTH + ["--log-level", "debug"])
        rec = p.wait_log("^oom kill$", timeout=60)
        h.wait_for(lambda: "worker -9" in p.stdout(), 30,
                   what=lambda: "the worker's end" + p.describe())
        self.assertEqual(rec["level"], "warn", p.describe())
        self.assertEqual(rec["kills"], 1, p.describe())
        self.assertEqual(rec["oom_kills_total"], 1, p.describe())
        self.assertEqual(rec["memory_limit_bytes"], LIMIT, p.describe())
        self.assertGreater(rec["memory_peak_bytes"], LIMIT // 2,
                           p.describe())
        self.assertIn("hint", rec)
        # The watch is one eventfd and the cgroup's directories.
        fds = h.fd_links(p.pid)
        self.assertEqual(fds.count("anon_inode:[eventfd]"), 1, fds)
        self.assertIn(self.cg, fds)
        # The main child still runs, and the kill was logged once.
        self.assertIn(h.proc_stat(p.child_pid())[0], "RS", p.describe())
        self.assertEqual(len(p.records("^oom kill$")), 1, p.describe())
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 128 + signal.SIGTERM)

    def test_the_watch_is_armed_before_the_privilege_drop(self):
        # cgroup.event_control is root's: armed after the drop, the watch
        # would fail and the worker's kill would go unlogged.
        # Debian's python3: the test runner's may sit under /root.
        p = self.start_inside(["/usr/bin/python3", "-I", "-c", WITH_WORKER,
                               HOG], NO_HEALTH + ["--user", "65532:65532"])
        rec = p.wait_log("^oom kill$", timeout=60)
        self.assertEqual(rec["kills"], 1, p.describe())
        with open("/proc/%d/status" % p.pid) as f:
            uids = [line.split()[1:] for line in f
                    if line.startswith("Uid:")][0]
        self.assertEqual(uids, ["65532"] * 4, p.describe())
        fds = h.fd_links(p.pid)
        self.assertEqual(fds.count("anon_inode:[eventfd]"), 1, fds)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_the_app_itself_killed_is_its_exit_cause(self):
        p = self.start_inside(h.python_child(HOG))
        p.wait(60)
        self.assertExit(p, 128 + signal.SIGKILL)
        recs = p.records("^child exited$")
        self.assertEqual(len(recs), 1, p.describe())
        self.assertEqual(recs[0]["signal_name"], "KILL", p.describe())
        self.assertEqual(recs[0]["cause"], "oom-kill", p.describe())
        self.assertEqual(recs[0]["level"], "warn", p.describe())

    def test_metrics_of_the_cgroup_and_the_child(self):
        port = h.free_port()
        p = self.start_inside(h.python_child(WITH_WORKER, HOG),
                              h.health_opts(port))
        h.wait_for(lambda: "worker -9" in p.stdout(), 60,
                   what=lambda: "the worker's end" + p.describe())
        h.wait_http(port, describe=p.describe)
        # Seen once under load: 0 read right after the worker's -9 was
        # reported, 1 in every rerun. The count is the kernel's, read at
        # each scrape: give it a moment rather than race it.
        h.wait_for(lambda: metrics(port).get("pidone_oom_kills_total") == 1,
                   10, what=lambda: "pidone_oom_kills_total 1" + p.describe())
        m = metrics(port)
        self.assertEqual(m.get("pidone_oom_kills_total"), 1, m)
        self.assertEqual(m.get("pidone_container_memory_limit_bytes"),
                         LIMIT, m)
        self.assertGreater(m.get("pidone_container_memory_bytes", 0), 0, m)
        self.assertLessEqual(m["pidone_container_memory_bytes"], LIMIT, m)
        child = p.child_pid()
        self.assertEqual(m["pidone_child_pid"], 2, "pid 2 in its namespace")
        with open("/proc/%d/statm" % child) as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")
        # The same process: within a few pages of what statm said.
        self.assertAlmostEqual(m["pidone_child_resident_memory_bytes"], rss,
                               delta=1 << 20)
        self.assertEqual(m["pidone_child_open_fds"],
                         len(os.listdir("/proc/%d/fd" % child)), m)
        self.assertGreater(m["pidone_child_cpu_seconds_total"], 0, m)
        self.assertNotIn("pidone_child_last_exit_code", m, "no run ended")
        p.kill(signal.SIGTERM)
        p.wait()

    def test_no_oom_no_record(self):
        p = self.start_inside(h.python_child("print('fine', flush=True)"))
        p.wait()
        self.assertExit(p, 0)
        self.assertFalse(p.records("oom"), p.describe())


class V1Unwatched(h.TestCase):
    """A v1 layout written by the test, without cgroup.event_control: the
    watch cannot be armed (as on a read-only cgroupfs), the counter can
    still be read."""

    def tree(self, kills):
        root = self.tmpdir()
        os.mkdir(os.path.join(root, "memory"))
        self.set_kills(root, kills)
        with open(os.path.join(root, "memory", "memory.limit_in_bytes"),
                  "w") as f:
            f.write("%d\n" % LIMIT)
        return root

    @staticmethod
    def set_kills(root, kills):
        with open(os.path.join(root, "memory", "memory.oom_control"),
                  "w") as f:
            f.write("oom_kill_disable 0\nunder_oom 0\noom_kill %d\n" % kills)

    def test_metrics_and_the_cause_read_from_the_counter(self):
        root = self.tree(7)
        port = h.free_port()
        p = self.start(h.python_child("import time; time.sleep(60)"),
                       h.health_opts(port, "--log-level", "debug"),
                       env={"PIDONE_TEST_CGROUP_ROOT": root})
        p.wait_log("^child started$")
        said = p.wait_log("cannot watch the cgroup v1 for OOM kills")
        self.assertEqual(said["level"], "debug", p.describe())
        h.wait_http(port, describe=p.describe)
        self.assertEqual(metrics(port)["pidone_oom_kills_total"], 0)
        # Two kills no watch tells pidone of: a scrape reads the counter.
        self.set_kills(root, 9)
        self.assertEqual(metrics(port)["pidone_oom_kills_total"], 2)
        self.assertFalse(p.records("^oom kill$"), p.describe())
        # The main child killed now: the counter rose, so it was the OOM.
        os.kill(p.child_pid(), signal.SIGKILL)
        p.wait()
        self.assertExit(p, 128 + signal.SIGKILL)
        rec = p.records("^child exited$")[0]
        self.assertEqual(rec["cause"], "oom-kill", p.describe())

    def test_the_cpu_and_pids_hierarchies_only_for_the_metrics(self):
        root = self.tree(0)
        for rel, text in (("cpuacct/cpuacct.usage", "2500000000\n"),
                          ("pids/pids.current", "7\n")):
            os.makedirs(os.path.dirname(os.path.join(root, rel)),
                        exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        os.mkdir(os.path.join(root, "cpu"))
        others = [os.path.join(root, d) for d in ("cpu", "cpuacct", "pids")]
        env = {"PIDONE_TEST_CGROUP_ROOT": root}
        sleeper = h.python_child("import time; time.sleep(60)")

        # No side port, no /metrics: the memory hierarchy alone is open.
        p = self.start(sleeper, NO_HEALTH, env=env)
        p.wait_log("^child started$")
        held = h.fd_links(p.pid)
        self.assertIn(os.path.join(root, "memory"), held, p.describe())
        for d in others:
            self.assertNotIn(d, held, p.describe())
        p.kill(signal.SIGTERM)
        p.wait()
        # With it, /metrics reads the CPU and the pids there.
        port = h.free_port()
        p = self.start(sleeper, h.health_opts(port), env=env)
        h.wait_http(port, describe=p.describe)
        held = h.fd_links(p.pid)
        for d in others:
            self.assertIn(d, held, p.describe())
        m = metrics(port)
        self.assertEqual(m["pidone_container_cpu_seconds_total"], 2.5, m)
        self.assertEqual(m["pidone_container_pids"], 7, m)
        p.kill(signal.SIGTERM)
        p.wait()


class V2(h.TestCase):
    """The v2 layout written by the test: cgroup.controllers marks it."""

    def tree(self):
        root = self.tmpdir()
        files = {"cgroup.controllers": "cpu memory pids\n",
                 "memory.max": "%d\n" % LIMIT,
                 "memory.peak": "%d\n" % (LIMIT - 4096),
                 "memory.events": self.events(0)}
        for name, text in files.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        return root

    @staticmethod
    def events(kills):
        return ("low 0\nhigh 0\nmax %d\noom %d\noom_kill %d\n"
                "oom_group_kill 0\n" % (kills * 3, kills, kills))

    def test_memory_events_change_is_one_record_per_look(self):
        root = self.tree()
        p = self.start(h.python_child("import time; time.sleep(60)"),
                       NO_HEALTH + ["--log-level", "debug"],
                       env={"PIDONE_TEST_CGROUP_ROOT": root})
        p.wait_log("^child started$")
        self.assertFalse(p.records("oom"), p.describe())
        # pidone rewrites nothing; the test plays the kernel.
        with open(os.path.join(root, "memory.events"), "w") as f:
            f.write(self.events(1))
        rec = p.wait_log("^oom kill$", timeout=10)
        self.assertEqual(rec["kills"], 1, p.describe())
        self.assertEqual(rec["memory_limit_bytes"], LIMIT, p.describe())
        self.assertEqual(rec["memory_peak_bytes"], LIMIT - 4096, p.describe())
        with open(os.path.join(root, "memory.events"), "w") as f:
            f.write(self.events(3))
        h.wait_for(lambda: len(p.records("^oom kill$")) == 2, 10,
                   what=lambda: "the second record" + p.describe())
        rec = p.records("^oom kill$")[1]
        self.assertEqual(rec["kills"], 2, p.describe())
        self.assertEqual(rec["oom_kills_total"], 3, p.describe())
        p.kill(signal.SIGTERM)
        p.wait()

    def test_other_counters_do_not_start_rechecks(self):
        # v2 rewrites memory.events for every counter (a cgroup at its
        # memory.high or memory.max bumps "high" or "max" all the time)
        # and counts a kill before it notifies: a change that is not a
        # kill is one look, not a second of looks every 50 ms.
        root = self.tree()
        p = self.start(h.python_child("import time; time.sleep(60)"),
                       NO_HEALTH, env={"PIDONE_TEST_CGROUP_ROOT": root})
        p.wait_log("^child started$")
        h.wait_idle(p.pid)
        before = h.ctxt_switches(p.pid)
        with open(os.path.join(root, "memory.events"), "w") as f:
            f.write("low 0\nhigh 12\nmax 5\noom 0\noom_kill 0\n"
                    "oom_group_kill 0\n")
        time.sleep(1.2)           # the rechecks would last 1 s
        # the truncation and the write: one or two wake-ups, and a third
        # for a busy machine's luck
        h.assert_wakeups(self, p, h.ctxt_switches(p.pid) - before, 3,
                         "for one change")
        self.assertFalse(p.records("oom"), p.describe())
        p.kill(signal.SIGTERM)
        p.wait()

    def test_metrics_from_the_v2_files(self):
        root = self.tree()
        for name, text in (("memory.current", "1234567\n"),
                           ("cpu.stat", "usage_usec 2500000\nuser_usec 1\n"),
                           ("pids.current", "7\n")):
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        port = h.free_port()
        p = self.start(h.python_child("import sys; sys.exit(5)"),
                       h.health_opts(port, "--restart", "always",
                                     "--restart-max", "100"),
                       env={"PIDONE_TEST_CGROUP_ROOT": root})
        h.wait_for(lambda: p.records("^child exited$"), 10,
                   what=lambda: "a run to end" + p.describe())
        m = metrics(port)
        self.assertEqual(m["pidone_container_memory_bytes"], 1234567, m)
        self.assertEqual(m["pidone_container_memory_limit_bytes"], LIMIT, m)
        self.assertEqual(m["pidone_container_cpu_seconds_total"], 2.5, m)
        self.assertEqual(m["pidone_container_pids"], 7, m)
        self.assertEqual(m["pidone_oom_kills_total"], 0, m)
        self.assertEqual(m["pidone_child_last_exit_code"], 5, m)
        self.assertEqual(m['pidone_child_last_exit_cause{cause="exit"}'], 1,
                         m)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_unreadable_series_are_left_out(self):
        port = h.free_port()
        p = self.start(h.python_child("import time; time.sleep(60)"),
                       h.health_opts(port),
                       env={"PIDONE_TEST_CGROUP_ROOT": self.tmpdir()})
        h.wait_http(port, describe=p.describe)
        m = metrics(port)
        for name in ("pidone_oom_kills_total", "pidone_container_memory_bytes",
                     "pidone_container_memory_limit_bytes",
                     "pidone_container_cpu_seconds_total",
                     "pidone_container_pids"):
            self.assertNotIn(name, m)
        self.assertIn("pidone_child_resident_memory_bytes", m)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_no_cgroup_is_said_once_at_debug_and_nothing_fails(self):
        root = self.tmpdir()   # empty: no cgroup.controllers
        p = self.run_pidone(h.python_child("print('ok', flush=True)"),
                            NO_HEALTH + ["--log-level", "debug"],
                            env={"PIDONE_TEST_CGROUP_ROOT": root})
        self.assertExit(p, 0)
        said = [r for r in p.logs() if "OOM" in r.get("msg", "")]
        self.assertEqual(len(said), 1, p.describe())
        self.assertEqual(said[0]["level"], "debug", p.describe())
        self.assertFalse([r for r in p.logs() if r["level"] in
                          ("warn", "error") and "root" not in r["msg"]],
                         p.describe())


if __name__ == "__main__":
    h.main()
