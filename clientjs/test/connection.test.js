// The connection's rules, checked by feeding frames through a fake WebSocket:
// duplicates, replay end, reset, typing expiry, heartbeat, backoff, 4001, close.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { createClient } from '../lib/supportd-client.js';
import { sleep } from './helpers.js';

/** FakeSocket plays the server's side of one socket; FakeSocket.all holds every one made. */
class FakeSocket {
  static all = [];
  readyState = 0;
  sent = [];
  closedWith = null;
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;

  constructor(url) {
    this.url = new URL(url);
    FakeSocket.all.push(this);
  }

  static last() {
    return FakeSocket.all.at(-1);
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: 1005, reason: '' }));
  }

  // Server side.
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }

  frame(msg) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  hello(lastEventId = '0') {
    this.open();
    this.frame({ type: 'hello', data: { role: 'client', user: { _id: 'a'.repeat(24), name: 'A' }, lastEventId } });
  }

  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const ev = (id, type = 'thread.added', data = {}) => ({ type, id: String(id), ticketId: 't1', at: '2024-01-15T11:00:00.000Z', data });

const conns = [];

// A failed assertion must not leave a connection reconnecting forever.
afterEach(() => {
  for (const c of conns.splice(0)) c.close();
});

function setup(connectOptions = {}, clientOptions = {}) {
  FakeSocket.all = [];
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url, init });
    return new Response('{"status":"completed"}', { status: 200 });
  };
  const client = createClient({ baseUrl: 'http://supportd.test/', token: 'tok', WebSocket: FakeSocket, fetch, ...clientOptions });
  const conn = client.connect({ reconnectDelay: 10, maxReconnectDelay: 80, ...connectOptions });
  conns.push(conn);
  const seen = [];
  const states = [];
  for (const type of ['thread.added', 'counts', 'reset', 'typing', 'typing.stopped', 'presence', 'hello', 'pong']) {
    conn.on(type, (e) => seen.push(e));
  }
  conn.on('state', (e) => states.push(e));
  return { conn, seen, states, requests };
}

async function nextSocket(count) {
  for (let i = 0; i < 200 && FakeSocket.all.length < count; i++) await sleep(5);
  assert.equal(FakeSocket.all.length, count, 'sockets opened');
  return FakeSocket.last();
}

test('the socket URL carries the token and the id to resume from', async () => {
  const { conn } = setup({ lastEventId: '41' });
  const ws = await nextSocket(1);
  assert.equal(ws.url.href, 'ws://supportd.test/ws?access_token=tok&lastEventId=41');
  conn.close();
});

test('duplicate event ids are dropped, within a socket and across reconnects', async () => {
  const { conn, seen } = setup();
  const ws = await nextSocket(1);
  ws.hello('4');
  for (const id of [5, 6, 6, 5, 7]) ws.frame(ev(id));
  assert.deepEqual(seen.filter((e) => e.type === 'thread.added').map((e) => e.id), ['5', '6', '7']);
  assert.equal(conn.lastEventId, '7');

  ws.drop();
  const ws2 = await nextSocket(2);
  assert.equal(ws2.url.searchParams.get('lastEventId'), '7');
  ws2.hello('9');
  for (const id of [6, 7, 8, 9]) ws2.frame(ev(id));
  assert.deepEqual(seen.filter((e) => e.type === 'thread.added').map((e) => e.id), ['5', '6', '7', '8', '9']);
  // Ids compare as numbers, not strings.
  ws2.frame(ev(10));
  assert.equal(conn.lastEventId, '10');
  conn.close();
});

test('without events yet, a reconnect resumes from the id hello gave', async () => {
  const { conn } = setup();
  const ws = await nextSocket(1);
  ws.hello('12');
  ws.drop();
  const ws2 = await nextSocket(2);
  assert.equal(ws2.url.searchParams.get('lastEventId'), '12');
  ws2.drop(1006); // a failed attempt keeps the resume point
  const ws3 = await nextSocket(3);
  assert.equal(ws3.url.searchParams.get('lastEventId'), '12');
  conn.close();
});

