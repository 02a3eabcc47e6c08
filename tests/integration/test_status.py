# SPDX-License-Identifier: MIT
"""`pidone status [--json]` and `pidone health` run beside a running
pidone, as `docker exec` and HEALTHCHECK run them: inside its PID and
mount namespaces (nsenter), where PID 1 is pidone.

Both find the health port however PID 1 was given it (here only on its
command line, which the exec'd command does not repeat).

Reports: status, check, --help and --version that cannot write their
output exit 70 and say why; an unreadable /proc is said in the report.
"""

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pidone_harness as h

NSENTER = shutil.which("nsenter")

APP = h.python_child("""
import time
print("up", flush=True)
time.sleep(60)
""")

# Ignores SIGTERM: the grace after a stop runs until the test ends it.
DEAF_APP = h.python_child("""
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(60)
""")


def write_tree(root, files):
    """Write a cgroup tree as the kernel lays it out: {path: text}."""
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


class Beside(h.TestCase):

    def setUp(self):
        if not NSENTER:
            self.skipTest("no nsenter")

    def beside(self, p, *args, user=None, env=None, name=None):
        """Run `pidone ARGS` in pidone's PID and mount namespaces (as a
        copy called @name, when given)."""
        argv = [NSENTER, "-t", str(p.pid), "-p", "-m"]
        binary = h.BIN
        if user:
            argv += ["-S", str(user), "-G", str(user)]
        if user or name:
            # A copy any user may run (the build tree may be under a
            # 0700 home), with the same name unless @name is given, as
            # in an image's /init.
            d = self.tmpdir()
            os.chmod(d, 0o755)
            binary = os.path.join(d, name or os.path.basename(h.BIN))
            shutil.copy(h.BIN, binary)
            os.chmod(binary, 0o755)
        argv += ["--", binary] + list(args)
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.scaled(20),
                           env=h.base_env(env))
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def start_app(self, port, *more, app=APP, env=None):
        # The port only on pidone's command line, as in an ENTRYPOINT.
        p = self.start(app, h.health_opts(port, *more), env=env)
        p.wait_stdout("^up$")
        h.wait_http(port, "/readyz")
        return p

    def test_health_finds_the_port_from_pid1(self):
        port = h.free_port()
        p = self.start_app(port)
        code, out, err = self.beside(p, "health")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(out, "ok: GET http://127.0.0.1:%d/healthz -> 200\n"
                         % port)
        # As the image's user too: /proc/1/cmdline is readable by all.
        code, out, err = self.beside(p, "health", "--ready", user=65532)
        self.assertEqual(code, 0, out + err)
        self.assertIn(":%d/readyz -> 200" % port, out)
        # --url still says where to go.
        code, out, _ = self.beside(p, "health", "--url",
                                   "http://127.0.0.1:1/healthz")
        self.assertEqual(code, 1)
        self.assertIn("connect 127.0.0.1:1:", out)

    def test_health_under_another_name_keeps_its_own_port(self):
        # PID 1 is pidone only when it runs under this command's name: a
        # command called otherwise reads its own settings, not PID 1's.
        port = h.free_port()
        p = self.start_app(port)
        own = h.free_port()
        while own == port:
            own = h.free_port()
        env = {"PIDONE_HEALTH_PORT": str(own)}
        code, out, err = self.beside(p, "health", env=env,
                                     name="pidone-other")
        self.assertEqual(code, 1, out + err)
        self.assertIn("connect 127.0.0.1:%d:" % own, out)
        code, out, err = self.beside(p, "health", env=env)
        self.assertEqual(code, 0, out + err)
        self.assertIn(":%d/healthz -> 200" % port, out)

    def test_health_with_its_own_config_file_reads_that_file(self):
        # `pidone health --config FILE` asks for FILE's settings: PID 1's
        # command line does not override them.
        port = h.free_port()
        p = self.start_app(port)
        other = h.free_port()
        while other == port:
            other = h.free_port()
        d = self.tmpdir()
        os.chmod(d, 0o755)
        ini = os.path.join(d, "health.ini")
        with open(ini, "w") as f:
            f.write("[health]\nport = %d\n" % other)
        os.chmod(ini, 0o644)
        code, out, err = self.beside(p, "health", "--config", ini)
        self.assertEqual(code, 1, out + err)
        self.assertIn("connect 127.0.0.1:%d:" % other, out)
        # Without it, PID 1's port as before.
        code, out, err = self.beside(p, "health")
        self.assertEqual(code, 0, out + err)
        self.assertIn(":%d/healthz -> 200" % port, out)

    def start_with_ini(self, port, mode=0o644):
        """pidone with --config FILE ([process] grace = 5, @mode), the
        port on its command line; (pidone, FILE)."""
        d = self.tmpdir()
        os.chmod(d, 0o755)
        ini = os.path.join(d, "pidone.ini")
        with open(ini, "w") as f:
            f.write("[process]\ngrace = 5\n")
        os.chmod(ini, mode)
        return self.start_app(port, "--config", ini), ini

    def test_a_bad_value_in_pid1s_file_since_its_start_is_78(self):
        # PID 1's file got a bad value after it started (a ConfigMap): its
        # settings no longer load, and health and status say so (78)
        # instead of probing the default port and failing for the wrong
        # reason.
        port = h.free_port()
        p, ini = self.start_with_ini(port)
        with open(ini, "w") as f:
            f.write("[health]\nport = banana\n")
        for action in ("health", "status"):
            with self.subTest(action=action):
                code, out, err = self.beside(p, action)
                self.assertEqual(code, 78, out + err)
                self.assertEqual(out, "")
                self.assertIn("the running pidone's settings: %s:2: "
                              "[health] port: \\\"banana\\\" is not a port "
                              "number" % ini, err)
        # --url names what to probe: PID 1's settings (broken, or with
        # options this build does not know) are not read
        url = "http://127.0.0.1:%d/healthz" % port
        code, out, err = self.beside(p, "health", "--url", url)
        self.assertEqual((code, out), (0, "ok: GET %s -> 200\n" % url), err)
        code, out, err = self.beside(p, "status", "--url", url)
        self.assertEqual(code, 0, out + err)

    def test_a_file_of_pid1s_this_user_cannot_read_is_left_out(self):
        # PID 1 read its 0600 file as root; the image's user may not: a
        # warning, and the port from PID 1's command line, not a 78 that
        # would mark the container unhealthy for ever
        port = h.free_port()
        p, ini = self.start_with_ini(port, 0o600)
        code, out, err = self.beside(p, "health", user=65532)
        self.assertEqual(code, 0, out + err)
        self.assertIn(":%d/healthz -> 200" % port, out)
        self.assertIn("the running pidone's settings: --config: cannot "
                      "open %s: Permission denied; its port is taken from "
                      "its command line and environment alone" % ini, err)

    def test_status_text(self):
        port = h.free_port()
        p = self.start_app(port)
        code, out, err = self.beside(p, "status", user=65532)
        self.assertEqual(code, 0, out + err)
        lines = out.splitlines()
        self.assertEqual(lines[0], "pidone at 127.0.0.1:%d: live, ready"
                         % port, out)
        self.assertIn("  live:  [+]child ok", lines)
        self.assertIn("  ready: [+]child ok", lines)
        self.assertRegex(out, r"\nchild: running, pid 2, up \d+ s, "
                              r"restarts 0\n")
        self.assertIn("\ncontainer:", out)
        self.assertIn("processes:", lines)
        self.assertRegex(out, r"\n +1 +0 +0 [RS] +\d+k %s" % h.BIN)
        self.assertRegex(out, r"\n +2 +1 +0 [RS] +\d+k   \S*python")

    def test_status_json(self):
        port = h.free_port()
        p = self.start_app(port)
        code, out, err = self.beside(p, "status", "--json")
        self.assertEqual(code, 0, out + err)
        st = json.loads(out)
        self.assertIs(st["answered"], True)
        self.assertEqual(st["health_port"], "127.0.0.1:%d" % port)
        self.assertIs(st["live"], True)
        self.assertIs(st["ready"], True)
        self.assertIn("[+]child ok", st["ready_checks"])
        self.assertEqual(st["child"]["pid"], 2)
        self.assertEqual(st["child"]["restarts"], 0)
        self.assertEqual(st["child"]["reloads"], 0)
        self.assertNotIn("last_exit_code", st["child"])
        procs = {q["pid"]: q for q in st["processes"]}
        self.assertEqual(procs[1]["depth"], 0)
        self.assertEqual(procs[2]["ppid"], 1)
        self.assertEqual(procs[2]["depth"], 1)
        self.assertIn("python", procs[2]["command"])
        self.assertIsInstance(st["container"], dict)
        # RSS as VmRSS says (stat's rss is a quick read that misses most
        # of an idle pidone's pages on newer kernels), the same in
        # /metrics
        with open("/proc/%d/status" % p.pid) as f:
            vmrss = int(re.search(r"^VmRSS:\s+(\d+) kB$", f.read(),
                                  re.M).group(1))
        self.assertLessEqual(abs(procs[1]["rss_kb"] - vmrss), 16,
                             (procs[1], vmrss))
        kid = p.child_pid()
        with open("/proc/%d/status" % kid) as f:
            vmrss = int(re.search(r"^VmRSS:\s+(\d+) kB$", f.read(),
                                  re.M).group(1))
        m = re.search(r"^pidone_child_resident_memory_bytes (\d+)$",
                      h.http_get(port, "/metrics").text(), re.M)
        self.assertLessEqual(abs(int(m.group(1)) // 1024 - vmrss), 64)

    def test_status_not_live_is_1_with_the_reason(self):
        port = h.free_port()
        # --watchdog and a child that never pings: not live after 1 s.
        p = self.start(APP, h.health_opts(port, "--watchdog", "1"))
        p.wait_stdout("^up$")
        h.wait_http(port, "/healthz", 503)
        code, out, err = self.beside(p, "status")
        self.assertEqual(code, 1, out + err)
        self.assertIn("NOT LIVE", out.splitlines()[0])
        self.assertRegex(out, r"\n  live:  \[-\]watchdog failed: ")

    def test_status_after_an_exit_shows_the_cause(self):
        port = h.free_port()
        p = self.start(h.python_child("import sys; sys.exit(4)"),
                       h.health_opts(port, "--restart", "always",
                                     "--restart-max", "100"))
        p.wait_log("^child exited$")
        code, out, err = self.beside(p, "status", "--json")
        st = json.loads(out)
        self.assertEqual(st["child"]["last_exit_code"], 4, out)
        self.assertEqual(st["child"]["last_exit_cause"], "exit", out)
        self.assertGreaterEqual(st["child"]["restarts"], 0)

    def test_status_during_a_drain_and_the_grace(self):
        port = h.free_port()
        # A drain no bounded wait here comes near: the status runs in it.
        p = self.start_app(port, "--drain", "60", "--grace", "60",
                           app=DEAF_APP)
        p.kill(signal.SIGTERM)
        h.wait_http(port, "/readyz", 503)
        code, out, err = self.beside(p, "status")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(out.splitlines()[0], "pidone at 127.0.0.1:%d: "
                         "live, not ready" % port, out)
        self.assertRegex(out, r"\nchild: draining, pid 2, up \d+ s, "
                              r"restarts 0\n")
        # A second stop ends the drain; the app ignores it: the grace runs.
        p.kill(signal.SIGTERM)
        p.wait_log("^received SIGTERM during the drain")
        code, out, err = self.beside(p, "status", "--json")
        st = json.loads(out)
        self.assertEqual(st["child"]["state"], "stopping", out)
        self.assertIs(st["child"]["running"], True, out)
        os.kill(p.child_pid(), signal.SIGKILL)
        p.wait()

    def container(self, p, env):
        """`status` and `status --json` beside @p: the container line and
        the container object."""
        code, out, err = self.beside(p, "status", env=env)
        self.assertEqual(code, 0, out + err)
        line = [x for x in out.splitlines() if x.startswith("container:")]
        code, js, err = self.beside(p, "status", "--json", env=env)
        self.assertEqual(code, 0, js + err)
        return line, json.loads(js)["container"]

    def test_status_cgroup_v2_limits(self):
        root = write_tree(self.tmpdir(), {
            "cgroup.controllers": "cpu memory pids\n",
            "memory.current": "%d\n" % (3 << 20),
            "memory.max": "%d\n" % (64 << 20),
            "memory.peak": "%d\n" % (5 << 20),
            "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\n",
            "cpu.stat": "usage_usec 12345678\nuser_usec 1\n",
            "cpu.max": "50000 100000\n",
            "pids.current": "4\n",
            "pids.max": "100\n"})
        env = {"PIDONE_TEST_CGROUP_ROOT": root}
        p = self.start_app(h.free_port(), env=env)
        line, js = self.container(p, env)
        # The kill before pidone started is the cgroup's, not pidone's:
        # status counts as pidone_oom_kills_total does.
        self.assertEqual(line, ["container: memory 3.0 MiB of 64.0 MiB "
                                "(peak 5.0 MiB), cpu 12.34 s (limit 0.5 "
                                "CPUs), pids 4 of 100, oom kills 0"])
        self.assertEqual(js, {"memory_bytes": 3 << 20,
                              "memory_limit_bytes": 64 << 20,
                              "memory_peak_bytes": 5 << 20,
                              "oom_kills": 0, "cpu_usec": 12345678,
                              "cpu_limit_millicpus": 500, "pids": 4,
                              "pids_limit": 100})
        write_tree(root, {"memory.events":
                          "low 0\nhigh 0\nmax 0\noom 0\noom_kill 3\n"})
        h.wait_for(lambda: "oom kills 2" in self.container(p, env)[0][0],
                   10, what="the two kills since the start")
        # No limit: none shown, no key (never a 0 in its place).
        write_tree(root, {"cpu.max": "max 100000\n"})
        line, js = self.container(p, env)
        self.assertIn(", cpu 12.34 s, pids 4 of 100", line[0])
        self.assertNotIn("cpu_limit_millicpus", js)

    def test_status_cgroup_partly_readable(self):
        # the line reads as a list whatever is missing
        root = write_tree(self.tmpdir(), {
            "cgroup.controllers": "memory\n",
            "memory.peak": "%d\n" % (5 << 20),
            "memory.events": "oom_kill 0\n"})
        env = {"PIDONE_TEST_CGROUP_ROOT": root}
        p = self.start_app(h.free_port(), env=env)
        line, _ = self.container(p, env)
        self.assertEqual(line, ["container: memory peak 5.0 MiB, oom kills "
                                "0"])
        env = {"PIDONE_TEST_CGROUP_ROOT": "/nonexistent"}
        line, _ = self.container(p, env)
        self.assertEqual(line, ["container: no cgroup readable, oom kills 0"])

    def test_status_cgroup_v1_limits(self):
        # cpu and cpuacct as Docker mounts them: one hierarchy, two links.
        root = write_tree(self.tmpdir(), {
            "memory/memory.usage_in_bytes": "%d\n" % (1 << 20),
            "memory/memory.limit_in_bytes": "9223372036854771712\n",
            "cpu,cpuacct/cpuacct.usage": "2500000000\n",
            "cpu,cpuacct/cpu.cfs_quota_us": "150000\n",
            "cpu,cpuacct/cpu.cfs_period_us": "100000\n"})
        os.symlink("cpu,cpuacct", os.path.join(root, "cpu"))
        os.symlink("cpu,cpuacct", os.path.join(root, "cpuacct"))
        env = {"PIDONE_TEST_CGROUP_ROOT": root}
        p = self.start_app(h.free_port(), env=env)
        line, js = self.container(p, env)
        self.assertEqual(line, ["container: memory 1.0 MiB, cpu 2.50 s "
                                "(limit 1.5 CPUs)"])
        self.assertEqual(js, {"memory_bytes": 1 << 20, "cpu_usec": 2500000,
                              "cpu_limit_millicpus": 1500})
        write_tree(root, {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n"})
        line, js = self.container(p, env)
        self.assertEqual(line, ["container: memory 1.0 MiB, cpu 2.50 s"])
        self.assertNotIn("cpu_limit_millicpus", js)

    def test_no_pidone_answers_is_2(self):
        port = h.free_port()
        p = self.start(APP, ["--health-port", "0"])
        p.wait_stdout("^up$")
        code, out, err = self.beside(p, "status")
        self.assertEqual(code, 2, out + err)
        self.assertEqual(out.splitlines()[0], "no pidone answers: health "
                         "port disabled (--health-port 0)")
        self.assertIn("processes:", out, "the local part is still shown")
        code, out, _ = self.beside(p, "status", "--json")
        self.assertEqual(json.loads(out)["child"],
                         {"state": "unknown", "running": False},
                         "no numbers made up")
        code, out, _ = self.beside(p, "status", "--url",
                                   "http://127.0.0.1:%d/" % port)
        self.assertEqual(code, 2, out)
        self.assertRegex(out.splitlines()[0],
                         r"^no pidone answers: 127.0.0.1:%d: "
                         r"Connection refused$" % port)
        # an app on the port (PID 1 not pidone, or 8081 its) is no pidone
        web = subprocess.Popen([sys.executable, "-m", "http.server",
                                str(port), "--bind", "127.0.0.1"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        self.addCleanup(web.wait)
        self.addCleanup(web.kill)
        h.wait_http(port, "/", 200)
        code, out, _ = self.beside(p, "status", "--url",
                                   "http://127.0.0.1:%d/" % port)
        self.assertEqual(code, 2, out)
        self.assertEqual(out.splitlines()[0],
                         "no pidone answers: 127.0.0.1:%d answers, but not "
                         "as pidone's health port (no [+]child line in "
                         "/healthz?verbose)" % port)

    def test_status_takes_no_arguments(self):
        r = subprocess.run([h.BIN, "status", "extra"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.scaled(10),
                           env=h.base_env())
        self.assertEqual(r.returncode, 64)
        self.assertIn("status: unexpected argument", r.stderr.decode())


class Reports(h.TestCase):

    def test_output_that_cannot_be_written_is_70(self):
        # A full disk (/dev/full): a report nobody can read is no verdict.
        for args, msg in ((["status"], "cannot write the report"),
                          (["status", "--json"], "cannot write the report"),
                          (["check", "--user", "keep", "--", "true"],
                           "cannot write the report"),
                          (["--help"], "cannot write to stdout"),
                          (["--version"], "cannot write to stdout")):
            with self.subTest(args=args), open("/dev/full", "w") as full:
                r = subprocess.run([h.BIN] + args, stdout=full,
                                   stderr=subprocess.PIPE,
                                   timeout=h.scaled(20),
                                   env=h.base_env({"PIDONE_HEALTH_PORT":
                                                   "0"}))
                err = r.stderr.decode()
                self.assertEqual(r.returncode, 70, err)
                recs = [json.loads(x) for x in err.splitlines()]
                self.assertEqual([x["msg"] for x in recs], [msg], err)
                self.assertEqual(recs[0]["error"], os.strerror(errno.ENOSPC))

    def test_unreadable_proc_is_said_not_an_empty_list(self):
        # /proc hidden under a tmpfs, mode 000 (unreadable) or 755 (empty,
        # as when no procfs is mounted), status run as 65532. The
        # sanitizer build's LeakSanitizer needs /proc at exit (and reads
        # its options there): it then fails the exit status, not pidone.
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare")
        for mode, why in (("000", os.strerror(errno.EACCES)),
                          ("755", "no process in it (not mounted?)")):
            with self.subTest(mode=mode):
                self.check_proc_error(mode, "cannot read /proc: " + why)

    def check_proc_error(self, mode, want):
        inner = ("import subprocess, sys\n"
                 "subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=%s',"
                 " 'none', '/proc'], check=True)\n"
                 "for extra in ([], ['--json']):\n"
                 "    r = subprocess.run(['setpriv', '--reuid', '65532',"
                 " '--regid', '65532', '--clear-groups', '--', sys.argv[1],"
                 " 'status'] + extra, stdout=subprocess.PIPE,"
                 " stderr=subprocess.PIPE)\n"
                 "    lsan = b'LeakSanitizer has encountered' in r.stderr\n"
                 "    print('lsan' if lsan else r.returncode, flush=True)\n"
                 "    sys.stdout.buffer.write(r.stdout)\n" % mode)
        r = subprocess.run(["unshare", "--mount", "--propagation", "private",
                            "--", sys.executable, "-c", inner, h.BIN],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=h.scaled(20),
                           env=h.base_env({"PIDONE_HEALTH_PORT": "0"}))
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out + r.stderr.decode())
        lines = out.splitlines()
        self.assertIn(lines[0], ("2", "lsan"), out)
        self.assertIn("  " + want, lines, out)
        self.assertIn(lines[-2], ("2", "lsan"), out)
        js = json.loads(lines[-1])
        self.assertEqual(js["processes"], [])
        self.assertEqual(js["processes_error"], want)


if __name__ == "__main__":
    h.main()
