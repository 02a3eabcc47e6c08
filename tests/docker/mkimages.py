# SPDX-License-Identifier: MIT
"""mkimages - make the local base images the docker suite builds on.

Nothing can be pulled on the machines this project is tested on, so the
suite makes its own images from this machine's Debian 12 files and feeds
them to ``docker import`` as a tar stream (nothing is copied to disk):

``pidone-test/python-distroless:nonroot``
    like gcr.io/distroless/python3-debian12:nonroot: /usr/bin/python3.11
    (and the python3 link), exactly the shared libraries ``ldd`` lists for
    it and for the stdlib's extension modules, the stdlib without its tests,
    /etc/passwd and /etc/group with root and nonroot (65532), /tmp 1777,
    USER 65532:65532. No /bin/sh, no busybox, no coreutils.
``pidone-test/node-distroless:nonroot``
    like gcr.io/distroless/nodejs20-debian12:nonroot: the files of the
    package that owns /usr/bin/node and of the libraries and node modules
    it depends on (``dpkg -L``: Debian's node needs /usr/share/nodejs),
    its binary also as /nodejs/bin/node (where distroless has it), the
    same /etc and /tmp, USER 65532:65532. No shell.
``pidone-test/builder:debian12``
    a stand-in for debian:12 that runs the contrib Dockerfiles' build stage
    unmodified and offline: the files of the installed packages that the
    stage needs (the Essential and required set, apt, gcc, make, autoconf, automake,
    pkgconf, file, libev-dev, libinih-dev, musl-tools, dpkg-dev and
    everything they depend on, taken from ``dpkg -L``), dpkg's status
    database and an apt with no sources, so ``apt-get update`` reads
    nothing and ``apt-get install`` finds every package already installed.
    The musl build cannot fetch libev's Debian source offline: the
    unpacked tree named by $PIDONE_LIBEV_SRC (run.sh fetches it with
    ``contrib/musl/build --fetch-libev``) is in /usr/src/libev, and
    LIBEV_SRC says so to contrib/musl/build. The compile is real.

Each image carries a label with a fingerprint of its inputs; an image whose
label matches is kept, so a second run makes nothing.

Usage: mkimages.py DOCKER [python|node|builder ...]
"""

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile

PY_VERSION = "3.11"
PY_BIN = "/usr/bin/python" + PY_VERSION
PY_LIB = "/usr/lib/python" + PY_VERSION
NODE_BIN = "/usr/bin/node"
FINGERPRINT_LABEL = "pidone-test.fingerprint"

# Dropped from the stdlib, as distroless drops most of them.
PY_SKIP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip",
           "lib2to3", "pydoc_data", "config-%s-x86_64-linux-gnu" % PY_VERSION,
           "site-packages", "dist-packages"}
PY_SKIP_EXT = re.compile(r"^(_test|_ctypes_test|_xx|xx)")

BUILD_PACKAGES = ["apt", "gcc", "make", "libc6-dev", "autoconf", "automake",
                  "pkgconf", "file", "libev-dev", "libinih-dev", "musl-tools",
                  "dpkg-dev"]
LIBEV_SRC_IN_IMAGE = "/usr/src/libev"

