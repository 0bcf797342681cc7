// Read-your-writes: a write's answer carries lastEventId, and a connection opened
// after it has reached that id and never gets the write's events.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { supportdForFile, Recorder, waitState } from './helpers.js';

const { open, person } = supportdForFile();

test('a connection opened after a write has reached its id and never gets its events', async () => {
  const agent = person('superAdmin', 'Ann').client;
  const erin = person('client', 'Erin').client;
  const created = await erin.tickets.create({ title: 'Mine', category: 'billing', threads: [{ message: 'Hi' }] });
  assert.match(created.lastEventId, /^\d+$/);
  const updated = await agent.tickets.update(created.data._id, { status: 'resolved' });
  assert.ok(BigInt(updated.lastEventId) > BigInt(created.lastEventId), 'a later write answers a later id');

  const conn = agent.connect();
  open.push(conn);
  const rec = new Recorder(conn, ['ticket.created', 'ticket.status', 'ticket.updated', 'counts']);
  await waitState(conn, 'live');
  assert.ok(conn.reached(updated.lastEventId), 'the new connection has reached the write');
  assert.ok(!conn.reached(String(BigInt(updated.lastEventId) + 1n)), 'but not what comes after');

  const marker = await erin.tickets.create({ title: 'Marker', category: 'billing', threads: [{ message: 'Hi' }] });
  await rec.next('ticket.created', (e) => e.ticketId === marker.data._id);
  const early = rec.events.filter(({ e }) => BigInt(e.id) <= BigInt(updated.lastEventId));
  assert.deepEqual(early, [], 'no event of the earlier writes');
  assert.ok(conn.reached(marker.lastEventId));
});
