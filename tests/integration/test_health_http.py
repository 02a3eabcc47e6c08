# SPDX-License-Identifier: MIT
"""The health side port as HTTP/1.1 (README, Health side port):
endpoints, HEAD, keep-alive and pipelining, every class of bad input with
its status (each followed by a normal probe that must still pass), the
connection cap, time limits, clients that reset, IPv6, metrics, and
start-up errors. Real binary, real clients (curl and raw sockets), loopback
only.
"""

import errno
import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

import pidone_harness as h

SLEEPER = ["sleep", "120"]
CURL = shutil.which("curl")
KUBELET = ("GET /readyz HTTP/1.1\r\nHost: 10.1.2.3:%d\r\n"
           "User-Agent: kube-probe/1.31\r\nAccept: */*\r\n"
           "Connection: close\r\n\r\n")
METRIC_FAMILIES = [
    "pidone_child_up", "pidone_child_restarts_total",
    "pidone_zombies_reaped_total", "pidone_signals_forwarded_total",
    "pidone_ready", "pidone_live", "pidone_health_requests_total",
    "pidone_log_lines_dropped_total",
]


def metric(text, name, labels=""):
    """The value of one series in a /metrics body, or None."""
    m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    return int(m.group(1)) if m else None


class Server(h.TestCase):
    """One pidone with a sleeping child serves the protocol tests; after
    each test a plain probe must still pass and pidone must still run."""

    @classmethod
    def setUpClass(cls):
        cls.port = h.free_port()
        cls.p = h.Pidone(SLEEPER, h.health_opts(cls.port), defaults=False)
        h.wait_http(cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.p.cleanup()

    def tearDown(self):
        # the server survived whatever the test did
        self.assertTrue(self.p.alive(), self.p.describe())
        a = h.http_get(self.port, "/healthz")
        self.assertEqual(a.status, 200, self.p.describe())

    def conn(self, timeout=5.0):
        c = h.HttpConn(self.port, timeout=timeout)
        self.addCleanup(c.close)
        return c

    # -- endpoints -------------------------------------------------------------

    def test_health_endpoints(self):
        for path in ("/healthz", "/livez", "/readyz"):
            with self.subTest(path=path):
                a = h.http_get(self.port, path)
                self.assertEqual(a.status, 200)
                self.assertEqual(a.headers["content-type"],
                                 "application/json")
                self.assertEqual(a.json(), {"status": "ok"})
                self.assertEqual(a.headers["cache-control"], "no-store")
                self.assertEqual(a.headers["connection"], "close")

    def test_verbose(self):
        a = h.http_get(self.port, "/readyz?verbose")
        self.assertEqual(a.status, 200)
        self.assertTrue(a.headers["content-type"].startswith("text/plain"))
        self.assertEqual(a.text(), "[+]child ok\n[+]shutdown ok\n"
                         "readyz check passed\n")
        a = h.http_get(self.port, "/healthz?verbose=1&x")
        self.assertEqual(a.text(), "[+]child ok\nhealthz check passed\n")
        a = h.http_get(self.port, "/livez?verbos")
        self.assertEqual(a.json(), {"status": "ok"})

    def test_metrics(self):
        a = h.http_get(self.port, "/metrics")
        self.assertEqual(a.status, 200)
        self.assertEqual(a.headers["content-type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        text = a.text()
        for name in METRIC_FAMILIES:
            self.assertIn("# TYPE %s " % name, text)
        self.assertEqual(metric(text, "pidone_child_up"), 1)
        self.assertEqual(metric(text, "pidone_ready"), 1)
        self.assertEqual(metric(text, "pidone_live"), 1)
        self.assertEqual(metric(text, "pidone_signals_forwarded_total",
                                '{signal="TERM"}'), 0)
        # nothing about the command line or the environment
        self.assertNotIn("sleep", text)
        self.assertNotIn("PATH", text)

    def test_metrics_count_requests(self):
        def count(path, code):
            t = h.http_get(self.port, "/metrics").text()
            return metric(t, "pidone_health_requests_total",
                          '{path="%s",code="%d"}' % (path, code))

        before = count("/livez", 200), count("other", 404)
        for _ in range(3):
            h.http_get(self.port, "/livez")
        h.http_get(self.port, "/no/such/path")
        self.assertEqual(count("/livez", 200), before[0] + 3)
        self.assertEqual(count("other", 404), before[1] + 1)
        m1 = count("/metrics", 200)
        self.assertEqual(count("/metrics", 200), m1 + 1)

    def test_curl(self):
        if not CURL:
            self.skipTest("curl not installed")
        r = subprocess.run([CURL, "-sS", "-i", "--max-time", "5",
                            "http://127.0.0.1:%d/readyz" % self.port],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertTrue(r.stdout.endswith(b'\r\n\r\n{"status":"ok"}'))
        # curl -I sends HEAD; --http1.0 without keep-alive
        r = subprocess.run([CURL, "-sS", "-I", "--http1.0", "--max-time",
                            "5", "http://127.0.0.1:%d/livez" % self.port],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Content-Length: 15\r\n", r.stdout)
        self.assertIn(b"Connection: close\r\n", r.stdout)

    def test_unknown_path_404(self):
        for path in ("/", "/healthz/", "/HEALTHZ", "/readyz/../livez",
                     "/favicon.ico"):
            with self.subTest(path=path):
                c = self.conn()
                c.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
                a = c.answer()
                self.assertEqual(a.status, 404)
                self.assertEqual(a.headers["connection"], "close")
                self.assertTrue(c.closed_by_server())

    def test_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "get",
                       "PROPFIND"):
            with self.subTest(method=method):
                c = self.conn()
                c.send("%s /healthz HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: 0\r\n\r\n" % method)
                a = c.answer()
                self.assertEqual(a.status, 405)
                self.assertEqual(a.headers["allow"], "GET, HEAD")
                self.assertTrue(c.closed_by_server())

    def test_post_with_body_gets_405_not_reset(self):
        # The body is never read, and it is larger than the socket
        # buffers: the server must drain it (lingering close) or the
        # client's send would fail with a reset before it reads the 405.
        c = self.conn()
        c.send(b"POST /readyz HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 4000000\r\n\r\n" + b"x" * 4000000)
        a = c.answer()
        self.assertEqual(a.status, 405)
        self.assertTrue(c.closed_by_server())

    # -- HEAD ------------------------------------------------------------------

    def test_head_has_no_body(self):
        for path in ("/healthz", "/livez", "/readyz", "/metrics",
                     "/readyz?verbose", "/nope"):
            with self.subTest(path=path):
                get = h.http_get(self.port, path)
                c = self.conn()
                c.send("HEAD %s HTTP/1.1\r\nHost: x\r\nConnection: close"
                       "\r\n\r\n" % path)
                a = c.answer(head_only=True)
                self.assertEqual(a.status, get.status)
                self.assertEqual(a.headers["content-type"],
                                 get.headers["content-type"])
                if path != "/metrics":  # counters move between the two
                    self.assertEqual(a.headers["content-length"],
                                     str(len(get.body)))
                self.assertTrue(c.closed_by_server(), "bytes after HEAD")
                self.assertEqual(c.buf, b"", "a body after HEAD")

    # -- keep-alive and pipelining ------------------------------------------

    def test_keep_alive(self):
        c = self.conn()
        for i in range(5):
            c.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            a = c.answer()
            self.assertEqual(a.status, 200, i)
            self.assertEqual(a.headers["connection"], "keep-alive")
        self.assertFalse(c.closed_by_server(timeout=0.3))
        c.send("GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(c.answer().headers["connection"], "close")
        self.assertTrue(c.closed_by_server())

    def test_http10_closes_unless_keep_alive(self):
        c = self.conn()
        c.send("GET /livez HTTP/1.0\r\n\r\n")
        self.assertEqual(c.answer().headers["connection"], "close")
        self.assertTrue(c.closed_by_server())
        c = self.conn()
        c.send("GET /livez HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        self.assertEqual(c.answer().headers["connection"], "keep-alive")
        self.assertFalse(c.closed_by_server(timeout=0.3))

    def test_pipelined_in_one_write(self):
        paths = ["/healthz", "/livez", "/readyz", "/metrics",
                 "/readyz?verbose", "/healthz"] * 10
        reqs = "".join("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p
                       for p in paths)
        c = self.conn()
        c.send(reqs + "HEAD /livez HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        for i, path in enumerate(paths):
            a = c.answer()
            self.assertEqual(a.status, 200, (i, path))
            if path == "/metrics":
                self.assertIn(b"pidone_child_up 1", a.body)
            elif "verbose" in path:
                self.assertTrue(a.body.endswith(b"readyz check passed\n"))
            else:
                self.assertEqual(a.body, b'{"status":"ok"}', (i, path))
        self.assertEqual(c.answer(head_only=True).status, 200)
        a = c.answer()
        self.assertEqual(a.status, 404)
        # the 404 closes: the request after it is not answered
        self.assertTrue(c.closed_by_server())

    def test_pipelined_requests_split_anywhere(self):
        # two requests sent in odd-sized pieces, the cut inside the CRLFs
        data = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /readyz?verbose HTTP/1.1\r\nHost: x\r\n"
                b"Connection: close\r\n\r\n")
        c = self.conn()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), 7):
            c.send(data[i:i + 7])
            time.sleep(0.005)     # pacing: pieces arrive apart
        self.assertEqual(c.answer().body, b'{"status":"ok"}')
        self.assertTrue(c.answer().text().endswith("readyz check passed\n"))
        self.assertTrue(c.closed_by_server())

    def test_request_line_byte_by_byte(self):
        c = self.conn()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n":
            c.send(bytes([b]))
            time.sleep(0.002)     # pacing: bytes arrive apart
        self.assertEqual(c.answer().status, 200)

    # -- bad input -------------------------------------------------------------

    def bad(self, data, status):
        c = self.conn()
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        a = c.answer()
        self.assertEqual(a.status, status, a)
        self.assertEqual(a.headers["connection"], "close")
        self.assertTrue(c.closed_by_server())
        return a

    def test_garbage_400(self):
        cases = [
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
            b"hello\r\n\r\n",
            b"GET /healthz\r\n\r\n",
            b"GET /healthz HTTP/2.0\r\n\r\n",
            b"GET http:/x/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\nHost: x\n\n",
            b"GET  /healthz HTTP/1.1\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\n folded: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nNo Colon\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        ]
        for data in cases:
            with self.subTest(data=data[:30]):
                a = self.bad(data, 400)
                self.assertEqual(a.body, b"400 Bad Request\n")

    def test_nul_bytes_400(self):
        for data in (b"GET /healthz\x00 HTTP/1.1\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nX: a\x00b\r\n\r\n",
                     b"\x00" * 100):
            with self.subTest(data=data[:30]):
                self.bad(data, 400)

    def test_asterisk_and_absolute_form_targets(self):
        # Not malformed (RFC 9112 section 3.2): OPTIONS * gets the 405 of
        # other methods, and an absolute-form target is routed by its path
        # and query as the origin-form, kept alive as one.
        a = self.bad(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405)
        self.assertEqual(a.headers["allow"], "GET, HEAD")
        c = self.conn()
        c.send("GET http://127.0.0.1:%d/healthz HTTP/1.1\r\n"
               "Host: 127.0.0.1:%d\r\n\r\n" % (self.port, self.port))
        a = c.answer()
        self.assertEqual(a.status, 200)
        self.assertEqual(a.json(), {"status": "ok"})
        self.assertEqual(a.headers["connection"], "keep-alive")
        c.send(b"GET HTTP://x/healthz?verbose HTTP/1.1\r\nHost: x\r\n\r\n")
        a = c.answer()
        self.assertEqual(a.status, 200)
        self.assertEqual(a.text(), "[+]child ok\nhealthz check passed\n")

    def test_huge_head_431(self):
        # one header line over 8 KiB, then more bytes the server must
        # drain (lingering close) so that the client still reads the 431
        data = (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 9000
                + b"\r\n\r\n")
        a = self.bad(data, 431)
        self.assertEqual(a.body, b"431 Request Header Fields Too Large\n")
        # many small headers add up too
        data = b"GET /healthz HTTP/1.1\r\n" + b"X-H: 0123456789\r\n" * 600
        self.bad(data, 431)
        # megabytes of head: the client's send must not fail either
        c = self.conn()
        c.send(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 4000000)
        self.assertEqual(c.answer().status, 431)

    def test_head_of_exactly_8k_is_fine(self):
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: "
        pad = 8192 - len(head) - 4
        c = self.conn()
        c.send(head + b"a" * pad + b"\r\n\r\n")
        self.assertEqual(c.answer().status, 200)

    def test_timeouts(self):
        """408 for a slow head, a silent close for an idle connection:
        both run at once (not before 5 s), with probes passing meanwhile.
        (No upper bound: the machine may be busy; the socket timeouts
        bound the wait.)"""
        slow = self.conn(timeout=h.scaled(15))
        idle = self.conn(timeout=h.scaled(15))
        t0 = time.monotonic()
        slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        ticks = 0
        while time.monotonic() - t0 < 3.5:
            slow.send("X-Drip: %d\r\n" % ticks)      # bytes keep coming
            self.assertEqual(h.http_get(self.port, "/livez").status, 200)
            ticks += 1
            time.sleep(0.5)       # pacing: a drip every half second
        a = slow.answer()
        took = time.monotonic() - t0
        self.assertEqual(a.status, 408)
        self.assertGreaterEqual(took, 4.5, "408 after %.2f s" % took)
        self.assertTrue(slow.closed_by_server(timeout=h.scaled(5)))
        # the idle one was closed without a word, not before 5 s
        self.assertTrue(idle.closed_by_server(timeout=h.scaled(10)))
        self.assertEqual(idle.buf, b"")
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 4.5, "idle close after %.2f s" % took)

    def test_client_resets_mid_answer(self):
        # hundreds of pipelined /metrics: megabytes of answers the client
        # never reads, so the server blocks on a full socket; then a reset
        before = socket_fds(self.p.pid)
        c = self.conn()
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        c.send(req * (8000 // len(req)))
        c.send(req * 40)
        # the server is writing answers the client does not read
        h.wait_for(lambda: unread_bytes(c.sock) >= 65536, 5,
                   what="answers piling up unread")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        c.close()
        # and one that reads half an answer, then resets
        c = self.conn()
        c.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
        c.sock.recv(100)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        c.close()
        # pidone has dealt with both resets once their server sides are
        # gone (tearDown then checks it is still alive and serving)
        h.wait_for(lambda: socket_fds(self.p.pid) <= before, 5,
                   what="pidone to close the reset connections")

    # requests of four kinds whose answers tell them apart, for tests that
    # check every answer arrives whole, once and in order
    KINDS = [
        ("GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n", "json"),
        ("GET /readyz?verbose HTTP/1.1\r\nHost: x\r\n%s\r\n", "verbose"),
        ("GET /metrics HTTP/1.1\r\nHost: x\r\n%s\r\n", "metrics"),
        ("HEAD /livez HTTP/1.1\r\nHost: x\r\n%s\r\n", "head"),
    ]

    def mixed_requests(self, n, seed, pad_max=0, weights=None):
        """@n pipelined requests of random kinds, with up to @pad_max
        empty header lines so that they end at random offsets. Every byte
        counts: with any one lost, a request is malformed or asks for
        something else."""
        rnd = random.Random(seed)
        kinds, data = [], []
        for _ in range(n):
            fmt, kind = rnd.choices(self.KINDS, weights)[0]
            pad = "X:\r\n" * rnd.randint(0, pad_max)
            kinds.append(kind)
            data.append(fmt % pad)
        return kinds, "".join(data).encode()

    def check_answers(self, c, kinds):
        for i, kind in enumerate(kinds):
            a = c.answer(head_only=(kind == "head"))
            self.assertEqual(a.status, 200, (i, kind, a))
            self.assertEqual(a.headers["connection"], "keep-alive", i)
            if kind == "json":
                self.assertEqual(a.body, b'{"status":"ok"}', i)
            elif kind == "verbose":
                self.assertTrue(a.body.startswith(b"[+]"), (i, a.body))
                self.assertTrue(a.body.endswith(b"readyz check passed\n"),
                                (i, a.body))
            elif kind == "metrics":
                self.assertTrue(a.body.startswith(b"# HELP "), i)
                self.assertIn(b"\npidone_child_up 1\n", a.body, i)
                self.assertTrue(a.body.endswith(b"\n"), i)
            else:
                self.assertEqual(a.body, b"", i)
                self.assertEqual(a.headers["content-length"], "15", i)
        # nothing more than those answers, and the connection still works
        self.assertEqual(c.buf, b"")
        c.send("GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(c.answer().body, b'{"status":"ok"}')
        self.assertTrue(c.closed_by_server())
        self.assertEqual(c.buf, b"")

    def test_unread_answers_arrive_whole(self):
        """A client that does not read: more answers than the kernel's
        largest send buffer can hold, so the server's sends stop part-way
        through an answer, with pipelined heads waiting behind it, some cut
        between two of the client's sends. Other clients are served
        meanwhile; once the client reads, every answer arrives whole, once,
        in order."""
        try:
            with open("/proc/sys/net/ipv4/tcp_wmem") as f:
                wmem_max = int(f.read().split()[2])
        except (OSError, ValueError, IndexError):
            wmem_max = 4 << 20
        # a /metrics answer is over 3 KB; 1 MB more than the buffer holds
        n = (min(wmem_max, 16 << 20) + (1 << 20)) // 3000 * 3 // 2
        kinds, data = self.mixed_requests(n, seed=1, pad_max=10,
                                          weights=[1, 1, 2, 2])
        c = h.HttpConn.__new__(h.HttpConn)
        c.buf = b""
        c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sock.settimeout(10)
        c.sock.connect(("127.0.0.1", self.port))

        def send():
            for i in range(0, len(data), 1499):
                c.sock.sendall(data[i:i + 1499])
                time.sleep(0.001)
        sender = threading.Thread(target=send)
        sender.start()
        self.addCleanup(sender.join, 10)
        # wait until the server's send queue to this client is stuck full
        me = c.sock.getsockname()[1]
        h.wait_for(lambda: any(s["tx_queue"] >= 4096 for s in
                               h.tcp_sockets(self.port, me)), 10,
                   what="the server's answers to back up")
        # the stuck connection blocks nobody
        self.assertEqual(h.http_get(self.port, "/metrics").status, 200)
        self.check_answers(c, kinds)
        sender.join(10)
        self.assertFalse(sender.is_alive())

    def test_pipelined_heads_cut_by_reads(self):
        """Far more than one read's worth (8 KiB) of pipelined heads of
        random lengths in one stream: the server's reads cut heads at
        random places, and each cut head must be put back together."""
        kinds, data = self.mixed_requests(1500, seed=2, pad_max=50)
        self.assertGreater(len(data), 20 * 8192)
        c = self.conn(timeout=10)
        sender = threading.Thread(target=c.sock.sendall, args=(data,))
        sender.start()
        self.addCleanup(sender.join, 10)
        self.check_answers(c, kinds)
        sender.join(10)
        self.assertFalse(sender.is_alive())

    def test_kubelet_style_probes(self):
        # (how fast they are is a bench figure; printed, not asserted)
        worst = 0.0
        for _ in range(30):
            t0 = time.monotonic()
            with h.HttpConn(self.port, timeout=h.scaled(5)) as c:
                c.send(KUBELET % self.port)
                a = c.answer()
                self.assertTrue(c.closed_by_server())
            worst = max(worst, time.monotonic() - t0)
            self.assertEqual(a.status, 200)
            self.assertEqual(a.json(), {"status": "ok"})
        print("\n    slowest of 30 kubelet-style probes: %.3f s" % worst,
              file=sys.stderr, end="")

    def test_listener_not_inherited(self):
        child = self.p.child_pid()
        fds = sorted(int(f) for f in os.listdir("/proc/%d/fd" % child))
        self.assertEqual(fds, [0, 1, 2])


class ConnectionCap(h.TestCase):

    def test_300_idle_connections(self):
        """At the cap a new connection is served and the one that has gone
        longest without a request is closed: the oldest idle ones go."""
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port), defaults=False)
        h.wait_http(port)
        base_fds = len(os.listdir("/proc/%d/fd" % p.pid))
        socks = []
        try:
            for _ in range(300):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                socks.append(s)
            # a probe from a new connection is answered, not refused
            a = h.http_get(port, "/healthz")
            self.assertEqual(a.status, 200, p.describe())
            # the 44 oldest and one more (for the probe) were closed,
            # silently; the newest 255 are open
            for i, s in enumerate(socks):
                closed = closed_by_peer(s, timeout=5 if i < 45 else 0)
                self.assertEqual(closed, i < 45, "connection %d" % i)
            # a kept connection still gets answers
            socks[-1].settimeout(5)
            socks[-1].sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(socks[-1].recv(4096).startswith(
                b"HTTP/1.1 200 OK"))
        finally:
            for s in socks:
                s.close()
        h.wait_for(lambda: len(os.listdir("/proc/%d/fd" % p.pid))
                   <= base_fds, timeout=5, what="connections closed")
        a = h.http_get(port, "/metrics")
        self.assertEqual(metric(a.text(), "pidone_health_evictions_total"),
                         45)
        self.assertTrue(p.alive())
        warn = [r for r in p.logs() if "connection limit" in r["msg"]]
        self.assertEqual(len(warn), 1, "logged once")

    def test_low_nofile_leaves_fds_to_pidone(self):
        # Under RLIMIT_NOFILE 64 the connections take at most 32 fds:
        # 80 held clients neither fail a probe nor a restart's pipe.
        prlimit = shutil.which("prlimit")
        if not prlimit:
            self.skipTest("prlimit(1) not found")
        port = h.free_port()
        child = h.python_child("import time, sys; time.sleep(1.5); "
                               "sys.exit(3)")
        p = self.start(child, h.health_opts(port, "--restart", "on-failure",
                                            "--restart-max", "1"),
                       defaults=False, prefix=[prlimit, "--nofile=64:64"])
        h.wait_http(port)
        rec = p.wait_log("^health server: at most 32 connections at once")
        self.assertEqual(rec["nofile"], 64)
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5)
                 for _ in range(80)]
        try:
            for _ in range(20):
                self.assertEqual(h.http_get(port, "/healthz").status, 200)
            p.wait(20)
        finally:
            for s in socks:
                s.close()
        self.assertExit(p, 3)
        self.assertEqual(len(p.records("^child started$")), 2,
                         "restarted" + p.describe())
        self.assertEqual(p.records("^cannot start"), [], p.describe())
        self.assertEqual(len(p.records("connection limit reached")), 1)

    def test_out_of_fds_evicts_and_does_not_spin(self):
        # The limit lowered under a running pidone, below what its cap
        # assumed: accept meets EMFILE, and the oldest connection makes
        # room for the new one, as at the cap.
        prlimit = shutil.which("prlimit")
        if not prlimit:
            self.skipTest("prlimit(1) not found")
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port), defaults=False)
        h.wait_http(port)
        h.wait_for(lambda: h.epoll_timeout_ms(p.pid) is not None, 5,
                   what="pidone to wait in epoll_wait")
        base_fds = len(os.listdir("/proc/%d/fd" % p.pid))
        limit = base_fds + 3
        subprocess.run([prlimit, "--pid", str(p.pid),
                        "--nofile=%d:%d" % (limit, limit)], check=True)
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5)
                 for _ in range(40)]
        try:
            # a probe is served all the same, on an evicted one's fd
            self.assertEqual(h.http_get(port, "/healthz").status, 200)
            # out of fds, pidone must still come to rest in epoll_wait
            # (a spinning one would never be seen there)
            h.wait_for(lambda: h.epoll_timeout_ms(p.pid) is not None, 5,
                       what="pidone to wait in epoll_wait")
            cpu0 = cpu_ticks(p.pid)
            time.sleep(1.0)       # the window observed
            spent = cpu_ticks(p.pid) - cpu0
            self.assertLessEqual(spent, 5, "pidone spun: %d ticks" % spent)
            shed = kept = 0
            for s in socks:
                s.setblocking(False)
                try:
                    shed += s.recv(1) == b""
                except BlockingIOError:
                    kept += 1
                except ConnectionResetError:
                    shed += 1
            self.assertEqual(shed + kept, 40)
            self.assertGreater(shed, 0)
            self.assertGreater(kept, 0)
            # the newest are the ones kept
            self.assertRaises(BlockingIOError, socks[-1].recv, 1)
        finally:
            for s in socks:
                s.close()
        h.wait_http(port, timeout=5)
        self.assertTrue(p.alive())
        warn = [r for r in p.logs() if "file descriptors" in r["msg"]]
        self.assertEqual(len(warn), 1, p.describe())
        self.assertIn("longest without a request", warn[0]["msg"])
        self.assertIn("ulimit", warn[0]["hint"])


