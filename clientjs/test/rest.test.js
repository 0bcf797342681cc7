// Every REST call of the client against a real supportd.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { createClient, SupportdError } from '../lib/supportd-client.js';
import { startSupportd, startFakeGitHub, mintToken, randomId } from './helpers.js';

let server, github, agent, alice, bob, agentId;

before(async () => {
  github = await startFakeGitHub();
  server = await startSupportd({ GITHUB_TOKEN: 'test-token', GITHUB_REPO: 'acme/support', GITHUB_API_URL: github.url });
  agentId = randomId();
  agent = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { sub: agentId, name: 'Agent Smith', role: 'superAdmin' }) });
  alice = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Alice' }) });
  bob = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Bob' }) });
});

after(async () => {
  await server?.stop();
  await github?.close();
});

const newTicket = (title = 'Printer on fire') => ({
  title, category: 'billing', threads: [{ message: 'Smoke everywhere' }],
});

// written checks a write's lastEventId (X-Last-Event-Id) and returns the rest of its answer.
function written({ lastEventId, ...rest }) {
  assert.match(lastEventId, /^\d+$/);
  return rest;
}

test('create, get and list a ticket, with the snapshot id', async () => {
  const { data: t } = await alice.tickets.create({ ...newTicket(), subject: 'Office', api: 'v2' });
  assert.match(t._id, /^[0-9a-f]{24}$/);
  assert.equal(t.status, 'pending');
  assert.equal(t.subject, 'Office');
  assert.equal(t.threads.length, 1);
  assert.ok(t.number >= 1001);

  const got = await alice.tickets.get(t._id);
  assert.equal(got.data._id, t._id);
  assert.match(got.lastEventId, /^\d+$/);

  const page = await alice.tickets.list({ countByStatus: true, limit: 5, sort: '-number', status: 'pending' });
  assert.ok(page.data.some((x) => x._id === t._id));
  assert.equal(page.limit, 5);
  assert.equal(page.page, 1);
  assert.ok(page.counts.pending >= 1);
  assert.match(page.lastEventId, /^\d+$/);

  const found = await alice.tickets.list({ q: 'printer' });
  assert.ok(found.data.some((x) => x._id === t._id));
});

test('list with nothing found is an empty page, counts included', async () => {
  const fresh = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Nobody' }) });
  const page = await fresh.tickets.list({ countByStatus: true });
  assert.deepEqual(page.data, []);
  assert.equal(page.total, 0);
  assert.equal(page.counts.all, 0);
  assert.match(page.lastEventId, /^\d+$/);
});

test('reply, update, markSeen, remove and bulkRemove', async () => {
  const { data: t } = await alice.tickets.create(newTicket('Reply me'));
  const { data: th } = await agent.tickets.reply(t._id, { message: 'On our way' });
  assert.equal(th.superAdmin.name, 'Agent Smith');
  assert.equal(th.seenAt, null);

  assert.deepEqual(written(await agent.tickets.update(t._id, { status: 'progress', assignee: agentId })), { status: 'completed' });
  const after = (await alice.tickets.get(t._id)).data;
  assert.equal(after.status, 'progress');
  assert.equal(after.assignee._id, agentId);
  assert.equal(after.unread, 1);

  assert.deepEqual(written(await alice.tickets.markSeen([th._id])), { status: 'completed' });
  const seen = (await alice.tickets.get(t._id)).data;
  assert.equal(seen.unread, 0);
  assert.ok(seen.threads[1].seenAt);

  assert.deepEqual(written(await alice.tickets.remove(t._id)), { status: 'completed' });
  await assert.rejects(alice.tickets.get(t._id), { name: 'SupportdError', code: 'NotFound', status: 404 });

  const a = (await alice.tickets.create(newTicket('Bulk 1'))).data;
  const b = (await alice.tickets.create(newTicket('Bulk 2'))).data;
  const c = (await bob.tickets.create(newTicket('Not yours'))).data;
  const res = await alice.tickets.bulkRemove([a._id, b._id, c._id]);
  assert.deepEqual(written(res), { status: 'completed', deleted: 2 });
  assert.equal((await bob.tickets.get(c._id)).data._id, c._id);
});

test('createGithubIssue: agents create one, clients are refused', async () => {
  const { data: t } = await alice.tickets.create(newTicket('Needs a fix'));
  const err = await alice.tickets.createGithubIssue(t._id).catch((e) => e);
  assert.ok(err instanceof SupportdError);
  assert.equal(err.code, 'Forbidden');
  assert.equal(err.status, 403);
  assert.equal(err.message, 'You are not authorized to create a GitHub issue');

  const { data } = await agent.tickets.createGithubIssue(t._id);
  assert.equal(data.githubIssue.title, `Needs a fix - Ticket #${t.number}`);
  assert.ok(data.githubIssue.labels.includes('support'));
  assert.equal(data.issueUrl, data.githubIssue.html_url);
  await assert.rejects(agent.tickets.createGithubIssue(t._id), { code: 'BadRequest', message: 'Issue already created' });
  assert.equal(github.created.length, 1);
});

