// The agent console: status tabs with live count badges, the ticket list with unread
// badges, new tickets and replies live, the open ticket (its client's messages marked
// seen on opening), status and assignee changes, and the connection state.

import {
  setup, h, fill, statusChip, statusLabels, clock, statePill, addThread, markSeen, unseenFrom, messageBubble, errorText, categoryLabels,
  olderThreads, placeScroll,
} from './common.js';
import { admitted, refused, startFailed, watch } from './trouble.js';

const root = document.getElementById('console');
const app = setup(root);

const tabs = ['all', 'pending', 'progress', 'resolved', 'cancelled'];
const model = {
  tab: 'all',
  tickets: new Map(), // the list: _id → ticket
  counts: null,
  open: null, // the open ticket (the same object as in the list when it is there)
  online: [],
  me: null,
  typing: new Map(), // ticketId → name of the client typing
  error: '',
};

if (app) start(app);

async function start(app) {
  const { client } = app;
  fill(root,
    h('header', { class: 'c-top' },
      h('h1', {}, 'supportd ', h('span', {}, 'console')),
      h('div', { class: 'spacer' }),
      h('div', { class: 'online', id: 'online' }),
      h('span', { id: 'state' }),
      h('span', { class: 'who', id: 'who' })),
    h('div', { class: 'c-main' },
      h('aside', { class: 'c-side' }, h('nav', { class: 'tabs', id: 'tabs', role: 'tablist' }), h('div', { class: 'c-list', id: 'list' })),
      h('section', { class: 'c-detail', id: 'detail' })));
  let snapshot;
  try {
    snapshot = await loadList(client);
  } catch (err) {
    startFailed(app, err);
    return;
  }
  if (!admitted(app, 'superAdmin')) return;
  const ui = { client, conn: null };
  ui.conn = client.connect({ lastEventId: snapshot });
  statePill(document.getElementById('state'), ui.conn);
  watch(app, ui.conn);
  wire(ui);
  clearStaleError(ui);
  renderTabs(ui);
  renderList(ui);
  renderDetail(ui);
}

async function loadList(client) {
  const page = await client.tickets.list({
    status: model.tab === 'all' ? undefined : model.tab, countByStatus: true, sort: '-updatedAt', limit: 50,
  });
  model.tickets = new Map(page.data.map((t) => [t._id, t]));
  if (model.open && model.tickets.has(model.open._id)) model.open = model.tickets.get(model.open._id);
  model.counts = page.counts ?? model.counts;
  return page.lastEventId;
}

const inTab = (status) => model.tab === 'all' || model.tab === status;
const find = (id) => model.tickets.get(id) ?? (model.open?._id === id ? model.open : null);
const isOpen = (id) => model.open?._id === id && document.visibilityState === 'visible';

// clearStaleError drops a failed call's error once the connection is live again: it
// was most likely the outage's, and it would otherwise stay until the next send.
function clearStaleError(ui) {
  ui.conn.on('state', (e) => {
    if (e.state !== 'live' || !model.error) return;
    model.error = '';
    renderDetail(ui);
  });
}

