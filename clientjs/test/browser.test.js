// The demo pages in a real browser (Debian's Chromium driven by playwright-core),
// side by side on one supportd: the customer widget and the agent console.
//
// Pages come from supportd's own /demo/ when it serves them; otherwise (a supportd
// without the demo mounted) from a small static server laid out like /demo/, pointed
// at supportd with ?api=. Screenshots go to test-results/; with
// SUPPORTD_SCREENSHOTS=1 also to screenshots/ (the committed ones).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, copyFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { createClient } from '../lib/supportd-client.js';
import { startSupportd, launchChromium, mintToken, randomId, clientDir } from './helpers.js';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const resultsDir = path.join(clientDir, 'test-results');
const shotsDir = path.join(clientDir, 'screenshots');

let server, statics, browser, pagesBase, apiParam;

before(async () => {
  if (!haveChromium) return;
  statics = await serveDemoDir();
  server = await startSupportd({ ALLOWED_ORIGINS: statics.origin });
  const own = await fetch(server.baseUrl + '/demo/lib/supportd-client.js').catch(() => null);
  if (own?.ok) {
    pagesBase = server.baseUrl + '/demo/';
    apiParam = '';
  } else {
    console.log('# supportd does not serve /demo/ yet: the pages come from the test\'s static server');
    pagesBase = statics.origin + '/';
    apiParam = '&api=' + encodeURIComponent(server.baseUrl);
  }
  browser = await launchChromium(chromiumPath);
  mkdirSync(resultsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await statics?.close();
});

test('widget and console side by side: create, live list and badges, reply, seen, typing, resolve', { skip: !haveChromium && process.env.CI !== 'true' && `no Chromium at ${chromiumPath}` }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const agentSub = randomId();
  const agentToken = mintToken(server.secret, { sub: agentSub, name: 'Maya Chen', role: 'superAdmin' });
  const customerToken = mintToken(server.secret, { name: 'Erin from Acme' });
  await seed();

  const consolePage = await newPage(1280, 800);
  const widgetPage = await newPage(460, 760);
  const errors = [];
  for (const p of [consolePage, widgetPage]) p.on('pageerror', (e) => errors.push(e.message));

  await consolePage.goto(`${pagesBase}console.html?token=${agentToken}${apiParam}`);
  await consolePage.waitForSelector('#state[data-state="live"]');
  const pendingBefore = await badge(consolePage, 'pending');
  const resolvedBefore = await badge(consolePage, 'resolved');

  await widgetPage.goto(`${pagesBase}widget.html?token=${customerToken}${apiParam}`);
  await widgetPage.waitForSelector('.pill[data-state="live"]');
  await widgetPage.waitForSelector('#agents[data-count="1"]');

  // The customer creates a ticket: it shows in the console, the pending badge goes up.
  await widgetPage.click('#new-ticket');
  await widgetPage.fill('#title', 'Scanner rejects every badge');
  await widgetPage.selectOption('#category', 'smartScan');
  await widgetPage.fill('#message', 'Since this morning the lobby scanner beeps red for everyone.');
  await widgetPage.click('#create');
  await widgetPage.waitForSelector('.msg-mine >> text=Since this morning');
  const row = consolePage.locator('.row', { hasText: 'Scanner rejects every badge' });
  await row.waitFor();
  await consolePage.waitForFunction((n) => document.querySelector('[data-tab="pending"] .badge')?.dataset.count === String(n), pendingBefore + 1);
  assert.equal(await row.locator('.badge-unread').textContent(), '1');
  await widgetPage.waitForSelector('.msg-mine .tick:not(.tick-seen)');

  // The agent opens it: the customer's message turns "seen" in the widget.
  await row.click();
  await consolePage.waitForSelector('.c-detail >> text=Since this morning');
  await widgetPage.waitForSelector('.msg-mine .tick-seen');
  await row.locator('.badge-unread').waitFor({ state: 'detached' });

  // The agent types, then replies: "support is typing…", then the reply, in the widget.
  await consolePage.click('#reply');
  await consolePage.keyboard.type('Sorry about that! ');
  await widgetPage.waitForSelector('#typing >> text=Support is typing…');
  await consolePage.keyboard.type('We pushed a fix to the scanner; could you try again?');
  await consolePage.click('#send');
  await widgetPage.waitForSelector('.msg-theirs >> text=We pushed a fix');
  await widgetPage.waitForFunction(() => document.getElementById('typing')?.textContent === '');
  // The widget has the ticket open, so the agent's reply is seen at once.
  await consolePage.waitForSelector('.msg-mine .tick-seen');

  // The customer answers; the agent takes the ticket.
  await widgetPage.fill('#reply', 'Works again, thank you!');
  await widgetPage.click('#send');
  await consolePage.waitForSelector('.c-detail >> text=Works again');
  await consolePage.selectOption('#assignee', agentSub);
  await consolePage.selectOption('#status', 'progress');
  await widgetPage.waitForSelector('.w-bar .chip[data-status="progress"]');
  await consolePage.waitForFunction(() => document.querySelector('#assignee')?.selectedOptions[0]?.textContent === 'Maya Chen');
  await screenshots(widgetPage, consolePage, 'conversation');

  // The agent resolves it: the badges move and the widget shows it.
  await consolePage.selectOption('#status', 'resolved');
  await consolePage.waitForFunction((n) => document.querySelector('[data-tab="resolved"] .badge')?.dataset.count === String(n), resolvedBefore + 1);
  assert.equal(await badge(consolePage, 'pending'), pendingBefore);
  await widgetPage.waitForSelector('.w-bar .chip[data-status="resolved"]');
  await widgetPage.click('#back');
  await widgetPage.waitForSelector('.w-ticket >> .chip[data-status="resolved"]');
  await consolePage.click('[data-tab="resolved"]');
  await consolePage.locator('.row', { hasText: 'Scanner rejects every badge' }).waitFor();
  await screenshots(widgetPage, consolePage, 'resolved');

  assert.deepEqual(errors, [], 'no errors in the pages');
});