PASSWD_DISTROLESS = (
    "root:x:0:0:root:/root:/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
GROUP_DISTROLESS = "root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n"
PASSWD_BUILDER = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n")
GROUP_BUILDER = "root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n"


def die(msg):
    print("mkimages: " + msg, file=sys.stderr)
    sys.exit(1)


class Rootfs:
    """A root filesystem written straight into a tar stream.

    Paths are added as they are on this machine: a symlink in any component
    is stored as a symlink and its target added too, so /lib -> usr/lib and
    the alternatives links keep working inside the image.
    """

    def __init__(self):
        self.entries = {}   # path in image -> (TarInfo, host path or bytes)
        self.digest = hashlib.sha256()

    def _dir_entry(self, path, mode=0o755, uid=0, gid=0):
        if path in self.entries:
            return
        parent = os.path.dirname(path)
        if parent != "/":
            self._dir_entry(parent)
        ti = tarfile.TarInfo(path.lstrip("/"))
        ti.type = tarfile.DIRTYPE
        ti.mode, ti.uid, ti.gid = mode, uid, gid
        self.entries[path] = (ti, None)

    def add_host(self, path, as_path=None):
        """Add a host path (file, symlink or empty dir) and what it needs."""
        path = os.path.normpath(path)
        if as_path is None:
            # Store the directories along the way; a symlinked one is
            # followed so that its target is in the image too.
            parts = path.strip("/").split("/")
            cur = ""
            for i, comp in enumerate(parts[:-1]):
                cur += "/" + comp
                if os.path.islink(cur):
                    self._add_one(cur, cur)
                    target = os.path.join(os.path.dirname(cur),
                                          os.readlink(cur))
                    rest = "/".join(parts[i + 1:])
                    self.add_host(os.path.join(target, rest))
                    return
                if cur not in self.entries:
                    st = os.lstat(cur)
                    self._dir_entry(cur, st.st_mode & 0o7777)
            as_path = path
        else:
            self._dir_entry(os.path.dirname(as_path))
        if as_path in self.entries:
            return
        self._add_one(path, as_path)
        if os.path.islink(path):
            target = os.path.join(os.path.dirname(path), os.readlink(path))
            if os.path.lexists(target):
                self.add_host(target)

    def _add_one(self, host, as_path):
        if as_path in self.entries:
            return
        st = os.lstat(host)
        ti = tarfile.TarInfo(as_path.lstrip("/"))
        ti.mode = st.st_mode & 0o7777
        ti.mtime = int(st.st_mtime)
        if os.path.islink(host):
            ti.type = tarfile.SYMTYPE
            ti.linkname = os.readlink(host)
            self.digest.update(("L%s>%s" % (as_path, ti.linkname)).encode())
        elif os.path.isdir(host):
            ti.type = tarfile.DIRTYPE
        elif os.path.isfile(host):
            ti.size = st.st_size
            self.digest.update(("F%s:%d:%d" % (as_path, st.st_size,
                                               int(st.st_mtime))).encode())
        else:
            return   # sockets, devices: not wanted in an image
        self.entries[as_path] = (ti, host)

    def add_tree(self, top, skip_dirs=(), skip_file=None):
        """Add a directory tree, pruning skip_dirs at its first level."""
        self.add_host(top)
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath == top:
                dirnames[:] = [d for d in dirnames if d not in skip_dirs]
            for name in dirnames + filenames:
                if skip_file and skip_file(name):
                    continue
                self.add_host(os.path.join(dirpath, name))

    def add_tree_at(self, top, as_top):
        """Add a directory tree under another name (symlinks as such)."""
        for dirpath, dirnames, filenames in os.walk(top):
            dest = os.path.normpath(os.path.join(
                as_top, os.path.relpath(dirpath, top)))
            self._dir_entry(dest)
            links = [d for d in dirnames
                     if os.path.islink(os.path.join(dirpath, d))]
            for name in sorted(filenames + links):
                self._add_one(os.path.join(dirpath, name),
                              os.path.join(dest, name))

    def add_ldd(self, binary):
        """Add the shared libraries ldd lists for binary (and the loader)."""
        out = subprocess.run(["ldd", binary], capture_output=True, text=True)
        if out.returncode != 0:
            if "not a dynamic executable" in out.stdout + out.stderr:
                return
            die("ldd %s: %s" % (binary, out.stderr.strip()))
        for line in out.stdout.splitlines():
            m = re.search(r"(/\S+) \(0x", line)
            if m:
                self.add_host(m.group(1))
            elif "not found" in line:
                die("ldd %s: %s" % (binary, line.strip()))

    def add_bytes(self, path, data, mode=0o644, uid=0, gid=0):
        self._dir_entry(os.path.dirname(path))
        ti = tarfile.TarInfo(path.lstrip("/"))
        ti.size, ti.mode, ti.uid, ti.gid = len(data), mode, uid, gid
        self.entries[path] = (ti, data)
        self.digest.update(b"B" + path.encode() + hashlib.sha256(data).digest())

    def add_symlink(self, path, target):
        self._dir_entry(os.path.dirname(path))
        ti = tarfile.TarInfo(path.lstrip("/"))
        ti.type, ti.linkname = tarfile.SYMTYPE, target
        self.entries[path] = (ti, None)
        self.digest.update(("L%s>%s" % (path, target)).encode())

    def add_dir(self, path, mode, uid=0, gid=0):
        self.entries.pop(path, None)
        self._dir_entry(path, mode, uid, gid)
        self.digest.update(("D%s:%o:%d:%d" % (path, mode, uid, gid)).encode())

    def fingerprint(self):
        return self.digest.hexdigest()[:24]

    def write(self, fileobj):
        with tarfile.open(fileobj=fileobj, mode="w|") as tar:
            for path in sorted(self.entries):
                ti, src = self.entries[path]
                ti.uname = ti.gname = ""
                if ti.isfile():
                    if isinstance(src, bytes):
                        tar.addfile(ti, io.BytesIO(src))
                    else:
                        with open(src, "rb") as f:
                            tar.addfile(ti, f)
                else:
                    tar.addfile(ti)


def distroless_common(fs):
    fs.add_bytes("/etc/passwd", PASSWD_DISTROLESS.encode())
    fs.add_bytes("/etc/group", GROUP_DISTROLESS.encode())
    fs.add_bytes("/etc/nsswitch.conf", b"passwd: files\ngroup: files\n"
                 b"hosts: files dns\n")
    fs.add_host("/etc/os-release")
    fs.add_dir("/tmp", 0o1777)
    fs.add_dir("/root", 0o700)
    fs.add_dir("/home/nonroot", 0o700, 65532, 65532)
    fs.add_dir("/var/log", 0o755)


def python_rootfs():
    fs = Rootfs()
    if not os.path.exists(PY_BIN):
        die(PY_BIN + " is missing: apt-get install python3")
    fs.add_host(PY_BIN)
    fs.add_ldd(PY_BIN)
    fs.add_symlink("/usr/bin/python3", "python" + PY_VERSION)
    fs.add_tree(PY_LIB, skip_dirs=PY_SKIP,
                skip_file=lambda n: n.endswith(".so") and PY_SKIP_EXT.match(n))
    dynload = os.path.join(PY_LIB, "lib-dynload")
    for name in sorted(os.listdir(dynload)):
        if name.endswith(".so") and not PY_SKIP_EXT.match(name):
            fs.add_ldd(os.path.join(dynload, name))
    distroless_common(fs)
    env = ["PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG=C.UTF-8"]
    return fs, env, ["/usr/bin/python3"]


def installed_packages():
    """{name: (depends, provides)} of every installed package."""
    q = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Depends}, "
         "${Pre-Depends}\t${Provides}\n"],
        capture_output=True, text=True, check=True)
    pkgs, provided = {}, {}
    for line in q.stdout.splitlines():
        name, status, deps, provides = (line.split("\t") + [""] * 4)[:4]
        if not status.endswith("install ok installed"):
            continue
        pkgs[name] = deps
        for p in provides.split(","):
            p = p.split("(")[0].strip()
            if p:
                provided.setdefault(p, name)
    return pkgs, provided