function wire(ui) {
  const { client, conn } = ui;
  conn.on('hello', (e) => {
    model.me = e.data.user;
    document.getElementById('who').textContent = `Signed in as ${model.me.name}`;
  });
  // Fired after the snapshot and after each presence.changed, with the whole list.
  conn.on('presence', () => {
    model.online = conn.presence?.online ?? [];
    renderOnline();
    if (model.open) renderDetail(ui);
  });
  conn.on('counts', (e) => {
    const before = model.counts;
    model.counts = e.data;
    renderTabs(ui, before);
  });
  conn.on('ticket.created', (e) => {
    if (!inTab(e.data.status) || model.tickets.has(e.ticketId)) return;
    model.tickets.set(e.ticketId, { ...e.data });
    renderList(ui, e.ticketId);
  });
  conn.on('thread.added', (e) => {
    const t = find(e.ticketId);
    if (!t) return;
    addThread(t, e.data);
    model.typing.delete(e.ticketId);
    if (!e.data.superAdmin && isOpen(t._id)) conn.markSeen([e.data._id]);
    renderList(ui, e.data.superAdmin ? null : e.ticketId);
    if (model.open === t) renderDetail(ui);
  });
  conn.on('threads.seen', (e) => {
    const t = find(e.ticketId);
    if (!t) return;
    markSeen(t, e.data.threadIds, e.data.seenAt);
    renderList(ui);
    if (model.open === t) renderDetail(ui);
  });
  conn.on('ticket.status', async (e) => {
    const t = find(e.ticketId);
    if (t) Object.assign(t, { status: e.data.status, updatedAt: e.at });
    if (!inTab(e.data.status)) model.tickets.delete(e.ticketId);
    else if (!model.tickets.has(e.ticketId)) {
      // Moved into this tab (a reopen, say): fetch it whole.
      try {
        const { data } = await client.tickets.get(e.ticketId);
        if (inTab(data.status)) model.tickets.set(data._id, t ? Object.assign(t, data) : data);
      } catch { /* deleted meanwhile */ }
    }
    renderList(ui);
    if (model.open?._id === e.ticketId) renderDetail(ui);
  });
  conn.on('ticket.updated', (e) => {
    const t = find(e.ticketId);
    if (!t) return;
    const { threads, ...fields } = e.data;
    Object.assign(t, fields);
    renderList(ui);
    if (model.open === t) renderDetail(ui);
  });
  conn.on('ticket.deleted', (e) => {
    model.tickets.delete(e.ticketId);
    if (model.open?._id === e.ticketId) {
      model.open = null;
      model.error = 'That ticket was deleted.';
    }
    renderList(ui);
    renderDetail(ui);
  });
  const typing = (on) => (e) => {
    if (e.data.role !== 'client') return;
    if (on) model.typing.set(e.ticketId, e.data.user.name);
    else model.typing.delete(e.ticketId);
    renderList(ui);
    if (model.open?._id === e.ticketId) renderTyping();
  };
  conn.on('typing', typing(true));
  conn.on('typing.stopped', typing(false));
  conn.on('reset', async () => {
    try {
      await loadList(client);
    } catch (err) {
      if (!refused(app, err)) model.error = errorText(err);
      return;
    }
    if (model.open) await openTicket(ui, model.open._id);
    renderTabs(ui);
    renderList(ui);
  });
  document.addEventListener('visibilitychange', () => {
    if (model.open && isOpen(model.open._id)) conn.markSeen(unseenFrom(model.open, 'client'));
  });
}

function renderOnline() {
  const el = document.getElementById('online');
  const initials = (p) => p.name.split(/\s+/).map((w) => w[0]).join('').slice(0, 2).toUpperCase();
  fill(el,
    model.online.slice(0, 5).map((p) => h('span', { class: 'avatar', title: p.name }, initials(p))),
    h('span', { 'data-count': model.online.length }, model.online.length === 1 ? '1 agent online' : `${model.online.length} agents online`));
}

function renderTabs(ui, before = null) {
  const nav = document.getElementById('tabs');
  fill(nav, ...tabs.map((tab) => {
    const n = model.counts?.[tab] ?? 0;
    const changed = before && before[tab] !== n;
    return h('button', {
      class: 'tab', role: 'tab', 'data-tab': tab, 'aria-selected': String(model.tab === tab),
      onclick: async () => {
        model.tab = tab;
        try {
          await loadList(ui.client);
        } catch (err) {
          if (refused(app, err)) return;
          model.error = errorText(err);
        }
        renderTabs(ui);
        renderList(ui);
      },
    }, tab === 'all' ? 'All' : statusLabels[tab], h('span', { class: changed ? 'badge bump' : 'badge', 'data-count': n }, n));
  }));
}

