// The customer widget: my tickets, one open at a time, replies live, seen ticks on my
// messages, "support is typing…", and how many agents are online.

import {
  setup, h, fill, statusChip, clock, statePill, addThread, markSeen, unseenFrom, messageBubble, errorText, categoryLabels,
  mergeThreads, olderThreads, placeScroll,
} from './common.js';
import { admitted, refused, startFailed, watch } from './trouble.js';

const root = document.getElementById('widget');
const app = setup(root);

const model = {
  tickets: new Map(), // _id → ticket (with threads)
  view: 'list', // 'list' | 'ticket' | 'new'
  openId: null,
  agentsOnline: null,
  typing: false,
  error: '',
};

if (app) start(app);

async function start(app) {
  const { client } = app;
  const head = h('div', { class: 'w-head' },
    h('h1', {}, 'Help & support'),
    h('div', { class: 'w-sub' }, h('span', { class: 'agents none', id: 'agents' }, 'Connecting…'), h('span', { id: 'state' })));
  const body = h('div', { class: 'w-body', id: 'body' });
  fill(root, head, body);

  let snapshot;
  try {
    snapshot = await loadTickets(client);
  } catch (err) {
    startFailed(app, err);
    return;
  }
  if (!admitted(app, 'client')) return;
  const conn = client.connect({ lastEventId: snapshot });
  statePill(document.getElementById('state'), conn);
  watch(app, conn);
  wire(client, conn);
  render(client, conn);
}

async function loadTickets(client) {
  const page = await client.tickets.list({ limit: 50, sort: '-updatedAt' });
  model.tickets = new Map(page.data.map((t) => [t._id, t]));
  return page.lastEventId;
}

function wire(client, conn) {
  const rerender = () => render(client, conn);
  // A failed send's error is stale once the connection is live again.
  conn.on('state', (e) => {
    if (e.state === 'live' && model.error) {
      model.error = '';
      rerender();
    }
  });
  conn.on('presence', (e) => {
    model.agentsOnline = e.data.agentsOnline ?? e.data.online?.length ?? 0;
    renderAgents();
  });
  conn.on('ticket.created', (e) => {
    if (!model.tickets.has(e.ticketId)) model.tickets.set(e.ticketId, { ...e.data, unread: 0 });
    rerender();
  });
  conn.on('thread.added', (e) => {
    const t = model.tickets.get(e.ticketId);
    if (!t) return;
    addThread(t, e.data);
    if (e.data.superAdmin && isOpen(t._id)) conn.markSeen([e.data._id]);
    rerender();
  });
  conn.on('threads.seen', (e) => {
    const t = model.tickets.get(e.ticketId);
    if (t) markSeen(t, e.data.threadIds, e.data.seenAt);
    rerender();
  });
  const update = (e) => {
    const t = model.tickets.get(e.ticketId);
    if (t) Object.assign(t, e.type === 'ticket.status' ? { status: e.data.status, updatedAt: e.at } : { ...e.data, threads: t.threads });
    rerender();
  };
  conn.on('ticket.status', update);
  conn.on('ticket.updated', update);
  conn.on('ticket.deleted', (e) => {
    model.tickets.delete(e.ticketId);
    if (model.openId === e.ticketId) { model.view = 'list'; model.openId = null; }
    rerender();
  });
  conn.on('typing', (e) => { if (e.data.role === 'superAdmin' && e.ticketId === model.openId) setTyping(true); });
  conn.on('typing.stopped', (e) => { if (e.ticketId === model.openId) setTyping(false); });
  conn.on('reset', async () => {
    try {
      await loadTickets(client);
    } catch (err) {
      if (refused(app, err)) return;
      model.error = errorText(err);
    }
    rerender();
  });
  document.addEventListener('visibilitychange', () => {
    const t = model.tickets.get(model.openId);
    if (t && isOpen(t._id)) conn.markSeen(unseenFrom(t, 'agent'));
  });
}

function isOpen(id) {
  return model.view === 'ticket' && model.openId === id && document.visibilityState === 'visible';
}

function renderAgents() {
  const el = document.getElementById('agents');
  const n = model.agentsOnline;
  el.className = n ? 'agents' : 'agents none';
  el.textContent = n === 1 ? '1 agent online' : n ? `${n} agents online` : 'No agents online right now';
  el.dataset.count = String(n ?? 0);
}

function setTyping(on) {
  model.typing = on;
  const el = document.getElementById('typing');
  if (el) el.textContent = on ? 'Support is typing…' : '';
}

function render(client, conn) {
  const body = document.getElementById('body');
  if (model.view === 'ticket' && model.tickets.has(model.openId)) renderTicket(body, client, conn);
  else if (model.view === 'new') renderNew(body, client, conn);
  else renderList(body, client, conn);
}

