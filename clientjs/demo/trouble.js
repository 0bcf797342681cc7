// What the demo pages say, in words on the page, when their token fails them: refused,
// expired, meant for the other page, or no longer accepted by a server that restarted
// with another secret (the dev server makes a new one at every start). Each offers a
// field to paste another token. A server that does not answer is not trouble of this
// kind: the state pill keeps saying "Offline · retrying" with its countdown.

import { h, fill } from './common.js';

// probeTimeout bounds the token check a dropped connection makes: a server slower
// than this is taken for unreachable, and the connection's own retries go on.
const probeTimeout = 5000;

/** pages says which demo page serves which token role, and how to name both. */
const pages = {
  client: { file: 'widget.html', name: 'the customer widget', who: 'a customer (client)' },
  superAdmin: { file: 'console.html', name: 'the agent console', who: 'an agent (superAdmin)' },
};

/**
 * claims reads a JWT's payload without checking it, for words only (role, exp): the
 * server alone decides whether the token is good. null when it is not a JWT.
 */
export function claims(token) {
  try {
    const bytes = Uint8Array.from(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' ? payload : null;
  } catch {
    return null;
  }
}

/**
 * admitted tells whether the page may run with its token once the server took it (a
 * REST answer came): a token of the other role gets the notice that links its page.
 */
export function admitted(app, role) {
  const have = claims(app.token)?.role;
  if (!pages[have] || have === role) {
    app.accepted = true;
    return true;
  }
  show(app, 'wrong-role', `This token is for ${pages[have].name}`,
    h('p', {}, `It is ${pages[have].who} token; ${pages[role].name} needs ${pages[role].who} token.`),
    h('p', {}, h('a', { id: 'right-page', href: pageLink(app, pages[have].file) }, `Open ${pages[have].name} with this token`)));
  return false;
}

/**
 * startFailed shows why the page's first call failed: the token's trouble for a 401,
 * else the error and a way to try again.
 */
export function startFailed(app, err) {
  if (refused(app, err)) return;
  const reason = err?.status === 0 ? `supportd at ${app.baseUrl} did not answer (${err.message})` : (err?.message ?? String(err));
  fill(app.root, h('div', { class: 'notice trouble', id: 'trouble', 'data-kind': 'start', role: 'alert' },
    h('h2', {}, 'This page could not start'),
    h('p', {}, reason),
    h('button', { class: 'primary', id: 'retry', onclick: () => location.reload() }, 'Try again')));
}

/**
 * refused shows the token's trouble when err is a 401 (a REST call's answer) and
 * says whether it did; calls that fail otherwise are the caller's to show.
 */
export function refused(app, err) {
  if (err?.status !== 401) return false;
  tokenRefused(app, err.message);
  return true;
}

/**
 * watch checks the token whenever the connection drops: a browser sees a refused
 * WebSocket upgrade only as an abnormal close, like a server that is down, so a REST
 * call tells the two apart. A 401 stops the connection (retrying cannot help) and
 * says why; no answer leaves the connection to its retries.
 */
export function watch(app, conn) {
  app.conn = conn;
  let checking = false;
  conn.on('state', async (e) => {
    if (e.state !== 'offline' || e.reason === 'closed' || checking) return;
    checking = true;
    const message = await probe(app);
    checking = false;
    if (message !== null) tokenRefused(app, message);
  });
}

// probe answers the 401's message when the server refuses the token, else null (it
// took the token, or did not answer).
async function probe(app) {
  try {
    const res = await fetch(app.baseUrl + '/support-tickets?limit=1', {
      headers: { Authorization: 'Bearer ' + app.token, Accept: 'application/json' },
      signal: AbortSignal.timeout(probeTimeout),
    });
    if (res.status !== 401) return null;
    const body = await res.json().catch(() => ({}));
    return typeof body.message === 'string' ? body.message : 'Unauthorized';
  } catch {
    return null;
  }
}

// tokenRefused words a 401: expired (and when), no longer accepted by a page that
// worked with it (a restart with another secret), or refused with the server's reason.
function tokenRefused(app, message) {
  const reason = message.replace(/^Unauthorized:\s*/, '');
  const exp = claims(app.token)?.exp;
  if (/expired/i.test(reason)) {
    const when = typeof exp === 'number' ? new Date(exp * 1000) : null;
    show(app, 'expired', 'This token has expired',
      h('p', {}, when ? `It expired ${when.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })} (${ago(when)}). ` : 'The server says it expired. ',
        'Paste a new one to go on.'));
  } else if (app.accepted) {
    show(app, 'restarted', 'The server no longer accepts this token — it may have restarted with a new secret',
      h('p', {}, `It answered: ${reason}. The dev server makes a new secret at every start and prints new tokens; paste one here.`));
  } else {
    show(app, 'refused', `This token was refused: ${reason}`,
      h('p', {}, 'Check that it was copied whole, for this server.'));
  }
}

// show replaces the page with a notice of kind (data-kind, for tests and styles) and
// the form to paste another token.
function show(app, kind, title, ...detail) {
  app.conn?.close(); // retrying cannot help, and the page it would update is gone
  const input = h('input', { id: 'new-token', name: 'token', placeholder: 'eyJhbGciOi…', autocomplete: 'off', required: true });
  const form = h('form', {
    class: 'paste-token', id: 'paste-token',
    onsubmit: (e) => {
      e.preventDefault();
      location.href = pageLink(app, '', input.value.trim()); // this page, with the new token
    },
  },
  h('label', { for: 'new-token' }, 'Paste another token'),
  h('div', { class: 'paste-row' }, input, h('button', { class: 'primary', type: 'submit' }, 'Use this token')));
  fill(app.root, h('div', { class: 'notice trouble', id: 'trouble', 'data-kind': kind, role: 'alert' },
    h('h2', {}, title), detail, form,
    h('p', { class: 'hint' }, 'supportd in dev mode prints a client token and an agent token when it starts; ',
      h('a', { href: './' }, 'the demo index'), ' builds the links.')));
}

// pageLink is a demo page's address with token (this page's, unless given) and this page's api.
function pageLink(app, file, token = app.token) {
  const params = new URLSearchParams({ token });
  const api = new URLSearchParams(location.search).get('api');
  if (api) params.set('api', api);
  return `${file}?${params}`;
}

function ago(when) {
  const s = Math.round((Date.now() - when) / 1000);
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
