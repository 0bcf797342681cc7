// The realtime connection against a real supportd: every event type, the states,
// resume after drops, reset, dead sockets, typing expiry and token refresh on 4001.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createClient } from '../lib/supportd-client.js';
import { supportdForFile, startProxy, mintToken, randomId, sleep, Recorder, waitState } from './helpers.js';

const allTypes = ['hello', 'presence', 'ticket.created', 'ticket.updated', 'ticket.status', 'ticket.deleted',
  'thread.added', 'threads.seen', 'counts', 'typing', 'typing.stopped', 'reset', 'pong', 'error', 'state'];

const live = supportdForFile();
const { open, person } = live;

function connect(client, options = {}) {
  const conn = client.connect(options);
  open.push(conn);
  const rec = new Recorder(conn, allTypes);
  return { conn, rec };
}

const newTicket = (title) => ({ title, category: 'integration', threads: [{ message: 'Hello?' }] });

test('every event type reaches the sockets in scope', async () => {
  const agent = person('superAdmin', 'Agent Ann');
  const erin = person('client', 'Erin');
  const a = connect(agent.client);
  const c = connect(erin.client);
  await waitState(a.conn, 'live');
  await waitState(c.conn, 'live');
  assert.equal(a.conn.hello.role, 'superAdmin');
  assert.equal(c.conn.hello.user.name, 'Erin');
  await c.rec.next('presence', (e) => e.data.agentsOnline >= 1);
  await a.rec.next('presence', (e) => e.data.online.some((p) => p._id === agent.sub));

  const { data: t } = await erin.client.tickets.create(newTicket('Live one'));
  const created = await a.rec.next('ticket.created', (e) => e.ticketId === t._id);
  assert.equal(created.data.title, 'Live one');
  assert.equal(created.data.unread, undefined);
  await a.rec.next('thread.added', (e) => e.ticketId === t._id);
  const counts = await c.rec.next('counts', (e) => e.ticketId === t._id);
  assert.equal(counts.data.pending, 1, 'a client gets its own counts');
  await a.rec.next('counts', (e) => e.ticketId === t._id);

  const { data: reply } = await agent.client.tickets.reply(t._id, { message: 'Looking' });
  const added = await c.rec.next('thread.added', (e) => e.data._id === reply._id);
  assert.equal(added.data.superAdmin._id, agent.sub);
  assert.match(added.id, /^\d+$/);

  await agent.client.tickets.update(t._id, { status: 'progress', subject: 'Sync' });
  const status = await c.rec.next('ticket.status', (e) => e.ticketId === t._id);
  assert.deepEqual(status.data, { status: 'progress', previousStatus: 'pending' });
  const updated = await c.rec.next('ticket.updated', (e) => e.ticketId === t._id);
  assert.equal(updated.data.subject, 'Sync');

  await c.conn.markSeen([reply._id]); // over the socket
  const seen = await a.rec.next('threads.seen', (e) => e.ticketId === t._id);
  assert.deepEqual(seen.data.threadIds, [reply._id]);

  assert.equal(c.conn.typing(t._id), true);
  assert.equal(c.conn.typing(t._id), false, 'typing is sent at most once per 2 s');
  const typing = await a.rec.next('typing', (e) => e.ticketId === t._id);
  assert.equal(typing.data.user._id, erin.sub);
  assert.ok(typing.expiresAt > Date.now() + 4000);

  await c.conn.markSeen(['nope']);
  const err = await c.rec.next('error');
  assert.equal(err.data.code, 'BadRequest');

  await erin.client.tickets.remove(t._id);
  await a.rec.next('ticket.deleted', (e) => e.data._id === t._id);
  await c.rec.next('ticket.deleted', (e) => e.data._id === t._id);

  // Pongs answer the heartbeat.
  const quick = connect(erin.client, { heartbeatInterval: 100 });
  await quick.rec.next('pong');
  quick.conn.close();

  // Ids only go up, and nobody saw another client's tickets.
  const ids = a.rec.events.filter((x) => x.e.id).map((x) => BigInt(x.e.id));
  assert.deepEqual(ids, [...ids].sort((x, y) => (x < y ? -1 : 1)));
  assert.ok(c.rec.events.every((x) => !x.e.ticketId || x.e.ticketId === t._id));
});

test('typing is hidden after 6 s by itself', async () => {
  const agent = person('superAdmin', 'Agent Typist');
  const fred = person('client', 'Fred');
  const { data: t } = await fred.client.tickets.create(newTicket('Typing'));
  const f = connect(fred.client);
  const a = connect(agent.client);
  await waitState(f.conn, 'live');
  await waitState(a.conn, 'live');
  a.conn.typing(t._id);
  const typing = await f.rec.next('typing', (e) => e.ticketId === t._id);
  const received = Date.now();
  assert.equal(typing.data.role, 'superAdmin');
  assert.ok(Math.abs(typing.expiresAt - (received + 6000)) < 100, 'expiresAt is 6 s ahead');
  const stopped = await f.rec.next('typing.stopped', (e) => e.ticketId === t._id, { timeout: 9000 });
  const took = Date.now() - received;
  assert.ok(took >= 5950 && took < 7000, `stopped ${took} ms after it came`);
  assert.equal(stopped.data.user._id, agent.sub);
});