function renderList(ui, flashId = null) {
  const list = document.getElementById('list');
  const tickets = [...model.tickets.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
  fill(list,
    tickets.length === 0 ? h('div', { class: 'empty' }, model.tab === 'all' ? 'No tickets yet.' : `No ${statusLabels[model.tab].toLowerCase()} tickets.`) : null,
    ...tickets.map((t) => {
      const unread = unseenFrom(t, 'client').length;
      const last = t.threads.at(-1);
      const typist = model.typing.get(t._id);
      const cls = ['row', model.open?._id === t._id && 'open', unread && 'unread', flashId === t._id && 'flash'].filter(Boolean).join(' ');
      return h('div', { class: cls, 'data-ticket-id': t._id, onclick: () => openTicket(ui, t._id) },
        h('div', { class: 'title' }, h('span', { class: 'num' }, `#${t.number}`), t.title),
        typist ? h('div', { class: 'meta typing-now' }, `${typist} is typing…`)
          : h('div', { class: 'meta' }, `${t.client?.name ?? ''}${last ? ' · ' + last.message : ''}`),
        h('div', { class: 'side' },
          h('span', {}, clock(t.updatedAt)),
          h('span', {}, unread ? h('span', { class: 'badge badge-unread', title: 'Unread messages' }, unread) : null, ' ', statusChip(t.status))));
    }));
}

async function openTicket(ui, id) {
  model.error = '';
  try {
    const { data } = await ui.client.tickets.get(id);
    const t = model.tickets.get(id);
    // The answer's latest threads replace those shown: whether older ones remain is
    // worked out again from its threadsTotal.
    model.open = t ? Object.assign(t, data, { hasOlder: undefined }) : data;
  } catch (err) {
    if (refused(app, err)) return;
    model.open = null;
    model.error = errorText(err);
  }
  renderList(ui);
  renderDetail(ui);
  if (model.open && isOpen(id)) await ui.conn.markSeen(unseenFrom(model.open, 'client'));
}

function renderTyping() {
  const el = document.getElementById('typing');
  if (!el || !model.open) return;
  const name = model.typing.get(model.open._id);
  el.textContent = name ? `${name} is typing…` : '';
}

function renderDetail(ui) {
  const detail = document.getElementById('detail');
  const t = model.open;
  if (!t) {
    fill(detail, h('div', { class: 'placeholder' },
      h('b', {}, model.error || 'No ticket open'), 'Pick a ticket on the left. New ones appear there as they come.'));
    return;
  }
  const draft = document.getElementById('reply')?.value ?? '';
  const hadFocus = document.activeElement?.id === 'reply';
  const agents = new Map([...model.online, model.me, t.assignee].filter(Boolean).map((p) => [p._id, p]));
  const update = async (body) => {
    try {
      await ui.client.tickets.update(t._id, body);
    } catch (err) {
      if (refused(app, err)) return;
      model.error = errorText(err);
      renderDetail(ui);
    }
  };
  const status = h('select', { id: 'status', onchange: (e) => update({ status: e.target.value }) },
    Object.entries(statusLabels).map(([v, label]) => h('option', { value: v, selected: v === t.status }, label)));
  const assignee = h('select', { id: 'assignee', onchange: (e) => update({ assignee: e.target.value || null }) },
    h('option', { value: '' }, 'Unassigned'),
    [...agents.values()].map((p) => h('option', { value: p._id, selected: t.assignee?._id === p._id }, p.name)));
  const input = h('textarea', { id: 'reply', placeholder: `Reply to ${t.client?.name ?? 'the customer'}…`, value: draft,
    oninput: () => ui.conn.typing(t._id),
    onkeydown: (e) => { if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) send(); } });
  const send = async () => {
    const message = input.value.trim();
    if (!message) return;
    input.value = '';
    try {
      const { data } = await ui.client.tickets.reply(t._id, { message });
      addThread(t, data);
      model.error = '';
    } catch (err) {
      if (refused(app, err)) return;
      input.value = message;
      model.error = errorText(err);
    }
    renderDetail(ui);
    renderList(ui);
  };
  const older = olderThreads(ui.client, t, () => renderDetail(ui));
  const conversation = h('div', { class: 'conversation', id: 'conversation', onscroll: older.onScroll },
    older.button, t.threads.map((th) => messageBubble(th, !!th.superAdmin)));
  fill(detail,
    h('div', { class: 'd-head' },
      h('h2', {}, `#${t.number} · ${t.title}`),
      h('div', { class: 'd-controls' },
        h('div', {}, h('label', { for: 'status' }, 'Status'), status),
        h('div', {}, h('label', { for: 'assignee' }, 'Assignee'), assignee)),
      h('div', { class: 'sub' }, `${t.client?.name ?? ''} · ${categoryLabels[t.category] ?? t.category} · opened ${clock(t.createdAt)}`,
        t.issueUrl ? [' · ', h('a', { href: t.issueUrl, target: '_blank', rel: 'noopener' }, 'GitHub issue')] : null)),
    conversation,
    h('div', { class: 'typing', id: 'typing' }),
    model.error ? h('div', { class: 'error' }, model.error) : null,
    h('div', { class: 'composer' }, input, h('button', { class: 'primary', id: 'send', onclick: send }, 'Send')));
  renderTyping();
  placeScroll(conversation, t);
  if (hadFocus) input.focus();
}