test('errors are SupportdError with code, message and status', async () => {
  await assert.rejects(alice.tickets.create({ category: 'billing', threads: [{ message: 'x' }] }),
    (e) => e instanceof SupportdError && e.code === 'BadRequest' && e.status === 400 && e.message === 'title is required');
  await assert.rejects(alice.tickets.get('not-an-id'), { code: 'NotFound', status: 404, message: 'Support ticket not found' });
  await assert.rejects(alice.tickets.update(randomId(), { status: 'done' }), { code: 'NotFound' });
  const { data: t } = await alice.tickets.create(newTicket());
  await assert.rejects(alice.tickets.update(t._id, { assignee: agentId }), { code: 'Forbidden', status: 403 });
  await assert.rejects(alice.tickets.update(t._id, { status: 'done' }), (e) => e.status === 400 && /status must be one of/.test(e.message));
  const anonymous = createClient({ baseUrl: server.baseUrl, token: 'garbage' });
  await assert.rejects(anonymous.tickets.list(), { code: 'Unauthorized', status: 401 });
  const nowhere = createClient({ baseUrl: 'http://127.0.0.1:1', token: 't', retries: 0 });
  await assert.rejects(nowhere.tickets.list(), { code: 'NetworkError', status: 0 });
});

test('create and reply send an Idempotency-Key that a retry reuses', async () => {
  // A fetch that loses the first answer of every write after the server applied it.
  const keys = [];
  let lose = true;
  const flaky = async (url, init) => {
    if (init.method === 'POST') keys.push(init.headers['Idempotency-Key']);
    const res = await fetch(url, init);
    if (init.method === 'POST' && lose) {
      lose = false;
      throw new TypeError('fetch failed (connection reset)');
    }
    return res;
  };
  const carol = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Carol' }), fetch: flaky });
  const { data: t } = await carol.tickets.create(newTicket('Once only'));
  assert.equal(keys.length, 2);
  assert.match(keys[0], /^[0-9a-f]{32}$/);
  assert.equal(keys[0], keys[1]);
  assert.equal((await carol.tickets.list()).total, 1, 'the retry created nothing new');

  lose = true;
  const { data: th } = await carol.tickets.reply(t._id, { message: 'Me again' });
  assert.equal(keys.length, 4);
  assert.equal(keys[2], keys[3]);
  assert.notEqual(keys[2], keys[0], 'every call has its own key');
  assert.equal((await carol.tickets.get(t._id)).data.threads.length, 2);

  // An app retrying a call of its own passes the key; a different body is a conflict.
  const again = await carol.tickets.reply(t._id, { message: 'Me again' }, { idempotencyKey: keys[2] });
  assert.equal(again.data._id, th._id);
  await assert.rejects(carol.tickets.reply(t._id, { message: 'Other' }, { idempotencyKey: keys[2] }), { code: 'Conflict', status: 409 });
});

test('a token provider is asked again, with expired: true, after a 401', async () => {
  const sub = randomId();
  const calls = [];
  const client = createClient({
    baseUrl: server.baseUrl,
    token: async ({ expired }) => {
      calls.push(expired);
      return mintToken(server.secret, { sub, name: 'Dave', ttl: expired ? 3600 : -120 });
    },
  });
  const page = await client.tickets.list();
  assert.deepEqual(page.data, []);
  assert.deepEqual(calls, [false, true]);
});

test('threads pages a long conversation backwards; the ticket carries its latest and threadsTotal', async () => {
  const { data: t } = await alice.tickets.create(newTicket('Long talk'));
  for (let i = 1; i < 25; i++) await alice.tickets.reply(t._id, { message: `m${i}` });

  const { data: got } = await alice.tickets.get(t._id);
  assert.equal(got.threadsTotal, 25);
  assert.equal(got.threads.length, 25);
  const listed = (await alice.tickets.list({ limit: 100 })).data.find((x) => x._id === t._id);
  assert.equal(listed.threadsTotal, 25);
  assert.deepEqual(listed.threads.map((th) => th.message), Array.from({ length: 20 }, (_, i) => `m${i + 5}`));

  const newest = await alice.tickets.threads(t._id, { limit: 20 });
  assert.equal(newest.hasMore, true);
  assert.equal(newest.data[19].message, 'm24');
  const older = await alice.tickets.threads(t._id, { before: newest.data[0]._id });
  assert.equal(older.hasMore, false);
  assert.deepEqual(older.data.map((th) => th.message), ['Smoke everywhere', 'm1', 'm2', 'm3', 'm4']);

  await assert.rejects(bob.tickets.threads(t._id), (err) => err instanceof SupportdError && err.status === 404);
  await assert.rejects(alice.tickets.threads(t._id, { before: 'nope' }),
    (err) => err.status === 400 && err.message === 'before must be a thread of this ticket');
});
