# SPDX-License-Identifier: MIT
"""App checks (README: App checks): --ready-http and --live-http against
real Python apps serving real health endpoints. Each app answers from a
file per path that the test writes (200, 302, 500, 503, "slow" or
"close"), so a test flips the app's health while pidone runs. Also: the
failures in a row, probes answered while a check is stuck, the verbose
and /metrics output, bad URLs and values as configuration errors, and no
timer without an app check.
"""

import json
import os
import re
import signal
import time

import pidone_harness as h

# An HTTP/1.1 app on 127.0.0.1:argv[1]. GET /NAME answers what the file
# argv[2]/NAME says (200 when there is none): a status, "slow" (no
# answer for 60 s), "close" (close without an answer), "big" (200 with
# a 100 kB body), "hints" (103 Early Hints, then 200), "lf" (200 with
# bare-LF line ends) or "1xx6" (six interim answers). Prints
# "serving", then "request /PATH MODE" for each request.
APP = r"""
import http.server, os, socketserver, sys, time
port, modes = int(sys.argv[1]), sys.argv[2]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.split("?")[0].strip("/") or "root"
        try:
            with open(os.path.join(modes, name)) as f:
                mode = f.read().strip()
        except OSError:
            mode = "200"
        print("request %s %s" % (self.path, mode), flush=True)
        if mode == "slow":
            time.sleep(60)
            return
        if mode == "close":
            self.close_connection = True
            return
        if mode in ("hints", "lf", "1xx6"):
            self.close_connection = True
            self.wfile.write({
                "hints": b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                         b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "lf": b"HTTP/1.0 200 OK\nContent-Length: 2\n\nok",
                "1xx6": b"HTTP/1.1 102 Processing\r\n\r\n" * 6,
            }[mode])
            return
        if mode == "big":
            body = b"x" * 100000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass
            return
        code = int(mode)
        self.send_response(code)
        if code in (301, 302):
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"ok")

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

srv = S(("127.0.0.1", port), H)
print("serving", flush=True)
srv.serve_forever()
"""

FAST = ["--check-interval", "0.1", "--check-timeout", "2",
        "--check-failures", "2"]

# On SIGTERM it stops listening, as servers do, and takes 2 s to finish.
WINDING_DOWN_APP = r"""
import os, signal, socket, sys, threading, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(16)

def serve():
    while True:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\nok")
        c.close()

def on_term(sig, frame):
    srv.shutdown(socket.SHUT_RDWR)
    print("closed", flush=True)
    time.sleep(2)
    os._exit(0)

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
threading.Thread(target=serve, daemon=True).start()
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
signal.signal(signal.SIGTERM, on_term)
print("serving", flush=True)
while True:
    time.sleep(0.05)
"""


def get(port, path):
    return h.http_get(port, path, timeout=5.0)


