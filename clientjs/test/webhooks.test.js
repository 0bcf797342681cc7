// Webhooks and the events feed through the client, against a real supportd (dev
// mode), with a receiver that verifies the Standard Webhooks signature.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

import { createClient, SupportdError } from '../lib/supportd-client.js';
import { startSupportd, mintToken, sleep } from './helpers.js';

let server, receiver, agent, alice, bob;
const received = [];
let secret = '';

before(async () => {
  server = await startSupportd();
  agent = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Agent', role: 'superAdmin' }) });
  alice = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Alice' }) });
  bob = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Bob' }) });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const id = req.headers['webhook-id'];
      const signed = `${id}.${req.headers['webhook-timestamp']}.${body}`;
      const want = 'v1,' + createHmac('sha256', key).update(signed).digest('base64');
      received.push({ id, ok: req.headers['webhook-signature'] === want, event: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await server?.stop();
  receiver?.close();
});

async function waitFor(n) {
  for (let i = 0; i < 200 && received.length < n; i++) await sleep(50);
  assert.ok(received.length >= n, `received ${received.length} deliveries, want ${n}`);
}

test('webhooks: create, deliver signed events, deliveries, replay, delete', async () => {
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const { data: hook } = await agent.webhooks.create({ url, events: ['thread.added'] });
  secret = hook.secret;
  assert.match(hook.secret, /^whsec_/);
  const { data: list } = await agent.webhooks.list();
  assert.ok(list.some((w) => w._id === hook._id && w.secret === undefined));

  const { data: t } = await alice.tickets.create({ title: 'Hooked', category: 'billing', threads: [{ message: 'one' }] });
  await waitFor(1);
  assert.equal(received[0].ok, true, 'signature verifies');
  assert.equal(received[0].event.type, 'thread.added');
  assert.equal(received[0].event.ticketId, t._id);
  assert.equal(received[0].event.id, received[0].id);

  const { data: attempts } = await agent.webhooks.deliveries(hook._id, { limit: 5 });
  assert.equal(attempts[0].status, 200);
  assert.equal(attempts[0].eventId, received[0].id);

  assert.deepEqual(await agent.webhooks.replay(hook._id, Number(received[0].id) - 1), { status: 'accepted' });
  await waitFor(2);
  assert.equal(received[1].id, received[0].id);

  await assert.rejects(alice.webhooks.list(), (err) => err instanceof SupportdError && err.code === 'Forbidden');
  await agent.webhooks.delete(hook._id);
  await assert.rejects(agent.webhooks.delete(hook._id), (err) => err.code === 'NotFound');
});

test('events.list pages in order and keeps to the caller\'s scope', async () => {
  const { data: mine } = await bob.tickets.create({ title: 'Feed', category: 'other', threads: [{ message: 'x' }] });
  const all = [];
  let after;
  for (let i = 0; i < 50; i++) {
    const page = await agent.events.list({ after, limit: 2 });
    all.push(...page.data);
    after = page.lastEventId;
    if (page.data.length < 2) break;
  }
  const ids = all.map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.ok(all.some((e) => e.ticketId === mine._id));

  const own = await bob.events.list({ after: 0 });
  assert.ok(own.data.length > 0);
  assert.ok(own.data.every((e) => e.ticketId === mine._id));
  assert.equal(own.lastEventId, after);
  await assert.rejects(bob.events.list({ limit: 0 }), (err) => err.code === 'BadRequest');
});
