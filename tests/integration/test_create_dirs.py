# SPDX-License-Identifier: MIT
"""--create-dirs as root, against symlinks it did not make and start-ups
that fail after it made something.

pidone creates the missing writable dirs as root, before the drop, owned
by the final user. A symlink on the way is followed only when it belongs
to root or to the final user: another user's symlink in a world-writable
sticky dir (/tmp) must not choose where root makes a dir that the final
user owns. When the start fails later (another dir cannot be created, the
drop fails, a dir is not writable), the dirs this start made are removed
again; one that cannot be removed after the drop (its parent belongs to
root) is named in a warning.

Read-only dirs are read-only bind mounts inside a private mount namespace.
"""

import os
import shlex
import shutil
import stat

import pidone_harness as h

NO_HEALTH = ["--health-port", "0"]
SETPRIV = shutil.which("setpriv") or ""
OTHER_UID = 1234


def mount_ns(lines):
    """argv prefix: run the rest in a private mount namespace after the
    shell @lines (paths already quoted)."""
    script = "set -e\n" + "\n".join(lines) + '\nexec "$@"\n'
    return [h.UNSHARE, "--mount", "--propagation", "private",
            "sh", "-c", script, "sh"]


def read_only(path):
    q = shlex.quote(path)
    return mount_ns(["mount --bind %s %s" % (q, q),
                     "mount -o remount,bind,ro %s" % q])


class CreateDirsCase(h.TestCase):

    def world_tmpdir(self):
        """A temp dir any uid may enter (mkdtemp makes them 0700)."""
        d = self.tmpdir()
        os.chmod(d, 0o755)
        return d

    def sticky_dir(self, parent):
        """@parent/tmp, mode 1777 like /tmp."""
        d = os.path.join(parent, "tmp")
        os.mkdir(d)
        os.chmod(d, 0o1777)
        return d

    def plant(self, target, link, uid):
        os.symlink(target, link)
        os.lchown(link, uid, uid)

    def run_dirs(self, dirs, extra=(), **kwargs):
        opts = list(NO_HEALTH) + ["--create-dirs"]
        for d in dirs:
            opts += ["--writable", d]
        return self.run_pidone(["true"], opts + list(extra), defaults=False,
                               **kwargs)


class Symlinks(CreateDirsCase):

    def test_another_users_symlink_in_a_sticky_dir_is_refused(self):
        d = self.world_tmpdir()
        victim = os.path.join(d, "victim")     # root's, 0755
        os.mkdir(victim)
        os.chmod(victim, 0o755)
        link = os.path.join(self.sticky_dir(d), "cache")
        self.plant(victim, link, OTHER_UID)
        for sub in ("app", "app/deeper"):
            with self.subTest(sub=sub):
                p = self.run_dirs([os.path.join(link, sub)])
                self.assertExit(p, 77)
                rec = self.one_error(p)
                self.assertIn(
                    "%s is a symlink owned by uid %d (not root or the "
                    "final user), refusing to follow it" % (link, OTHER_UID),
                    rec["msg"], p.describe())
                self.assertTrue(rec["msg"].startswith(
                    "cannot create writable dir %s/%s: " % (link, sub)),
                    p.describe())
                self.assertIn("hint", rec, p.describe())
                self.assertNotStarted(p)
                self.assertEqual(os.listdir(victim), [],
                                 "nothing created at the symlink's target")
                # pidone check says the same, and makes nothing either
                c = self.run_pidone(["true"], ["check", "--create-dirs",
                                               "--writable",
                                               os.path.join(link, sub)]
                                    + NO_HEALTH, defaults=False,
                                    mode="subreaper")
                self.assertExit(c, 77)
                self.assertIn("FAIL: " + rec["msg"],
                              "\n".join(c.stdout_lines()), c.describe())
                self.assertEqual(os.listdir(victim), [])
        self.assertEqual(os.lstat(link).st_uid, OTHER_UID)

    def test_another_users_symlink_deeper_in_the_path_is_refused(self):
        # the symlink is not the last existing component: a/b with b a
        # dir of the other user holding the symlink
        d = self.world_tmpdir()
        victim = os.path.join(d, "victim")
        os.mkdir(victim)
        mid = os.path.join(d, "mid")
        os.mkdir(mid)
        os.chown(mid, OTHER_UID, OTHER_UID)
        link = os.path.join(mid, "link")
        self.plant(victim, link, OTHER_UID)
        p = self.run_dirs([os.path.join(link, "x", "y")])
        self.assertExit(p, 77)
        self.assertIn("%s is a symlink owned by uid %d" % (link, OTHER_UID),
                      self.one_error(p)["msg"])
        self.assertEqual(os.listdir(victim), [])

    def test_root_and_final_user_symlinks_are_followed(self):
        d = self.world_tmpdir()
        sticky = self.sticky_dir(d)
        for owner in (0, 65532):
            with self.subTest(owner=owner):
                real = os.path.join(d, "real%d" % owner)
                os.mkdir(real)
                os.chmod(real, 0o755)
                link = os.path.join(sticky, "run%d" % owner)
                self.plant(real, link, owner)
                p = self.run_dirs([os.path.join(link, "app")])
                self.assertExit(p, 0)
                st = os.lstat(os.path.join(real, "app"))
                self.assertTrue(stat.S_ISDIR(st.st_mode))
                self.assertEqual((st.st_uid, st.st_gid), (65532, 65532))

    def test_relative_root_symlink_like_var_run(self):
        # /var/run -> ../run, as images have it
        d = self.world_tmpdir()
        os.makedirs(os.path.join(d, "run"))
        os.makedirs(os.path.join(d, "var"))
        os.symlink("../run", os.path.join(d, "var", "run"))
        p = self.run_dirs([os.path.join(d, "var", "run", "app")])
        self.assertExit(p, 0)
        st = os.lstat(os.path.join(d, "run", "app"))
        self.assertEqual(st.st_uid, 65532)


