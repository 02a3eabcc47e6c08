# SPDX-License-Identifier: MIT
"""`pidone status [--json]` and `pidone health` run beside a running
pidone, as `docker exec` and HEALTHCHECK run them: inside its PID and
mount namespaces (nsenter), where PID 1 is pidone.

Both find the health port however PID 1 was given it (here only on its
command line, which the exec'd command does not repeat).
"""

import json
import os
import shutil
import signal
import subprocess

import pidone_harness as h

NSENTER = shutil.which("nsenter")

APP = h.python_child("""
import time
print("up", flush=True)
time.sleep(60)
""")


class Beside(h.TestCase):

    def setUp(self):
        if not NSENTER:
            self.skipTest("no nsenter")

    def beside(self, p, *args, user=None):
        """Run `pidone ARGS` in pidone's PID and mount namespaces."""
        argv = [NSENTER, "-t", str(p.pid), "-p", "-m"]
        binary = h.BIN
        if user:
            argv += ["-S", str(user), "-G", str(user)]
            # A copy any user may run (the build tree may be under a
            # 0700 home), with the same name, as in an image's /init.
            d = self.tmpdir()
            os.chmod(d, 0o755)
            binary = os.path.join(d, os.path.basename(h.BIN))
            shutil.copy(h.BIN, binary)
            os.chmod(binary, 0o755)
        argv += ["--", binary] + list(args)
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.scaled(20),
                           env=h.base_env())
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def start_app(self, port, *more):
        # The port only on pidone's command line, as in an ENTRYPOINT.
        p = self.start(APP, h.health_opts(port, *more))
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

    def test_no_pidone_answers_is_2(self):
        port = h.free_port()
        p = self.start(APP, ["--health-port", "0"])
        p.wait_stdout("^up$")
        code, out, err = self.beside(p, "status")
        self.assertEqual(code, 2, out + err)
        self.assertEqual(out.splitlines()[0], "no pidone answers: health "
                         "port disabled (--health-port 0)")
        self.assertIn("processes:", out, "the local part is still shown")
        code, out, _ = self.beside(p, "status", "--url",
                                   "http://127.0.0.1:%d/" % port)
        self.assertEqual(code, 2, out)
        self.assertRegex(out.splitlines()[0],
                         r"^no pidone answers: 127.0.0.1:%d: "
                         r"Connection refused$" % port)

    def test_status_takes_no_arguments(self):
        r = subprocess.run([h.BIN, "status", "extra"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.scaled(10),
                           env=h.base_env())
        self.assertEqual(r.returncode, 64)
        self.assertIn("status: unexpected argument", r.stderr.decode())


if __name__ == "__main__":
    h.main()
