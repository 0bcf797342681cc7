// The README's embed snippet, run as written (only its base URL and token source are
// the test's) on a minimal stand-in for the page's DOM against a real supportd: a new
// customer's first message opens a ticket, the next ones reply, and an agent's answer
// shows up live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { createClient } from '../lib/supportd-client.js';
import { startSupportd, mintToken, randomId, sleep, repoRoot } from './helpers.js';

let server;
const connections = [];

before(async () => { server = await startSupportd(); });
after(async () => {
  for (const c of connections) c.close();
  await server?.stop();
});

async function snippet() {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split('## Embedding the widget')[1];
  const html = section.split('```html\n')[1].split('```')[0];
  const script = html.split('<script type="module">')[1].split('</script>')[0];
  const body = script.replace(/^\s*import \{ createClient \} from .*$/m, '');
  assert.notEqual(body, script, 'the snippet no longer imports createClient');
  return body.replace("'https://support.example.com'", 'baseUrl');
}

async function until(what, fn, timeout = 5000) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(20)) {
    if (fn()) return;
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the README embed snippet opens a ticket on a new customer\'s first message', async () => {
  const customer = mintToken(server.secret, { sub: randomId(), name: 'New Customer' });
  const agent = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name: 'Agent Smith', role: 'superAdmin' }) });
  const shown = [];
  const page = {
    msgs: { append: (li) => shown.push(li.textContent) },
    document: { createElement: () => ({}) },
    f: {}, m: { value: '' },
    myApp: { supportdToken: () => customer },
    createClient: (options) => {
      const client = createClient(options);
      const connect = client.connect.bind(client);
      client.connect = (...args) => { const c = connect(...args); connections.push(c); return c; };
      return client;
    },
    baseUrl: server.baseUrl,
  };
  const AsyncFunction = (async () => {}).constructor;
  await new AsyncFunction(...Object.keys(page), await snippet())(...Object.values(page));

  const send = async (text) => { page.m.value = text; await page.f.onsubmit({ preventDefault() {} }); };
  await send('My printer is on fire');
  const { data: tickets } = await agent.tickets.list({});
  assert.equal(tickets.length, 1, 'no ticket was opened');
  assert.equal(tickets[0].threads[0].message, 'My printer is on fire');
  await send('It spreads');
  await agent.tickets.reply(tickets[0]._id, { message: 'On our way' });
  await until('the agent\'s reply', () => shown.includes('Agent Smith: On our way'));
  assert.deepEqual(shown, ['You: My printer is on fire', 'You: It spreads', 'Agent Smith: On our way']);
  assert.equal((await agent.tickets.get(tickets[0]._id)).data.threads.length, 3);
});
