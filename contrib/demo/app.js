// SPDX-License-Identifier: MIT
//
// pidone demo service: the Node twin of app.py, for a distroless image.
//
// It is what contrib/Dockerfile.distroless.node runs under pidone as
// ENTRYPOINT ["/init","--"] + CMD ["/nodejs/bin/node","/app/app.js"].
// Node's standard library only, so it runs on
// gcr.io/distroless/nodejs20-debian12.
//
// - GET / answers {"service":"pidone-demo","lang":"node",...};
//   GET /slow?ms=N answers after N ms. Every request is appended to
//   access.log in --log-dir (a directory pidone verified as writable).
// - SIGTERM and SIGINT stop it gracefully: stop accepting, let in-flight
//   requests finish (at most --drain seconds), exit with --term-exit (0).
// - --ignore-term ignores SIGTERM, to show pidone's --grace SIGKILL.
// - --orphans N starts N grandchildren whose parent exits at once, so they
//   are re-parented to PID 1 (pidone), which must reap them when they exit.
// - --client URL runs a client instead: GET URL every --interval seconds
//   and print the answer (the dependent service in contrib/compose.yaml).
//
// Log lines are JSON on stdout, so `docker logs` shows them.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const started = Date.now();

function log(msg, fields) {
  const line = { ts: new Date().toISOString(), app: 'demo-node', msg };
  process.stdout.write(JSON.stringify(Object.assign(line, fields || {})) + '\n');
}

function parseArgs(argv) {
  const o = {
    port: Number(process.env.PORT || 8000),
    logDir: process.env.APP_LOG_DIR || '/var/log/app',
    drain: 5,
    termExit: 0,
    ignoreTerm: false,
    orphans: 0,
    orphanLife: 2,
    client: null,
    interval: 2,
  };
  const num = (i) => {
    const v = Number(argv[i]);
    if (argv[i] === undefined || Number.isNaN(v)) {
      throw new Error(`${argv[i - 1]} needs a number`);
    }
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--port': o.port = num(++i); break;
      case '--log-dir': o.logDir = argv[++i]; break;
      case '--drain': o.drain = num(++i); break;
      case '--term-exit': o.termExit = num(++i); break;
      case '--ignore-term': o.ignoreTerm = true; break;
      case '--orphans': o.orphans = num(++i); break;
      case '--orphan-life': o.orphanLife = num(++i); break;
      case '--client': o.client = argv[++i]; break;
      case '--interval': o.interval = num(++i); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

// Node cannot fork(): an intermediate node process starts each grandchild
// detached and exits at once, so the grandchild's parent becomes PID 1.
function makeOrphans(count, life) {
  const grandchild = `setTimeout(() => {}, ${Math.round(life * 1000)})`;
  const middle = `
    const { spawn } = require('child_process');
    for (let i = 0; i < ${count}; i++) {
      spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}],
            { detached: false, stdio: 'ignore' }).unref();
    }
    process.exit(0);`;
  const child = spawn(process.execPath, ['-e', middle], { stdio: 'ignore' });
  child.on('exit', () => log('orphans started', { count, life_s: life }));
}

function openAccessLog(dir) {
  try {
    return fs.openSync(path.join(dir, 'access.log'), 'a');
  } catch (e) {
    log('access log disabled', { dir, error: e.code });
    return null;
  }
}

function reply(res, code, doc) {
  const body = JSON.stringify(doc) + '\n';
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function serve(o) {
  if (o.orphans > 0) makeOrphans(o.orphans, o.orphanLife);
  const accessLog = openAccessLog(o.logDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (accessLog !== null) {
      fs.write(accessLog, `${Date.now() / 1000} ${req.method} ${req.url}\n`,
               () => {});
    }
    if (url.pathname !== '/' && url.pathname !== '/slow') {
      reply(res, 404, { error: 'not found', path: url.pathname });
      return;
    }
    const ms = url.pathname === '/slow'
      ? Math.min(Number(url.searchParams.get('ms') || 500), 30000) : 0;
    setTimeout(() => reply(res, 200, {
      service: 'pidone-demo',
      lang: 'node',
      path: url.pathname,
      pid: process.pid,
      ppid: process.ppid,
      uid: process.getuid(),
      gid: process.getgid(),
      uptime_s: (Date.now() - started) / 1000,
    }), ms);
  });

  let stopping = false;
  const stop = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`received ${sig}, shutting down`, { drain_s: o.drain });
    const bye = () => {
      log('bye', { exit: o.termExit });
      process.exit(o.termExit);
    };
    server.close(bye);              // stop accepting, wait for in-flight
    server.closeIdleConnections();  // keep-alive sockets with no request
    setTimeout(bye, o.drain * 1000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  if (o.ignoreTerm) {
    process.on('SIGTERM', () => log('ignoring SIGTERM'));
    log('ignoring SIGTERM');
  } else {
    process.on('SIGTERM', () => stop('SIGTERM'));
  }
  server.listen(o.port, () => log('listening', {
    port: o.port, pid: process.pid, uid: process.getuid(), gid: process.getgid(),
  }));
}

function client(o) {
  let timer = null;
  let stopping = false;
  const stop = () => {
    stopping = true;
    clearTimeout(timer);
    log('client stopping', { exit: o.termExit });
    process.exit(o.termExit);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log('client started', { url: o.client });
  const tick = () => {
    const req = http.get(o.client, { timeout: 2000 }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        let body = data;
        try { body = JSON.parse(data); } catch (e) { /* keep the text */ }
        log('fetched', { url: o.client, status: res.statusCode, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => log('fetch failed', { url: o.client, error: e.message }));
    if (!stopping) timer = setTimeout(tick, o.interval * 1000);
  };
  tick();
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`app.js: ${e.message}\n`);
  process.exit(64);
}
if (opts.client) client(opts); else serve(opts);