def runtime_closure(top, follow):
    """top and the installed packages it depends on, recursively, going
    only into those whose names follow() accepts (libraries and node's
    own modules: a Depends on python3 or ca-certificates is not wanted in
    a distroless image)."""
    pkgs, provided = installed_packages()
    todo, seen = [top], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for dep in pkgs.get(name, "").split(","):
            for alt in dep.split("|"):
                alt = alt.split("(")[0].strip().split(":")[0]
                if not alt:
                    continue
                real = alt if alt in pkgs else provided.get(alt)
                if real:
                    if follow(real):
                        todo.append(real)
                    break
    return sorted(seen)


CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Never in a distroless image, whatever a package ships.
SHELLS = {"/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash",
          "/bin/dash", "/usr/bin/dash", "/bin/busybox", "/usr/bin/busybox"}
# Documentation and headers, not needed to run anything.
DOC_DIRS = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
            "/usr/share/lintian/", "/usr/share/bug/", "/usr/share/locale/",
            "/usr/include/")


def node_rootfs():
    """Node as its package installs it: Debian's nodejs keeps parts of
    node's own JavaScript (cjs-module-lexer, acorn, undici) in other
    packages under /usr/share/nodejs, so the binary and its ldd libraries
    alone cannot start ("Cannot load externalized builtin"). Every file
    that the package of /usr/bin/node and the libraries and node modules
    it depends on install (dpkg -L) is taken."""
    fs = Rootfs()
    if not os.path.exists(NODE_BIN):
        die(NODE_BIN + " is missing: apt-get install nodejs")
    real = os.path.realpath(NODE_BIN)
    q = subprocess.run(["dpkg-query", "-S", real], capture_output=True,
                       text=True)
    if q.returncode != 0:
        die("no package owns %s (dpkg -S): install Debian's nodejs" % real)
    owner = q.stdout.split(":")[0].strip()
    packages = runtime_closure(
        owner, lambda n: n.startswith(("lib", "node-")) and
        not n.endswith(("-dev", "-doc")))
    out = subprocess.run(["dpkg", "-L"] + packages, capture_output=True,
                         text=True, check=True)
    for path in sorted(set(out.stdout.splitlines())):
        if (not path.startswith("/") or path in SHELLS
                or path.startswith(DOC_DIRS) or not os.path.lexists(path)
                or (os.path.isdir(path) and not os.path.islink(path))):
            continue
        fs.add_host(path)
    fs.add_host(real, "/nodejs/bin/node")
    # Debian's node loads the system CA bundle at start (and warns on
    # stderr without it); distroless images have it too.
    if os.path.exists(CA_BUNDLE):
        fs.add_host(CA_BUNDLE)
    # Libraries of a node that no package lists (a local build).
    fs.add_ldd(NODE_BIN)
    for path in SHELLS:
        if path in fs.entries:
            die("%s would be in the node image: a package of %s ships it"
                % (path, " ".join(packages)))
    distroless_common(fs)
    env = ["PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"]
    return fs, env, ["/nodejs/bin/node"]