def unread_bytes(sock):
    """Bytes waiting in @sock's receive queue."""
    return struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD,
                                          b"\0\0\0\0"))[0]


def socket_fds(pid):
    """How many sockets process @pid holds."""
    return sum(link.startswith("socket:") for link in h.fd_links(pid))


def listen_backlog(port):
    """Connections waiting to be accepted on @port."""
    return sum(s["rx_queue"] for s in h.tcp_sockets(port,
                                                     state=h.TCP_LISTEN))


def closed_by_peer(s, timeout):
    """True when pidone closed @s (EOF or reset) within @timeout seconds
    (0: already), False while it stays open."""
    if timeout:
        s.settimeout(timeout)
    else:
        s.setblocking(False)
    try:
        data = s.recv(4096)
    except (socket.timeout, BlockingIOError):
        return False
    except ConnectionResetError:
        return True
    return data == b""


def cpu_ticks(pid):
    """utime + stime of @pid, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


class Listening(h.TestCase):

    def test_default_is_dual_stack(self):
        if not h.has_ipv6():
            self.skipTest("no IPv6 loopback")
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port), defaults=False)
        h.wait_http(port)
        self.assertEqual(h.http_get(port, host="::1").status, 200)
        self.assertEqual(p.wait_log("health server listening")["address"],
                         "[::]:%d" % port)

    def test_kernel_without_ipv6_listens_on_ipv4(self):
        # A node booted with ipv6.disable=1, where socket(AF_INET6) fails
        # with EAFNOSUPPORT: the default listener falls back to 0.0.0.0.
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port), defaults=False,
                       prefix=[h.helper("sigconf"), "--no-ipv6", "--"])
        h.wait_http(port)
        self.assertEqual(p.wait_log("health server listening")["address"],
                         "0.0.0.0:%d" % port)
        self.assertEqual(h.http_get(port, "/healthz").status, 200)
        self.assertTrue(p.alive())

    def test_ipv6_loopback_only(self):
        if not h.has_ipv6():
            self.skipTest("no IPv6 loopback")
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port, "--health-addr", "::1"),
                       defaults=False)
        h.wait_http(port, host="::1")
        a = h.http_get(port, "/readyz?verbose", host="::1")
        self.assertEqual(a.status, 200)
        with self.assertRaises(ConnectionRefusedError):
            h.http_get(port, host="127.0.0.1")
        self.assertTrue(p.alive())

    def test_ipv4_address(self):
        port = h.free_port()
        self.start(SLEEPER, h.health_opts(port, "--health-addr",
                                          "127.0.0.1"), defaults=False)
        h.wait_http(port)
        if h.has_ipv6():
            with self.assertRaises(ConnectionRefusedError):
                h.http_get(port, host="::1")

    def test_idle_server_never_wakes(self):
        # no timers run while no connection is open: pidone sleeps
        port = h.free_port()
        p = self.start(SLEEPER, h.health_opts(port), defaults=False)
        h.wait_http(port)
        for _ in range(5):
            h.http_get(port, "/metrics")
        # every connection done with, no timer left armed
        h.wait_idle(p.pid)
        before = h.ctxt_switches(p.pid)
        time.sleep(1.5)           # the window observed
        h.assert_wakeups(self, p, h.ctxt_switches(p.pid) - before, 1,
                         "while idle")

    def test_port_zero_opens_nothing(self):
        p = self.start(SLEEPER, ["--user", "keep", "--health-port", "0"],
                       defaults=False)
        p.child_pid()
        links = h.fd_links(p.pid)
        self.assertEqual([l for l in links if l.startswith("socket:")], [],
                         "pidone --health-port 0 holds a socket")
        self.assertFalse(any("health server" in r["msg"] for r in p.logs()))

    def test_port_in_use_is_an_error(self):
        with socket.socket(socket.AF_INET6 if h.has_ipv6()
                           else socket.AF_INET) as busy:
            busy.bind(("::" if h.has_ipv6() else "0.0.0.0", 0))
            busy.listen()
            port = busy.getsockname()[1]
            p = self.run_pidone(SLEEPER, h.health_opts(port),
                                defaults=False)
        self.assertExit(p, 78)
        rec = [r for r in p.logs() if r["level"] == "error"][0]
        self.assertIn("cannot listen on", rec["msg"])
        self.assertIn("--health-port", rec["hint"])
        self.assertIn("in use", rec["hint"])
        self.assertIn("error", rec)
        self.assertFalse(any(r["msg"] == "child started" for r in p.logs()))

    def low_port(self):
        """A port below 1024 free on 127.0.0.1 a moment ago."""
        for port in range(1023, 899, -1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
        self.skipTest("no free port below 1024")

    def test_a_port_below_1024_is_opened_before_the_drop(self):
        port = self.low_port()
        p = self.start(SLEEPER, ["--health-addr", "127.0.0.1",
                                 "--health-port", str(port)], defaults=False)
        h.wait_http(port)
        self.assertEqual(h.http_get(port).status, 200)
        with open("/proc/%d/status" % p.pid) as f:
            uids = [line.split()[1:] for line in f if line.startswith("Uid:")]
        self.assertEqual(uids, [["65532"] * 4], p.describe())

    def test_a_port_below_1024_without_root_says_how(self):
        port = self.low_port()
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            if int(f.read()) <= port:
                self.skipTest("this kernel lets anyone bind port %d" % port)
        setpriv = shutil.which("setpriv")
        if not setpriv:
            self.skipTest("setpriv not found")
        p = self.run_pidone(SLEEPER, ["--user", "keep", "--health-addr",
                                      "127.0.0.1", "--health-port",
                                      str(port)], defaults=False,
                            mode="subreaper",
                            prefix=[setpriv, "--reuid", "65532", "--regid",
                                    "65532", "--clear-groups", "--"])
        self.assertExit(p, 78)
        rec = self.one_error(p)
        self.assertEqual(rec["error"], os.strerror(errno.EACCES), p.describe())
        self.assertIn("ports below 1024 need root", rec["hint"])
        self.assertFalse(p.records("^child started$"), p.describe())

    def test_address_not_on_this_host_is_a_config_error(self):
        # TEST-NET-1: never assigned to a host
        p = self.run_pidone(SLEEPER, h.health_opts(
            h.free_port(), "--health-addr", "192.0.2.1"), defaults=False)
        self.assertExit(p, 78)
        rec = [r for r in p.logs() if r["level"] == "error"][0]
        self.assertIn("--health-addr", rec["hint"])


class Counters(h.TestCase):

    def test_signals_and_restarts_in_metrics(self):
        port = h.free_port()
        marker = os.path.join(self.tmpdir(), "ran")
        # fails on its first run, then waits; an orphan is reaped each run
        child = h.python_child("""
            import os, signal, sys, time
            marker = sys.argv[1]
            signal.signal(signal.SIGHUP, lambda *a: os.write(1, b"hup\\n"))
            if os.fork() == 0:
                os._exit(0)
            if not os.path.exists(marker):
                open(marker, "w").close()
                sys.exit(1)
            print("ready", flush=True)
            while True:
                time.sleep(0.05)
            """, marker)
        p = self.start(child, h.health_opts(port, "--restart", "on-failure"),
                       defaults=False)
        p.wait_stdout("^ready$", timeout=10)
        h.wait_http(port)
        p.kill(signal.SIGHUP)
        p.wait_stdout("^hup$")
        t = h.http_get(port, "/metrics").text()
        self.assertEqual(metric(t, "pidone_signals_forwarded_total",
                                '{signal="HUP"}'), 1)
        self.assertEqual(metric(t, "pidone_child_restarts_total"), 1)
        self.assertEqual(metric(t, "pidone_child_up"), 1)
        self.assertGreaterEqual(metric(t, "pidone_zombies_reaped_total"), 1)
        self.assertEqual(metric(t, "pidone_log_lines_dropped_total"), 0)


if __name__ == "__main__":
    h.main()
