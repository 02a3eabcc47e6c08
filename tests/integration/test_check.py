# SPDX-License-Identifier: MIT
"""`pidone check`: a dry run of the start-up that prints every setting
with its origin, the final user, each writable dir's verdict as that user,
the command resolved on PATH and whether that user can read the files the
command names, exits with the code a real start would have (0, 64, 77, 78,
126, 127), and changes nothing: no dir is created, no probe file is left,
the command is never exec'd.
"""

import errno
import os
import re
import shlex
import shutil
import socket
import stat

import pidone_harness as h
from test_nonroot import TEST_GROUP, TEST_PASSWD, mount_ns, world_reachable

SETPRIV = shutil.which("setpriv") or ""
LABEL = 15   # width of the label column


def rows(p, label):
    """The text after @label on each report row with that label."""
    out = []
    for line in p.stdout_lines():
        if line.startswith(label.ljust(LABEL) + " "):
            out.append(line[LABEL + 1:])
    return out


def hints(p):
    return [l.strip()[len("hint: "):] for l in p.stdout_lines()
            if l.strip().startswith("hint: ")]


class Check(h.TestCase):

    def check(self, cmd=("true",), opts=(), separator=True, **kwargs):
        """Run `pidone check OPTS -- CMD` to its end."""
        kwargs.setdefault("mode", "subreaper")
        return self.run_pidone(list(cmd), ["check", "--health-port", "0"]
                               + list(opts), defaults=False,
                               separator=separator, **kwargs)

    def world_tmpdir(self):
        d = self.tmpdir()
        os.chmod(d, 0o755)
        return d

    def assertResult(self, p, code):
        self.assertExit(p, code)
        self.assertEqual(rows(p, "result"),
                         ["exit 0: a real start would run the command"
                          if code == 0 else
                          "exit %d: a real start would stop with this code"
                          % code], p.describe())

    # -- the settings table ---------------------------------------------

    def test_settings_with_origin(self):
        d = self.tmpdir()
        ini = os.path.join(d, "pidone.ini")
        with open(ini, "w") as f:
            f.write("[process]\n# comment\nrestart_max = 9\n"
                    "watch = /etc/config, /a\n"
                    "[signals]\nrewrite = TERM:QUIT\n")
        p = self.check(["sleep", "1"],
                       ["--config", ini, "--grace", "2.5", "--forward",
                        "child", "--reload-signal", "SIGHUP"],
                       env={"PIDONE_SUCCESS_EXIT": "143,0",
                            "PIDONE_NO_RESTART_EXIT": "78",
                            "PIDONE_LOG_LEVEL": "debug"})
        self.assertResult(p, 0)
        # "setting  value  from": the header gives the columns
        lines = p.stdout_lines()
        self.assertEqual(lines[2].split(), ["setting", "value", "from"])
        col = lines[2].index("from")
        table = {}
        for line in lines[3:]:
            if not line:
                break
            table[line[:LABEL].strip()] = (line[LABEL + 1:col].strip(),
                                           line[col:])
        expect = {
            "command": ('["sleep","1"]', "command line"),
            "user": ("65532:65532", "default"),
            "grace": ("2.5", "--grace"),
            "forward": ("child", "--forward"),
            "restart-max": ("9", "%s:3" % ini),
            "rewrite": ("TERM:QUIT", "%s:6" % ini),
            "success-exit": ("0,143", "PIDONE_SUCCESS_EXIT"),
            "log-level": ("debug", "PIDONE_LOG_LEVEL"),
            "health-port": ("0 (off)", "--health-port"),
            "writable": ("/tmp", "default"),
            "restart": ("never", "default"),
            "no-restart-exit": ("78", "PIDONE_NO_RESTART_EXIT"),
            "reload-signal": ("HUP", "--reload-signal"),
            "watch": ("/etc/config,/a", "%s:4" % ini),
            "watch-signal": ("none", "default"),
        }
        self.assertEqual(len(table), 29, "one row per setting"
                         + p.describe())
        for label, want in expect.items():
            with self.subTest(setting=label):
                self.assertEqual(table.get(label), want, p.describe())
        self.assertEqual(p.stderr(), "", "check writes its report to "
                         "stdout only" + p.describe())

    def test_unknown_pidone_variables_are_named_by_check_and_start(self):
        # A misspelt variable changes nothing: check names it (and still
        # exits 0: the start would run), the start warns once for each.
        env = {"PIDONE_GRACEE": "30", "PIDONE_HEALTHPORT": "9000",
               "PIDONE_GRACE": "2"}
        p = self.check(env=env)
        self.assertResult(p, 0)
        self.assertEqual(sorted(rows(p, "variable")),
                         ["PIDONE_GRACEE: not a pidone setting, ignored",
                          "PIDONE_HEALTHPORT: not a pidone setting, ignored"],
                         p.describe())
        self.assertIn("pidone --help lists the variables pidone reads",
                      hints(p))
        p = self.run_pidone(["true"], ["--health-port", "0"], env=env,
                            mode="subreaper")
        self.assertExit(p, 0)
        warned = sorted(r["msg"] for r in p.records(r"not a pidone setting"))
        self.assertEqual(warned,
                         ["PIDONE_GRACEE is not a pidone setting: ignored",
                          "PIDONE_HEALTHPORT is not a pidone setting: "
                          "ignored"], p.describe())
        self.assertTrue(all(r["level"] == "warn" for r in
                            p.records(r"not a pidone setting")))

    # -- success ------------------------------------------------------------

    def test_ok_as_root_drops_and_resolves_the_command(self):
        p = self.check(["sleep", "1"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "final user"),
                         ["ok: 65532:65532: uid 65532 gid 65532 (pidone "
                          "drops root for good)"], p.describe())
        self.assertEqual(rows(p, "writable dir"),
                         ["/tmp: ok: writable by uid 65532 gid 65532"])
        self.assertEqual(rows(p, "command path"),
                         ["ok: sleep -> %s" % shutil.which("sleep")])

    def test_runs_as_pid1_too(self):
        p = self.check(["sleep", "1"], mode="pid1")
        self.assertResult(p, 0)

    def test_nothing_is_exec_and_nothing_left(self):
        d = self.world_tmpdir()
        os.chown(d, 65532, 65532)
        marker = os.path.join(d, "ran")
        script = os.path.join(d, "app")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ntouch %s\n" % shlex.quote(marker))
        os.chmod(script, 0o755)
        before = sorted(os.listdir(d))
        p = self.check([script], ["--writable", d, "--writable", "/tmp"])
        self.assertResult(p, 0)
        self.assertEqual(sorted(os.listdir(d)), before,
                         "no marker, no probe file" + p.describe())
        self.assertFalse([n for n in os.listdir("/tmp")
                          if n.startswith(".pidone-check-")])

    # -- failures, each with the code a real start would have ---------------

    def test_no_command_is_64(self):
        p = self.check([], separator=False)
        self.assertResult(p, 64)
        self.assertEqual(rows(p, "command path"), ["FAIL: no command to run"])
        self.assertIn("PIDONE_COMMAND", " ".join(hints(p)))

    def test_command_from_env(self):
        p = self.check([], separator=False,
                       env={"PIDONE_COMMAND": '["sleep","2"]'})
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "command path"),
                         ["ok: sleep -> %s" % shutil.which("sleep")])

    def test_command_not_found_is_127_and_names_path(self):
        path = "/nonexistent-pidone-it:/usr/bin"
        p = self.check(["pidone-it-nope"], env={"PATH": path})
        self.assertResult(p, 127)
        self.assertEqual(rows(p, "command path"),
                         ["FAIL: command not found: pidone-it-nope "
                          "(searched PATH=%s)" % path], p.describe())
        self.assertEqual(hints(p),
                         ["install it in the image or give its full path"])

    def program(self, name, text, mode):
        """File @name with @text and @mode in a world-readable dir."""
        f = os.path.join(self.world_tmpdir(), name)
        with open(f, "w") as fp:
            fp.write(text)
        os.chmod(f, mode)
        return f

    def test_not_executable_is_126(self):
        f = self.program("data", "x\n", 0o644)
        p = self.check([f])
        self.assertResult(p, 126)
        self.assertEqual(rows(p, "command path"),
                         ["FAIL: command not executable: %s (given as a "
                          "path)" % f], p.describe())
        self.assertIn("chmod +x", " ".join(hints(p)))

    def test_no_shebang_line_is_126(self):
        f = self.program("run", "echo hi\n", 0o755)
        p = self.check([f])
        self.assertResult(p, 126)
        self.assertEqual(rows(p, "command path"),
                         ["FAIL: command not executable: %s: Exec format "
                          "error (no #! line, not an ELF program)" % f],
                         p.describe())
        self.assertIn("never hands a file to a shell", " ".join(hints(p)))
        # an ELF program found through PATH is fine
        p = self.check(["true"])
        self.assertResult(p, 0)

    def test_missing_interpreter_is_126(self):
        f = self.program("app", "#!/nonexistent-pidone-it/python9\n", 0o755)
        p = self.check([f])
        self.assertResult(p, 126)
        (row,) = rows(p, "command path")
        self.assertIn("its interpreter /nonexistent-pidone-it/python9",
                      row, p.describe())
        self.assertIn("no shell", " ".join(hints(p)))

    def test_interpreter_that_cannot_run_is_126(self):
        # There and executable is not enough: a directory, or a file
        # that is neither a program nor a script, fails the exec (126),
        # in check as in a real start.
        d = self.world_tmpdir()
        plain = self.program("plain", "echo hi\n", 0o755)
        for interp, why, err in ((d, "Is a directory", errno.EISDIR),
                                 (plain, "Exec format error",
                                  errno.ENOEXEC)):
            with self.subTest(interp=interp):
                f = self.program("app", "#!%s\n" % interp, 0o755)
                p = self.check([f])
                self.assertResult(p, 126)
                self.assertEqual(rows(p, "command path"),
                                 ["FAIL: command not executable: %s: its "
                                  "interpreter %s: %s" % (f, interp, why)],
                                 p.describe())
                self.assertIn("its #! line must name a program",
                              " ".join(hints(p)))
                r = self.run_pidone([f], ["--health-port", "0"],
                                    defaults=False)
                self.assertExit(r, 126)
                rec = self.one_error(r)
                self.assertEqual(rec["msg"], "command not executable: its "
                                 "interpreter %s cannot run" % interp,
                                 r.describe())
                self.assertEqual(rec["error"], os.strerror(err))
                self.assertIn("its #! line must name a program",
                              rec["hint"])

    def test_command_is_checked_as_the_final_user(self):
        d = self.tmpdir()                 # 0700 root
        f = os.path.join(d, "tool")
        with open(f, "w") as fp:
            fp.write("#!/bin/sh\n")
        os.chmod(f, 0o755)
        p = self.check([f])
        self.assertResult(p, 126)
        p = self.check([f], ["--user", "keep"])
        self.assertResult(p, 0)

    # -- files the command names, as the final user ---------------------

    def test_unreadable_script_argument_is_77_and_names_the_dir(self):
        # The quick start's trap: a script under a 0700 dir (a clone in
        # /root) passes to python3, which then cannot open it as 65532.
        d = self.tmpdir()                 # 0700 root
        app = os.path.join(d, "app.py")
        with open(app, "w") as f:
            f.write("print('hi')\n")
        os.chmod(app, 0o644)
        p = self.check(["/usr/bin/python3", app])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "command file"),
                         ["FAIL: %s is not readable by uid 65532 gid 65532: "
                          "dir %s is not searchable: Permission denied "
                          "(owner 0:0 mode 0700)" % (app, d)], p.describe())
        self.assertIn("COPY --chown=65532:65532", " ".join(hints(p)))
        # Readable as the user that runs it: fine.
        p = self.check(["/usr/bin/python3", app], ["--user", "keep"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "command file"),
                         ["%s: ok: readable" % app], p.describe())

    def test_unreadable_file_argument_names_the_file(self):
        d = self.world_tmpdir()
        data = os.path.join(d, "conf.json")
        with open(data, "w") as f:
            f.write("{}\n")
        os.chmod(data, 0o600)
        p = self.check(["cat", "--", data, "not-a-file-pidone-it"])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "command file"),
                         ["FAIL: %s is not readable by uid 65532 gid 65532: "
                          "Permission denied (owner 0:0 mode 0600)" % data],
                         "only the argument that names a file is checked"
                         + p.describe())
        os.chmod(data, 0o644)
        p = self.check(["cat", "--", data])
        self.assertResult(p, 0)

    def test_watched_paths_as_the_final_user(self):
        # What --watch would meet at the start, as 65532: a path it can
        # watch, one not there yet (fine: its appearance is a change) and
        # one under a 0700 dir (the start would stop with 77).
        d = self.world_tmpdir()
        there = os.path.join(d, "conf")
        os.mkdir(there)
        later = os.path.join(d, "later", "conf.json")
        secret = os.path.join(self.tmpdir(), "conf.json")   # 0700 root
        p = self.check(opts=["--watch", there, "--watch", later])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "watched path"),
                         ["%s: ok: watched" % there,
                          "%s: not there yet (No such file or directory); "
                          "its appearance will count as a change" % later],
                         p.describe())
        p = self.check(opts=["--watch", secret])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "watched path"),
                         ["FAIL: %s: cannot be watched: Permission denied"
                          % secret], p.describe())
        self.assertIn("readable by the user pidone runs as",
                      " ".join(hints(p)))
        # As the user that can read it: fine.
        p = self.check(opts=["--watch", secret, "--user", "keep"])
        self.assertResult(p, 0)
        # The watch is set up before the spawn: with a missing command
        # too, the start stops at the watch (77), and so does check.
        missing = ["/nonexistent-pidone-it/app"]
        p = self.check(missing, opts=["--watch", secret])
        self.assertExit(p, 77)
        r = self.run_pidone(missing, ["--health-port", "0", "--watch",
                                      secret], defaults=False)
        self.assertExit(r, 77)

    def test_unreadable_script_program_is_77(self):
        d = self.world_tmpdir()
        f = os.path.join(d, "tool")
        with open(f, "w") as fp:
            fp.write("#!/bin/sh\nexit 0\n")
        os.chmod(f, 0o711)             # executable, not readable
        p = self.check([f])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "command path"),
                         ["FAIL: %s is not readable by uid 65532 gid 65532: "
                          "Permission denied (owner 0:0 mode 0711)" % f],
                         p.describe())

    def test_unreadable_binary_program_is_fine(self):
        # A binary runs with execute permission alone.
        d = self.world_tmpdir()
        f = os.path.join(d, "true")
        shutil.copy(shutil.which("true"), f)
        os.chmod(f, 0o711)
        p = self.check([f])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "command path"),
                         ["ok: %s -> %s (a binary: execute permission is "
                          "enough)" % (f, f)], p.describe())

    def test_directory_argument_is_not_checked(self):
        d = self.tmpdir()                 # 0700 root: the app may not read
        p = self.check(["true", d])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "command file"), [], p.describe())

    def test_unwritable_dir_is_77_with_message_and_hint(self):
        d = self.world_tmpdir()
        p = self.check(["true"], ["--writable", "/tmp", "--writable", d])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "writable dir"), [
            "/tmp: ok: writable by uid 65532 gid 65532",
            "%s: FAIL: writable dir %s is not writable by uid 65532 gid "
            "65532: Permission denied (owner 0:0 mode 0755)" % (d, d)],
            p.describe())
        self.assertEqual(hints(p), [
            "COPY --chown=65532:65532 ... in the Dockerfile, chown "
            "65532:65532 %s, or for a volume set securityContext.fsGroup: "
            "65532" % d])
        self.assertEqual(os.listdir(d), [])

    def test_read_only_dir_is_77(self):
        d = self.world_tmpdir()
        os.chown(d, 65532, 65532)
        q = shlex.quote(d)
        p = self.check(["true"], ["--writable", d],
                       prefix=mount_ns(["mount --bind %s %s" % (q, q),
                                        "mount -o remount,bind,ro %s" % q]))
        self.assertResult(p, 77)
        (row,) = rows(p, "writable dir")
        self.assertIn("Read-only file system", row, p.describe())
        self.assertIn("--tmpfs %s" % d, " ".join(hints(p)))

    def test_missing_dir_is_77_without_create_dirs(self):
        d = self.world_tmpdir()
        target = os.path.join(d, "missing")
        p = self.check(["true"], ["--writable", target])
        self.assertResult(p, 77)
        (row,) = rows(p, "writable dir")
        self.assertIn("No such file or directory (missing)", row)
        self.assertIn("--create-dirs", " ".join(hints(p)))

    def test_missing_dir_with_create_dirs_is_0_and_not_created(self):
        d = self.world_tmpdir()
        target = os.path.join(d, "a", "b")
        p = self.check(["true"], ["--writable", target, "--create-dirs"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "writable dir"),
                         ["%s: missing, would be created by --create-dirs "
                          "(owner 65532:65532 mode 0755)" % target],
                         p.describe())
        self.assertEqual(os.listdir(d), [], "check created nothing")

    def test_missing_dir_on_read_only_fs_with_create_dirs_is_77(self):
        d = self.world_tmpdir()
        q = shlex.quote(d)
        target = os.path.join(d, "new")
        p = self.check(["true"], ["--writable", target, "--create-dirs"],
                       prefix=mount_ns(["mount --bind %s %s" % (q, q),
                                        "mount -o remount,bind,ro %s" % q]))
        self.assertResult(p, 77)
        (row,) = rows(p, "writable dir")
        self.assertIn("cannot create writable dir %s" % target, row)
        self.assertIn("Read-only file system", row)

    def test_unknown_user_is_78_and_dirs_not_checked(self):
        p = self.check(["true"], ["--user", "pidone-it-ghost"])
        self.assertResult(p, 78)
        self.assertEqual(rows(p, "final user"),
                         ['FAIL: unknown user "pidone-it-ghost" (searched '
                          '/etc/passwd)'], p.describe())
        self.assertEqual(rows(p, "writable dir"),
                         ["/tmp: not checked (the user is not resolved)"])
        self.assertEqual(rows(p, "command path"),
                         ["ok: true -> %s" % shutil.which("true")])

    def test_first_failure_decides_the_code(self):
        d = self.world_tmpdir()
        # dir (77) comes before the command (127) in a real start
        p = self.check(["pidone-it-nope"], ["--writable", d])
        self.assertResult(p, 77)
        self.assertTrue(rows(p, "command path")[0].startswith("FAIL"))
        # no command (64, a usage error) comes before everything
        p = self.check([], ["--writable", d], separator=False)
        self.assertResult(p, 64)

    # -- users ----------------------------------------------------------------

    def test_named_user_from_the_image(self):
        d = self.world_tmpdir()
        pw, gr = os.path.join(d, "passwd"), os.path.join(d, "group")
        with open(pw, "w") as f:
            f.write(TEST_PASSWD)
        with open(gr, "w") as f:
            f.write(TEST_GROUP)
        prefix = mount_ns(["mount --bind %s /etc/passwd" % shlex.quote(pw),
                           "mount --bind %s /etc/group" % shlex.quote(gr)])
        p = self.check(["true"], ["--user", "app:staff"], prefix=prefix)
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "final user"),
                         ["ok: app:staff: uid 1000 gid 50 (pidone drops "
                          "root for good)"], p.describe())

    def test_keep_as_root_warns(self):
        p = self.check(["true"], ["--user", "keep"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "final user"),
                         ["WARNING: keep: the command runs as root (uid 0 "
                          "gid 0)"], p.describe())

    def test_drop_failure_is_77_and_the_rest_not_checked(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")
        p = self.check(["true"], prefix=[SETPRIV, "--bounding-set",
                                         "-setuid,-setgid", "--"])
        self.assertResult(p, 77)
        self.assertEqual(rows(p, "final user"),
                         ["FAIL: cannot drop privileges to uid 65532 gid "
                          "65532: setgroups: Operation not permitted"],
                         p.describe())
        self.assertEqual(rows(p, "writable dir"),
                         ["/tmp: not checked (privileges not dropped)"])
        self.assertEqual(rows(p, "command path"),
                         ["not checked (privileges not dropped)"])

    # -- the health port --------------------------------------------------

    def test_health_port_is_tried_as_the_start_does(self):
        port = h.free_port()
        opts = ["--health-port", str(port), "--health-addr", "127.0.0.1"]
        p = self.check(["true"], opts)
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "health port"),
                         ["127.0.0.1:%d: free, pidone can listen" % port])
        # in use (beside a running pidone, the port is its): no verdict
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            used = s.getsockname()[1]
            p = self.check(["true"], ["--health-port", str(used),
                                      "--health-addr", "127.0.0.1"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "health port"),
                         ["127.0.0.1:%d: in use now (by the running pidone, "
                          "if this is beside it); a start finds out" % used])
        # an address not of this host: 78, as the start
        p = self.check(["true"], ["--health-port", str(port),
                                  "--health-addr", "192.0.2.1"])
        self.assertResult(p, 78)
        (row,) = rows(p, "health port")
        self.assertTrue(row.startswith("FAIL: cannot listen on 192.0.2.1:%d: "
                                       % port), row)
        self.assertIn("--health-addr must be an address of this host",
                      " ".join(hints(p)))

    def test_readiness_nobody_hears_is_warned_as_the_start_does(self):
        text = ("--ready-delay, --ready-tcp, --ready-notify, --watchdog, "
                "--ready-http and --live-http have no effect with "
                "--health-port 0 and no NOTIFY_SOCKET")
        p = self.check(["true"], ["--ready-delay", "5"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "readiness"), ["WARNING: " + text])
        start = self.run_pidone(["true"], ["--health-port", "0",
                                           "--ready-delay", "5"],
                                defaults=False, mode="subreaper")
        self.assertEqual([r["msg"] for r in start.records("no effect")],
                         [text])
        # without a readiness setting: no row
        self.assertEqual(rows(self.check(["true"]), "readiness"), [])

    def test_low_port_without_root_is_78(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")
        if not world_reachable(h.BIN):
            self.skipTest("%s is not reachable by other users" % h.BIN)
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            if int(f.read()) <= 80:
                self.skipTest("port 80 needs no privilege here")
        p = self.check(["true"], ["--health-port", "80"],
                       prefix=[SETPRIV, "--reuid", "123456", "--regid", "0",
                               "--clear-groups", "--"])
        self.assertResult(p, 78)
        self.assertRegex(rows(p, "health port")[0],
                         r"^FAIL: cannot listen on \S+:80: ")
        self.assertIn("ports below 1024 need root", " ".join(hints(p)))

    def test_not_root_changes_nothing(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")
        if not world_reachable(h.BIN):
            self.skipTest("%s is not reachable by other users" % h.BIN)
        d = self.world_tmpdir()
        os.chown(d, 123456, 0)
        p = self.check(["true"], ["--writable", d],
                       prefix=[SETPRIV, "--reuid", "123456", "--regid", "0",
                               "--clear-groups", "--"])
        self.assertResult(p, 0)
        self.assertEqual(rows(p, "final user"),
                         ["ok: not root: runs as uid 123456 gid 0, as "
                          "started (--user 65532:65532 is not applied)"],
                         p.describe())
        self.assertEqual(rows(p, "writable dir"),
                         ["%s: ok: writable by uid 123456 gid 0" % d])


if __name__ == "__main__":
    h.main()
