# SPDX-License-Identifier: MIT
"""Restarting on purpose (README: Restarts and reloads): the reload signal
and --watch take the child through the normal stop (readiness off, the
drain, SIGTERM after --rewrite, the grace) and start a new one at once,
not counted against --restart-max; --watch-signal sends a signal instead;
--no-restart-exit ends pidone with a listed status whatever --restart says.

The app is a real Python program. It prints "ready PID CONF" when it
starts (CONF: the text of the file named by its second argument, or "-")
and "got SIG" when a signal reaches it; it exits 100+SIG on TERM, INT or
QUIT and carries on after HUP. The watched trees are real directories,
one laid out like a mounted Kubernetes ConfigMap: a timestamped
directory, "..data" a symlink to it, the files symlinks through "..data",
updated by renaming a new "..data" over the old one.

Nothing asserts a duration. "Exactly one reload" is checked once pidone
sleeps with no timer armed (h.wait_idle): the debounce timer exists only
while a change waits to be reported, so none can be pending then.
"""

import os
import shutil
import signal
import socket
import time

import pidone_harness as h

APP = r"""
import os, signal, socket, sys, threading, time

conf = "-"
if len(sys.argv) > 2:
    try:
        with open(sys.argv[2]) as f:
            conf = f.read().strip() or "-"
    except OSError:
        conf = "missing"

if sys.argv[1] != "0":
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(64)

    def serve():
        while True:
            c, _ = srv.accept()
            c.close()

    # Signals go to the main thread: only its sleep() they interrupt. The
    # thread is born with them blocked (blocking them in the thread itself
    # left a moment in which the kernel could hand it one).
    sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP,
            signal.SIGUSR1, signal.SIGUSR2}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    threading.Thread(target=serve, daemon=True).start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)

def on_signal(sig, frame):
    os.write(1, b"got %d\n" % sig)
    if sig != signal.SIGHUP:
        os._exit(100 + sig)

for s in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP,
          signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, on_signal)
print("ready %d %s" % (os.getpid(), conf), flush=True)
while True:
    time.sleep(0.05)
"""

STARTS = """
import sys, time
with open(sys.argv[1], "a") as f:
    f.write("%.6f\\n" % time.monotonic())
n = len(open(sys.argv[1]).read().split())
codes = sys.argv[2].split(",")
sys.exit(int(codes[min(n, len(codes)) - 1]))
"""

RELOAD_WAIT = 15   # debounce (1 s) + a stop + a Python start, on a busy box


def readies(p):
    """The app's "ready PID CONF" lines so far, as (pid, conf)."""
    out = []
    for line in p.stdout_lines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ready":
            out.append((int(parts[1]), parts[2]))
    return out


def got(p):
    """The signals the apps have reported so far, in order."""
    return [int(line.split()[1]) for line in p.stdout_lines()
            if line.startswith("got ")]


def reloads(p):
    return p.records(r": reloading")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class ConfigMap:
    """A directory laid out like a mounted ConfigMap, updated the way the
    kubelet does it (a new timestamped directory, a new "..data" renamed
    over the old, the old directory removed)."""

    def __init__(self, root, files):
        self.root = root
        self.n = 0
        os.mkdir(root)
        self.current = self._write_dir(files)
        os.symlink(self.current, os.path.join(root, "..data"))
        for name in files:
            os.symlink(os.path.join("..data", name),
                       os.path.join(root, name))

    def _write_dir(self, files):
        self.n += 1
        name = "..2026_12_04_05_00_%02d.%09d" % (self.n, 1000 + self.n)
        d = os.path.join(self.root, name)
        os.mkdir(d)
        for key, text in files.items():
            write(os.path.join(d, key), text)
        return name

    def update(self, files):
        new = self._write_dir(files)
        tmp = os.path.join(self.root, "..data_tmp")
        os.symlink(new, tmp)
        os.rename(tmp, os.path.join(self.root, "..data"))
        shutil.rmtree(os.path.join(self.root, self.current))
        self.current = new


