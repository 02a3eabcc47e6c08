# SPDX-License-Identifier: MIT
"""pidone demo service: a small JSON HTTP service for a distroless image.

It is what contrib/Dockerfile.distroless.python runs under pidone as
``ENTRYPOINT ["/init","--"]`` + ``CMD ["/usr/bin/python3","/app/app.py"]``.
Standard library only, so it runs on gcr.io/distroless/python3-debian12.

- ``GET /`` answers ``{"service":"pidone-demo","lang":"python",...}``;
  ``GET /slow?ms=N`` answers after N ms (to watch in-flight requests finish
  during a stop). Every request is also appended to ``access.log`` in
  ``--log-dir`` (a directory pidone verified as writable).
- SIGTERM and SIGINT stop it gracefully: stop accepting, wait for in-flight
  requests (at most ``--drain`` seconds), exit with ``--term-exit`` (0).
- ``--ignore-term`` ignores SIGTERM, to show pidone's ``--grace`` SIGKILL.
- ``--orphans N`` starts N grandchildren whose parent exits at once, so they
  are re-parented to PID 1 (pidone), which must reap them when they exit.
- ``--addr ADDR`` binds one address (``127.0.0.1`` for a demo on a host)
  instead of every interface.
- ``--client URL`` runs a client instead: GET URL every ``--interval``
  seconds and print the answer (the dependent service in contrib/compose.yaml).

Log lines are JSON on stdout, so ``docker logs`` shows them.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.request

started = time.time()


def log(msg, **fields):
    """Print one JSON log line on stdout."""
    line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "app": "demo-python", "msg": msg}
    line.update(fields)
    print(json.dumps(line), flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small JSON document."""

    protocol_version = "HTTP/1.1"
    server_version = "pidone-demo"
    access_log = None

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/slow":
            ms = 500
            for part in query.split("&"):
                if part.startswith("ms="):
                    ms = min(int(part[3:] or 0), 30000)
            time.sleep(ms / 1000.0)
        if path not in ("/", "/slow"):
            self.reply(404, {"error": "not found", "path": path})
            return
        self.reply(200, {
            "service": "pidone-demo",
            "lang": "python",
            "path": path,
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "uid": os.getuid(),
            "gid": os.getgid(),
            "uptime_s": round(time.time() - started, 3),
        })

    def reply(self, code, doc):
        body = (json.dumps(doc) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        if Handler.access_log is not None:
            Handler.access_log.write("%s %s\n" % (time.time(), fmt % args))
            Handler.access_log.flush()


class Server(http.server.ThreadingHTTPServer):
    """Dual-stack when the host has IPv6, IPv4 otherwise."""

    daemon_threads = False
    block_on_close = True

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def make_server(port, addr=None):
    """Bind addr:port, else [::]:port dual-stack, or 0.0.0.0:port."""
    if addr:
        Server.address_family = (socket.AF_INET6 if ":" in addr
                                 else socket.AF_INET)
        return Server((addr, port), Handler)
    if socket.has_ipv6:
        Server.address_family = socket.AF_INET6
        try:
            return Server(("::", port), Handler)
        except OSError:
            pass
    Server.address_family = socket.AF_INET
    return Server(("0.0.0.0", port), Handler)


def make_orphans(count, life):
    """Start count processes that pidone, not this app, must reap."""
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                if os.fork() == 0:
                    time.sleep(life)
                os._exit(0)
            except BaseException:
                os._exit(1)
        os.waitpid(pid, 0)
    log("orphans started", count=count, life_s=life)


def open_access_log(log_dir):
    """Append to log_dir/access.log; go on without it when not writable."""
    try:
        return open(os.path.join(log_dir, "access.log"), "a")
    except OSError as e:
        log("access log disabled", dir=log_dir, error=e.strerror)
        return None


def serve(args):
    # The stop signals stay blocked in every thread, the ones started
    # below included, and the main thread takes them with sigwait(): a
    # Python handler runs only between bytecodes, so a stop that landed
    # just before a blocking wait would wait as long as it.
    stops = {signal.SIGINT}
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log("ignoring SIGTERM")
    else:
        stops.add(signal.SIGTERM)
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)

    if args.orphans:
        make_orphans(args.orphans, args.orphan_life)
    Handler.access_log = open_access_log(args.log_dir)
    server = make_server(args.port, args.addr)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log("listening", port=args.port, pid=os.getpid(), uid=os.getuid(),
        gid=os.getgid())

    signum = signal.sigwait(stops)
    log("received " + signal.Signals(signum).name + ", shutting down",
        drain_s=args.drain)
    server.shutdown()           # stop accepting
    deadline = time.time() + args.drain
    done = threading.Thread(target=server.server_close, daemon=True)
    done.start()                # joins the in-flight request threads
    done.join(max(0.0, deadline - time.time()))
    log("bye", exit=args.term_exit)
    # Not return: the interpreter would wait for request threads still
    # held by an idle keep-alive client, past the drain, until SIGKILL.
    os._exit(args.term_exit)


def client(args):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log("client started", url=args.client)
    while not stop.is_set():
        try:
            with urllib.request.urlopen(args.client, timeout=2) as r:
                log("fetched", url=args.client, status=r.status,
                    body=json.loads(r.read()))
        except (OSError, ValueError) as e:
            log("fetch failed", url=args.client, error=str(e))
        stop.wait(args.interval)
    log("client stopping", exit=args.term_exit)
    return args.term_exit


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    p.add_argument("--addr", default=os.environ.get("ADDR"),
                   help="address to bind (default: all interfaces)")
    p.add_argument("--log-dir", default=os.environ.get("APP_LOG_DIR",
                                                       "/var/log/app"))
    p.add_argument("--drain", type=float, default=5.0,
                   help="seconds to let in-flight requests finish on SIGTERM")
    p.add_argument("--term-exit", type=int, default=0,
                   help="exit status after a graceful stop")
    p.add_argument("--ignore-term", action="store_true")
    p.add_argument("--orphans", type=int, default=0)
    p.add_argument("--orphan-life", type=float, default=2.0)
    p.add_argument("--client", metavar="URL")
    p.add_argument("--interval", type=float, default=2.0)
    args = p.parse_args()
    return client(args) if args.client else serve(args)


if __name__ == "__main__":
    sys.exit(main())
