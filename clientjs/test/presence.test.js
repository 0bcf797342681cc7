// Presence against a real supportd: the connection's state, kept from the snapshot
// after hello and the presence.changed that follow, equals the server's after
// agents join and leave.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { supportdForFile, sleep, Recorder, waitState } from './helpers.js';

const { open, person } = supportdForFile();

async function connect(p) {
  const conn = p.client.connect();
  open.push(conn);
  const rec = new Recorder(conn, ['presence', 'presence.changed']);
  await waitState(conn, 'live');
  await rec.next('presence');
  return { conn, rec };
}

const ids = (presence) => presence.online.map((p) => p._id);

// until polls cond every 20 ms for up to 5 s.
async function until(cond, what) {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`not within 5 s: ${what}`);
    await sleep(20);
  }
}

test("the connection's presence equals the server's after joins and leaves", async () => {
  const ann = person('superAdmin', 'Ann');
  const erin = person('client', 'Erin');
  const observer = await connect(ann);
  assert.deepEqual(ids(observer.conn.presence), [ann.sub], 'the snapshot counts the socket itself');
  const client = await connect(erin);
  assert.deepEqual(client.conn.presence, { agentsOnline: 1 }, "a client's snapshot counts the agent online");

  const bob = person('superAdmin', 'Bob');
  const cy = person('superAdmin', 'Cy');
  const dan = person('superAdmin', 'Dan');
  const bob1 = await connect(bob);
  const cy1 = await connect(cy);
  const dan1 = await connect(dan);
  const bob2 = await connect(bob); // a second socket changes nothing
  cy1.conn.close();
  bob1.conn.close(); // Bob stays online through bob2
  dan1.conn.close();

  // A fresh socket's snapshot is the server's view (with the probe itself).
  const probeAgent = person('superAdmin', 'Probe');
  const probe = await connect(probeAgent);
  const want = [ann.sub, bob.sub, probeAgent.sub].sort();
  await until(() => ids(probe.conn.presence).join() === want.join(), 'the probe sees Ann, Bob and itself');
  await until(() => ids(observer.conn.presence).join() === want.join(), "the observer's state matches the server's");
  await until(() => client.conn.presence.agentsOnline === want.length, "the client's count matches");
  assert.ok(observer.rec.of('presence.changed').length > 0, 'the observer was kept current by changes');
  assert.equal(observer.rec.of('presence').filter((e) => e.data.online.length > 1).length > 0, true);
  assert.deepEqual(bob2.conn.presence.online.map((p) => p.name).sort(), ['Ann', 'Bob', 'Probe']);

  // Dropped, the state is gone until the next snapshot.
  observer.conn.close();
  assert.equal(observer.conn.presence, null);
});