class Reload(h.TestCase):

    def start_app(self, opts, conf=None, health_port=None, app_port=0):
        opts = list(opts)
        if health_port:
            opts = h.health_opts(health_port) + opts
        args = [app_port] + ([conf] if conf else [])
        p = self.start(h.python_child(APP, *args), opts)
        h.wait_for(lambda: readies(p), 10,
                   what=lambda: "the app" + p.describe())
        return p

    def wait_readies(self, p, n):
        return h.wait_for(lambda: len(readies(p)) >= n and readies(p),
                          RELOAD_WAIT,
                          what=lambda: "%d app starts%s" % (n, p.describe()))

    def assertIdleAfter(self, p, n_reloads, n_starts):
        """pidone asleep with no timer: no reload pending; then count."""
        h.wait_idle(p.pid, timeout=RELOAD_WAIT)
        self.assertEqual(len(reloads(p)), n_reloads, p.describe())
        self.assertEqual(len(readies(p)), n_starts, p.describe())
        self.assertEqual(len(p.records(r"^child started$")), n_starts,
                         p.describe())

    # -- the reload signal --------------------------------------------------

    def test_reload_signal_drains_stops_and_starts_a_new_child(self):
        hp, ap = h.free_port(), h.free_port()
        p = self.start_app(["--reload-signal", "HUP", "--drain", "2",
                            "--grace", "30"], health_port=hp, app_port=ap)
        first = readies(p)[0][0]
        h.wait_http(hp, "/readyz", 200)
        p.kill(signal.SIGHUP)
        h.wait_http(hp, "/readyz", 503)
        rec = p.wait_log(r"^received SIGHUP: reloading the child")
        self.assertEqual(rec.get("drain_ms"), 2000, p.describe())
        # During the drain: live, serving, not ready, told why.
        self.assertEqual(h.http_get(hp, "/healthz").status, 200)
        verbose = h.http_get(hp, "/readyz?verbose")
        self.assertEqual(verbose.status, 503)
        self.assertRegex(verbose.text(), r"\[-\]shutdown failed: reload in "
                         r"progress: draining, \d+\.\d s of 2 s left, then "
                         r"SIGTERM")
        with socket.create_connection(("127.0.0.1", ap), timeout=5):
            pass
        self.assertEqual(got(p), [], "HUP is not forwarded, and TERM "
                         "waits for the drain" + p.describe())
        # After the drain: TERM to the old app, a new app at once.
        starts = self.wait_readies(p, 2)
        self.assertNotEqual(starts[1][0], first, p.describe())
        self.assertEqual(got(p), [signal.SIGTERM], p.describe())
        h.wait_http(hp, "/readyz", 200)
        metrics = h.http_get(hp, "/metrics").text().splitlines()
        self.assertIn("pidone_child_restarts_total 0", metrics,
                      "a reload is not a restart")
        self.assertIn("pidone_child_reloads_total 1", metrics)
        msgs = [r.get("msg") for r in p.logs()]
        i = msgs.index("reload: drain over, sent SIGTERM")
        self.assertEqual(msgs[i + 1], "child exited", p.describe())
        self.assertEqual(msgs[i + 2], "child started", p.describe())
        self.assertFalse(p.records(r"^restarting"), p.describe())
        self.assertTrue(p.alive())
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)

    def test_reload_is_not_counted_and_uses_the_rewritten_stop(self):
        # --restart never and a budget of 0: reloads go on regardless.
        p = self.start_app(["--reload-signal", "USR2", "--restart-max", "0",
                            "--rewrite", "TERM:QUIT", "--grace", "30"])
        for n in (2, 3, 4):
            p.kill(signal.SIGUSR2)
            self.wait_readies(p, n)
        self.assertEqual(got(p), [signal.SIGQUIT] * 3,
                         "the stop after --rewrite, USR2 never forwarded"
                         + p.describe())
        pids = [pid for pid, _ in readies(p)]
        self.assertEqual(len(set(pids)), 4, p.describe())
        self.assertEqual([r.get("reloads") for r in reloads(p)], [1, 2, 3])
        self.assertEqual(p.records(r"^giving up"), [], p.describe())
        # A reload signal that is no stop: TERM still stops (rewritten).
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGQUIT)

    def test_realtime_reload_signal_is_numbered_as_kill_l(self):
        # RTMIN+1 is 35 for kill -l, Docker and a glibc child, whatever C
        # library pidone is built with (musl's own SIGRTMIN is 35: a musl
        # build once took RTMIN+1 for 36 and forwarded 35, which killed
        # the app).
        p = self.start_app(["--reload-signal", "RTMIN+1", "--grace", "30"])
        p.kill(35)
        p.wait_log(r"^received SIGRTMIN\+1: reloading the child")
        self.wait_readies(p, 2)
        self.assertEqual(got(p), [signal.SIGTERM], p.describe())
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)

    def test_stop_during_a_reload_grace_sends_no_second_term(self):
        # The reload's TERM is out and the app takes a second to shut
        # down: docker stop's TERM ends pidone (no new child) without a
        # second TERM to the app, which many take as "quit now".
        slow = h.python_child("""
            import os, signal, time
            def on_term(sig, frame):
                os.write(1, b"got %d\\n" % sig)
                time.sleep(1.5)
                os._exit(0)
            signal.signal(signal.SIGTERM, on_term)
            print("ready %d -" % os.getpid(), flush=True)
            while True:
                time.sleep(0.05)
        """)
        p = self.start(slow, ["--reload-signal", "HUP", "--grace", "30"])
        self.wait_readies(p, 1)
        p.kill(signal.SIGHUP)
        h.wait_for(lambda: got(p), 10, what=lambda: "the reload's TERM"
                   + p.describe())
        p.kill(signal.SIGTERM)
        p.wait_log(r"^received SIGTERM: shutting down$")
        p.wait()
        self.assertExit(p, 0)
        self.assertEqual(got(p), [signal.SIGTERM], p.describe())
        self.assertEqual(len(readies(p)), 1, "no new child after a stop"
                         + p.describe())

    def test_stop_during_a_reload_drain_ends_pidone(self):
        p = self.start_app(["--reload-signal", "USR1", "--drain", "1",
                            "--restart", "always", "--grace", "30"])
        p.kill(signal.SIGUSR1)
        p.wait_log(r"^received SIGUSR1: reloading the child")
        p.kill(signal.SIGTERM)
        p.wait_log(r"^received SIGTERM: shutting down")
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)
        self.assertEqual(len(readies(p)), 1, "no new child after a stop"
                         + p.describe())
        self.assertEqual(got(p), [signal.SIGTERM], p.describe())

    # -- --no-restart-exit --------------------------------------------------

    def test_no_restart_exit_ends_pidone_with_that_status(self):
        path = os.path.join(self.tmpdir(), "starts")
        # Exits 1 (restarted), then 78 (listed: pidone ends with it).
        p = self.run_pidone(h.python_child(STARTS, path, "1,78"),
                            ["--restart", "always", "--restart-max", "5",
                             "--no-restart-exit", "78"], timeout=30)
        self.assertExit(p, 78)
        with open(path) as f:
            self.assertEqual(len(f.read().split()), 2, p.describe())
        rec = p.wait_log(r"^not restarting: the exit status 78 is listed")
        self.assertEqual(rec.get("code"), 78)
        self.assertEqual(len(p.records(r"^restarting the child")), 1)

    def test_a_reload_in_a_backoff_spends_no_restart(self):
        # the reload pre-empts the decided restart: --restart-max 1 keeps
        # its one restart for the next failure
        path = os.path.join(self.tmpdir(), "starts")
        p = self.start(h.python_child(STARTS, path, "3"),
                       ["--restart", "always", "--restart-max", "1",
                        "--reload-signal", "HUP"])
        p.wait_log(r"^restarting the child")
        p.kill(signal.SIGHUP)
        p.wait(30)
        self.assertExit(p, 3)
        with open(path) as f:
            self.assertEqual(len(f.read().split()), 3,
                             "the first, the reload's, the restart's"
                             + p.describe())
        self.assertEqual([r["restarts"] for r in
                          p.records(r"^restarting the child")], [1, 1],
                         p.describe())
        self.assertEqual(len(p.records(r"^giving up")), 1, p.describe())

    def test_no_restart_exit_from_the_environment(self):
        path = os.path.join(self.tmpdir(), "starts")
        p = self.run_pidone(h.python_child(STARTS, path, "3"),
                            ["--restart", "on-failure"],
                            env={"PIDONE_NO_RESTART_EXIT": "78, 3"},
                            timeout=30)
        self.assertExit(p, 3)
        with open(path) as f:
            self.assertEqual(len(f.read().split()), 1, p.describe())

    # -- --watch ------------------------------------------------------------

    def test_configmap_swap_is_one_reload(self):
        for watched in ("cfg", "cfg/app.conf"):
            with self.subTest(watched=watched):
                root = os.path.join(self.tmpdir(), "cfg")
                cm = ConfigMap(root, {"app.conf": "v1", "other": "x"})
                p = self.start_app(
                    ["--watch", os.path.join(os.path.dirname(root), watched),
                     "--grace", "30"], conf=os.path.join(root, "app.conf"))
                p.wait_log(r"^watching for changes$")
                self.assertEqual(readies(p)[0][1], "v1")
                h.wait_idle(p.pid)
                for n, text in ((2, "v2"), (3, "v3")):
                    cm.update({"app.conf": text, "other": "x"})
                    starts = self.wait_readies(p, n)
                    self.assertEqual(starts[-1][1], text, p.describe())
                    self.assertIdleAfter(p, n - 1, n)
                rec = reloads(p)[0]
                self.assertEqual(rec.get("msg"), "a watched path changed: "
                                 "reloading the child, sent SIGTERM")
                self.assertTrue(rec.get("path", "").endswith(watched),
                                p.describe())
                self.assertEqual(got(p), [signal.SIGTERM] * 2)
                p.kill(signal.SIGTERM)
                p.wait()
                self.assertExit(p, 100 + signal.SIGTERM)
                p.cleanup()

    def test_a_burst_of_writes_is_one_reload(self):
        d = self.tmpdir()
        p = self.start_app(["--watch", d, "--grace", "30"])
        h.wait_idle(p.pid)
        # Each write restarts the quiet second: the burst outlasts 1 s,
        # but no gap within it comes near it.
        stamps = []
        for i in range(6):
            write(os.path.join(d, "part%d" % i), "x" * i)
            stamps.append(time.monotonic())
            time.sleep(0.25)
        self.wait_readies(p, 2)
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        h.wait_idle(p.pid, timeout=RELOAD_WAIT)
        if max(gaps) < 0.8:
            self.assertEqual(len(reloads(p)), 1, "gaps %r%s"
                             % (gaps, p.describe()))
        else:   # the machine stalled the writer for longer than a gap
            self.assertLessEqual(len(reloads(p)),
                                 1 + sum(g >= 0.8 for g in gaps))
        self.assertEqual(len(readies(p)), 1 + len(reloads(p)))

    def test_watched_dir_removed_and_recreated_still_triggers(self):
        base = self.tmpdir()
        d = os.path.join(base, "conf.d")
        os.mkdir(d)
        write(os.path.join(d, "a"), "1")
        p = self.start_app(["--watch", d, "--grace", "30"])
        h.wait_idle(p.pid)
        shutil.rmtree(d)
        self.wait_readies(p, 2)
        self.assertIdleAfter(p, 1, 2)
        os.mkdir(d)
        self.wait_readies(p, 3)
        self.assertIdleAfter(p, 2, 3)
        write(os.path.join(d, "b"), "2")
        self.wait_readies(p, 4)
        self.assertIdleAfter(p, 3, 4)
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)

    def test_a_change_in_a_backoff_is_read_by_the_restarted_child(self):
        # The change comes just after the crash: the 1 s backoff ends
        # before the 1 s debounce, and the child the restart starts reads
        # the change as it starts: no reload stops it at once.
        d = self.tmpdir()
        runs = os.path.join(d, "runs")
        watched = os.path.join(d, "conf")
        os.mkdir(watched)
        child = h.python_child("""
            import os, sys, time
            with open(sys.argv[1], "a") as f:
                f.write("run\\n")
            if len(open(sys.argv[1]).read().split()) == 1:
                time.sleep(0.2)
                sys.exit(1)
            time.sleep(3)
            """, runs)
        p = self.start(child, ["--restart", "on-failure", "--watch", watched,
                               "--log-level", "debug"])
        p.wait_log(r"^restarting the child")
        write(os.path.join(watched, "x"), "new")
        p.wait(20)
        self.assertExit(p, 0)
        self.assertEqual(reloads(p), [], p.describe())
        self.assertEqual(len(p.records(r"^child started$")), 2)
        p.wait_log(r"^a watched path changed before the child started: "
                   r"nothing to reload$", timeout=1)

    def test_watched_path_that_appears_later(self):
        base = self.tmpdir()
        conf = os.path.join(base, "etc", "app", "app.conf")
        p = self.start_app(["--watch", conf, "--grace", "30"], conf=conf)
        self.assertEqual(readies(p)[0][1], "missing")
        p.wait_log(r"^the watched path is not there yet")
        h.wait_idle(p.pid)
        os.makedirs(os.path.dirname(conf))
        write(conf, "now")
        starts = self.wait_readies(p, 2)
        self.assertEqual(starts[-1][1], "now", p.describe())
        self.assertIdleAfter(p, 1, 2)

    def test_watch_signal_sends_hup_and_does_not_restart(self):
        d = self.tmpdir()
        p = self.start_app(["--watch", d, "--watch-signal", "HUP",
                            "--grace", "30"])
        h.wait_idle(p.pid)
        for n in (1, 2):
            write(os.path.join(d, "app.conf"), str(n))
            h.wait_for(lambda: len(got(p)) >= n, RELOAD_WAIT,
                       what=lambda: "HUP number %d%s" % (n, p.describe()))
            h.wait_idle(p.pid, timeout=RELOAD_WAIT)
        self.assertEqual(got(p), [signal.SIGHUP] * 2, p.describe())
        self.assertEqual(len(readies(p)), 1, "no restart" + p.describe())
        self.assertEqual(reloads(p), [], p.describe())
        rec = p.wait_log(r"^a watched path changed: sent SIGHUP to the child")
        self.assertEqual(rec.get("pid"), readies(p)[0][0])
        p.kill(signal.SIGTERM)
        p.wait()
        self.assertExit(p, 100 + signal.SIGTERM)

    def test_watched_paths_are_watched_as_the_final_user(self):
        hidden = self.tmpdir()                  # 0700, root's
        open_dir = self.tmpdir()
        os.chmod(open_dir, 0o755)
        opts = ["--health-port", "0", "--user", "65532:65532"]
        p = self.run_pidone(["sleep", "30"], opts + [
            "--watch", open_dir, "--watch", os.path.join(hidden, "cfg")],
            defaults=False)
        self.assertExit(p, 77)
        err = self.one_error(p)
        self.assertEqual(err.get("msg"), "cannot watch the path")
        self.assertEqual(err.get("path"), os.path.join(hidden, "cfg"))
        self.assertEqual(err.get("uid"), 65532)
        self.assertIn("readable by the user pidone runs as", err.get("hint"))
        self.assertNotStarted(p)
        # Readable by 65532: watched, and a change by root reloads.
        q = self.start(["sleep", "30"], opts + ["--watch", open_dir],
                       defaults=False)
        q.wait_log(r"^child started$")
        h.wait_idle(q.pid)
        write(os.path.join(open_dir, "app.conf"), "x")
        h.wait_for(lambda: len(q.records(r"^child started$")) == 2,
                   RELOAD_WAIT, what=lambda: "a reload" + q.describe())
        self.assertEqual(len(reloads(q)), 1, q.describe())

    def test_the_inotify_fd_exists_only_with_watch(self):
        def inotify_fds(pid):
            return h.fd_links(pid).count("anon_inode:inotify")

        # The OOM watch may hold one of its own (cgroup v2).
        p = self.start_app(["--grace", "30"])
        h.wait_idle(p.pid)
        without = inotify_fds(p.pid)
        q = self.start_app(["--watch", self.tmpdir(), "--grace", "30"])
        h.wait_idle(q.pid)
        self.assertEqual(inotify_fds(q.pid), without + 1)

if __name__ == "__main__":
    h.main()