class UndoOnFailure(CreateDirsCase):

    def test_second_dir_on_a_read_only_fs_removes_the_first(self):
        d = self.world_tmpdir()
        ro = self.world_tmpdir()
        first = os.path.join(d, "a", "b", "c")
        p = self.run_dirs([first, os.path.join(ro, "new")],
                          prefix=read_only(ro))
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertIn("cannot create writable dir %s/new" % ro, rec["msg"])
        self.assertIn("Read-only file system", rec["msg"])
        self.assertNotStarted(p)
        self.assertEqual(os.listdir(d), [], "a/b/c removed again")
        self.assertEqual(os.listdir(ro), [])

    def test_refused_symlink_for_the_second_dir_removes_the_first(self):
        d = self.world_tmpdir()
        victim = os.path.join(d, "victim")
        os.mkdir(victim)
        link = os.path.join(self.sticky_dir(d), "evil")
        self.plant(victim, link, OTHER_UID)
        first = os.path.join(d, "data", "cache")
        p = self.run_dirs([first, os.path.join(link, "x")])
        self.assertExit(p, 77)
        self.assertFalse(os.path.lexists(os.path.join(d, "data")))
        self.assertEqual(os.listdir(victim), [])

    def test_pre_existing_dirs_are_left(self):
        d = self.world_tmpdir()
        ro = self.world_tmpdir()
        keep = os.path.join(d, "keep")
        os.mkdir(keep)
        os.chmod(keep, 0o755)
        p = self.run_dirs([os.path.join(keep, "new"), keep,
                           os.path.join(ro, "x")], prefix=read_only(ro))
        self.assertExit(p, 77)
        self.assertEqual(os.listdir(d), ["keep"])
        self.assertEqual(os.listdir(keep), [])
        st = os.stat(keep)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o755))

    def test_failed_verify_after_the_drop_removes_what_it_may(self):
        # The parent belongs to the final user: after the drop pidone may
        # still remove everything it made there.
        home = self.world_tmpdir()
        os.chown(home, 65532, 65532)
        unwritable = self.world_tmpdir()           # root's 0755
        p = self.run_dirs([os.path.join(home, "x", "y"), unwritable])
        self.assertExit(p, 77)
        rec = self.one_error(p)
        self.assertEqual(rec["dir"], unwritable, p.describe())
        self.assertIn("is not writable by uid 65532", rec["msg"])
        self.assertEqual(os.listdir(home), [], p.describe())
        self.assertFalse([r for r in p.logs() if r["level"] == "warn"
                          and "left" in r["msg"]], p.describe())

    def test_what_cannot_be_removed_after_the_drop_is_named(self):
        # The top dir made sits in root's dir: uid 65532 cannot remove it.
        d = self.world_tmpdir()
        unwritable = self.world_tmpdir()
        top = os.path.join(d, "x")
        p = self.run_dirs([os.path.join(top, "y"), unwritable])
        self.assertExit(p, 77)
        self.assertEqual(self.one_error(p)["dir"], unwritable)
        self.assertEqual(os.listdir(top), [], "x/y removed" + p.describe())
        warns = [r for r in p.logs() if r["level"] == "warn"
                 and r.get("dir") == top]
        self.assertEqual(len(warns), 1, p.describe())
        self.assertIn("left behind", warns[0]["msg"])
        self.assertEqual(warns[0].get("error"), "Permission denied",
                         p.describe())

    def test_a_failure_after_the_dirs_before_the_child_removes_them(self):
        # --watch fails (the final user cannot read the path), after the
        # dirs were made and proved: no child ran, so they go again
        home = self.world_tmpdir()
        os.chown(home, 65532, 65532)
        secret = self.tmpdir()                      # root's 0700
        p = self.run_dirs([os.path.join(home, "x", "y")],
                          ["--watch", os.path.join(secret, "conf")])
        self.assertExit(p, 77)
        self.assertNotStarted(p)
        self.assertEqual(os.listdir(home), [], p.describe())

    def test_failed_privilege_drop_removes_the_dirs(self):
        if not SETPRIV:
            self.skipTest("setpriv not found")
        d = self.world_tmpdir()
        p = self.run_dirs([os.path.join(d, "x", "y")], mode="subreaper",
                          prefix=[SETPRIV, "--bounding-set",
                                  "-setuid,-setgid", "--"])
        self.assertExit(p, 77)
        self.assertIn("cannot drop privileges", self.one_error(p)["msg"])
        self.assertEqual(os.listdir(d), [], p.describe())


if __name__ == "__main__":
    h.main()
