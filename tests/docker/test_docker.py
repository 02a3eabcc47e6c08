# SPDX-License-Identifier: MIT
"""test_docker - pidone as users run it: the contrib images in a real Docker.

Run by tests/docker/run.sh, which starts a private dockerd, makes the local
base images (mkimages.py) and a clean copy of the source tree, and passes:

  DOCKER        the docker client (/usr/bin/docker)
  DOCKER_HOST   the private daemon's socket
  PIDONE_SRC    the source tree (contrib/, tests/docker/)
  PIDONE_CONTEXT the build context (the tree's files that git would track)
  PIDONE_DOCKER_STATE  where logs go

For Python and then Node it builds the contrib Dockerfile with BASE and
BUILDER pointed at the local images, and checks, with every wait bounded:
/init is the static musl binary users get by default; the exec-form
HEALTHCHECK turns the container healthy while the shell form
cannot run (there is no shell); /init is PID 1 and neither it nor the app is
root; `docker stop` reaches the app and its exit status comes back; an app
that ignores SIGTERM is SIGKILLed after PIDONE_GRACE, long before Docker's
own kill; with PIDONE_DRAIN the app keeps taking connections until
readiness has been 503 that long; orphans are reaped; a read-only root
without the writable dirs stops with 77 and a hint; contrib/compose.yaml
under docker-compose; a kubelet-style probe loop sees readiness rise,
then fall on stop while liveness holds; and with --live-http on a path
the app answers 404 the HEALTHCHECK turns the container unhealthy, while
--ready-http on it fails `/init health --ready`. Last, the Python image
again with --build-arg LIBC=glibc: its /init is the glibc build, and it
starts the app, turns healthy and passes on the app's exit status.

Containers run with --network host (traffic to 127.0.0.1 only, on free
ports picked here) or --network none; every one is labelled pidone-test=1
and removed when its check ends.

Features the binary does not have yet: before the checks, the suite asks
the binary (--writable, --health-port, --user, `health`); a feature it
answers "not supported yet" for is "pending", and a check that needs it is
reported WAIT instead of FAIL (counted as skipped), so the report says
exactly which checks wait for which feature. PIDONE_DOCKER_STRICT=1 counts
them as failures. Checks that do not need a pending feature run with it
switched off (e.g. PIDONE_WRITABLE= while --writable is pending).

The last line is "docker: N passed, N failed, N skipped".
"""

import http.client
import io
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tarfile
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from pidone_harness import elf_segments  # noqa: E402

DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
SRC = os.environ.get("PIDONE_SRC", "")
CONTEXT = os.environ.get("PIDONE_CONTEXT", SRC)
STATE = os.environ.get("PIDONE_DOCKER_STATE", "/tmp/pidone-docker")
COMPOSE = os.environ.get("DOCKER_COMPOSE", "/usr/bin/docker-compose")
STRICT = os.environ.get("PIDONE_DOCKER_STRICT", "") == "1"
# A regex on check names; the image builds always run.
ONLY = os.environ.get("PIDONE_DOCKER_ONLY", "")
BUDGET = float(os.environ.get("PIDONE_DOCKER_BUDGET", "690"))
BUILDER = "pidone-test/builder:debian12"
LABEL = "pidone-test=1"
COMPOSE_PROJECT = "pidonetest"
KUBE_UA = "kube-probe/1.31"

LANGS = {
    "python": {
        "dockerfile": "contrib/Dockerfile.distroless.python",
        "base": "pidone-test/python-distroless:nonroot",
        "image": "pidone-test/demo-python",
        "cmd": ["/usr/bin/python3", "/app/app.py"],
        "comm": "python3",
    },
    "node": {
        "dockerfile": "contrib/Dockerfile.distroless.node",
        "base": "pidone-test/node-distroless:nonroot",
        "image": "pidone-test/demo-node",
        "cmd": ["/nodejs/bin/node", "/app/app.js"],
        "comm": "node",
    },
}

FEATURES = {
    "writable": "--writable checks (exit 77)",
    "health-server": "health side port (/healthz /livez /readyz /metrics)",
    "health-cmd": "`pidone health` subcommand",
    "privdrop": "privilege drop from root to 65532",
    "ready-tcp": "--ready-tcp readiness condition",
}

pending = set()       # features the binary says it does not have yet
built = {}            # lang -> True once its image built
facts = {}            # sizes and timings for the report


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


# ---------------------------------------------------------------- helpers


def docker(*args, timeout=60, check=True, input=None):
    """Run the docker client; raise CheckFailed with its stderr on error."""
    try:
        r = subprocess.run([DOCKER] + list(args), capture_output=True,
                           text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired:
        raise CheckFailed("docker %s: no answer in %d s"
                          % (" ".join(args[:3]), timeout))
    if check and r.returncode != 0:
        raise CheckFailed("docker %s: exit %d: %s" % (
            " ".join(args[:3]), r.returncode, r.stderr.strip()[-800:]))
    return r


def inspect(name, fmt="{{json .}}"):
    r = docker("inspect", "-f", fmt, name, timeout=20)
    out = r.stdout.strip()
    return json.loads(out) if fmt.startswith("{{json") else out


def wait_for(what, fn, timeout, interval=0.1):
    """Poll fn until it returns a true value; CheckFailed after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except CheckFailed as e:
            last = str(e)
        if time.monotonic() >= deadline:
            raise CheckFailed("timed out after %.0f s waiting for %s%s" % (
                timeout, what, (" (" + last + ")") if last else ""))
        time.sleep(interval)


def free_port():
    """A port free on 0.0.0.0 and [::] (the app binds dual-stack)."""
    for _ in range(200):
        port = random.randint(20000, 29999)
        try:
            with socket.socket(socket.AF_INET) as s4:
                s4.bind(("0.0.0.0", port))
                if socket.has_ipv6:
                    with socket.socket(socket.AF_INET6) as s6:
                        s6.setsockopt(socket.IPPROTO_IPV6,
                                      socket.IPV6_V6ONLY, 1)
                        try:
                            s6.bind(("::", port))
                        except OSError as e:
                            if e.errno != 99:   # EADDRNOTAVAIL: no IPv6
                                raise
            return port
        except OSError:
            continue
    raise CheckFailed("no free port found")


def http_get(port, path, timeout=1.0, ua=KUBE_UA, host="127.0.0.1"):
    """One GET on a new connection: (status, body) or (None, error)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": ua,
                                           "Connection": "close"})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return None, str(e) or type(e).__name__
    finally:
        conn.close()