test('replaying lasts until an event reaches hello.lastEventId', async () => {
  const { conn, states } = setup({ lastEventId: '3' });
  const ws = await nextSocket(1);
  assert.equal(conn.state, 'connecting');
  ws.hello('10');
  assert.equal(conn.state, 'replaying');
  assert.deepEqual(ws.sent, [{ type: 'ping' }], 'a ping whose pong comes after the replay');
  for (const id of [4, 7, 9]) ws.frame(ev(id));
  assert.equal(conn.state, 'replaying');
  ws.frame(ev(10));
  assert.equal(conn.state, 'live');
  assert.deepEqual(states.map((s) => s.state), ['replaying', 'live']);
  conn.close();
});

test('replaying ends at a pong when the newest events are not in scope', async () => {
  const { conn } = setup({ lastEventId: '3' });
  const ws = await nextSocket(1);
  ws.hello('10');
  ws.frame(ev(5));
  assert.equal(conn.state, 'replaying');
  ws.frame({ type: 'pong', data: {} });
  assert.equal(conn.state, 'live');
  conn.close();
});

test('nothing to replay: live at once', async () => {
  for (const [from, newest] of [[undefined, '10'], ['10', '10'], ['12', '10']]) {
    const { conn } = setup({ lastEventId: from });
    const ws = await nextSocket(1);
    ws.hello(newest);
    assert.equal(conn.state, 'live', `from ${from}, newest ${newest}`);
    conn.close();
  }
});

test('reset: the reset callback, live, and the old id no longer filters', async () => {
  const { conn, seen } = setup({ lastEventId: '500' });
  const ws = await nextSocket(1);
  ws.hello('20');
  ws.frame({ type: 'reset', data: {} });
  assert.equal(conn.state, 'live');
  assert.equal(conn.lastEventId, null);
  assert.ok(seen.some((e) => e.type === 'reset'));
  ws.frame(ev(21));
  assert.equal(conn.lastEventId, '21');
  conn.close();
});

test('typing stops by itself after the timeout, later when renewed, at once when the typist posts', async () => {
  const { conn, seen } = setup({ typingTimeout: 100 });
  const ws = await nextSocket(1);
  ws.hello('0');
  const typing = { type: 'typing', ticketId: 't1', data: { user: { _id: 'b'.repeat(24), name: 'B' }, role: 'superAdmin' } };
  const t0 = Date.now();
  ws.frame(typing);
  const first = seen.find((e) => e.type === 'typing');
  assert.ok(first.expiresAt >= t0 + 100 && first.expiresAt <= Date.now() + 100);
  await sleep(60);
  ws.frame(typing); // renewed
  await sleep(60);
  assert.equal(seen.filter((e) => e.type === 'typing.stopped').length, 0);
  await sleep(80);
  const stopped = seen.filter((e) => e.type === 'typing.stopped');
  assert.equal(stopped.length, 1);
  assert.deepEqual(stopped[0], { type: 'typing.stopped', ticketId: 't1', data: typing.data });

  ws.frame(typing);
  ws.frame(ev(1, 'thread.added', { superAdmin: { _id: 'b'.repeat(24), name: 'B' }, client: { _id: 'a'.repeat(24), name: 'A' } }));
  assert.equal(seen.filter((e) => e.type === 'typing.stopped').length, 2, 'the message ends the typing');
  conn.close();
});

test('typing is sent at most once per 2 s per ticket, and only when open', async () => {
  const { conn } = setup();
  const ws = await nextSocket(1);
  assert.equal(conn.typing('t1'), false, 'not open yet');
  ws.hello('0');
  assert.equal(conn.typing('t1'), true);
  assert.equal(conn.typing('t1'), false);
  assert.equal(conn.typing('t2'), true);
  assert.deepEqual(ws.sent, [{ type: 'typing', ticketId: 't1' }, { type: 'typing', ticketId: 't2' }]);
  conn.close();
});

test('the heartbeat pings, and silence past the timeout drops the socket and reconnects', async () => {
  const { conn, states } = setup({ heartbeatInterval: 20, heartbeatTimeout: 150 });
  const ws = await nextSocket(1);
  ws.hello('0');
  await sleep(70);
  assert.ok(ws.sent.filter((m) => m.type === 'ping').length >= 2);
  await sleep(150);
  assert.equal(ws.closedWith?.code, 4000);
  const offline = states.find((s) => s.state === 'offline');
  assert.equal(offline.code, 4000);
  await nextSocket(2);
  conn.close();
});

