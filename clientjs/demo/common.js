// What both demo pages share: reading ?token= (and ?api=) from the URL, building
// DOM safely, the connection-state pill and small helpers over tickets and threads.

import { createClient } from './lib/supportd-client.js';

/**
 * setup reads the page's parameters: token (a supportd JWT; required) and api (where
 * supportd answers; default this page's origin, as when supportd serves /demo/).
 * Without a token it explains how to get one and returns null.
 */
export function setup(root) {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const baseUrl = params.get('api') || location.origin;
  if (!token) {
    fill(root, h('div', { class: 'notice' },
      h('h2', {}, 'A token is needed'),
      h('p', {}, 'Open this page with ?token=<JWT> in its address. supportd in dev mode prints a client token and an agent token when it starts; ',
        h('a', { href: './' }, 'the demo index'), ' builds the links for you.')));
    return null;
  }
  // accepted turns true once the server took the token (see trouble.js).
  return { client: createClient({ baseUrl, token }), baseUrl, token, root, accepted: false };
}

/** fill replaces el's children; null, undefined and false are skipped, arrays flattened. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

/** h builds an element; text children are text nodes, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const statusLabels = { pending: 'Pending', progress: 'In progress', resolved: 'Resolved', cancelled: 'Cancelled' };
export const categoryLabels = {
  billing: 'Billing', integration: 'Integration', smartCheck: 'SmartCheck', smartScan: 'SmartScan',
  smartEnroll: 'SmartEnroll', smartAccess: 'SmartAccess', other: 'Other',
};

export function statusChip(status) {
  return h('span', { class: `chip chip-${status}`, 'data-status': status }, statusLabels[status] ?? status);
}

/** clock formats a time as 14:05, or Mon 14:05 / 3 Jan beyond today. */
export function clock(iso) {
  const d = new Date(iso);
  const now = new Date();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return hm;
  if (now - d < 6 * 864e5) return d.toLocaleDateString([], { weekday: 'short' }) + ' ' + hm;
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/**
 * statePill keeps an element showing the connection's state honestly: live only when
 * live, the countdown to the next attempt when offline.
 */
export function statePill(el, conn) {
  let timer = null;
  const show = (e) => {
    clearInterval(timer);
    el.className = `pill pill-${e.state}`;
    el.dataset.state = e.state;
    const text = { connecting: 'Connecting…', replaying: 'Catching up…', live: 'Live' }[e.state];
    if (text) {
      el.textContent = text;
      el.title = e.state === 'replaying' ? 'Receiving what happened while this page was offline' : '';
      return;
    }
    if (e.reason === 'closed') {
      el.textContent = 'Disconnected';
      return;
    }
    const until = Date.now() + (e.retryIn ?? 0);
    const tick = () => {
      const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      el.textContent = s > 0 ? `Offline · retrying in ${s} s` : 'Offline · retrying…';
    };
    tick();
    timer = setInterval(tick, 500);
    el.title = e.code === 4001 ? 'Token expired: asking for a new one' : (e.reason || 'Connection lost');
  };
  show({ state: conn.state });
  conn.on('state', show);
}

/** addThread adds a thread to a ticket once (a REST answer and its event may both arrive). */
export function addThread(ticket, thread) {
  if (!ticket.threads.some((t) => t._id === thread._id)) {
    ticket.threads.push(thread);
    if (typeof ticket.threadsTotal === 'number') ticket.threadsTotal++;
  }
  if (thread.createdAt > ticket.updatedAt) ticket.updatedAt = thread.createdAt;
}

/** mergeThreads adds threads (e.g. a fresh GET's latest) to those shown, in conversation order (createdAt, then id). */
export function mergeThreads(ticket, threads) {
  const byId = new Map(ticket.threads.map((t) => [t._id, t]));
  for (const t of threads) byId.set(t._id, t);
  ticket.threads = [...byId.values()].sort((a, b) =>
    (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

/** hasOlder tells whether a ticket has threads before the first one shown. */
export function hasOlder(ticket) {
  if (ticket.threads.length === 0) return false;
  return ticket.hasOlder ?? (ticket.threadsTotal ?? 0) > ticket.threads.length;
}

/**
 * olderThreads is the "Load older messages" control at the top of a conversation, or
 * null when nothing is older. It loads the page before the oldest thread shown on a
 * click, or when the conversation is scrolled to its top (attach onScroll), then
 * rerenders keeping the reader's place (see placeScroll).
 */
export function olderThreads(client, ticket, rerender) {
  if (!hasOlder(ticket)) return { button: null, onScroll: () => {} };
  let loading = false;
  const load = async () => {
    if (loading || !hasOlder(ticket)) return;
    loading = true;
    const conv = document.getElementById('conversation');
    const fromBottom = conv ? conv.scrollHeight - conv.scrollTop : null;
    try {
      const page = await client.tickets.threads(ticket._id, { before: ticket.threads[0]._id });
      mergeThreads(ticket, page.data);
      ticket.hasOlder = page.hasMore;
    } catch (err) {
      ticket.hasOlder = false;
      ticket.olderError = errorText(err);
    }
    ticket.keepFromBottom = fromBottom;
    rerender();
  };
  const button = h('button', { class: 'link load-older', id: 'load-older', type: 'button', onclick: load }, 'Load older messages');
  return { button, onScroll: (e) => { if (e.target.scrollTop === 0) load(); } };
}

/** placeScroll shows a rerendered conversation where the reader was (after older threads came in), else at its end. */
export function placeScroll(conversation, ticket) {
  if (ticket.keepFromBottom != null) {
    conversation.scrollTop = conversation.scrollHeight - ticket.keepFromBottom;
    ticket.keepFromBottom = null;
  } else {
    conversation.scrollTop = conversation.scrollHeight;
  }
}

export function markSeen(ticket, threadIds, seenAt) {
  const ids = new Set(threadIds);
  for (const t of ticket.threads) if (ids.has(t._id) && !t.seenAt) t.seenAt = seenAt;
}

/** unseenFrom lists the ids of a ticket's threads written by a side (client or agent) and not yet seen. */
export function unseenFrom(ticket, side) {
  return ticket.threads.filter((t) => (side === 'agent' ? !!t.superAdmin : !t.superAdmin) && !t.seenAt).map((t) => t._id);
}

export function author(thread) {
  return thread.superAdmin ? thread.superAdmin.name : (thread.client?.name ?? 'Customer');
}

/** messageBubble renders one thread; mine decides the side; ticks show on mine. */
export function messageBubble(thread, mine) {
  return h('div', { class: `msg ${mine ? 'msg-mine' : 'msg-theirs'}`, 'data-thread-id': thread._id },
    mine ? null : h('div', { class: 'msg-author' }, author(thread)),
    h('div', { class: 'msg-body' }, thread.message),
    h('div', { class: 'msg-meta' },
      h('time', { datetime: thread.createdAt }, clock(thread.createdAt)),
      mine ? h('span', { class: thread.seenAt ? 'tick tick-seen' : 'tick', title: thread.seenAt ? `Seen ${clock(thread.seenAt)}` : 'Sent' },
        thread.seenAt ? '✓✓ Seen' : '✓ Sent') : null));
}

/**
 * errorText is what to show for a failed call: the server's message as it is ("title
 * is required"; its code is for programs), or that no answer came.
 */
export function errorText(err) {
  if (err?.name !== 'SupportdError') return String(err?.message ?? err);
  if (err.code === 'NetworkError') return 'The server could not be reached. Try again.';
  if (err.code === 'Timeout') return 'The server did not answer in time. Try again.';
  return err.message;
}
