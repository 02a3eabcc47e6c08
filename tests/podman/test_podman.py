#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_podman - pidone as a podman container's entrypoint, told about by
its own sd_notify messages (README: Podman and systemd).

Usage: test_podman.py PIDONE_BINARY

Makes one image with ``podman import`` from the same distroless-like
Python root filesystem the docker suite builds on (tests/docker/mkimages.py,
nothing is pulled), with the binary under test as /init and its shared
libraries, USER 65532:65532. Then, with a NOTIFY_SOCKET the test binds
itself:

- ``podman run --sdnotify=container`` (podman's proxy socket inside the
  container): READY=1 arrives only once ``/readyz`` is 200 (a
  ``--ready-tcp`` check that the test opens later), ``podman healthcheck
  run`` with ``--health-cmd '["/init","health"]'`` is healthy, ``podman
  stop`` ends the container with the app's own exit code, and pidone sent
  STOPPING=1 (podman 4's conmon forwards READY=1 alone, so pidone's debug
  log says so);
- the test's socket bind-mounted into the container (``--sdnotify=ignore``,
  ``-e NOTIFY_SOCKET=...``, as a systemd unit running podman would do):
  READY=1, STATUS= and STOPPING=1 arrive as pidone sends them.

Everything runs in a private podman (its own storage root, run root, tmp
dir and network config dir under one temp dir, vfs storage, cgroupfs,
file events, runc when installed, ``--network none``). Every container and
image is labelled pidone-test=1 and removed by that label at the end,
whatever happens; the temp dir goes with them. Exit 77 (skip) without
root or podman.

Environment: PODMAN (the program, default podman on PATH),
PIDONE_PODMAN_RUNTIME (default runc when installed, else podman's own),
PIDONE_PODMAN_KEEP=1 (keep the temp dir, for a look after a failure).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "docker"))
import mkimages  # noqa: E402  (the docker suite's root filesystems)

LABEL = "pidone-test=1"
IMAGE = "localhost/pidone-test/podman:latest"
PODMAN = os.environ.get("PODMAN") or shutil.which("podman") or ""
TIMEOUT = 60

# The app: waits for /gate/open (the test opens it), then listens on
# 127.0.0.1:8000 (pidone's --ready-tcp); exits 7 on SIGTERM.
APP = r"""
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))
print("app waiting", flush=True)
while not os.path.exists("/gate/open"):
    time.sleep(0.05)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8000))
s.listen()
print("app listening", flush=True)
while True:
    time.sleep(0.05)
"""

STATE = {}

# Made by podman on first use whatever its --root says (netavark's run
# dir, the image copy's blob cache): removed at the end when the run
# made them.
PODMAN_LEFTOVERS = ("/run/containers", "/var/lib/containers")


def podman_argv(*args):
    """podman with the private storage and the settings this needs."""
    s = STATE
    argv = [PODMAN, "--root", s["root"], "--runroot", s["runroot"],
            "--tmpdir", s["tmp"], "--network-config-dir", s["net"],
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
            "--events-backend", "file"]
    if s.get("runtime"):
        argv += ["--runtime", s["runtime"]]
    return argv + list(args)