def dpkg_closure(packages):
    """The installed packages that packages need, plus what debian:12 has.

    The debian:12 image is a minbase debootstrap: the Essential packages
    and those of Priority required (mawk, for one, is only the latter).
    """
    q = subprocess.run(["dpkg-query", "-W",
                        "-f=${Package} ${Essential} ${Priority}\n"],
                       capture_output=True, text=True, check=True)
    essential = [l.split()[0] for l in q.stdout.splitlines()
                 if l.split()[1:2] == ["yes"] or l.endswith(" required")]
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--installed", "--no-recommends",
         "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
         "--no-enhances"] + essential + packages,
        capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines():
        if line and not line[0].isspace() and not line.startswith("<"):
            names.add(line.split(":")[0])
    q = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n"]
                       + sorted(names), capture_output=True, text=True)
    installed = [l.split()[0] for l in q.stdout.splitlines()
                 if l.endswith("install ok installed")]
    missing = [p for p in packages if p not in installed]
    if missing:
        die("not installed here: %s (apt-get install %s)"
            % (" ".join(missing), " ".join(missing)))
    return sorted(installed)


def builder_rootfs():
    libev = os.environ.get("PIDONE_LIBEV_SRC", "")
    if not os.path.isfile(os.path.join(libev, "ev.c")):
        die("PIDONE_LIBEV_SRC=%r is not an unpacked libev source tree"
            " (contrib/musl/build --fetch-libev DIR prints one)" % libev)
    fs = Rootfs()
    fs.add_tree_at(libev, LIBEV_SRC_IN_IMAGE)
    packages = dpkg_closure(BUILD_PACKAGES)
    out = subprocess.run(["dpkg", "-L"] + packages, capture_output=True,
                         text=True, check=True)
    files = sorted(set(l for l in out.stdout.splitlines()
                       if l.startswith("/")))
    in_closure = set(files)
    for path in files:
        if os.path.lexists(path) and not path.startswith("/etc/apt/sources"):
            fs.add_host(path)
    # Links made by update-alternatives and dpkg-divert are in no package
    # list: add those whose final target is in the closure.
    altdir = "/var/lib/dpkg/alternatives"
    for name in sorted(os.listdir(altdir)):
        with open(os.path.join(altdir, name)) as f:
            lines = f.read().splitlines()
        links = [lines[1]] if len(lines) > 1 else []
        for i in range(2, len(lines) - 1, 2):
            if lines[i] == "":
                break
            links.append(lines[i + 1])
        for link in links:
            if os.path.lexists(link) and os.path.realpath(link) in in_closure:
                fs.add_host(link)
    for extra in ["/bin/sh", "/usr/bin/sh", "/etc/ld.so.cache",
                  "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/os-release",
                  "/var/lib/dpkg/status", "/var/lib/dpkg/diversions",
                  "/var/lib/dpkg/statoverride", "/var/lib/dpkg/available",
                  "/var/lib/dpkg/arch", "/etc/dpkg/dpkg.cfg"]:
        if os.path.lexists(extra):
            if os.path.isdir(extra) and not os.path.islink(extra):
                fs.add_tree(extra)
            else:
                fs.add_host(extra)
    # apt offline: no sources at all; install finds everything installed.
    fs.add_bytes("/etc/apt/sources.list", b"# offline test builder\n")
    fs.add_dir("/etc/apt/sources.list.d", 0o755)
    for d in ["/var/lib/apt/lists/partial", "/var/cache/apt/archives/partial",
              "/var/lib/dpkg/updates", "/var/lib/dpkg/info",
              "/var/lib/dpkg/triggers"]:
        fs.add_dir(d, 0o755)
    fs.add_bytes("/etc/passwd", PASSWD_BUILDER.encode())
    fs.add_bytes("/etc/group", GROUP_BUILDER.encode())
    fs.add_dir("/tmp", 0o1777)
    fs.add_dir("/root", 0o700)
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LIBEV_SRC=" + LIBEV_SRC_IN_IMAGE]
    return fs, env, ["/bin/bash"]