def proc_stat(pid):
    """(state, ppid, comm, pgrp) of a host pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), comm, int(rest[2])


def proc_status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict(l.split(":", 1) for l in f.read().splitlines()
                        if ":" in l)
    except OSError:
        return None


def all_procs():
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st:
                out[int(name)] = st
    return out


def children(pid, procs=None):
    procs = procs if procs is not None else all_procs()
    return {p: st for p, st in procs.items() if st[1] == pid}


def descendants(pid):
    procs = all_procs()
    out, todo = {}, [pid]
    while todo:
        cur = todo.pop()
        for p, st in children(cur, procs).items():
            out[p] = st
            todo.append(p)
    return out


def ids(status, key):
    return status.get(key, "").split()


def elf_is_static(data):
    """True when an ELF executable has no PT_INTERP (no dynamic loader)."""
    segs = elf_segments(data)
    return bool(segs) and all(s[0] != 3 for s in segs)   # PT_INTERP


def elf_links_glibc(data):
    """True when the file has glibc's NT_GNU_ABI_TAG note: glibc's crt1.o
    brings it into every program, static or not; musl's does not."""
    for ptype, off, _, size, _ in elf_segments(data):
        if ptype != 4:   # PT_NOTE
            continue
        end = off + size
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            name = data[off + 12:off + 12 + namesz].rstrip(b"\0")
            if name == b"GNU" and ntype == 1:
                return True
            off += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


# The musl build is about 350 KB, the glibc one over 1 MB.
MUSL_MAX_BYTES = 600 * 1000


def image_init(image):
    """The bytes of /init in an image (docker cp of a created container)."""
    name = "pidone-test-init-%d-%d" % (os.getpid(), random.randint(0, 1 << 30))
    docker("create", "--name", name, "--label", LABEL, image)
    try:
        r = subprocess.run([DOCKER, "cp", name + ":/init", "-"],
                           capture_output=True, timeout=60)
        expect(r.returncode == 0, "docker cp /init: %s"
               % r.stderr.decode(errors="replace").strip())
    finally:
        docker("rm", "-f", name, check=False)
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as tar:
        return tar.extractfile(tar.getmember("init")).read()


def build_image(lang, image, log, args=()):
    """docker build the contrib Dockerfile of lang on the local images."""
    with open(log, "w") as f:
        r = subprocess.run(
            [DOCKER, "build", "--force-rm", "--network", "none",
             "-f", os.path.join(CONTEXT, LANGS[lang]["dockerfile"]),
             "--build-arg", "BASE=" + LANGS[lang]["base"],
             "--build-arg", "BUILDER=" + BUILDER, *args,
             "--label", LABEL, "-t", image, CONTEXT],
            stdout=f, stderr=subprocess.STDOUT, timeout=400)
    if r.returncode != 0:
        with open(log) as f:
            tail = f.read()[-2000:]
        raise CheckFailed("docker build failed (%s):\n%s" % (log, tail))


class Container:
    """A labelled container of the suite, removed by remove()."""

    seq = 0

    def __init__(self, lang, tag, image=None):
        Container.seq += 1
        self.lang = lang
        self.image = image or LANGS[lang]["image"]
        self.name = "pidone-test-%s-%s-%d-%d" % (lang, tag, os.getpid(),
                                                 Container.seq)
        self.app_port = None
        self.health_port = None

    def run(self, app_args=(), env=None, opts=(), network="host",
            health_port=True, cmd=None, entrypoint=None):
        """docker run -d; env and ports adapted to the pending features."""
        L = LANGS[self.lang]
        env = dict(env or {})
        if "writable" in pending and "PIDONE_WRITABLE" not in env:
            env["PIDONE_WRITABLE"] = ""
        if network == "host":
            self.app_port = free_port()
            app_args = ["--port", str(self.app_port)] + list(app_args)
            if health_port and "health-server" not in pending:
                self.health_port = free_port()
                env.setdefault("PIDONE_HEALTH_PORT", str(self.health_port))
            # values may name the app's port, known only now
            env = {k: str(v).replace("{app_port}", str(self.app_port))
                   for k, v in env.items()}
        args = ["run", "-d", "--name", self.name, "--label", LABEL,
                "--network", network]
        for k, v in env.items():
            args += ["-e", "%s=%s" % (k, v)]
        if entrypoint is not None:
            args += ["--entrypoint", entrypoint]
        args += list(opts) + [self.image]
        args += list(cmd) if cmd is not None else L["cmd"] + list(app_args)
        docker(*args, timeout=30)
        return self

    def state(self):
        return inspect(self.name, "{{json .State}}")

    def pid(self):
        st = self.state()
        expect(st["Running"] and st["Pid"] > 0,
               "container not running: %s, exit %s; logs:\n%s" % (
                   st["Status"], st["ExitCode"], self.logs()[-1500:]))
        return st["Pid"]

    def logs(self):
        r = docker("logs", self.name, timeout=20, check=False)
        return r.stdout + r.stderr

    def wait_app(self, timeout=20):
        """Wait until the app answers on its port (host network)."""
        def up():
            st = self.state()
            if not st["Running"]:
                raise CheckFailed("container exited with %s; logs:\n%s" % (
                    st["ExitCode"], self.logs()[-1500:]))
            return http_get(self.app_port, "/")[0] == 200
        wait_for("the app to answer on port %d" % self.app_port, up, timeout)

    def wait_exit(self, timeout):
        def done():
            st = self.state()
            return st if not st["Running"] else None
        return wait_for("the container to exit", done, timeout)

    def app_pid(self):
        """The host pid of pidone's child (the app).

        pidone starts it as the leader of its own process group; orphans
        re-parented to /init are in that group but do not lead it.
        """
        init = self.pid()
        kids = [p for p, st in children(init).items()
                if st[2] == LANGS[self.lang]["comm"] and st[3] == p]
        expect(len(kids) == 1, "expected one %s child of /init (host pid %d),"
               " found %s" % (LANGS[self.lang]["comm"], init,
                              children(init)))
        return kids[0]

    def remove(self):
        docker("rm", "-f", "-v", self.name, timeout=30, check=False)


# ------------------------------------------------------------ the checks

CHECKS = []


def check(name, needs=(), lang=None):
    def deco(fn):
        CHECKS.append((name, tuple(needs), lang, fn))
        return fn
    return deco


