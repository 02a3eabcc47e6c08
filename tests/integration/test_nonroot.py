# SPDX-License-Identifier: MIT
"""The nonroot start-up (README, What pidone does, steps 3 and 4;
Security): the drop to 65532:65532 by default, numeric and named users from
the image's /etc/passwd and /etc/group, uid 0 only when asked for, the
non-root start (runAsUser, OpenShift) that changes nothing, and the
writable-dir check with its one-line explanation and fix.

Named users come from a test passwd and group file bind-mounted over
/etc/passwd and /etc/group inside a private mount namespace (the real
files are never touched); read-only dirs are read-only bind mounts in such
a namespace too.
"""

import os
import shlex
import shutil
import signal
import stat

import pidone_harness as h

NO_HEALTH = ["--health-port", "0"]
SETPRIV = shutil.which("setpriv") or ""

TEST_PASSWD = """\
root:x:0:0:root:/root:/sbin/nologin
toor:x:0:0:root again:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
app:x:1000:1001:the app:/app:/sbin/nologin
twin:x:1000:1001:the app under a second name:/twin:/sbin/nologin
"""
TEST_GROUP = """\
root:x:0:
staff:x:50:app
app:x:1001:
nonroot:x:65532:
"""


def ids(status, key):
    """[real, effective, saved, fs] of a /proc status Uid/Gid line."""
    return [int(x) for x in status[key].split()]