class AppCheck(h.TestCase):

    def start_app(self, *opts, modes=None):
        """pidone with the health port and @opts ("{app}" in them is the
        app's port) running APP; returns (pidone, health port, app port,
        the modes dir)."""
        modes = modes or {}
        port, app_port = h.free_port(), h.free_port()
        d = self.tmpdir()
        for name, mode in modes.items():
            self.set_mode(d, name, mode)
        opts = [str(o).replace("{app}", str(app_port)) for o in opts]
        p = self.start(h.python_child(APP, app_port, d),
                       h.health_opts(port, *opts), defaults=False)
        h.wait_http(port, "/livez")
        p.wait_stdout("^serving$")
        return p, port, app_port, d

    @staticmethod
    def set_mode(d, name, mode):
        tmp = os.path.join(d, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(str(mode))
        os.rename(tmp, os.path.join(d, name))

    def wait_verbose(self, port, path, regex, timeout=10):
        """Wait until @path?verbose matches @regex; returns the match."""
        def pred():
            return re.search(regex, get(port, path + "?verbose").text(),
                             re.M)
        return h.wait_for(pred, timeout, interval=0.05,
                          what="%s?verbose =~ %s" % (path, regex))

    def requests(self, p, mode=None):
        return [l for l in p.stdout_lines() if l.startswith("request ")
                and (mode is None or l.endswith(" " + mode))]

    def test_live_http_is_not_judged_while_the_app_stops(self):
        # After the stop signal the app closes its listener and finishes
        # its work: /healthz stays 200 until it is gone (it once turned
        # 503 at the first refused check).
        port, app = h.free_port(), h.free_port()
        p = self.start(h.python_child(WINDING_DOWN_APP, app),
                       h.health_opts(port, "--live-http",
                                     "http://127.0.0.1:%d/live" % app,
                                     "--check-interval", "0.1",
                                     "--check-failures", "1",
                                     "--grace", "30"), defaults=False)
        p.wait_stdout("^serving$")
        self.wait_verbose(port, "/livez", r"^\[\+\]live-http ok: 200 in")
        # (a first check may have come before the app listened)
        failed_before = len(p.records(r"^live-http check failed"))
        p.kill(signal.SIGTERM)
        p.wait_stdout("^closed$")
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            self.assertEqual(get(port, "/healthz").status, 200,
                             p.describe())
            time.sleep(0.1)
        p.wait(10)
        self.assertExit(p, 0)
        self.assertEqual(len(p.records(r"^live-http check failed")),
                         failed_before, "a stop is no failure to log"
                         + p.describe())

    def test_healthy_200_is_ready(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST)
        h.wait_http(port, "/readyz", 200, timeout=10)
        self.wait_verbose(port, "/readyz",
                          r"^\[\+\]ready-http ok: 200 in \d+ ms$")
        # the app's own lines reach the harness through a pipe, later
        h.wait_for(lambda: self.requests(p), 5,
                   what="the app's request line")
        self.assertTrue(all(l.startswith("request /health ")
                            for l in self.requests(p)))
        # ready-http is not a live check
        self.assertNotIn("ready-http", get(port, "/healthz?verbose").text())

    def test_500_is_not_ready(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST,
            modes={"health": 500})
        m = self.wait_verbose(
            port, "/readyz",
            r"^\[-\]ready-http failed: GET http://127\.0\.0\.1:%d/health "
            r"-> 500 in \d+ ms \((no success yet|(\d+) failures in a row)\)$"
            % app)
        a = get(port, "/readyz")
        self.assertEqual(a.status, 503)
        self.assertIn("-> 500", a.json()["reason"])
        self.assertEqual(get(port, "/healthz").status, 200)
        h.wait_for(lambda: len(self.requests(p, "500")) >= 3,
                   10, what="more checks")
        self.assertEqual(get(port, "/readyz").status, 503)

    def test_302_counts_as_success_and_is_not_followed(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST,
            modes={"health": 302})
        h.wait_http(port, "/readyz", 200, timeout=10)
        self.wait_verbose(port, "/readyz", r"^\[\+\]ready-http ok: 302 in ")
        self.assertFalse([l for l in self.requests(p) if "elsewhere" in l])

    def test_big_body_is_read_in_part(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST,
            modes={"health": "big"})
        h.wait_http(port, "/readyz", 200, timeout=10)
        h.wait_for(lambda: len(self.requests(p, "big")) >= 3, 10,
                   what="more checks")
        self.assertEqual(get(port, "/readyz").status, 200)

    def test_slow_app_times_out(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health",
            "--check-interval", "0.1", "--check-timeout", "0.3",
            modes={"health": "slow"})
        self.wait_verbose(port, "/readyz",
                          r"^\[-\]ready-http failed: GET \S+: timeout "
                          r"after 0\.3 s")

    def test_probe_does_not_wait_for_a_stuck_check(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health",
            "--live-http", "http://127.0.0.1:{app}/live",
            "--check-timeout", "60", modes={"health": "slow",
                                            "live": "slow"})
        p.wait_stdout("^request /health slow$")
        p.wait_stdout("^request /live slow$")
        # both checks now hang for 60 s: the probes answer at once anyway,
        # from the results before (the first checks, refused while the app
        # was starting, or none)
        for _ in range(5):
            a = h.http_get(port, "/readyz?verbose", timeout=3.0)
            self.assertEqual(a.status, 503)
            self.assertRegex(a.text(), r"\[-\]ready-http failed: "
                             r"(not checked yet|.*connection refused)")
            self.assertRegex(a.text(), r"\[\+\]live-http ok: ")
            self.assertEqual(h.http_get(port, "/healthz",
                                        timeout=3.0).status, 200)

    def test_closed_port(self):
        closed = h.free_port()
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:%d/" % closed, *FAST)
        self.wait_verbose(port, "/readyz",
                          r"^\[-\]ready-http failed: GET "
                          r"http://127\.0\.0\.1:%d/: connection refused"
                          % closed)
        # never ready: said once, when the failures reach the limit
        rec = p.wait_log("^ready-http check failed: ")
        self.assertEqual((rec["msg"], rec["level"]),
                         ("ready-http check failed: http://127.0.0.1:%d/: "
                          "connection refused, 2 failures in a row" % closed,
                          "warn"))
        def failures():
            m = re.search(r'pidone_app_check_failures_total\{check='
                          r'"ready-http"\} (\d+)\n',
                          get(port, "/metrics").text())
            return int(m.group(1)) if m else 0
        h.wait_for(lambda: failures() >= 6, 10, what="four checks more")
        self.assertEqual(len(p.records("check failed")), 1, p.describe())

    def test_close_without_answer(self):
        p, port, app, _ = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST,
            modes={"health": "close"})
        self.wait_verbose(port, "/readyz",
                          r"^\[-\]ready-http failed: GET \S+: connection "
                          r"closed before an answer")

    def test_interim_answers_and_bare_lf_are_read_as_the_kubelet_does(self):
        # Go's client, the kubelet's, skips up to five 1xx before the
        # answer and takes LF for CRLF
        for mode, want in (("hints", r"ok: 200 in \d+ ms"),
                           ("lf", r"ok: 200 in \d+ ms"),
                           ("1xx6", r"failed: GET \S+: not an HTTP/1\.x "
                                    r"answer \(.+\)")):
            with self.subTest(mode=mode):
                p, port, app, _ = self.start_app(
                    "--ready-http", "http://127.0.0.1:{app}/health", *FAST,
                    modes={"health": mode})
                self.wait_verbose(port, "/readyz",
                                  r"^\[[-+]\]ready-http " + want + "$")
                h.wait_http(port, "/readyz", 200 if mode != "1xx6" else 503,
                            timeout=10)
                p.cleanup()

    def test_readiness_follows_the_app(self):
        p, port, app, d = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health", *FAST)
        h.wait_http(port, "/readyz", 200, timeout=10)
        for _ in range(2):
            self.set_mode(d, "health", 500)
            h.wait_http(port, "/readyz", 503, timeout=10)
            m = re.search(r"\((\d+) failures in a row\)",
                          get(port, "/readyz").json()["reason"])
            self.assertTrue(m and int(m.group(1)) >= 2,
                            "failed before 2 failures in a row")
            self.set_mode(d, "health", 200)
            h.wait_http(port, "/readyz", 200, timeout=10)
        # each change of verdict is logged once
        p.wait_log(r"^ready-http check failed: http://127\.0\.0\.1:%d/health "
                   r"-> 500, \d+ failures in a row$" % app)
        # /readyz can answer 200 before the harness has read the line
        h.wait_for(lambda: len(p.records(r"^ready-http check passed: ")) >= 3,
                   10, what="the third passed record")
        passed = p.records(r"^ready-http check passed: \S+ -> 200$")
        # Not counted: "connection refused" before the app listens, which
        # a slow first start of Python (a fresh root) can give at 0.1 s
        # intervals. Its record is right: a verdict changed.
        failed = p.records(r"^ready-http check failed: \S+ -> 500, ")
        self.assertEqual((len(passed), len(failed)), (3, 2), p.describe())

    def test_live_http_fails_healthz_after_n_failures(self):
        p, port, app, d = self.start_app(
            "--live-http", "http://127.0.0.1:{app}/live",
            "--check-interval", "0.1", "--check-failures", "3")
        self.wait_verbose(port, "/healthz",
                          r"^\[\+\]live-http ok: 200 in \d+ ms$")
        self.assertEqual(get(port, "/readyz").status, 200)
        self.set_mode(d, "live", 503)
        h.wait_http(port, "/healthz", 503, timeout=10)
        # the verdict changes once, logged with the count at that moment;
        # the app's own lines reach the harness through a pipe, later
        p.wait_stderr(r"live-http check failed: .* -> 503, "
                      r"3 failures in a row", timeout=5)
        h.wait_for(lambda: len(self.requests(p, "503")) >= 3, 5,
                   what="the app saw 3 failing requests")
        reason = get(port, "/healthz").json()["reason"]
        self.assertRegex(reason, r"^GET http://127\.0\.0\.1:%d/live -> 503 "
                         r"in \d+ ms \(\d+ failures in a row\)$" % app)
        self.assertEqual(get(port, "/readyz").status, 503)
        self.set_mode(d, "live", 200)
        h.wait_http(port, "/healthz", 200, timeout=10)

    def test_verbose_and_metrics(self):
        p, port, app, d = self.start_app(
            "--ready-http", "http://127.0.0.1:{app}/health",
            "--live-http", "http://127.0.0.1:{app}/live", *FAST)
        h.wait_http(port, "/readyz", 200, timeout=10)
        self.wait_verbose(port, "/readyz",
                          r"^\[\+\]live-http ok: 200 in \d+ ms\n"
                          r"\[\+\]ready-http ok: 200 in \d+ ms\n")
        text = get(port, "/metrics").text()
        for check in ("ready-http", "live-http"):
            self.assertRegex(text, r'\npidone_app_check_up\{check="%s"\} 1\n'
                             % check)
            self.assertRegex(text, r'\npidone_app_check_latency_seconds'
                             r'\{check="%s"\} \d+\.\d{3}\n' % check)
            # (the first checks may have found the app not listening yet)
            self.assertRegex(text, r'\npidone_app_check_failures_total'
                             r'\{check="%s"\} \d+\n' % check)
        self.assertNotIn(str(app), text, "the URL is not in /metrics")

        self.set_mode(d, "health", 500)
        h.wait_http(port, "/readyz", 503, timeout=10)
        text = get(port, "/metrics").text()
        self.assertIn('pidone_app_check_up{check="ready-http"} 0\n', text)
        n = re.search(r'pidone_app_check_failures_total\{check="ready-http"'
                      r'\} (\d+)\n', text)
        self.assertGreaterEqual(int(n.group(1)), 2)
        self.assertIn("pidone_ready 0\n", text)
        self.assertIn("pidone_live 1\n", text)

    def test_ipv6_url(self):
        if not h.has_ipv6():
            self.skipTest("no IPv6 loopback")
        closed = h.free_port("::1")
        p, port, app, _ = self.start_app(
            "--ready-http", "http://[::1]:%d/x" % closed, *FAST)
        self.wait_verbose(port, "/readyz",
                          r"^\[-\]ready-http failed: GET "
                          r"http://\[::1\]:%d/x: connection refused" % closed)

    def test_no_timer_without_an_app_check(self):
        port = h.free_port()
        p = self.start(["sleep", "60"], h.health_opts(port), defaults=False)
        h.wait_http(port, "/livez")
        h.wait_idle(p.pid)
        # and with one, the check's timer is there while the child runs
        port = h.free_port()
        p = self.start(["sleep", "60"], h.health_opts(
            port, "--ready-http", "http://127.0.0.1:%d/" % h.free_port(),
            "--check-interval", "30"), defaults=False)
        h.wait_http(port, "/livez")
        self.wait_verbose(port, "/readyz", r"connection refused")
        h.wait_for(lambda: (h.epoll_timeout_ms(p.pid) or 0) > 1000 and
                   h.epoll_timeout_ms(p.pid) <= 30000, 5,
                   what="a 30 s timer")