def lang_checks(lang):
    L = LANGS[lang]

    @check("%s: builds contrib/%s (BASE, BUILDER = local images)"
           % (lang, os.path.basename(L["dockerfile"])), lang=lang)
    def build():
        t0 = time.monotonic()
        build_image(lang, L["image"],
                    os.path.join(STATE, "build-%s.log" % lang))
        facts["build %s (s)" % lang] = round(time.monotonic() - t0, 1)
        cfg = inspect(L["image"], "{{json .Config}}")
        expect(cfg["User"] == "65532:65532", "USER is %r" % cfg["User"])
        expect(cfg["Entrypoint"] == ["/init", "--"],
               "ENTRYPOINT is %r" % cfg["Entrypoint"])
        expect(cfg["Cmd"] == L["cmd"], "CMD is %r" % cfg["Cmd"])
        hc = cfg.get("Healthcheck") or {}
        expect(hc.get("Test") == ["CMD", "/init", "health"],
               "HEALTHCHECK is %r, want exec form" % hc.get("Test"))
        facts["image %s (MB)" % lang] = round(
            int(inspect(L["image"], "{{.Size}}")) / 1e6, 1)
        built[lang] = True

    @check("%s: image files: static musl /init root's and not writable by"
           " the app, writable dirs owned by 65532, no shell anywhere"
           % lang, lang=lang)
    def files():
        name = "pidone-test-files-%s-%d" % (lang, os.getpid())
        docker("create", "--name", name, "--label", LABEL, L["image"])
        try:
            p = subprocess.Popen([DOCKER, "export", name],
                                 stdout=subprocess.PIPE)
            members, init = {}, None
            with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
                for m in tar:
                    path = "/" + m.name.lstrip("./").rstrip("/")
                    members[path] = m
                    if path == "/init" and m.isfile():
                        init = tar.extractfile(m).read()
            p.wait(timeout=60)
        finally:
            docker("rm", "-f", name, check=False)
        m = members.get("/init")
        expect(m is not None and m.isfile(), "/init missing")
        expect((m.uid, m.gid) == (0, 0),
               "/init owned by %d:%d (the app could chmod it)"
               % (m.uid, m.gid))
        expect(not m.mode & 0o022, "/init mode %o: writable by others"
               % m.mode)
        expect(m.mode & 0o111, "/init not executable")
        expect(elf_is_static(init), "/init is not a static ELF executable")
        # The default build is the small one, linked against musl.
        expect(not elf_links_glibc(init),
               "/init links glibc (it has the NT_GNU_ABI_TAG note)")
        expect(len(init) < MUSL_MAX_BYTES, "/init is %d bytes, the musl"
               " build is under %d" % (len(init), MUSL_MAX_BYTES))
        facts["static pidone (bytes)"] = len(init)
        d = members.get("/var/log/app")
        expect(d is not None and d.isdir(), "/var/log/app missing")
        expect((d.uid, d.gid) == (65532, 65532),
               "/var/log/app owned by %d:%d" % (d.uid, d.gid))
        t = members.get("/tmp")
        expect(t is not None and t.mode & 0o7777 == 0o1777,
               "/tmp is not 1777")
        shells = [p for p in members
                  if os.path.basename(p) in ("sh", "bash", "dash", "ash",
                                             "busybox", "toybox")]
        expect(not shells, "shell in the image: %s" % shells)

    @check("%s: no shell: `docker exec sh -c true` and a shell-form"
           " HEALTHCHECK both fail" % lang, lang=lang)
    def no_shell():
        c = Container(lang, "noshell")
        try:
            c.run(opts=["--health-cmd", "/init health",
                        "--health-interval", "1s", "--health-retries", "1",
                        "--health-timeout", "3s",
                        "--health-start-period", "1s"])
            c.wait_app()
            r = docker("exec", c.name, "sh", "-c", "true", check=False)
            out = (r.stdout + r.stderr).strip()   # 20.10 prints on stdout
            expect(r.returncode in (126, 127),
                   "docker exec sh: exit %d (%s)" % (r.returncode, out))
            expect("not found" in out or "no such file" in out,
                   "docker exec sh: %s" % out)
            hc = inspect(c.name, "{{json .Config.Healthcheck}}")
            expect(hc["Test"][0] == "CMD-SHELL", "not shell form: %r" % hc)
            st = wait_for("the shell-form health check to fail",
                          lambda: c.state().get("Health", {}).get("Status")
                          == "unhealthy" and c.state(), 15)
            out = " ".join(e.get("Output", "") for e in
                           st["Health"]["Log"])
            expect("/bin/sh" in out,
                   "unhealthy, but not for want of a shell: %r" % out[-300:])
        finally:
            c.remove()

    @check("%s: becomes healthy through HEALTHCHECK [\"/init\",\"health\"]"
           % lang, needs=("health-server", "health-cmd"), lang=lang)
    def healthy():
        c = Container(lang, "healthy")
        try:
            c.run(opts=["--health-interval", "1s",
                        "--health-start-period", "1s"])
            t0 = time.monotonic()
            hc = inspect(c.name, "{{json .Config.Healthcheck}}")
            expect(hc["Test"] == ["CMD", "/init", "health"],
                   "image health check replaced: %r" % hc)

            def status():
                st = c.state()
                expect(st["Running"], "container exited %s: %s" % (
                    st["ExitCode"], c.logs()[-800:]))
                h = st.get("Health") or {}
                if h.get("Status") == "unhealthy":
                    raise CheckFailed("unhealthy: %r" % h.get("Log"))
                return h.get("Status") == "healthy" and h
            h = wait_for("status healthy", status, 20)
            facts["%s healthy after (s)" % lang] = round(
                time.monotonic() - t0, 1)
            ok = [e for e in h["Log"] if e["ExitCode"] == 0]
            expect(ok, "no successful check in %r" % h["Log"])
            r = docker("exec", c.name, "/init", "health", check=False)
            expect(r.returncode == 0, "/init health: exit %d: %s%s" % (
                r.returncode, r.stdout, r.stderr))
            r = docker("exec", c.name, "/init", "health", "--ready",
                       check=False)
            expect(r.returncode == 0, "/init health --ready: exit %d: %s%s"
                   % (r.returncode, r.stdout, r.stderr))
        finally:
            c.remove()

    @check("%s: app checks: HEALTHCHECK [\"/init\",\"health\"] turns"
           " unhealthy when the app's own endpoint fails (--live-http);"
           " --ready-http fails `/init health --ready`" % lang,
           needs=("health-server", "health-cmd"), lang=lang)
    def app_checks():
        # the demo app answers 200 on / and 404 on anything else
        c = Container(lang, "appcheck")
        try:
            c.run(env={"PIDONE_LIVE_HTTP": "http://127.0.0.1:{app_port}/",
                       "PIDONE_READY_HTTP":
                           "http://127.0.0.1:{app_port}/not-here",
                       "PIDONE_CHECK_INTERVAL": "0.2",
                       "PIDONE_CHECK_FAILURES": "2"},
                  opts=["--health-interval", "1s",
                        "--health-start-period", "1s"])
            c.wait_app()

            def health():
                st = c.state()
                expect(st["Running"], "container exited %s: %s" % (
                    st["ExitCode"], c.logs()[-800:]))
                return (st.get("Health") or {}).get("Status")
            wait_for("status healthy", lambda: health() == "healthy", 20)
            r = docker("exec", c.name, "/init", "health", "--ready",
                       check=False)
            expect(r.returncode == 1 and
                   "/not-here -> 404" in r.stdout + r.stderr,
                   "/init health --ready: exit %d: %s%s" % (
                       r.returncode, r.stdout, r.stderr))
        finally:
            c.remove()

        c = Container(lang, "appcheck-live")
        try:
            c.run(env={"PIDONE_LIVE_HTTP":
                           "http://127.0.0.1:{app_port}/not-here",
                       "PIDONE_CHECK_INTERVAL": "0.2",
                       "PIDONE_CHECK_FAILURES": "2"},
                  opts=["--health-interval", "1s", "--health-retries", "1",
                        "--health-start-period", "1s"])
            c.wait_app()

            def unhealthy():
                st = c.state()
                expect(st["Running"], "container exited %s: %s" % (
                    st["ExitCode"], c.logs()[-800:]))
                h = st.get("Health") or {}
                return h.get("Status") == "unhealthy" and h
            h = wait_for("status unhealthy", unhealthy, 20)
            out = " ".join(e.get("Output", "") for e in h["Log"])
            expect("-> 503" in out and "/not-here -> 404" in out,
                   "unhealthy, but not for the app check: %r" % out[-400:])
        finally:
            c.remove()

    @check("%s: /init is PID 1; it and the app run as 65532 (image USER)"
           % lang, lang=lang)
    def ids_nonroot():
        c = Container(lang, "ids")
        try:
            c.run()
            c.wait_app()
            init = c.pid()
            s = proc_status(init)
            expect(s["NSpid"].split()[-1] == "1",
                   "/init is not PID 1 in the container: NSpid %s"
                   % s["NSpid"])
            expect(s["Name"].strip() == "init", "PID 1 is %s" % s["Name"])
            for key in ("Uid", "Gid"):
                expect(ids(s, key) == ["65532"] * 4,
                       "/init %s: %s" % (key, s[key]))
            expect(int(s["CapEff"], 16) == 0, "/init CapEff %s" % s["CapEff"])
            app = c.app_pid()
            a = proc_status(app)
            expect(a["NSpid"].split()[-1] != "1", "app is PID 1")
            for key in ("Uid", "Gid"):
                expect(ids(a, key) == ["65532"] * 4,
                       "app %s: %s" % (key, a[key]))
            expect(int(a["CapEff"], 16) == 0, "app CapEff %s" % a["CapEff"])
            body = json.loads(http_get(c.app_port, "/")[1])
            expect(body["ppid"] == 1 and body["uid"] == 65532,
                   "the app sees ppid %s uid %s" % (body["ppid"],
                                                    body["uid"]))
        finally:
            c.remove()

    @check("%s: started as root (--user 0:0), pidone drops itself and the"
           " app to 65532:65532" % lang, needs=("privdrop",), lang=lang)
    def ids_root():
        c = Container(lang, "drop")
        try:
            c.run(opts=["--user", "0:0"])
            c.wait_app()
            init = c.pid()
            s = proc_status(init)
            app = c.app_pid()
            a = proc_status(app)
            for who, st in (("/init", s), ("app", a)):
                for key in ("Uid", "Gid"):
                    expect(ids(st, key) == ["65532"] * 4,
                           "%s %s: %s" % (who, key, st[key]))
                expect(ids(st, "Groups") == ["65532"],
                       "%s supplementary groups: %r" % (who, st["Groups"]))
                for cap in ("CapEff", "CapPrm"):
                    expect(int(st[cap], 16) == 0,
                           "%s %s %s" % (who, cap, st[cap]))
            expect(a.get("NoNewPrivs", "").strip() == "1",
                   "app NoNewPrivs %r" % a.get("NoNewPrivs"))
        finally:
            c.remove()

    @check("%s: docker stop: SIGTERM reaches the app, its exit status (3)"
           " is the container's" % lang, lang=lang)
    def stop_graceful():
        c = Container(lang, "stop")
        try:
            c.run(app_args=["--term-exit", "3", "--drain", "2"])
            c.wait_app()
            t0 = time.monotonic()
            docker("stop", "-t", "30", c.name, timeout=60)
            took = time.monotonic() - t0
            st = c.state()
            logs = c.logs()
            expect(st["ExitCode"] == 3, "exit code %s, want the app's 3;"
                   " logs:\n%s" % (st["ExitCode"], logs[-1500:]))
            expect("received SIGTERM" in logs,
                   "the app never logged SIGTERM:\n" + logs[-1500:])
            expect(took < 10, "docker stop took %.1f s" % took)
            facts["%s graceful stop (s)" % lang] = round(took, 2)
        finally:
            c.remove()

    @check("%s: `docker exec C /init status` in the shell-less image: live,"
           " the child, the process tree, as 65532" % lang,
           needs=("health-server",), lang=lang)
    def status_exec():
        c = Container(lang, "status")
        try:
            c.run()
            c.wait_app()
            r = docker("exec", c.name, "/init", "status", check=False)
            out = r.stdout
            expect(r.returncode == 0, "status exit %d:\n%s%s"
                   % (r.returncode, out, r.stderr))
            expect(out.startswith("pidone at 127.0.0.1:%d: live"
                                  % c.health_port), out[:300])
            expect("child: running, pid " in out, out)
            rows = [l for l in out.splitlines() if l.startswith("    1 ")]
            expect(rows and "65532" in rows[0].split()[2] and
                   "/init" in rows[0], "PID 1 row: %r" % rows)
            expect(L["cmd"][1] in out, "the app's command is not in:\n"
                   + out)
            r = docker("exec", c.name, "/init", "status", "--json",
                       check=False)
            st = json.loads(r.stdout)
            expect(st["live"] is True and st["child"]["pid"] > 1, r.stdout)
            expect(any(q["pid"] == 1 and q["uid"] == 65532
                       for q in st["processes"]), r.stdout)
        finally:
            c.remove()

    @check("%s: --memory 64m and an app that allocates past it: exit 137,"
           " `child exited` with cause oom-kill in docker logs" % lang,
           lang=lang)
    def oom_app():
        c = Container(lang, "oom")
        hog = {"python": ["/usr/bin/python3", "-c",
                          "a = []\nwhile True: a.append(bytearray(1 << 20))"],
               "node": ["/nodejs/bin/node", "-e",
                        "const a = []; for (;;) a.push(Buffer.alloc(1 << 20,"
                        " 1))"]}[lang]
        try:
            c.run(opts=["--memory", "64m", "--memory-swap", "64m"], cmd=hog,
                  env={"PIDONE_HEALTH_PORT": "0"}, health_port=False)
            st = c.wait_exit(60)
            logs = c.logs()
            expect(st["ExitCode"] == 137, "exit %s; logs:\n%s"
                   % (st["ExitCode"], logs[-1500:]))
            recs = [json.loads(l) for l in logs.splitlines()
                    if l.startswith("{") and '"child exited"' in l]
            expect(len(recs) == 1 and recs[0].get("cause") == "oom-kill",
                   "want one child exited record with cause oom-kill:\n"
                   + logs[-1500:])
        finally:
            c.remove()

    @check("%s: app ignoring SIGTERM: SIGKILL after PIDONE_GRACE=2,"
           " exit 137, long before docker stop -t 30" % lang, lang=lang)
    def stop_ignore():
        c = Container(lang, "ignore")
        try:
            c.run(app_args=["--ignore-term"], env={"PIDONE_GRACE": "2"})
            c.wait_app()
            t0 = time.monotonic()
            docker("stop", "-t", "30", c.name, timeout=60)
            took = time.monotonic() - t0
            st = c.state()
            expect(st["ExitCode"] == 137, "exit code %s, want 137; logs:\n%s"
                   % (st["ExitCode"], c.logs()[-1500:]))
            expect(1.5 <= took < 10, "docker stop took %.1f s, want about"
                   " the 2 s grace" % took)
            facts["%s stop with grace 2 (s)" % lang] = round(took, 2)
        finally:
            c.remove()

    @check("%s: docker stop with PIDONE_DRAIN=2: no connection to the app"
           " fails until /readyz has been 503 for the drain" % lang,
           needs=("health-server",), lang=lang)
    def stop_drain():
        drain = 2.0
        c = Container(lang, "drain")
        samples = []       # (t_start, t_end, "app" or "readyz", status)
        stop = threading.Event()

        def client():
            # A load balancer that has not noticed the stop yet: new
            # connections to the app, back to back, and readiness probes.
            while not stop.is_set():
                for kind, port, path in (("app", c.app_port, "/"),
                                         ("readyz", c.health_port,
                                          "/readyz")):
                    t0 = time.monotonic()
                    code, _ = http_get(port, path, timeout=1.0)
                    samples.append((t0, time.monotonic(), kind, code))
                stop.wait(0.02)

        th = threading.Thread(target=client, daemon=True)
        try:
            # The demo app stops accepting the moment SIGTERM reaches it.
            c.run(app_args=["--term-exit", "3", "--drain", "1"],
                  env={"PIDONE_DRAIN": "%g" % drain})
            c.wait_app()
            wait_for("/readyz to succeed", lambda: http_get(
                c.health_port, "/readyz")[0] == 200, 15)
            th.start()
            wait_for("the client to get going", lambda: len(samples) >= 6,
                     10)
            t_stop = time.monotonic()
            docker("stop", "-t", "30", c.name, timeout=60)
            stop.set()
            th.join(5)
            st = c.state()
            expect(st["ExitCode"] == 3, "exit code %s, want the app's 3;"
                   " logs:\n%s" % (st["ExitCode"], c.logs()[-1500:]))
            ready = [s for s in samples if s[2] == "readyz"]
            fell = [s for s in ready if s[3] == 503 and s[0] >= t_stop]
            expect(fell, "/readyz never answered 503 during the stop: %s"
                   % ready[-10:])
            # Readiness fell after the start of the last 200 before the
            # first 503: the drain lasts at least until that plus 2 s.
            last_ok = max(s[0] for s in ready
                          if s[3] == 200 and s[0] < fell[0][0])
            apps = [s for s in samples if s[2] == "app"]
            failed = [s for s in apps if s[3] is None]
            early = [s for s in failed if s[1] < last_ok + drain]
            expect(not early, "connections failed %.2f s after readiness "
                   "fell, before the %g s drain was over: %s" % (
                       early[0][1] - last_ok if early else 0, drain,
                       early[:5]))
            served = [s for s in apps if s[3] == 200 and s[0] > fell[0][1]]
            expect(served, "the app served nothing while /readyz was 503")
            facts["%s served after readiness fell (s)" % lang] = round(
                max(s[1] for s in served) - fell[0][0], 2)
        finally:
            stop.set()
            c.remove()

    @check("%s: orphans re-parented to /init are reaped (no Z left)" % lang,
           lang=lang)
    def zombies():
        c = Container(lang, "orphans")
        try:
            c.run(app_args=["--orphans", "5", "--orphan-life", "2"])
            c.wait_app()
            init = c.pid()
            app = c.app_pid()
            # The orphans were started before the app listened and live
            # 2 s: they must show up as children of /init, not the app.
            wait_for("5 orphans re-parented to /init",
                     lambda: len([p for p in children(init) if p != app])
                     >= 5, 5, 0.05)

            def clean():
                d = descendants(init)
                z = [p for p, st in d.items() if st[0] == "Z"]
                return not z and set(children(init)) == {app}
            wait_for("every orphan to be reaped", clean, 10, 0.2)
            time.sleep(0.5)
            d = descendants(init)
            z = {p: st for p, st in d.items() if st[0] == "Z"}
            expect(not z, "zombies left: %s" % z)
        finally:
            c.remove()

    @check("%s: /metrics counts the reaped orphans" % lang,
           needs=("health-server",), lang=lang)
    def metrics():
        c = Container(lang, "metrics")
        try:
            c.run(app_args=["--orphans", "3", "--orphan-life", "0.5"])
            c.wait_app()

            def reaped():
                code, body = http_get(c.health_port, "/metrics")
                expect(code == 200, "/metrics: %s %s" % (code, body[:200]))
                m = re.search(r"^pidone_zombies_reaped_total(?:\{[^}]*\})?"
                              r" (\d+)", body, re.M)
                expect(m, "no pidone_zombies_reaped_total in /metrics")
                expect(re.search(r"^pidone_child_up(?:\{[^}]*\})? 1\b",
                                 body, re.M), "pidone_child_up is not 1")
                return int(m.group(1)) >= 3
            wait_for("pidone_zombies_reaped_total >= 3", reaped, 10, 0.3)
        finally:
            c.remove()

    @check("%s: --read-only without the writable dirs: exit 77 and a hint;"
           " with tmpfs (owned by 65532) it starts" % lang,
           needs=("writable",), lang=lang)
    def read_only():
        cases = [
            ("ro-none", ["--read-only"], {}, "/tmp"),
            ("ro-tmp", ["--read-only", "--tmpfs", "/tmp"], {},
             "/var/log/app"),
            # Docker makes a tmpfs root's and 0755: pidone must say so.
            ("ro-rootfs", ["--read-only", "--tmpfs", "/tmp",
                           "--tmpfs", "/var/log/app"], {}, "/var/log/app"),
        ]
        for tag, opts, env, bad_dir in cases:
            c = Container(lang, tag)
            try:
                c.run(opts=opts, env=env, network="none")
                st = c.wait_exit(15)
                logs = c.logs()
                expect(st["ExitCode"] == 77, "%s: exit %s, want 77; logs:\n%s"
                       % (" ".join(opts), st["ExitCode"], logs[-1500:]))
                lines = [l for l in logs.splitlines() if bad_dir in l]
                expect(lines, "%s: no log line names %s:\n%s"
                       % (" ".join(opts), bad_dir, logs[-1500:]))
                hints = []
                for l in lines:
                    try:
                        hints.append(json.loads(l).get("hint", ""))
                    except ValueError:
                        pass
                hint = " ".join(h for h in hints if h)
                expect(re.search(r"tmpfs|emptyDir|chown|fsGroup", hint),
                       "%s: no fix in the hint: %r" % (" ".join(opts), lines))
            finally:
                c.remove()
        starts = [
            ("ro-ok-tmp", ["--read-only", "--tmpfs", "/tmp"],
             {"PIDONE_WRITABLE": "/tmp"}),
            ("ro-ok-all", ["--read-only", "--tmpfs", "/tmp", "--tmpfs",
                           "/var/log/app:uid=65532,gid=65532"], {}),
        ]
        for tag, opts, env in starts:
            c = Container(lang, tag)
            try:
                c.run(opts=opts, env=env)
                c.wait_app()
                time.sleep(0.5)
                expect(c.state()["Running"], "%s: exited" % " ".join(opts))
            finally:
                c.remove()

    @check("%s: kubelet-style probes: /readyz rises after start, falls on"
           " stop while /livez holds; in-flight request completes" % lang,
           needs=("health-server", "ready-tcp"), lang=lang)
    def kubelet():
        c = Container(lang, "kube")
        c.app_port, c.health_port = free_port(), free_port()
        samples = []          # (t, path, status)
        stop = threading.Event()

        def prober():
            # kubelet: a new connection per probe, 1 s timeout, 200-399 ok.
            while not stop.is_set():
                for path in ("/readyz", "/livez"):
                    code, _ = http_get(c.health_port, path, timeout=1.0)
                    samples.append((time.monotonic(), path, code))
                stop.wait(0.05)

        th = threading.Thread(target=prober, daemon=True)
        th.start()
        try:
            t_run = time.monotonic()
            L = LANGS[lang]
            env = {"PIDONE_HEALTH_PORT": str(c.health_port),
                   "PIDONE_READY_TCP": "127.0.0.1:%d" % c.app_port}
            if "writable" in pending:
                env["PIDONE_WRITABLE"] = ""
            args = ["run", "-d", "--name", c.name, "--label", LABEL,
                    "--network", "host"]
            for k, v in env.items():
                args += ["-e", "%s=%s" % (k, v)]
            docker(*(args + [L["image"]] + L["cmd"] +
                     ["--port", str(c.app_port), "--drain", "3"]))

            def ok(path, since):
                return [s for s in samples if s[1] == path and s[0] >= since
                        and s[2] is not None and 200 <= s[2] < 400]
            wait_for("/readyz to succeed", lambda: ok("/readyz", t_run), 15,
                     0.05)
            t_ready = ok("/readyz", t_run)[0][0]
            expect([s for s in samples if s[1] == "/readyz" and
                    s[0] < t_ready and (s[2] is None or s[2] == 503)],
                   "/readyz never failed before it rose")
            facts["%s ready after start (s)" % lang] = round(
                t_ready - t_run, 2)
            expect(http_get(c.app_port, "/")[0] == 200,
                   "ready, but the app does not answer")
            # An in-flight request that the app must finish while pidone
            # already reports not ready.
            slow = {}
            sl = threading.Thread(target=lambda: slow.update(
                r=http_get(c.app_port, "/slow?ms=2000", timeout=10)),
                daemon=True)
            sl.start()
            time.sleep(0.3)
            t_stop = time.monotonic()
            docker("stop", "-t", "30", c.name, timeout=60)
            t_gone = time.monotonic()
            sl.join(10)
            time.sleep(0.3)
            stop.set()
            th.join(5)
            after = [s for s in samples if t_stop <= s[0] <= t_gone]
            r503 = [s for s in after if s[1] == "/readyz" and s[2] == 503]
            expect(r503, "no 503 from /readyz during the stop: %s"
                   % after[:20])
            live_after = [s for s in after if s[1] == "/livez"
                          and s[0] >= r503[0][0] and s[2] == 200]
            expect(live_after, "/livez did not stay 200 after readiness"
                   " fell: %s" % after[:20])
            ready_after = [s for s in after if s[1] == "/readyz"
                           and s[0] > r503[0][0] and s[2] == 200]
            expect(not ready_after, "/readyz went back to 200 during stop")
            expect(slow.get("r", (None,))[0] == 200,
                   "in-flight request did not complete: %r" % (slow.get("r"),))
            end = [s for s in samples if s[0] > t_gone + 0.1]
            expect(all(s[2] is None for s in end),
                   "probes still answered after the container ended: %s"
                   % end[:6])
            facts["%s not-ready before exit (s)" % lang] = round(
                t_gone - r503[0][0], 2)
        finally:
            stop.set()
            c.remove()