test('resumes after the network drops, with nothing lost and nothing twice', async () => {
  const agent = person('superAdmin', 'Agent Resume');
  const gina = person('client', 'Gina');
  const proxy = await startProxy(live.server.port);
  try {
    const resumable = createClient({ baseUrl: proxy.baseUrl, token: agent.token });
    const { conn, rec } = connect(resumable, { reconnectDelay: 50 });
    await waitState(conn, 'live');
    const { data: t } = await gina.client.tickets.create(newTicket('Before the drop'));
    await rec.next('counts', (e) => e.ticketId === t._id);
    const before = conn.lastEventId;

    proxy.cut();
    await waitState(conn, 'offline');
    proxy.freeze(); // keep it down while events happen
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push((await gina.client.tickets.reply(t._id, { message: `while away ${i}` })).data._id);
    proxy.cut();
    proxy.thaw();

    const mark = rec.length;
    await waitState(conn, 'replaying', 15000);
    await waitState(conn, 'live');
    const states = rec.events.slice(mark).filter((x) => x.type === 'state').map((x) => x.e.state);
    assert.deepEqual(states.slice(-2), ['replaying', 'live']);
    const got = rec.of('thread.added').filter((e) => e.ticketId === t._id && e.data.message.startsWith('while away')).map((e) => e.data._id);
    assert.deepEqual(got, replies);
    assert.ok(BigInt(conn.lastEventId) > BigInt(before));

    // Live again: new events still come, once.
    await gina.client.tickets.reply(t._id, { message: 'after' });
    await rec.next('thread.added', (e) => e.data.message === 'after');
    const ids = rec.events.filter((x) => x.e.id).map((x) => x.e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
  } finally {
    await proxy.close();
  }
});

test('a client whose scope has none of the newest events still leaves replaying', async () => {
  const hank = person('client', 'Hank');
  const other = person('client', 'Ivy');
  const { data: mine } = await hank.client.tickets.create(newTicket('Mine'));
  const { lastEventId } = await hank.client.tickets.get(mine._id);
  await other.client.tickets.create(newTicket('Not Hank\'s')); // the log's newest events are Ivy's
  const { conn } = connect(hank.client, { lastEventId });
  await waitState(conn, 'replaying');
  await waitState(conn, 'live', 5000);
});

test('a lastEventId from the future gets reset, then the connection is live', async () => {
  const jane = person('client', 'Jane');
  const { conn, rec } = connect(jane.client, { lastEventId: '999999999' });
  const reset = await rec.next('reset');
  assert.deepEqual(reset.data, {});
  assert.equal(conn.state, 'live');
  assert.equal(conn.lastEventId, null);
  const { data: t } = await jane.client.tickets.create(newTicket('After reset'));
  const ev = await rec.next('ticket.created', (e) => e.ticketId === t._id);
  assert.ok(BigInt(ev.id) < 999999999n, 'events below the stale id are not taken for duplicates');
});

test('a 4001 close asks the token provider for a new token, then resumes', async () => {
  const sub = randomId();
  const rest = createClient({ baseUrl: live.server.baseUrl, token: mintToken(live.server.secret, { sub, name: 'Kate' }) });
  const calls = [];
  const kate = createClient({
    baseUrl: live.server.baseUrl,
    token: async ({ expired }) => {
      calls.push(expired);
      // The first token lives 2 s: the server closes the socket with 4001 then.
      return mintToken(live.server.secret, { sub, name: 'Kate', ttl: expired ? 3600 : 2 });
    },
  });
  const { data: t } = await rest.tickets.create(newTicket('Short token'));
  const { conn, rec } = connect(kate, { lastEventId: (await rest.tickets.get(t._id)).lastEventId });
  await waitState(conn, 'live');
  const offline = await rec.next('state', (e) => e.state === 'offline', { timeout: 8000 });
  assert.equal(offline.code, 4001);
  assert.equal(offline.retryIn, 0, 'the first 4001 reconnects at once');
  await rest.tickets.reply(t._id, { message: 'while reconnecting' });
  await rec.next('thread.added', (e) => e.data.message === 'while reconnecting');
  await waitState(conn, 'live');
  assert.deepEqual(calls, [false, true]);
  await sleep(2500);
  assert.equal(conn.state, 'live', 'the new token holds');
});

test('a frozen network is noticed by the heartbeat and the connection comes back', async () => {
  const liam = person('client', 'Liam');
  const proxy = await startProxy(live.server.port);
  try {
    const c = createClient({ baseUrl: proxy.baseUrl, token: liam.token });
    const { conn, rec } = connect(c, { heartbeatInterval: 200, heartbeatTimeout: 1000, reconnectDelay: 50 });
    await waitState(conn, 'live');
    proxy.freeze();
    const offline = await rec.next('state', (e) => e.state === 'offline', { timeout: 3000 });
    assert.equal(offline.code, 4000);
    proxy.cut();
    proxy.thaw();
    await waitState(conn, 'live', 5000);
  } finally {
    await proxy.close();
  }
});