IMAGES = {
    "python": ("pidone-test/python-distroless:nonroot", python_rootfs,
               "65532:65532"),
    "node": ("pidone-test/node-distroless:nonroot", node_rootfs,
             "65532:65532"),
    "builder": ("pidone-test/builder:debian12", builder_rootfs, "0:0"),
}


def current_fingerprint(docker, tag):
    r = subprocess.run([docker, "image", "inspect", "-f",
                        '{{index .Config.Labels "%s"}}' % FINGERPRINT_LABEL,
                        tag], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def make_image(docker, which):
    tag, build, user = IMAGES[which]
    fs, env, cmd = build()
    fp = fs.fingerprint()
    if current_fingerprint(docker, tag) == fp:
        print("mkimages: %s is up to date" % tag)
        return
    changes = ["--change", "USER " + user,
               "--change", "LABEL %s=%s pidone-test=1" % (FINGERPRINT_LABEL, fp),
               "--change", "CMD " + str(cmd).replace("'", '"')]
    for e in env:
        changes += ["--change", "ENV " + e]
    if which != "builder":
        changes += ["--change", "WORKDIR /home/nonroot"]
    p = subprocess.Popen([docker, "import"] + changes + ["-", tag],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        fs.write(p.stdin)
    finally:
        p.stdin.close()
    if p.wait(timeout=600) != 0:
        die("docker import %s failed" % tag)
    print("mkimages: made %s (%d entries)" % (tag, len(fs.entries)))


def main():
    if len(sys.argv) < 2:
        die("usage: mkimages.py DOCKER [python|node|builder ...]")
    docker = sys.argv[1]
    for which in sys.argv[2:] or list(IMAGES):
        if which not in IMAGES:
            die("unknown image " + which)
        make_image(docker, which)


if __name__ == "__main__":
    main()