def compose_checks():
    base = lambda: os.path.join(SRC, "contrib", "compose.yaml")
    override = lambda: os.path.join(SRC, "tests", "docker",
                                    "compose.test.yaml")

    def compose(*args, timeout=120, check=True):
        env = dict(os.environ)
        if "writable" in pending:
            env["PIDONE_TEST_WRITABLE"] = ""
        try:
            r = subprocess.run([COMPOSE, "--ansi", "never", "-p", COMPOSE_PROJECT,
                                "-f", base(), "-f", override()] + list(args),
                               capture_output=True, text=True, env=env,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CheckFailed("docker-compose %s: no answer in %d s"
                              % (args[0], timeout))
        if check and r.returncode != 0:
            raise CheckFailed("docker-compose %s: exit %d:\n%s" % (
                " ".join(args), r.returncode, (r.stdout + r.stderr)[-1500:]))
        return r

    @check("compose: docker-compose 1.29 accepts contrib/compose.yaml")
    def compose_config():
        expect(os.path.exists(COMPOSE), "docker-compose not installed")
        r = subprocess.run([COMPOSE, "-f", base(), "config"],
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, "config: %s" % r.stderr[-800:])
        import yaml
        cfg = yaml.safe_load(r.stdout)
        app = cfg["services"]["app"]
        expect(app["healthcheck"]["test"] == ["CMD", "/init", "health"],
               "app healthcheck %r" % app["healthcheck"])
        dep = cfg["services"]["client"]["depends_on"]["app"]
        expect(dep["condition"] == "service_healthy", "depends_on %r" % dep)
        grace = app["stop_grace_period"]
        env = app.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        limit = float(env.get("PIDONE_DRAIN") or 0) + float(
            env.get("PIDONE_GRACE") or 10)
        expect(int(grace.rstrip("s")) > limit,
               "stop_grace_period %s, not above drain + grace (%g s)"
               % (grace, limit))

    @check("compose: client starts only once app is healthy; stop returns"
           " each app's exit status", needs=("health-server", "health-cmd"))
    def compose_up():
        expect(built.get("python"), "python image not built")
        compose("down", "-v", "--remove-orphans", timeout=60, check=False)
        try:
            since = time.time()
            t0 = time.monotonic()
            compose("up", "-d", "--no-build", timeout=90)
            facts["compose up (s)"] = round(time.monotonic() - t0, 1)
            r = compose("ps", "-q")
            names = {}
            for cid in r.stdout.split():
                svc = inspect(cid, '{{index .Config.Labels '
                                   '"com.docker.compose.service"}}')
                names[svc] = cid
            expect(set(names) == {"app", "client"}, "services %r" % names)
            app = inspect(names["app"], "{{json .State}}")
            cli = inspect(names["client"], "{{json .State}}")
            expect(app["Health"]["Status"] == "healthy",
                   "app is %s" % app["Health"]["Status"])
            # From the daemon's events: the health log in inspect keeps
            # only the last 5 checks, so on a slow machine the first
            # healthy one may be gone from it by now.
            r = docker("events", "--since", "%d" % since, "--until",
                       "%d.%09d" % divmod(time.time_ns(), 10 ** 9),
                       "--format", "{{json .}}", "--filter",
                       "type=container", timeout=30)
            healthy_at = start_at = None
            for line in r.stdout.splitlines():
                ev = json.loads(line)
                if ev.get("id") == names["app"] and healthy_at is None and \
                        ev.get("Action") == "health_status: healthy":
                    healthy_at = ev["timeNano"]
                if ev.get("id") == names["client"] and start_at is None and \
                        ev.get("Action") == "start":
                    start_at = ev["timeNano"]
            expect(healthy_at and start_at, "no healthy event of the app"
                   " (%s) or no start of the client (%s) in:\n%s"
                   % (healthy_at, start_at, r.stdout[-1500:]))
            expect(start_at >= healthy_at, "the client started %.3f s"
                   " before the app turned healthy"
                   % ((healthy_at - start_at) / 1e9))
            wait_for("the client to fetch from the app", lambda:
                     '"status": 200' in docker("logs", names["client"],
                                               check=False).stdout, 15)
            t0 = time.monotonic()
            compose("stop", timeout=60)
            facts["compose stop (s)"] = round(time.monotonic() - t0, 1)
            app = inspect(names["app"], "{{json .State}}")
            cli = inspect(names["client"], "{{json .State}}")
            expect((app["ExitCode"], cli["ExitCode"]) == (3, 4),
                   "exit codes app %s client %s, want 3 and 4"
                   % (app["ExitCode"], cli["ExitCode"]))
        finally:
            compose("down", "-v", "--remove-orphans", timeout=60,
                    check=False)
        nets = docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        expect(not [n for n in nets if n.startswith(COMPOSE_PROJECT)],
               "compose created a network: %s" % nets)


@check("k8s: contrib/k8s/deployment.yaml: probes on port \"health\","
       " hardened securityContext, emptyDirs, a drain instead of preStop,"
       " terminationGracePeriodSeconds above drain + grace")
def k8s():
    import yaml
    with open(os.path.join(SRC, "contrib", "k8s", "deployment.yaml")) as f:
        text = f.read()
    docs = [d for d in yaml.safe_load_all(text) if d]
    kinds = {d["kind"]: d for d in docs}
    expect(set(kinds) == {"Deployment", "Service"}, "kinds %r" % kinds.keys())
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    psc = pod["securityContext"]
    expect(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 65532
           and psc.get("runAsGroup") == 65532 and psc.get("fsGroup") == 65532,
           "pod securityContext %r" % psc)
    (ctr,) = pod["containers"]
    sc = ctr["securityContext"]
    expect(sc.get("readOnlyRootFilesystem") is True and
           sc.get("allowPrivilegeEscalation") is False and
           sc.get("capabilities", {}).get("drop") == ["ALL"],
           "container securityContext %r" % sc)
    ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}
    expect(ports.get("health") == 8081, "ports %r" % ports)
    for probe, path in (("livenessProbe", "/livez"),
                        ("readinessProbe", "/readyz")):
        g = ctr[probe]["httpGet"]
        expect(g == {"path": path, "port": "health"}, "%s %r" % (probe, g))
    # No preStop (no sleep binary in the image): pidone's drain covers the
    # time routing takes to stop, and the pod's timeout covers both.
    expect("preStop" not in json.dumps(ctr.get("lifecycle", {})),
           "a preStop hook cannot run in the image")
    env = {e["name"]: e.get("value") for e in ctr.get("env", [])}
    drain = float(env.get("PIDONE_DRAIN") or 0)
    grace = float(env.get("PIDONE_GRACE") or 10)
    expect(drain > 0, "PIDONE_DRAIN is not set: %r" % env)
    expect(pod["terminationGracePeriodSeconds"] > drain + grace,
           "terminationGracePeriodSeconds %r, not above drain %g + grace %g"
           % (pod["terminationGracePeriodSeconds"], drain, grace))
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in ctr["volumeMounts"]}
    for d in ("/tmp", "/var/log/app"):
        expect(d in mounts and "emptyDir" in vols[mounts[d]],
               "%s is not an emptyDir" % d)
    svc = kinds["Service"]["spec"]
    expect(svc["selector"] == kinds["Deployment"]["spec"]["selector"][
        "matchLabels"], "Service selector does not match the pods")