class AppCheckConfig(h.TestCase):

    def check_error(self, opts=(), env=None, names=()):
        p = self.run_pidone(["true"], ["--user", "keep"] + list(opts),
                            env=env, defaults=False, mode="subreaper",
                            timeout=10)
        self.assertExit(p, 78)
        text = "\n".join(h.flatten(r) for r in p.logs()
                         if r.get("level") == "error")
        for n in names:
            self.assertTrue(n in text or json.dumps(n)[1:-1] in text,
                            "%r not in %s" % (n, text))

    def test_bad_urls(self):
        for url in ("https://127.0.0.1/", "http://app:8000/health",
                    "http://user@127.0.0.1/", "127.0.0.1:8000",
                    "http://127.0.0.1:0/", "http://[::1/",
                    "http://127.0.0.1/#frag"):
            with self.subTest(url=url):
                self.check_error(["--ready-http", url],
                                 names=["--ready-http", url,
                                        "http://HOST:PORT/PATH"])
                self.check_error([], env={"PIDONE_LIVE_HTTP": url},
                                 names=["PIDONE_LIVE_HTTP"])

    def test_bad_values(self):
        cases = [
            (["--check-interval", "0"], "--check-interval", "above 0"),
            (["--check-interval", "5m"], "--check-interval", "above 0"),
            (["--check-timeout", "0"], "--check-timeout", "above 0"),
            (["--check-timeout", "3601"], "--check-timeout", "3600"),
            (["--check-failures", "0"], "--check-failures", "1..1000"),
            (["--check-failures", "-1"], "--check-failures", "1..1000"),
        ]
        for opts, name, why in cases:
            with self.subTest(opts=opts):
                self.check_error(opts, names=[name, why])

    def test_bad_ini_value_names_file_and_line(self):
        path = os.path.join(self.tmpdir(), "pidone.ini")
        with open(path, "w") as f:
            f.write("[health]\ncheck_failures = 3\ncheck_timeout = 0\n")
        self.check_error(["--config", path], names=["%s:3" % path])


if __name__ == "__main__":
    h.main()
