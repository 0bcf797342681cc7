// The demo pages' failures, in a real browser (Debian's Chromium through
// playwright-core): each is said in words on the page, never left to a tooltip, the
// console or an endless "Offline · retrying". The pages come from supportd's own
// /demo/. Screenshots go to test-results/; with SUPPORTD_SCREENSHOTS=1 also to
// screenshots/ (the committed ones).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';

import { createClient } from '../lib/supportd-client.js';
import { startSupportd, launchChromium, mintToken, clientDir } from './helpers.js';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const skip = !haveChromium && process.env.CI !== 'true' && `no Chromium at ${chromiumPath}`;
const resultsDir = path.join(clientDir, 'test-results');
const shotsDir = path.join(clientDir, 'screenshots');

let server, browser;

before(async () => {
  if (!haveChromium) return;
  server = await startSupportd();
  browser = await launchChromium(chromiumPath);
  mkdirSync(resultsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a refused token is named with its reason on both pages, and a pasted token gets the page going', { skip }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const widget = await open(server, 'widget', 'not-a-token');
  await trouble(widget, 'refused', 'This token was refused: invalid token');
  await shot(widget, 'widget-bad-token');

  const otherSecret = randomBytes(32).toString('hex');
  const agentPage = await open(server, 'console', mintToken(otherSecret, { role: 'superAdmin' }));
  await trouble(agentPage, 'refused', 'This token was refused: invalid token');

  await widget.fill('#new-token', mintToken(server.secret, { name: 'Pasted' }));
  await widget.click('#paste-token button[type="submit"]');
  await widget.waitForSelector('.pill[data-state="live"]');
  assert.deepEqual(widget.errors, [], 'no errors in the pages');
  assert.deepEqual(agentPage.errors, [], 'no errors in the pages');
});

test('an expired token says that it expired, and when, on both pages', { skip }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const widget = await open(server, 'widget', mintToken(server.secret, { ttl: -600 }));
  await trouble(widget, 'expired', 'This token has expired');
  assert.match(await widget.textContent('#trouble'), /It expired .* \(10 min ago\)\. Paste a new one/);
  assert.ok(await widget.$('#new-token'), 'a field to paste a new token');
  await shot(widget, 'widget-expired');

  const agentPage = await open(server, 'console', mintToken(server.secret, { role: 'superAdmin', ttl: -600 }));
  await trouble(agentPage, 'expired', 'This token has expired');
  assert.deepEqual([...widget.errors, ...agentPage.errors], [], 'no errors in the pages');
});

test('a token of the other role says which page it belongs to and links it', { skip }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const agentPage = await open(server, 'console', mintToken(server.secret, { name: 'Erin' }));
  await trouble(agentPage, 'wrong-role', 'This token is for the customer widget');
  assert.match(await agentPage.textContent('#trouble'), /It is a customer \(client\) token; the agent console needs an agent \(superAdmin\) token\./);
  await shot(agentPage, 'console-wrong-role');
  await agentPage.click('#right-page');
  await agentPage.waitForURL(/\/demo\/widget\.html\?token=/);
  await agentPage.waitForSelector('.pill[data-state="live"]');

  const widget = await open(server, 'widget', mintToken(server.secret, { name: 'Ada', role: 'superAdmin' }));
  await trouble(widget, 'wrong-role', 'This token is for the agent console');
  await widget.click('#right-page');
  await widget.waitForSelector('#state[data-state="live"]');
  assert.deepEqual([...widget.errors, ...agentPage.errors], [], 'no errors in the pages');
});

test('a server restarted with another secret: Offline · retrying while it is down, then says it no longer accepts the token', { skip }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  // The pages know supportd by the proxy's address: behind it, one supportd stops and
  // another, with a new secret, takes its place, as when the dev server restarts.
  let own = await startSupportd();
  const front = await startSwitch(own.port);
  try {
    const widget = await open(front, 'widget', mintToken(own.secret, { name: 'Erin' }));
    const agentPage = await open(front, 'console', mintToken(own.secret, { name: 'Ada', role: 'superAdmin' }));
    await widget.waitForSelector('.pill[data-state="live"]');
    await agentPage.waitForSelector('#state[data-state="live"]');

    await own.stop();
    // Down: the pages keep retrying, with the countdown, and blame no token.
    for (const page of [widget, agentPage]) {
      await page.waitForFunction(() => /^Offline · retrying/.test(document.getElementById('state')?.textContent ?? ''));
      assert.equal(await page.$('#trouble'), null, 'no token trouble while the server is down');
    }

    own = await startSupportd();
    front.target = own.port;
    const said = 'The server no longer accepts this token — it may have restarted with a new secret';
    await trouble(widget, 'restarted', said, 30000);
    await trouble(agentPage, 'restarted', said, 30000);
    assert.ok(await widget.$('#new-token'), 'a field to paste a new token');
    await shot(widget, 'widget-restarted');
    assert.deepEqual([...widget.errors, ...agentPage.errors], [], 'no errors in the pages');
  } finally {
    await own.stop();
    await front.close();
  }
});