@check("k8s: every contrib/k8s Deployment with a read-only root mounts a"
       " volume at each writable dir pidone checks (else exit 77)")
def k8s_writable_dirs():
    import yaml
    with open(os.path.join(SRC, "contrib",
                           "Dockerfile.distroless.python")) as f:
        m = re.search(r"^ENV PIDONE_WRITABLE=(\S+)", f.read(), re.M)
    expect(m, "the python Dockerfile sets no PIDONE_WRITABLE")
    k8s_dir = os.path.join(SRC, "contrib", "k8s")
    for name in sorted(os.listdir(k8s_dir)):
        with open(os.path.join(k8s_dir, name)) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for d in docs:
            if d["kind"] != "Deployment":
                continue
            pod = d["spec"]["template"]["spec"]
            for ctr in pod["containers"]:
                if not ctr.get("securityContext", {}).get(
                        "readOnlyRootFilesystem"):
                    continue
                env = {e["name"]: e.get("value")
                       for e in ctr.get("env", [])}
                dirs = (env.get("PIDONE_WRITABLE") or m.group(1)).split(",")
                mounts = {v["mountPath"] for v in ctr.get("volumeMounts", [])}
                missing = [x for x in dirs if x.strip() not in mounts]
                expect(not missing, "%s: no volume at %s on a read-only root"
                       % (name, missing))