test('a long conversation loads older threads: on scroll in the widget, on the control in the console', { skip: !haveChromium && process.env.CI !== 'true' && `no Chromium at ${chromiumPath}` }, async () => {
  assert.ok(haveChromium, `no Chromium at ${chromiumPath} (apt-get install chromium)`);
  const customerToken = mintToken(server.secret, { name: 'Long Talker' });
  const agentToken = mintToken(server.secret, { name: 'Ada', role: 'superAdmin' });
  const customer = createClient({ baseUrl: server.baseUrl, token: customerToken });
  const threads = Array.from({ length: 100 }, (_, i) => ({ message: `old message ${i}` }));
  const { data: t } = await customer.tickets.create({ title: 'A very long conversation', category: 'other', threads });
  for (let i = 0; i < 20; i++) await customer.tickets.reply(t._id, { message: `new message ${i}` });

  const widgetPage = await newPage(460, 760);
  const errors = [];
  widgetPage.on('pageerror', (e) => errors.push(e.message));
  await widgetPage.goto(`${pagesBase}widget.html?token=${customerToken}${apiParam}`);
  await widgetPage.click(`.w-ticket[data-ticket-id="${t._id}"]`);
  await widgetPage.waitForFunction(() => document.querySelectorAll('#conversation .msg').length === 100);
  await widgetPage.waitForSelector('#load-older');
  await widgetPage.$eval('#conversation', (el) => { el.scrollTop = 0; });
  await widgetPage.waitForFunction(() => document.querySelectorAll('#conversation .msg').length === 120);
  assert.equal(await widgetPage.$('#load-older'), null, 'no control once the first thread is shown');
  assert.equal(await widgetPage.textContent('#conversation .msg .msg-body'), 'old message 0');
  assert.ok(await widgetPage.$eval('#conversation', (el) => el.scrollTop > 0), 'the reader keeps their place, not the top');

  const consolePage = await newPage(1280, 800);
  consolePage.on('pageerror', (e) => errors.push(e.message));
  await consolePage.goto(`${pagesBase}console.html?token=${agentToken}${apiParam}`);
  await consolePage.locator('.row', { hasText: 'A very long conversation' }).click();
  await consolePage.waitForFunction(() => document.querySelectorAll('#conversation .msg').length === 100);
  // A DOM click: a pointer click would first scroll the control into view, and that
  // scroll to the top loads the page by itself.
  await consolePage.$eval('#load-older', (el) => el.click());
  await consolePage.waitForFunction(() => document.querySelectorAll('#conversation .msg').length === 120);
  assert.deepEqual(errors, [], 'no errors in the pages');
});

async function newPage(width, height) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  return page;
}

function badge(page, tab) {
  return page.$eval(`[data-tab="${tab}"] .badge`, (el) => Number(el.dataset.count));
}

async function screenshots(widgetPage, consolePage, step) {
  for (const [name, page] of [['widget', widgetPage], ['console', consolePage]]) {
    const file = path.join(resultsDir, `${name}-${step}.png`);
    await page.screenshot({ path: file, animations: 'disabled' });
    if (process.env.SUPPORTD_SCREENSHOTS === '1' && step === 'conversation') {
      mkdirSync(shotsDir, { recursive: true });
      copyFileSync(file, path.join(shotsDir, `${name}.png`));
    }
  }
}

// seed gives the console a few other customers' tickets, so it looks like a working day.
async function seed() {
  const tickets = [
    ['Globex', 'Invoice shows last month\'s VAT rate', 'billing', 'Our March invoice still uses the old rate.'],
    ['Initech', 'Webhook retries flood our endpoint', 'integration', 'We get the same event 40 times.'],
    ['Umbrella', 'Enrollment email never arrives', 'smartEnroll', 'Three new hires are waiting for it.'],
  ];
  for (const [name, title, category, message] of tickets) {
    const c = createClient({ baseUrl: server.baseUrl, token: mintToken(server.secret, { name }) });
    await c.tickets.create({ title, category, threads: [{ message }] });
  }
}

// serveDemoDir serves clientjs/demo and clientjs/lib with /demo/'s layout (see embed.go).
async function serveDemoDir() {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
  const srv = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p.endsWith('/')) p += 'index.html';
    const file = p.startsWith('/lib/') ? path.join(clientDir, p) : path.join(clientDir, 'demo', p);
    if (!file.startsWith(clientDir + path.sep) || p.includes('..') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${srv.address().port}`,
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}