test('a ping the timers never sent (a sleeping tab) is sent and waited for before giving up', async () => {
  const { conn, states } = setup({ heartbeatInterval: 60000, heartbeatTimeout: 100 });
  const ws = await nextSocket(1);
  ws.hello('0');
  await sleep(130);
  assert.deepEqual(ws.sent, [{ type: 'ping' }], 'a ping instead of a drop');
  ws.frame({ type: 'pong', data: {} });
  assert.equal(conn.state, 'live');
  await sleep(250); // silence again, ping unanswered past its grace
  assert.equal(ws.closedWith?.code, 4000);
  assert.equal(states.find((s) => s.state === 'offline')?.code, 4000);
});

test('a socket that never opens counts as dead too', async () => {
  const { conn } = setup({ heartbeatTimeout: 50 });
  const ws = await nextSocket(1);
  await nextSocket(2);
  assert.equal(ws.closedWith?.code, 4000);
  conn.close();
});

test('reconnects back off exponentially with jitter, up to the cap', async () => {
  const { conn, states } = setup({ reconnectDelay: 10, maxReconnectDelay: 40 });
  for (let n = 1; n <= 5; n++) {
    const ws = await nextSocket(n);
    ws.drop(1006);
  }
  const delays = states.filter((s) => s.state === 'offline').map((s) => s.retryIn);
  const caps = [10, 20, 40, 40, 40];
  delays.forEach((d, i) => assert.ok(d >= caps[i] / 2 && d <= caps[i], `delay ${i} = ${d}, cap ${caps[i]}`));
  conn.close();
});

test('4001 asks the provider for a new token (expired: true) and reconnects at once', async () => {
  const calls = [];
  const { conn, states } = setup({}, { token: async ({ expired }) => { calls.push(expired); return expired ? 'fresh' : 'stale'; } });
  const ws = await nextSocket(1);
  assert.equal(ws.url.searchParams.get('access_token'), 'stale');
  ws.hello('3');
  ws.drop(4001, 'token expired');
  assert.equal(states.at(-1).retryIn, 0);
  const ws2 = await nextSocket(2);
  assert.equal(ws2.url.searchParams.get('access_token'), 'fresh');
  assert.deepEqual(calls, [false, true]);
  conn.close();
});

test('a failing token provider is retried with backoff', async () => {
  let n = 0;
  const { conn, states } = setup({}, { token: async () => { if (n++ === 0) throw new Error('offline'); return 'ok'; } });
  const ws = await nextSocket(1);
  assert.equal(ws.url.searchParams.get('access_token'), 'ok');
  assert.match(states.find((s) => s.state === 'offline').reason, /token provider failed: offline/);
  conn.close();
});

test('markSeen goes over the socket when live, over REST otherwise', async () => {
  const { conn, requests } = setup();
  const ws = await nextSocket(1);
  await conn.markSeen(['x1']);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].init.method, 'PUT');
  assert.equal(requests[0].url, 'http://supportd.test/support-tickets/threads/seen');
  assert.deepEqual(JSON.parse(requests[0].init.body), { threadIds: ['x1'] });
  ws.hello('0');
  await conn.markSeen(['x2']);
  assert.deepEqual(ws.sent, [{ type: 'seen', threadIds: ['x2'] }]);
  assert.equal(requests.length, 1);
  conn.close();
});

test('close() closes for good', async () => {
  const { conn, states } = setup();
  const ws = await nextSocket(1);
  ws.hello('0');
  conn.close();
  assert.equal(ws.closedWith.code, 1000);
  assert.equal(conn.state, 'offline');
  assert.equal(states.at(-1).reason, 'closed');
  await sleep(50);
  assert.equal(FakeSocket.all.length, 1, 'no reconnect');
});

test('handlers can be removed; a connection needs a WebSocket', async () => {
  const { conn, seen } = setup();
  const ws = await nextSocket(1);
  const got = [];
  const off = conn.on('counts', (e) => got.push(e.id));
  ws.hello('0');
  ws.frame(ev(1, 'counts'));
  off();
  ws.frame(ev(2, 'counts'));
  assert.deepEqual(got, ['1']);
  assert.equal(seen.filter((e) => e.type === 'counts').length, 2);
  conn.close();
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = undefined;
  try {
    assert.throws(() => createClient({ baseUrl: 'http://x', token: 't' }).connect(), /no WebSocket implementation/);
  } finally {
    globalThis.WebSocket = saved;
  }
});