def parse_status(text):
    """`cat /proc/self/status` output as a dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key] = value.strip()
    return out


def world_reachable(path):
    """Can any user exec @path (o+x on every dir on the way)?"""
    path = os.path.realpath(path)
    d = os.path.dirname(path)
    while True:
        if not os.stat(d).st_mode & stat.S_IXOTH:
            return False
        if d == "/":
            break
        d = os.path.dirname(d)
    return bool(os.stat(path).st_mode & stat.S_IXOTH)


def mount_ns(lines):
    """argv prefix: run the rest in a private mount namespace after the
    shell @lines (paths already quoted)."""
    script = "set -e\n" + "\n".join(lines) + '\nexec "$@"\n'
    return [h.UNSHARE, "--mount", "--propagation", "private",
            "sh", "-c", script, "sh"]


class NonrootCase(h.TestCase):

    def world_tmpdir(self):
        """A temp dir any uid may enter (mkdtemp makes them 0700)."""
        d = self.tmpdir()
        os.chmod(d, 0o755)
        return d

    def etc_prefix(self):
        """A prefix that shows TEST_PASSWD/TEST_GROUP as /etc/*."""
        d = self.world_tmpdir()
        pw, gr = os.path.join(d, "passwd"), os.path.join(d, "group")
        with open(pw, "w") as f:
            f.write(TEST_PASSWD)
        with open(gr, "w") as f:
            f.write(TEST_GROUP)
        os.chmod(pw, 0o644)
        os.chmod(gr, 0o644)
        return mount_ns(["mount --bind %s /etc/passwd" % shlex.quote(pw),
                         "mount --bind %s /etc/group" % shlex.quote(gr)])

    def records(self, p, level=None):
        return [r for r in p.logs() if level is None or r["level"] == level]


class Drop(NonrootCase):

    def check_running(self, p, uid, gid):
        """pidone and its child both run as uid:gid with no capability."""
        for who, pid in (("pidone", p.pid), ("child", p.child_pid())):
            st = h.proc_status(pid)
            self.assertTrue(st, "%s is gone%s" % (who, p.describe()))
            self.assertEqual(ids(st, "Uid"), [uid] * 4, who + p.describe())
            self.assertEqual(ids(st, "Gid"), [gid] * 4, who + p.describe())
            self.assertEqual(st["Groups"].split(), [str(gid)],
                             who + " groups" + p.describe())
            for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                self.assertEqual(int(st[cap], 16), 0,
                                 "%s %s %s" % (who, cap, st[cap])
                                 + p.describe())
            if who == "child":
                self.assertEqual(st["NoNewPrivs"], "1", p.describe())

    def test_default_user_is_65532_for_pidone_and_child(self):
        for mode in ("pid1", "subreaper"):
            with self.subTest(mode=mode):
                p = self.start(["sleep", "30"], NO_HEALTH, mode=mode,
                               defaults=False)
                p.wait_log("child started")
                self.check_running(p, 65532, 65532)
                rec = p.wait_log("dropped root privileges")
                self.assertEqual((rec["uid"], rec["gid"]), (65532, 65532))
                p.kill(signal.SIGTERM)
                self.assertEqual(p.wait(), 128 + signal.SIGTERM,
                                 p.describe())

    def test_inherited_inheritable_capabilities_are_cleared(self):
        # A runtime that left inheritable capabilities (CVE-2022-24769):
        # setresuid keeps them, pidone clears them, for itself and the app.
        if not SETPRIV:
            self.skipTest("setpriv not found")
        p = self.start(["sleep", "30"], NO_HEALTH, defaults=False,
                       mode="subreaper",
                       prefix=[SETPRIV, "--inh-caps",
                               "+chown,+net_bind_service", "--"])
        p.wait_log("child started")
        self.check_running(p, 65532, 65532)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_parent_death_signal_survives_the_drop(self):
        # unshare --kill-child sets PR_SET_PDEATHSIG, which the kernel
        # clears when the ids change: pidone sets it again, so that its
        # parent's death still ends it (it once ran on, orphaned).
        p = self.start(["sleep", "60"], NO_HEALTH, defaults=False)
        p.wait_log("child started")
        pidone = p.pid
        os.kill(p.proc.pid, signal.SIGKILL)     # unshare, its parent
        h.wait_for(lambda: not os.path.exists("/proc/%d" % pidone),
                   h.START_TIMEOUT, what="pidone to end with its parent")

    def test_home_is_the_final_users_after_a_drop(self):
        # Docker sets HOME=/root for a container that starts as root: the
        # app, dropped to nonroot, gets nonroot's home from the image's
        # passwd instead, unless the image chose a HOME of its own.
        prefix = self.etc_prefix()
        cases = [({"HOME": "/root"}, [], "/home/nonroot"),
                 ({"HOME": "/app"}, [], "/app"),
                 ({"HOME": "/root"}, ["--user", "keep"], "/root"),
                 ({"HOME": "/root"}, ["--user", "4321"], "/"),
                 # a name gives its own line's home, a uid the first
                 ({"HOME": "/root"}, ["--user", "twin"], "/twin"),
                 ({"HOME": "/root"}, ["--user", "twin:staff"], "/twin"),
                 ({"HOME": "/root"}, ["--user", "1000"], "/app")]
        for env, opts, want in cases:
            with self.subTest(env=env, opts=opts):
                p = self.run_pidone(["printenv", "HOME"], NO_HEALTH + opts,
                                    defaults=False, mode="subreaper",
                                    prefix=prefix, env=env)
                self.assertExit(p, 0)
                self.assertEqual(p.stdout().strip(), want, p.describe())

    def test_a_fifo_as_passwd_never_hangs_the_start(self):
        # a FIFO over /etc/passwd (or /dev/stdin through a symlink) would
        # block PID 1 in open with every signal blocked: refused at once,
        # HOME falls back to "/", and a name to look up is 78 with why
        d = self.world_tmpdir()
        fifo = os.path.join(d, "passwd")
        os.mkfifo(fifo)
        prefix = mount_ns(["mount --bind %s /etc/passwd" % shlex.quote(fifo)])
        p = self.run_pidone(["printenv", "HOME"], NO_HEALTH, defaults=False,
                            mode="subreaper", prefix=prefix,
                            env={"HOME": "/root"}, timeout=10)
        self.assertExit(p, 0)
        self.assertEqual(p.stdout().strip(), "/", p.describe())
        p = self.run_pidone(["true"], NO_HEALTH + ["--user", "app"],
                            defaults=False, mode="subreaper", prefix=prefix,
                            timeout=10)
        self.assertExit(p, 78)
        (rec,) = [r for r in p.logs() if r["level"] == "error"]
        self.assertEqual(rec["msg"], "cannot read /etc/passwd to look up "
                         "user \"app\": not a regular file")

    def test_numeric_user_and_group(self):
        p = self.start(["sleep", "30"], NO_HEALTH + ["--user", "1234:5678"],
                       defaults=False)
        p.wait_log("child started")
        self.check_running(p, 1234, 5678)
        p.kill(signal.SIGTERM)
        p.wait()

    def test_supplementary_groups_are_dropped(self):
        # started as root with extra groups: only the final gid is left
        prefix = [SETPRIV, "--groups", "4,27,100", "--"]
        p = self.start(["sleep", "30"], NO_HEALTH + ["--user", "2000:2000"],
                       defaults=False, prefix=prefix, mode="subreaper")
        p.wait_log("child started")
        self.check_running(p, 2000, 2000)
        p.kill(signal.SIGTERM)
        p.wait()

    def child_ids(self, user, prefix):
        p = self.run_pidone(["cat", "/proc/self/status"],
                            NO_HEALTH + ["--user", user], defaults=False,
                            prefix=prefix)
        self.assertExit(p, 0, "--user " + user)
        st = parse_status(p.stdout())
        return ids(st, "Uid")[0], ids(st, "Gid")[0], st["Groups"].split()

    def test_named_users_from_the_image_passwd(self):
        prefix = self.etc_prefix()
        cases = [
            ("app", 1000, 1001),          # primary group from passwd
            ("app:staff", 1000, 50),      # group by name
            ("app:77", 1000, 77),         # mixed
            ("1000:staff", 1000, 50),     # mixed the other way
            ("1000", 1000, 1001),         # listed uid: its primary group
            ("4242", 4242, 4242),         # unlisted uid: gid = uid
            ("nonroot", 65532, 65532),
        ]
        for user, uid, gid in cases:
            with self.subTest(user=user):
                self.assertEqual(self.child_ids(user, prefix),
                                 (uid, gid, [str(gid)]))

    def test_unknown_names_are_config_errors(self):
        prefix = self.etc_prefix()
        cases = [
            ("nobody2", 'unknown user "nobody2" (searched /etc/passwd)',
             "add the user to the image's /etc/passwd"),
            ("app:wheel", 'unknown group "wheel" (searched /etc/group)',
             "add the group to the image's /etc/group"),
        ]
        for user, msg, hint in cases:
            with self.subTest(user=user):
                p = self.run_pidone(["true"], NO_HEALTH + ["--user", user],
                                    defaults=False, prefix=prefix)
                self.assertExit(p, 78)
                rec = self.one_error(p)
                self.assertEqual(rec["msg"], msg, p.describe())
                self.assertIn(hint, rec["hint"], p.describe())
                self.assertEqual(rec["setting"], "--user", p.describe())
                self.assertNotStarted(p)

    def test_unknown_user_from_env_names_the_variable(self):
        prefix = self.etc_prefix()
        p = self.run_pidone(["true"], NO_HEALTH, defaults=False,
                            prefix=prefix, env={"PIDONE_USER": "ghost"})
        self.assertExit(p, 78)
        self.assertEqual(self.one_error(p)["setting"], "PIDONE_USER")

    def test_a_uid_0_alias_is_refused(self):
        prefix = self.etc_prefix()
        p = self.run_pidone(["true"], NO_HEALTH + ["--user", "toor"],
                            defaults=False, prefix=prefix)
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertIn('user "toor" is uid 0', rec["msg"], p.describe())
        self.assertIn("--user 0", rec["hint"], p.describe())
        self.assertNotStarted(p)

    def test_keep_and_root_warn(self):
        prefix = self.etc_prefix()
        for user in ("keep", "0", "root", "0:0"):
            with self.subTest(user=user):
                p = self.run_pidone(["cat", "/proc/self/status"],
                                    NO_HEALTH + ["--user", user],
                                    defaults=False, prefix=prefix)
                self.assertExit(p, 0)
                st = parse_status(p.stdout())
                self.assertEqual(ids(st, "Uid"), [0] * 4, p.describe())
                warns = [r for r in self.records(p, "warn")
                         if "the command runs as root" in r["msg"]]
                self.assertEqual(len(warns), 1, p.describe())
                self.assertEqual(warns[0]["uid"], 0)

    def test_root_with_a_group(self):
        uid, gid, groups = self.child_ids("0:1234", [])
        self.assertEqual((uid, gid, groups), (0, 1234, ["1234"]))

    def test_root_only_program_is_not_executable_for_65532(self):
        d = self.tmpdir()          # 0700 root: 65532 cannot reach it
        f = os.path.join(d, "tool")
        with open(f, "w") as fp:
            fp.write("#!/bin/sh\nexit 0\n")
        os.chmod(f, 0o700)
        p = self.run_pidone([f], NO_HEALTH, defaults=False)
        self.assertExit(p, 126)
        self.assertIn(f, p.log_text(), p.describe())
        self.assertIn("not executable", self.one_error(p)["msg"])

    def test_missing_command_behind_a_root_only_path_dir_is_127(self):
        # execvp reports EACCES when a PATH dir cannot be searched, though
        # the command exists nowhere: it must still be "not found" (127).
        d = self.tmpdir()          # 0700 root: 65532 cannot search it
        p = self.run_pidone(["no-such-command-pidone"], NO_HEALTH,
                            defaults=False,
                            env={"PATH": d + ":/usr/bin:/bin"})
        self.assertExit(p, 127)
        err = self.one_error(p)
        self.assertIn("command not found", err["msg"], p.describe())
        self.assertEqual(err.get("path"), d + ":/usr/bin:/bin", p.describe())


class MissingCapabilities(NonrootCase):
    """Root without some capabilities (docker run --cap-drop ...)."""

    def setUp(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")

    def test_without_setuid_setgid_exits_77(self):
        p = self.run_pidone(["true"], NO_HEALTH, defaults=False,
                            mode="subreaper",
                            prefix=[SETPRIV, "--bounding-set",
                                    "-setuid,-setgid", "--"])
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"], "cannot drop privileges to uid 65532 "
                         "gid 65532: setgroups: Operation not permitted",
                         p.describe())
        self.assertIn("CAP_SETUID and CAP_SETGID", rec["hint"])
        self.assertNotStarted(p)

    def test_without_setpcap_still_drops(self):
        # the bounding set cannot be emptied, but the ids change for good
        p = self.run_pidone(["cat", "/proc/self/status"], NO_HEALTH,
                            defaults=False, mode="subreaper",
                            prefix=[SETPRIV, "--bounding-set", "-setpcap",
                                    "--"])
        self.assertExit(p, 0)
        st = parse_status(p.stdout())
        self.assertEqual(ids(st, "Uid"), [65532] * 4, p.describe())
        self.assertEqual(int(st["CapEff"], 16), 0)
        self.assertEqual(int(st["CapPrm"], 16), 0)
        self.assertEqual(st["NoNewPrivs"], "1")
        said = [r for r in self.records(p, "info") if r["msg"].startswith(
            "cannot empty the capability bounding set")]
        self.assertEqual(len(said), 1, p.describe())


class Proof(NonrootCase):
    """The drop is proven: a set*id call that reports success without
    acting (a seccomp filter makes it return 0) stops pidone with 77
    before the child exists."""

    def fake_ok(self, call):
        return self.run_pidone(["true"], NO_HEALTH, defaults=False,
                               mode="subreaper",
                               prefix=[h.helper("sigconf"), "--fake-ok",
                                       call, "--"])

    def test_uid_not_changed_exits_77(self):
        p = self.fake_ok("setresuid")
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"], "privileges not dropped: setuid(0) "
                         "succeeded after becoming uid 65532", p.describe())
        self.assertIn("hint", rec)
        self.assertNotStarted(p)

    def test_groups_not_changed_exits_77(self):
        p = self.fake_ok("setgroups")
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"], "privileges not dropped: the "
                         "supplementary groups are not just gid 65532",
                         p.describe())
        self.assertNotStarted(p)


class NotRoot(NonrootCase):
    """Started as an arbitrary uid (Kubernetes runAsUser, OpenShift)."""

    def setUp(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")
        if not world_reachable(h.BIN):
            self.skipTest("%s is not reachable by other users" % h.BIN)

    def as_user(self, uid=123456, gid=0):
        return [SETPRIV, "--reuid", str(uid), "--regid", str(gid),
                "--clear-groups", "--"]

    def test_no_drop_info_line_and_start(self):
        p = self.run_pidone(["cat", "/proc/self/status"], NO_HEALTH,
                            defaults=False, mode="subreaper",
                            prefix=self.as_user())
        self.assertExit(p, 0)
        st = parse_status(p.stdout())
        self.assertEqual(ids(st, "Uid"), [123456] * 4, p.describe())
        self.assertEqual(ids(st, "Gid"), [0] * 4, p.describe())
        self.assertEqual(st["NoNewPrivs"], "1")
        info = [r for r in self.records(p, "info")
                if r["msg"].startswith("not root")]
        self.assertEqual(len(info), 1, p.describe())
        self.assertEqual((info[0]["uid"], info[0]["gid"]), (123456, 0))
        self.assertIn("groups", info[0])
        self.assertEqual((info[0]["configured_uid"],
                          info[0]["configured_gid"]), (65532, 65532))
        self.assertFalse(self.records(p, "error"), p.describe())

    def test_pidone_itself_keeps_the_given_ids(self):
        p = self.start(["sleep", "30"], NO_HEALTH, defaults=False,
                       mode="subreaper", prefix=self.as_user(54321, 0))
        p.wait_log("child started")
        st = h.proc_status(p.pid)
        self.assertEqual(ids(st, "Uid"), [54321] * 4, p.describe())
        self.assertEqual(ids(st, "Gid"), [0] * 4, p.describe())
        p.kill(signal.SIGTERM)
        p.wait()

    def test_not_dumpable_as_the_apps_own_user(self):
        # Same uid as the app: non-dumpable, so the app cannot read its
        # environment, ptrace it or take its fds (a drop from root did
        # this already; started as the user, nothing did).
        p = self.start(["sleep", "30"], NO_HEALTH, defaults=False,
                       mode="subreaper", prefix=self.as_user(54321, 0))
        p.wait_log("child started")
        self.assertEqual(os.stat("/proc/%d/environ" % p.pid).st_uid, 0,
                         "pidone is dumpable" + p.describe())
        self.assertEqual(os.stat("/proc/%d/environ" % p.child_pid()).st_uid,
                         54321, "the app is dumpable as usual")
        p.kill(signal.SIGTERM)
        p.wait()

    def test_unwritable_dir_gets_the_openshift_hint(self):
        d = self.world_tmpdir()        # root:root 0755
        p = self.run_pidone(["true"], NO_HEALTH + ["--writable", d],
                            defaults=False, mode="subreaper",
                            prefix=self.as_user())
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"],
                         "writable dir %s is not writable by uid 123456 "
                         "gid 0: Permission denied (owner 0:0 mode 0755)"
                         % d, p.describe())
        self.assertIn("chgrp -R 0 %s && chmod -R g=u %s" % (d, d),
                      rec["hint"])

    def test_create_dirs_as_the_user_itself(self):
        d = self.world_tmpdir()
        os.chown(d, 123456, 0)
        target = os.path.join(d, "a", "b")
        p = self.run_pidone(["true"], NO_HEALTH + ["--writable", target,
                                                   "--create-dirs"],
                            defaults=False, mode="subreaper",
                            prefix=self.as_user())
        self.assertExit(p, 0)
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid), (123456, 0))


class WritableDirs(NonrootCase):

    def run_dir(self, dirs, extra=(), prefix=(), cmd=("true",)):
        opts = list(NO_HEALTH)
        for d in dirs:
            opts += ["--writable", d]
        return self.run_pidone(list(cmd), opts + list(extra),
                               defaults=False, prefix=list(prefix))

    def assertDirError(self, p, msg, hint):
        """exit 77 with one error line saying @msg, hinting @hint."""
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["msg"], msg, p.describe())
        self.assertEqual(rec["hint"], hint)
        return rec

    def test_writable_dir_passes_and_is_left_clean(self):
        d = self.world_tmpdir()
        os.chown(d, 65532, 65532)
        p = self.run_dir([d, "/tmp"])
        self.assertExit(p, 0)
        self.assertEqual(os.listdir(d), [], "the probe file is removed")

    def test_wrong_owner_or_mode_exits_77_with_the_fix(self):
        cases = [
            # (owner, mode, text in parentheses)
            ((0, 0), 0o755, "owner 0:0 mode 0755"),
            ((1234, 4321), 0o775, "owner 1234:4321 mode 0775"),
        ]
        for owner, mode, what in cases:
            with self.subTest(what=what):
                d = self.world_tmpdir()
                os.chown(d, *owner)
                os.chmod(d, mode)
                p = self.run_dir(["/tmp", d])
                rec = self.assertDirError(
                    p, "writable dir %s is not writable by uid 65532 gid "
                    "65532: Permission denied (%s)" % (d, what),
                    "COPY --chown=65532:65532 ... in the Dockerfile, chown "
                    "65532:65532 %s, or for a volume set "
                    "securityContext.fsGroup: 65532" % d)
                self.assertEqual(rec["dir"], d)
                self.assertNotStarted(p)
                self.assertEqual(os.listdir(d), [])

    def test_owned_but_no_write_mode_gets_chmod_not_chown(self):
        d = self.world_tmpdir()
        os.chown(d, 65532, 65532)
        os.chmod(d, 0o555)
        self.assertDirError(
            self.run_dir([d]),
            "writable dir %s is not writable by uid 65532 gid 65532: "
            "Permission denied (owner 65532:65532 mode 0555)" % d,
            "%s is owned by uid 65532 already, but its mode 0555 does not "
            "let its owner write: RUN chmod u+rwx %s in the Dockerfile"
            % (d, d))

    def test_a_kernel_filesystem_is_no_matter_of_owner_or_mode(self):
        # /proc/sys answers a new file with ENOENT although it is there;
        # /sys refuses root itself: neither a chown nor --create-dirs helps
        for d, user, err in (("/proc/sys", "65532", "No such file or "
                              "directory"),
                             ("/sys", "keep", "Permission denied")):
            with self.subTest(dir=d):
                p = self.run_dir([d], ["--user", user])
                self.assertExit(p, 77)
                rec = self.one_error(p)
                self.assertRegex(rec["msg"], r"^writable dir %s is not "
                                 r"writable by uid \d+ gid \d+: %s \(owner "
                                 r"0:0 mode 0555\)$" % (d, err), p.describe())
                self.assertEqual(
                    rec["hint"],
                    "no owner or mode makes %s take new files (a kernel "
                    "filesystem such as /proc or /sys, an immutable dir, or "
                    "a security module): point --writable at a dir on a "
                    "writable filesystem (an emptyDir, a tmpfs, a volume)"
                    % d)

    def test_text_format_is_one_line(self):
        d = self.world_tmpdir()
        p = self.run_dir([d], ["--log-format", "text"])
        self.assertExit(p, 77)
        errors = [l for l in p.stderr_lines() if ": error: " in l]
        self.assertEqual(len(errors), 1, p.describe())
        for part in (d, "owner 0:0", "mode 0755", "uid 65532 gid 65532",
                     "Permission denied", "COPY --chown=65532:65532"):
            self.assertIn(part, errors[0])

    def test_read_only_mount_exits_77_with_the_tmpfs_hint(self):
        d = self.world_tmpdir()
        os.chown(d, 65532, 65532)
        q = shlex.quote(d)
        prefix = mount_ns(["mount --bind %s %s" % (q, q),
                           "mount -o remount,bind,ro %s" % q])
        self.assertDirError(
            self.run_dir([d], prefix=prefix),
            "writable dir %s is not writable by uid 65532 gid 65532: "
            "Read-only file system (owner 65532:65532 mode 0755)" % d,
            "the filesystem is read-only: mount an emptyDir (Kubernetes) or "
            "--tmpfs %s:uid=65532,gid=65532 (docker run) there" % d)
        # the real dir was never read-only
        self.assertTrue(os.access(d, os.W_OK))

    def test_missing_dir_77_then_created_with_create_dirs(self):
        d = self.world_tmpdir()
        target = os.path.join(d, "var", "cache", "app")
        p = self.run_dir([target])
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertIn("writable dir %s is not writable by uid 65532 gid "
                      "65532: No such file or directory" % target,
                      rec["msg"])
        self.assertIn("--create-dirs", rec["hint"])
        self.assertFalse(os.path.exists(os.path.join(d, "var")))

        p = self.run_dir([target], ["--create-dirs"],
                         cmd=["sh", "-c", 'touch "$0/file"', target])
        self.assertExit(p, 0)
        for sub in ("var", "var/cache", "var/cache/app"):
            st = os.lstat(os.path.join(d, sub))
            self.assertTrue(stat.S_ISDIR(st.st_mode), sub)
            self.assertEqual((st.st_uid, st.st_gid), (65532, 65532), sub)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o755, sub)
        self.assertEqual(os.listdir(target), ["file"])
        self.assertEqual(os.stat(os.path.join(target, "file")).st_uid,
                         65532)

    def test_create_dirs_from_env_and_existing_dir_untouched(self):
        d = self.world_tmpdir()
        p = self.run_pidone(["true"], NO_HEALTH, defaults=False,
                            env={"PIDONE_WRITABLE": "%s/x,%s/y" % (d, d),
                                 "PIDONE_CREATE_DIRS": "1"})
        self.assertExit(p, 0)
        self.assertEqual(sorted(os.listdir(d)), ["x", "y"])
        st = os.stat(d)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o755))

    def test_create_dirs_on_read_only_fs_exits_77(self):
        d = self.world_tmpdir()
        q = shlex.quote(d)
        prefix = mount_ns(["mount --bind %s %s" % (q, q),
                           "mount -o remount,bind,ro %s" % q])
        p = self.run_dir([os.path.join(d, "new")], ["--create-dirs"],
                         prefix=prefix)
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertIn("cannot create writable dir %s/new" % d, rec["msg"])
        self.assertIn("Read-only file system", rec["msg"])
        self.assertIn("emptyDir", rec["hint"])
        self.assertEqual(os.listdir(d), [])

    def test_a_file_is_not_a_directory(self):
        d = self.world_tmpdir()
        f = os.path.join(d, "file")
        open(f, "w").close()
        os.chmod(f, 0o666)
        p = self.run_dir([f])
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertIn("Not a directory (owner 0:0 mode 0666, not a "
                      "directory)", rec["msg"])
        self.assertIn("is not a directory", rec["hint"])

    def test_first_failing_dir_is_reported(self):
        good = self.world_tmpdir()
        os.chown(good, 65532, 65532)
        bad = self.world_tmpdir()
        p = self.run_dir([good, bad, "/nonexistent-pidone-it"])
        self.assertExit(p, 77)
        self.assertEqual(self.one_error(p)["dir"], bad)


if __name__ == "__main__":
    h.main()