def glibc_checks():
    """The other libc, one build argument away (run after the rest: it is
    one more full build)."""

    @check("python: --build-arg LIBC=glibc builds the glibc /init; the image"
           " starts the app, turns healthy and passes on its exit status",
           needs=("health-server", "health-cmd"), lang="python")
    def glibc_build():
        image = LANGS["python"]["image"] + "-glibc"
        t0 = time.monotonic()
        build_image("python", image, os.path.join(STATE, "build-glibc.log"),
                    ["--build-arg", "LIBC=glibc"])
        facts["build python glibc (s)"] = round(time.monotonic() - t0, 1)
        try:
            init = image_init(image)
            expect(elf_is_static(init), "/init is not a static executable")
            expect(elf_links_glibc(init), "/init has no NT_GNU_ABI_TAG note:"
                   " not the glibc build")
            facts["static pidone glibc (bytes)"] = len(init)
            c = Container("python", "glibc", image=image)
            try:
                c.run(app_args=["--term-exit", "3"],
                      opts=["--health-interval", "1s",
                            "--health-start-period", "1s"])
                c.wait_app()

                def healthy():
                    h = c.state().get("Health") or {}
                    return h.get("Status") == "healthy"
                wait_for("status healthy", healthy, 20)
                docker("stop", "-t", "30", c.name, timeout=60)
                st = c.state()
                expect(st["ExitCode"] == 3, "exit code %s, want the app's 3;"
                       " logs:\n%s" % (st["ExitCode"], c.logs()[-1500:]))
            finally:
                c.remove()
        finally:
            docker("rmi", "-f", image, timeout=60, check=False)


