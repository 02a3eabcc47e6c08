# SPDX-License-Identifier: MIT
"""`pidone health` (README, Health side port): exit 0 on a 2xx answer, 1 otherwise,
one line on stdout saying why; the port and address come from the same
settings as the running init (environment, config file); --ready, --url,
--timeout. Run against a live pidone, a failing one, none at all, and
fake servers that misbehave. Loopback only. A timeout is checked from
below (never given up early); how fast a probe is belongs to the bench.
"""

import os
import socket
import subprocess
import sys
import threading
import time

import pidone_harness as h


def probe(*args, env=None, timeout=15):
    """Run `pidone health ARGS`; (exit code, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    r = subprocess.run(h.clean_signals_argv([h.BIN, "health"] + list(args)),
                       env=h.base_env(env), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=h.scaled(timeout))
    return (r.returncode, r.stdout.decode(), r.stderr.decode(),
            time.monotonic() - t0)


class FakeServer(threading.Thread):
    """A loopback listener that answers every connection with @reply
    (None: accept and never answer; b"": close at once)."""

    def __init__(self, reply):
        super().__init__(daemon=True)
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.reply is not None:
                try:
                    c.recv(4096)
                    c.sendall(self.reply)
                except OSError:
                    pass
                c.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class Probe(h.TestCase):

    @classmethod
    def setUpClass(cls):
        # one live pidone that is live at once and not ready for a minute
        cls.port = h.free_port()
        cls.p = h.Pidone(["sleep", "120"],
                         h.health_opts(cls.port, "--ready-delay", "60"),
                         defaults=False)
        h.wait_http(cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.p.cleanup()

    def env(self, **more):
        e = {"PIDONE_HEALTH_PORT": str(self.port)}
        e.update(more)
        return e

    def fake(self, reply):
        f = FakeServer(reply)
        self.addCleanup(f.close)
        return f

    def test_live(self):
        code, out, err, _ = probe(env=self.env())
        self.assertEqual(code, 0, out + err)
        self.assertEqual(out, "ok: GET http://127.0.0.1:%d/healthz -> 200\n"
                         % self.port)
        self.assertEqual(err, "")

    def test_not_ready(self):
        code, out, err, _ = probe("--ready", env=self.env())
        self.assertEqual(code, 1)
        self.assertRegex(out, r'^fail: GET http://127\.0\.0\.1:%d/readyz -> '
                         r'503 \{"status":"fail","reason":"running \d+\.\d s '
                         r'of 60 s"\}\n$' % self.port)

    def test_no_server(self):
        port = h.free_port()
        code, out, err, _ = probe(env={"PIDONE_HEALTH_PORT": str(port)})
        self.assertEqual(code, 1)
        self.assertEqual(out, "fail: connect 127.0.0.1:%d: Connection "
                         "refused\n" % port)

    def test_port_disabled(self):
        code, out, _, _ = probe(env={"PIDONE_HEALTH_PORT": "0"})
        self.assertEqual(code, 1)
        self.assertEqual(out, "fail: health port disabled (--health-port 0)"
                         "\n")

    def test_url(self):
        code, out, _, _ = probe("--url", "http://127.0.0.1:%d/livez"
                                % self.port)
        self.assertEqual((code, out), (0, "ok: GET http://127.0.0.1:%d/livez"
                                       " -> 200\n" % self.port))
        code, out, _, _ = probe("--url", "http://localhost:%d/nope"
                                % self.port)
        self.assertEqual((code, out), (1, "fail: GET http://127.0.0.1:%d/nope"
                                       " -> 404 404 Not Found\n" % self.port))
        # the URL's path wins over --ready
        code, out, _, _ = probe("--ready", "--url", "http://127.0.0.1:%d/"
                                "metrics" % self.port)
        self.assertEqual(code, 0, out)
        if h.has_ipv6():
            code, out, _, _ = probe("--url", "http://[::1]:%d/readyz?verbose"
                                    % self.port)
            self.assertEqual(code, 1)
            self.assertRegex(out, r"^fail: GET http://\[::1\]:%d/readyz\?"
                             r"verbose -> 503 \[\+\]child ok$" % self.port)

    def test_bad_urls(self):
        # a name would need DNS, https is not spoken: a configuration
        # error before any probe, like any other bad value
        for url in ("http://example.com/healthz", "https://127.0.0.1/"):
            code, out, err, _ = probe("--url", url)
            self.assertEqual(code, 78, url)
            self.assertEqual(out, "")
            self.assertIn('--url: \\"%s\\" is not http://HOST:PORT/PATH '
                          '(HOST an IP address, [IPv6] or localhost' % url,
                          err)

    def test_timeout(self):
        silent = self.fake(None)
        code, out, _, took = probe("--timeout", "0.5", env={
            "PIDONE_HEALTH_PORT": str(silent.port),
            "PIDONE_HEALTH_ADDR": "127.0.0.1"})
        self.assertEqual(code, 1)
        self.assertEqual(out, "fail: GET http://127.0.0.1:%d/healthz: "
                         "timeout after 0.5 s\n" % silent.port)
        self.assertGreaterEqual(took, 0.45, "gave up early")

    def test_default_timeout_is_3s(self):
        silent = self.fake(None)
        code, out, _, took = probe("--url", "http://127.0.0.1:%d/"
                                   % silent.port)
        self.assertEqual(code, 1)
        self.assertTrue(out.endswith(": timeout after 3.0 s\n"), out)
        self.assertGreaterEqual(took, 2.9, "gave up early")

    def test_misbehaving_servers(self):
        cases = [
            (b"SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP/1.x answer"),
            (b"", "connection closed without an answer"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None),
            (b"HTTP/1.0 204 No Content\r\n\r\n", None),
            (b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", "-> 302"),
            (b"HTTP/1.1 500 Oops\r\n\r\n\x1b[31mred\x00\r\nmore",
             "-> 500 ?[31mred?"),
        ]
        for reply, want in cases:
            with self.subTest(reply=reply[:20]):
                f = self.fake(reply)
                code, out, _, _ = probe("--url", "http://127.0.0.1:%d/x"
                                        % f.port)
                if want is None:
                    self.assertEqual(code, 0, out)
                    self.assertTrue(out.startswith("ok: "), out)
                else:
                    self.assertEqual(code, 1, out)
                    self.assertTrue(out.rstrip("\n").endswith(want), out)
                    self.assertEqual(out.count("\n"), 1, "one line")

    def test_config_file_and_address(self):
        d = self.tmpdir()
        ini = os.path.join(d, "pidone.ini")
        with open(ini, "w") as f:
            f.write("[health]\nport = %d\naddress = 127.0.0.1\n" % self.port)
        code, out, _, _ = probe("--config", ini)
        self.assertEqual((code, out), (0, "ok: GET http://127.0.0.1:%d/"
                                       "healthz -> 200\n" % self.port))
        code, out, _, _ = probe(env={"PIDONE_CONFIG": ini})
        self.assertEqual(code, 0, out)

    def test_ipv6_address(self):
        if not h.has_ipv6():
            self.skipTest("no IPv6 loopback")
        code, out, _, _ = probe(env=self.env(PIDONE_HEALTH_ADDR="::1"))
        self.assertEqual((code, out), (0, "ok: GET http://[::1]:%d/healthz "
                                       "-> 200\n" % self.port))

    def test_falls_back_to_ipv6_loopback(self):
        # a server on [::1] only: 127.0.0.1 refuses, ::1 answers
        if not h.has_ipv6():
            self.skipTest("no IPv6 loopback")
        port = h.free_port()
        p = self.start(["sleep", "60"],
                       h.health_opts(port, "--health-addr", "::1"),
                       defaults=False)
        h.wait_http(port, host="::1")
        code, out, _, _ = probe(env={"PIDONE_HEALTH_PORT": str(port),
                                     "PIDONE_HEALTH_ADDR": "::"})
        self.assertEqual((code, out), (0, "ok: GET http://[::1]:%d/healthz "
                                       "-> 200\n" % port), p.describe())

    def test_repeated(self):
        # (the median time is a bench figure: printed, not asserted)
        runs = [probe(env=self.env()) for _ in range(10)]
        self.assertEqual([r[0] for r in runs], [0] * 10,
                         [r[1] for r in runs])
        times = sorted(r[3] for r in runs)
        print("\n    median probe: %.3f s" % times[5], file=sys.stderr,
              end="")


if __name__ == "__main__":
    h.main()
