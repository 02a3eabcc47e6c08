# SPDX-License-Identifier: MIT
"""pidone exits with its child's status (README: What pidone does, Exit codes).

The exit code 0..255 is passed through, a child killed by signal N gives
128+N, --success-exit maps listed statuses to 0, and exec failures give 127
(not found) or 126 (found but not executable) with a message naming the
command and the PATH searched.
"""

import errno
import os
import signal
import stat
import struct
import subprocess

import pidone_harness as h

SAMPLE = [0, 1, 2, 42, 100, 126, 127, 128, 200, 254, 255]

# Signals whose default action ends the process (SIGKILL included).
DEADLY = [s for s in list(range(1, 17)) + list(range(24, 28)) + [29, 30, 31]]

EXIT_WITH = """
import sys
sys.exit(int(sys.argv[1]))
"""

DIE_OF = """
import os, resource, signal, sys, time
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if n != signal.SIGKILL:
    signal.signal(n, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [n])
os.kill(os.getpid(), n)
time.sleep(5)
sys.exit(99)
"""


class ExitStatus(h.TestCase):

    def test_python_child_sample(self):
        jobs = [dict(cmd=h.python_child(EXIT_WITH, n)) for n in SAMPLE]
        for n, p in zip(SAMPLE, h.run_many(jobs)):
            self.assertExit(p, n, "sys.exit(%d)" % n)

    def test_full_matrix_0_to_255(self):
        codes = list(range(256))
        jobs = [dict(cmd=[h.helper("orphans"), "0", "--exit", n])
                for n in codes]
        for n, p in zip(codes, h.run_many(jobs, workers=12)):
            self.assertExit(p, n, "child exit(%d)" % n)

    def test_sample_as_subreaper(self):
        jobs = [dict(cmd=[h.helper("orphans"), "0", "--exit", n],
                     mode="subreaper") for n in SAMPLE]
        for n, p in zip(SAMPLE, h.run_many(jobs)):
            self.assertExit(p, n, "subreaper, child exit(%d)" % n)

    def test_killed_by_signal_gives_128_plus_n(self):
        jobs = [dict(cmd=h.python_child(DIE_OF, n)) for n in DEADLY]
        for n, p in zip(DEADLY, h.run_many(jobs)):
            self.assertExit(p, 128 + n, "child killed by signal %d" % n)

    def test_killed_by_signal_as_subreaper(self):
        sigs = [signal.SIGHUP, signal.SIGKILL, signal.SIGSEGV,
                signal.SIGTERM]
        jobs = [dict(cmd=h.python_child(DIE_OF, n), mode="subreaper")
                for n in sigs]
        for n, p in zip(sigs, h.run_many(jobs)):
            self.assertExit(p, 128 + n, "subreaper, killed by %d" % n)

    def test_success_exit_maps_listed_status_to_zero(self):
        cases = [
            # (opts, env, child argv, expected)
            (["--success-exit", "143"], None,
             h.python_child(EXIT_WITH, 143), 0),
            (["--success-exit", "143"], None,
             h.python_child(DIE_OF, signal.SIGTERM), 0),
            (["--success-exit", "143"], None,
             h.python_child(EXIT_WITH, 142), 142),
            (["--success-exit", "143"], None,
             h.python_child(DIE_OF, signal.SIGINT), 130),
            (["--success-exit", "3", "--success-exit", "4"], None,
             h.python_child(EXIT_WITH, 4), 0),
            (["--success-exit", "3", "--success-exit", "4"], None,
             h.python_child(EXIT_WITH, 3), 0),
            ([], {"PIDONE_SUCCESS_EXIT": "3,4"},
             h.python_child(EXIT_WITH, 4), 0),
            ([], {"PIDONE_SUCCESS_EXIT": "3,4"},
             h.python_child(EXIT_WITH, 5), 5),
        ]
        jobs = [dict(cmd=c, opts=o, env=e) for o, e, c, _ in cases]
        done = h.run_many(jobs)
        for (o, e, c, want), p in zip(cases, done):
            self.assertExit(p, want, "opts %s env %s" % (o, e))
        # The record says what the child did: the mapping is pidone's.
        exited = done[0].records("^child exited$")
        self.assertEqual([r["code"] for r in exited], [143],
                         done[0].describe())

    def test_command_not_found_127_names_command_and_path(self):
        d = self.tmpdir()
        path = "%s/pidone-it-a:%s/pidone-it-b" % (d, d)
        name = "pidone-it-no-such-command"
        p = self.run_pidone([name, "arg"], env={"PATH": path})
        self.assertExit(p, 127)
        text = p.log_text()
        self.assertIn(name, text, p.describe())
        self.assertIn(path, text, "the PATH searched" + p.describe())
        self.assertEqual(p.stdout(), "")

    def test_absolute_path_not_found_127(self):
        cmd = "/nonexistent-pidone-it/bin/tool"
        p = self.run_pidone([cmd])
        self.assertExit(p, 127)
        self.assertIn(cmd, p.log_text(), p.describe())

    def test_not_executable_126(self):
        d = self.tmpdir()
        f = os.path.join(d, "script")
        with open(f, "w") as fp:
            fp.write("#!/bin/sh\nexit 0\n")
        os.chmod(f, 0o644)
        p = self.run_pidone([f])
        self.assertExit(p, 126)
        self.assertIn(f, p.log_text(), p.describe())

    def test_not_executable_found_through_path_126(self):
        d = self.tmpdir()
        name = "pidone-it-noexec"
        with open(os.path.join(d, name), "w") as fp:
            fp.write("data\n")
        os.chmod(os.path.join(d, name), 0o644)
        path = "/nonexistent-pidone-it:%s" % d
        p = self.run_pidone([name], env={"PATH": path})
        self.assertExit(p, 126)
        text = p.log_text()
        self.assertIn(name, text, p.describe())
        self.assertIn(path, text, "the PATH searched" + p.describe())

    def test_directory_is_not_executable_126(self):
        # Said as a directory, not "chmod +x" (which would not help),
        # given as a path and found through PATH; pidone check agrees.
        d = self.tmpdir()
        p = self.run_pidone([d])
        self.assertExit(p, 126)
        rec = self.one_error(p)
        self.assertEqual(rec["command"], d, p.describe())
        self.assertEqual(rec["error"], os.strerror(errno.EISDIR))
        self.assertIn("it is a directory", rec["hint"])
        os.mkdir(os.path.join(d, "pidone-it-dir"))
        p = self.run_pidone(["pidone-it-dir"], env={"PATH": d})
        self.assertExit(p, 126)
        self.assertIn("it is a directory", self.one_error(p)["hint"])
        r = subprocess.run([h.BIN, "check", "--user", "keep", "--", d],
                           stdout=subprocess.PIPE, timeout=h.scaled(20),
                           env=h.base_env({"PIDONE_HEALTH_PORT": "0"}))
        self.assertEqual(r.returncode, 126)
        self.assertIn("hint: it is a directory", r.stdout.decode())

    def test_script_without_shebang_never_runs_through_a_shell(self):
        """A file with no #! line: the kernel refuses it (ENOEXEC), and
        pidone says so; glibc's execvp would have run it with /bin/sh,
        which this machine has."""
        self.assertTrue(os.path.exists("/bin/sh"), "the test needs /bin/sh")
        d = self.tmpdir()
        name = "pidone-it-noshebang"
        f, marker = os.path.join(d, name), os.path.join(d, "ran")
        with open(f, "w") as fp:
            fp.write("touch %s\n" % marker)
        os.chmod(f, 0o755)
        for argv, env in (([f], None), ([name], {"PATH": d})):
            p = self.run_pidone(argv, env=env)
            self.assertExit(p, 126)
            self.assertFalse(os.path.exists(marker), "a shell ran it")
            err = self.one_error(p)
            self.assertEqual(err["msg"], "command not executable: " +
                             argv[0], p.describe())
            self.assertEqual(err["command"], f)
            self.assertEqual(err["error"], os.strerror(errno.ENOEXEC))
            self.assertIn("#! line", err.get("hint", ""), p.describe())

    def test_missing_interpreter_126_names_interpreter(self):
        d = self.tmpdir()
        f = os.path.join(d, "app")
        interp = "/nonexistent-pidone-it/python9"
        with open(f, "w") as fp:
            fp.write("#!%s -u\nprint('hi')\n" % interp)
        os.chmod(f, 0o755)
        self.assertTrue(os.stat(f).st_mode & stat.S_IXUSR)
        p = self.run_pidone([f])
        self.assertExit(p, 126)
        text = p.log_text()
        self.assertIn(interp, text, "names the interpreter" + p.describe())
        self.assertIn(f, text, p.describe())

    def test_missing_loader_126_says_so(self):
        """A dynamically linked program whose loader is not in the image
        (its PT_INTERP names a file that is not there): the exec fails
        with ENOENT for a file that exists; the hint names the loader."""
        d = self.tmpdir()
        f = os.path.join(d, "app")
        with open("/bin/true", "rb") as fp:
            elf = bytearray(fp.read())
        self.assertEqual(elf[:5], b"\x7fELF\x02", "needs a 64-bit ELF")
        phoff, = struct.unpack_from("<Q", elf, 32)
        phentsize, phnum = struct.unpack_from("<HH", elf, 54)
        for i in range(phnum):
            kind, = struct.unpack_from("<I", elf, phoff + i * phentsize)
            if kind == 3:  # PT_INTERP
                off, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 8)
                break
        else:
            self.skipTest("/bin/true is static")
        elf[off:off + 5] = b"/nope"
        with open(f, "wb") as fp:
            fp.write(elf)
        os.chmod(f, 0o755)
        p = self.run_pidone([f])
        self.assertExit(p, 126)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"], "command not executable: " + f)
        self.assertEqual(rec["error"], os.strerror(errno.ENOENT))
        self.assertIn("its loader is not", rec.get("hint", ""), p.describe())


if __name__ == "__main__":
    h.main()