# ---------------------------------------------------------------- runner


def detect_pending():
    """Ask the built binary which features it says it does not have yet."""
    image = LANGS["python"]["image"]
    probes = {
        "writable": ["--writable", "/tmp", "--", "/init", "--version"],
        "health-server": ["--health-port", "18099", "--", "/init",
                          "--version"],
        "ready-tcp": ["--health-port", "18099", "--ready-tcp",
                      "127.0.0.1:1", "--", "/init", "--version"],
        "privdrop": ["--user", "65532:65532", "--", "/init", "--version"],
        "health-cmd": ["health", "--timeout", "1"],
    }
    for feature, args in probes.items():
        r = docker("run", "--rm", "--label", LABEL, "--network", "none",
                   "-e", "PIDONE_WRITABLE=", "--entrypoint", "/init", image,
                   *args, timeout=30, check=False)
        # Only the binary's own "not supported yet" for this very option
        # makes a feature pending; any other failure is the check's to see.
        opt = args[0] if feature != "ready-tcp" else "--ready-tcp"
        for line in (r.stdout + r.stderr).splitlines():
            if "not supported yet" in line and \
                    (opt in line or feature == "health-cmd"):
                pending.add(feature)


def main():
    random.seed()
    for lang in LANGS:
        lang_checks(lang)
    compose_checks()
    glibc_checks()
    ok = fail = skip = 0
    t_start = time.monotonic()
    results = []
    detected = False
    for name, needs, lang, fn in CHECKS:
        is_build = bool(lang) and name.startswith(lang + ": builds")
        if ONLY and not is_build and not re.search(ONLY, name):
            continue
        if lang and not is_build and not built.get(lang):
            # Without its image the check cannot run at all.
            status, why = "FAIL", "the %s image did not build" % lang
        elif time.monotonic() - t_start > BUDGET:
            status, why = "FAIL", "not run: time budget of %d s spent" % BUDGET
        else:
            if not detected and built.get("python"):
                detect_pending()
                detected = True
                if pending:
                    print("pending features (the binary says 'not supported"
                          " yet'): %s" % ", ".join(
                              "%s = %s" % (f, FEATURES[f])
                              for f in sorted(pending)), flush=True)
            t0 = time.monotonic()
            try:
                fn()
                status, why = "PASS", ""
            except CheckFailed as e:
                status, why = "FAIL", str(e)
            except Exception:
                status, why = "FAIL", traceback.format_exc()
            why = ("(%.1f s) " % (time.monotonic() - t0)) + why
            waiting = [f for f in needs if f in pending]
            if status == "FAIL" and waiting and not STRICT:
                status = "WAIT"
                why = "needs %s, not in the binary yet; %s" % (
                    ", ".join(waiting), why)
        results.append((status, name, why))
        print("%-4s %s %s" % (status, name, why.rstrip()), flush=True)
        if status == "PASS":
            ok += 1
        elif status == "WAIT":
            skip += 1
        else:
            fail += 1
    facts["suite (s)"] = round(time.monotonic() - t_start, 1)
    print("\nfacts: " + json.dumps(facts, sort_keys=True))
    waits = [n for s, n, _ in results if s == "WAIT"]
    if waits:
        print("waiting for features: %d check(s) (PIDONE_DOCKER_STRICT=1"
              " counts them as failures)" % len(waits))
    print("docker: %d passed, %d failed, %d skipped" % (ok, fail, skip))
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