function renderList(body, client, conn) {
  model.view = 'list';
  const tickets = [...model.tickets.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
  fill(body,
    h('div', { class: 'w-bar' }, h('h2', {}, 'Your tickets'),
      h('button', { class: 'primary', id: 'new-ticket', onclick: () => { model.view = 'new'; render(client, conn); } }, 'New ticket')),
    h('div', { class: 'w-list', id: 'tickets' },
      tickets.length === 0 ? h('div', { class: 'empty' }, 'No tickets yet. Ask us anything.') : null,
      tickets.map((t) => {
        const unread = unseenFrom(t, 'agent').length;
        const last = t.threads.at(-1);
        return h('div', { class: 'w-ticket', 'data-ticket-id': t._id, onclick: () => openTicket(t._id, client, conn) },
          h('div', { class: 'title' }, t.title),
          h('div', { class: 'meta' }, `#${t.number} · ${last ? last.message : ''}`),
          h('div', { class: 'side' }, statusChip(t.status),
            unread ? h('span', { class: 'badge badge-unread', title: 'New replies' }, unread) : h('span', { class: 'meta' }, clock(t.updatedAt))));
      })));
}

async function openTicket(id, client, conn) {
  model.view = 'ticket';
  model.openId = id;
  model.typing = false;
  render(client, conn);
  try {
    const { data } = await client.tickets.get(id);
    const t = model.tickets.get(id);
    if (t) {
      mergeThreads(t, data.threads);
      t.threadsTotal = data.threadsTotal;
    }
  } catch (err) {
    if (refused(app, err)) return;
    model.error = errorText(err);
  }
  const t = model.tickets.get(id);
  if (t && isOpen(id)) conn.markSeen(unseenFrom(t, 'agent'));
  render(client, conn);
}

function renderTicket(body, client, conn) {
  const t = model.tickets.get(model.openId);
  const draft = document.getElementById('reply')?.value ?? '';
  const older = olderThreads(client, t, () => render(client, conn));
  const conversation = h('div', { class: 'conversation', id: 'conversation', onscroll: older.onScroll },
    older.button, t.threads.map((th) => messageBubble(th, !th.superAdmin)));
  const input = h('textarea', { id: 'reply', placeholder: 'Write a reply…', rows: 1, value: draft, oninput: () => conn.typing(t._id),
    onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } } });
  const send = async () => {
    const message = input.value.trim();
    if (!message) return;
    input.value = '';
    try {
      const { data } = await client.tickets.reply(t._id, { message });
      addThread(t, data);
      model.error = '';
    } catch (err) {
      if (refused(app, err)) return;
      input.value = message;
      model.error = errorText(err);
    }
    render(client, conn);
  };
  fill(body,
    h('div', { class: 'w-bar' },
      h('button', { class: 'link', id: 'back', onclick: () => { model.view = 'list'; model.openId = null; render(client, conn); } }, '← All tickets'),
      statusChip(t.status)),
    h('div', { class: 'w-bar' }, h('h2', {}, `#${t.number} · ${t.title}`)),
    conversation,
    h('div', { class: 'typing', id: 'typing' }, model.typing ? 'Support is typing…' : ''),
    model.error ? h('div', { class: 'error' }, model.error) : null,
    h('div', { class: 'composer' }, input, h('button', { class: 'primary', id: 'send', onclick: send }, 'Send')));
  placeScroll(conversation, t);
  if (draft || document.activeElement === document.body) input.focus();
}

function renderNew(body, client, conn) {
  if (body.querySelector('form')) return; // keep what is being typed
  const title = h('input', { id: 'title', maxlength: 200, placeholder: 'What is it about?' });
  const category = h('select', { id: 'category' },
    Object.entries(categoryLabels).map(([v, label]) => h('option', { value: v }, label)));
  const message = h('textarea', { id: 'message', placeholder: 'Tell us what happened' });
  const error = h('div', { class: 'error' });
  const submit = h('button', { class: 'primary', id: 'create', type: 'submit' }, 'Send');
  const form = h('form', {
    class: 'w-form',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const { data } = await client.tickets.create({
          title: title.value, category: category.value, threads: [{ message: message.value }],
        });
        model.tickets.set(data._id, data);
        await openTicket(data._id, client, conn);
      } catch (err) {
        if (refused(app, err)) return;
        error.textContent = errorText(err);
        submit.disabled = false;
      }
    },
  },
  h('label', { for: 'title' }, 'Title'), title,
  h('label', { for: 'category' }, 'Category'), category,
  h('label', { for: 'message' }, 'Message'), message,
  error,
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => { model.view = 'list'; render(client, conn); } }, 'Cancel'), submit));
  fill(body, h('div', { class: 'w-bar' }, h('h2', {}, 'New ticket')), form);
  title.focus();
}