def podman(*args, env=None, check=True, timeout=TIMEOUT):
    r = subprocess.run(podman_argv(*args), capture_output=True, text=True,
                       timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError("podman %s: status %d\n%s%s"
                             % (" ".join(args), r.returncode, r.stdout,
                                r.stderr))
    return r


def wait_for(pred, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %ds waiting for %s"
                                 % (timeout, what))
        time.sleep(0.1)


class NotifySocket:
    """The outer supervisor's end: a bound unix datagram socket whose
    datagrams are collected on a thread, as lines."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        # pidone (65532) connects to it directly in the bind-mount check
        os.chmod(path, 0o666)
        self.lines = []
        self.lock = threading.Lock()
        self.closing = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.closing:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.lines += [l for l in data.decode(errors="replace")
                               .split("\n") if l]

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def wait(self, line, what=None):
        try:
            return wait_for(lambda: line in self.snapshot(),
                            what=what or line)
        except AssertionError as e:
            raise AssertionError("%s; received %r" % (e, self.snapshot()))

    def close(self):
        self.closing = True
        self.thread.join(timeout=2)
        self.sock.close()


class Podman(unittest.TestCase):

    maxDiff = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="case-", dir=STATE["base"])
        os.chmod(self.dir, 0o755)
        self.gate = os.path.join(self.dir, "gate")
        os.mkdir(self.gate)
        os.chmod(self.gate, 0o755)
        self.notify = NotifySocket(os.path.join(self.dir, "notify.sock"))
        self.addCleanup(self.notify.close)

    def run_container(self, name, opts, env=None):
        full = "pidone-test-%s-%d" % (name, os.getpid())
        self.addCleanup(podman, "rm", "-f", "-v", full, check=False)
        podman("run", "-d", "--name", full, "--label", LABEL,
               "--network", "none",
               "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
               "-v", "%s:/gate:ro" % self.gate,
               "-e", "PIDONE_READY_TCP=8000", "-e", "PIDONE_LOG_LEVEL=debug",
               *opts, IMAGE, "--", "python3", "-c", APP, env=env)
        return full

    def logs(self, name):
        r = podman("logs", name)
        return r.stdout + r.stderr

    def records(self, name):
        out = []
        for line in self.logs(name).splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def ready_probe(self, name):
        return podman("exec", name, "/init", "health", "--ready",
                      check=False)

    def stop(self, name):
        """podman stop: the app's own status (7 on SIGTERM) is the
        container's."""
        podman("stop", "-t", "10", name)
        code = podman("inspect", name, "--format",
                      "{{.State.ExitCode}}").stdout.strip()
        self.assertEqual(code, "7", self.logs(name))

    def open_gate_and_wait_ready(self, name):
        wait_for(lambda: "app waiting" in self.logs(name),
                 what="the app to start")
        r = self.ready_probe(name)
        self.assertEqual(r.returncode, 1, "/readyz before the app listens: "
                         + r.stdout + r.stderr)
        self.assertNotIn("READY=1", self.notify.snapshot(),
                         "READY=1 before /readyz was 200")
        open(os.path.join(self.gate, "open"), "w").close()
        self.notify.wait("READY=1")
        r = self.ready_probe(name)
        self.assertEqual(r.returncode, 0, "/readyz after READY=1: "
                         + r.stdout + r.stderr)

    def test_sdnotify_container(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        name = self.run_container(
            "sdnotify", ["--sdnotify=container",
                         "--health-cmd", '["/init","health"]',
                         "--health-interval", "disable"], env=env)
        r = podman("healthcheck", "run", name, check=False)
        self.assertEqual(r.returncode, 0, "podman healthcheck run: "
                         + r.stdout + r.stderr + self.logs(name))
        self.open_gate_and_wait_ready(name)
        self.stop(name)
        sent = [r.get("message", "") for r in self.records(name)
                if r.get("msg") == "notified the outer supervisor"]
        self.assertEqual(sum("READY=1" in m for m in sent), 1, sent)
        self.assertEqual(sum("STOPPING=1" in m for m in sent), 1, sent)
        self.assertFalse([r for r in self.records(name)
                          if "cannot notify" in r.get("msg", "")],
                         self.logs(name))
        self.assertEqual(self.notify.snapshot().count("READY=1"), 1)

    def test_socket_bind_mounted(self):
        name = self.run_container(
            "direct", ["--sdnotify=ignore",
                       "-v", "%s:/run/outer" % self.dir,
                       "-e", "NOTIFY_SOCKET=/run/outer/notify.sock"])
        self.open_gate_and_wait_ready(name)
        self.stop(name)
        lines = self.notify.snapshot()
        self.assertIn("STOPPING=1", lines)
        self.assertLess(lines.index("READY=1"), lines.index("STOPPING=1"))
        self.assertEqual(lines.count("READY=1"), 1, lines)
        self.assertIn("STATUS=ready", lines)
        self.assertEqual(lines[-1], "STATUS=child exited with status 7")


def cleanup():
    """Every container and image of ours, by label, then the temp dir."""
    if "base" not in STATE:
        return
    ids = podman("ps", "-aq", "--filter", "label=" + LABEL,
                 check=False).stdout.split()
    if ids:
        podman("rm", "-f", "-v", *ids, check=False)
    images = podman("images", "-q", "--filter", "label=" + LABEL,
                    check=False).stdout.split()
    if images:
        podman("rmi", "-f", *sorted(set(images)), check=False)
    for path in PODMAN_LEFTOVERS:
        if path not in STATE["existed"]:
            shutil.rmtree(path, ignore_errors=True)
    if os.environ.get("PIDONE_PODMAN_KEEP") == "1":
        print("test_podman: kept %s" % STATE["base"], file=sys.stderr)
        return
    # a container's shm may still be mounted if podman was killed
    with open("/proc/self/mounts") as f:
        mounts = [line.split()[1] for line in f]
    for m in sorted((m for m in mounts
                     if m.startswith(STATE["base"] + "/")), reverse=True):
        subprocess.run(["umount", "-l", m], check=False)
    shutil.rmtree(STATE["base"], ignore_errors=True)


def make_image(binary):
    fs, env, _ = mkimages.python_rootfs()
    fs.add_host(binary, "/init")
    fs.add_ldd(binary)
    changes = ["--change", "USER 65532:65532",
               "--change", "LABEL " + LABEL,
               "--change", 'ENTRYPOINT ["/init"]',
               "--change", "WORKDIR /home/nonroot"]
    for e in env:
        changes += ["--change", "ENV " + e]
    p = subprocess.Popen(podman_argv("import", "--quiet", *changes, "-",
                                     IMAGE),
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        fs.write(p.stdin)
    finally:
        p.stdin.close()
    if p.wait(timeout=600) != 0:
        raise SystemExit("test_podman: podman import failed")


def main():
    if len(sys.argv) != 2:
        print("usage: test_podman.py PIDONE_BINARY", file=sys.stderr)
        return 64
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("test_podman: SKIP: needs root")
        return 77
    if not PODMAN:
        print("test_podman: SKIP: podman missing (apt-get install podman)")
        return 77
    if not os.access(binary, os.X_OK):
        print("test_podman: %s is not an executable" % binary)
        return 1
    STATE["existed"] = [p for p in PODMAN_LEFTOVERS if os.path.lexists(p)]
    base = tempfile.mkdtemp(prefix="pidone-podman-")
    os.chmod(base, 0o755)
    STATE.update(base=base, root=os.path.join(base, "root"),
                 runroot=os.path.join(base, "runroot"),
                 tmp=os.path.join(base, "tmp"), net=os.path.join(base, "net"))
    os.mkdir(STATE["net"])
    runtime = os.environ.get("PIDONE_PODMAN_RUNTIME")
    if runtime is None:
        runtime = shutil.which("runc") or ""
    STATE["runtime"] = runtime
    try:
        version = podman("version", "--format", "{{.Client.Version}}")
        print("test_podman: podman %s, runtime %s, storage in %s"
              % (version.stdout.strip(), runtime or "(default)", base))
        make_image(binary)
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Podman)
        result = unittest.TextTestRunner(stream=sys.stdout,
                                         verbosity=2).run(suite)
        return 0 if result.wasSuccessful() else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