test('a failed send\'s error is cleared when the connection is live again, and by a send that succeeds', { skip }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const token = mintToken(server.secret, { name: 'Stale Sam' });
  const customer = createClient({ baseUrl: server.baseUrl, token });
  const { data: t } = await customer.tickets.create({ title: 'Stale errors', category: 'other', threads: [{ message: 'hello' }] });

  const widget = await newPage(460, 760);
  // Every socket goes through the test, which can drop it as a network would.
  const sockets = [];
  await widget.routeWebSocket(/\/ws/, (ws) => { ws.connectToServer(); sockets.push(ws); });
  await widget.goto(`${server.baseUrl}/demo/widget.html?token=${token}`);
  await widget.click(`.w-ticket[data-ticket-id="${t._id}"]`);
  await widget.waitForSelector('.pill[data-state="live"]');

  // A validation error shows as the server's sentence, without its code.
  await widget.fill('#reply', 'x'.repeat(20000));
  await widget.click('#send');
  const tooLong = await widget.waitForSelector('.error');
  assert.match(await tooLong.textContent(), /^message must be at most \d+ characters$/);

  // A send that fails, then the socket drops and comes back: the error goes.
  await widget.route('**/thread', (route) => route.abort('connectionrefused'));
  await widget.fill('#reply', 'are you there?');
  await widget.click('#send');
  await widget.waitForSelector('.error >> text=The server could not be reached. Try again.');
  await widget.unroute('**/thread');
  sockets.at(-1).close({ code: 1001, reason: 'going away' });
  await widget.waitForSelector('.pill[data-state="offline"]');
  await widget.waitForSelector('.pill[data-state="live"]');
  await widget.waitForSelector('.error', { state: 'detached' });

  // A send that fails, then one that succeeds: the error goes too.
  await widget.route('**/thread', (route) => route.abort('connectionrefused'));
  await widget.click('#send');
  await widget.waitForSelector('.error');
  await widget.unroute('**/thread');
  await widget.click('#send');
  await widget.waitForSelector('.msg-mine >> text=are you there?');
  assert.equal(await widget.$('.error'), null, 'no error after a send that succeeded');
  assert.deepEqual(widget.errors, [], 'no errors in the page');
});

// open loads a demo page (widget 460 px wide, console 1280) with token; page.errors
// collects the page's uncaught errors.
async function open(srv, name, token) {
  const page = name === 'widget' ? await newPage(460, 760) : await newPage(1280, 800);
  await page.goto(`${srv.baseUrl}/demo/${name}.html?token=${encodeURIComponent(token)}`);
  return page;
}

async function newPage(width, height) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// trouble waits for the page's notice of kind and checks its headline.
async function trouble(page, kind, headline, timeout = 10000) {
  const notice = await page.waitForSelector(`#trouble[data-kind="${kind}"]`, { timeout });
  assert.equal(await notice.$eval('h2', (el) => el.textContent), headline);
  assert.ok(await page.isVisible('#trouble h2'), 'the notice shows in the page');
}

async function shot(page, name) {
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled' });
  if (process.env.SUPPORTD_SCREENSHOTS === '1') {
    mkdirSync(shotsDir, { recursive: true });
    copyFileSync(file, path.join(shotsDir, `${name}.png`));
  }
}

// startSwitch forwards TCP from a port of its own to 127.0.0.1:target; setting target
// sends new connections elsewhere. While nothing listens there, a connection is cut
// at once, as with a server that is down.
async function startSwitch(target) {
  const open = new Set();
  const srv = net.createServer((client) => {
    const upstream = net.connect(front.target, '127.0.0.1');
    open.add(client);
    const end = () => { client.destroy(); upstream.destroy(); open.delete(client); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const front = {
    target,
    baseUrl: `http://127.0.0.1:${srv.address().port}`,
    close() {
      for (const c of open) c.destroy();
      return new Promise((resolve) => srv.close(resolve));
    },
  };
  return front;
}
