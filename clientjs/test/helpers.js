// Test helpers: a real supportd in dev mode, tokens minted with its secret, a TCP
// proxy that can cut or freeze sockets, and waiting for events.

import { before, after } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createClient } from '../lib/supportd-client.js';

export const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(clientDir, '..');

/**
 * supportdBinary returns the server binary: $SUPPORTD_BIN (the Go test builds it once
 * for every test file), else a fresh `go build` of ./cmd/supportd.
 */
export function supportdBinary() {
  if (process.env.SUPPORTD_BIN) return process.env.SUPPORTD_BIN;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'supportd-js-')), 'supportd');
  execFileSync('go', ['build', '-o', out, './cmd/supportd'], { cwd: repoRoot, stdio: 'inherit' });
  return out;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startSupportd runs a dev-mode supportd (in-memory store, in-process broker) on a
 * free port with a known JWT secret and no rate limit, and waits until it answers.
 */
export async function startSupportd(env = {}) {
  const bin = supportdBinary();
  const port = await freePort();
  const secret = randomBytes(32).toString('hex');
  const proc = spawn(bin, ['serve'], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      ADDR: `127.0.0.1:${port}`, JWT_SECRET: secret, RATE_LIMIT: '0', LOG_LEVEL: 'warn', ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // A test file that crashes must not leave its server running.
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`supportd exited (${proc.exitCode}): ${stderr}`);
    try {
      const res = await fetch(baseUrl + '/healthz');
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('supportd did not answer within 20 s: ' + stderr);
    await sleep(50);
  }
  return {
    baseUrl, port, secret,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 12000);
      await exited;
      clearTimeout(t);
      process.off('exit', killOnExit);
    },
  };
}

/**
 * supportdForFile registers the hooks a realtime test file shares: before its tests,
 * a supportd (and a global WebSocket, which the client needs); after them, every
 * connection pushed to `open` closed and the server stopped. `server` is set only
 * once the before hook has run, so read it inside tests.
 */
export function supportdForFile() {
  const live = {
    server: undefined,
    open: [],
    /** person mints a token for a fresh user of role and gives a client that uses it. */
    person(role, name) {
      const sub = randomId();
      const token = mintToken(live.server.secret, { sub, name, role });
      return { sub, name, token, client: createClient({ baseUrl: live.server.baseUrl, token }) };
    },
  };
  before(async () => {
    if (typeof globalThis.WebSocket !== 'function') {
      throw new Error('run with node --experimental-websocket (Node 20) or Node 22+');
    }
    live.server = await startSupportd();
  });
  after(async () => {
    for (const c of live.open) c.close();
    await live.server?.stop();
  });
  return live;
}

/** mintToken signs an HS256 JWT of the contract's claims. */
export function mintToken(secret, { sub = randomId(), name = 'Someone', role = 'client', ttl = 3600 } = {}) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = b64({ alg: 'HS256', typ: 'JWT' }) + '.'
    + b64({ sub, name, role, exp: Math.floor(Date.now() / 1000) + ttl });
  return body + '.' + createHmac('sha256', secret).update(body).digest('base64url');
}

export function randomId() {
  return randomBytes(12).toString('hex');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Recorder keeps every event a connection emits, by type, and lets a test wait for one. */
export class Recorder {
  events = [];
  #waiters = [];

  constructor(conn, types) {
    for (const type of types) {
      conn.on(type, (e) => {
        this.events.push({ type, e });
        this.#waiters = this.#waiters.filter((w) => !(w.type === type && w.pred(e) && (w.resolve(e), true)));
      });
    }
  }

  of(type) {
    return this.events.filter((x) => x.type === type).map((x) => x.e);
  }

  /** next resolves with the first event of type (already recorded after `from`, or to come) matching pred. */
  next(type, pred = () => true, { timeout = 10000, from = 0 } = {}) {
    const have = this.events.slice(from).find((x) => x.type === type && pred(x.e));
    if (have) return Promise.resolve(have.e);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} event within ${timeout} ms`)), timeout);
      this.#waiters.push({ type, pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }

  get length() {
    return this.events.length;
  }
}

/** waitState resolves when conn reaches state (now or later). */
export function waitState(conn, state, timeout = 10000) {
  if (conn.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { off(); reject(new Error(`state ${state} not reached within ${timeout} ms (is ${conn.state})`)); }, timeout);
    const off = conn.on('state', (e) => {
      if (e.state === state) { clearTimeout(t); off(); resolve(); }
    });
  });
}

/**
 * launchChromium starts a headless Chromium (the machine's, through playwright-core)
 * quietened for tests: no sandbox or GPU, no background updates, sync or QUIC.
 * playwright-core is loaded only here, so the node tests do not need it.
 */
export async function launchChromium(executablePath) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * startProxy forwards TCP from a local port to target. cut() destroys every open
 * pair (the client sees an abnormal close; the server keeps running); freeze() stops
 * forwarding without closing, as a dead network path would.
 */
export async function startProxy(targetPort) {
  const pairs = new Set();
  let frozen = false;
  const srv = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const forward = (from, to) => from.on('data', (b) => { if (!frozen) to.write(b); });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${srv.address().port}`,
    get open() { return pairs.size; },
    cut() { for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); } pairs.clear(); },
    freeze() { frozen = true; },
    thaw() { frozen = false; },
    close() { this.cut(); return new Promise((resolve) => srv.close(resolve)); },
  };
}

/** startFakeGitHub answers POST /repos/{owner}/{repo}/issues like GitHub's API. */
export async function startFakeGitHub() {
  const created = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (b) => { body += b; });
    req.on('end', () => {
      const m = req.method === 'POST' && req.url.match(/^\/repos\/([^/]+)\/([^/]+)\/issues$/);
      if (!m) { res.writeHead(404).end('{}'); return; }
      const issue = JSON.parse(body);
      const number = created.length + 1;
      created.push(issue);
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        id: 9000 + number, number, title: issue.title, body: issue.body,
        html_url: `https://github.example/${m[1]}/${m[2]}/issues/${number}`,
        labels: (issue.labels ?? []).map((name) => ({ name })), assignees: [],
      }));
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}/`,
    created,
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}
