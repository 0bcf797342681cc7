// Connection: the realtime side of supportd, one WebSocket at a time, kept open.
//
// States: connecting (opening a socket, until hello) → replaying (the server is
// sending what was missed) → live → offline (dropped, waiting to reconnect; or
// closed by close()). The server sends no "replay done" marker, so replaying ends at
// the first of:
//   - an event whose id is at least hello.lastEventId (the newest id when the socket
//     opened: the replay has caught up with it), or
//   - a pong: the client pings right after hello, and the server answers messages
//     only after the replay (its queue is written behind it). This covers a client
//     whose scope holds none of the newest events.
// Without a lastEventId to resume from, or when hello.lastEventId is not above it,
// there is nothing to replay: live at once. After reset the connection is live.

/** Defaults, in milliseconds. */
const defaults = {
  // heartbeatInterval: a ping this often; the server answers with pong, so a live
  // socket always has traffic well inside heartbeatTimeout.
  heartbeatInterval: 10000,
  // heartbeatTimeout: no message for this long means the connection is dead (the
  // contract's 30 s), even when the browser still says OPEN.
  heartbeatTimeout: 30000,
  // typingTimeout: a typing event means "typing for the next 6 s" (the contract).
  typingTimeout: 6000,
  // reconnectDelay, maxReconnectDelay: exponential backoff with full jitter.
  reconnectDelay: 500,
  maxReconnectDelay: 30000,
  // stableAfter: a socket up this long resets the backoff.
  stableAfter: 5000,
  // typingEvery: the server relays one typing per 2 s per socket and ticket; sending
  // more only wastes the socket's message budget.
  typingEvery: 2000,
};

/** Close codes the client uses; 4001 is the server's "token expired". */
const closeTokenExpired = 4001;
const closeHeartbeat = 4000;

export class Connection {
  #o;
  #handlers = new Map();
  #ws = null;
  #attempt = 0;
  #timers = { reconnect: null, heartbeat: null, dead: null, stable: null };
  #typing = new Map(); // ticketId + ' ' + userId → {timer, event}
  #typingSent = new Map(); // ticketId → last send time
  #floor = null; // BigInt: highest event id delivered; lower or equal ids are duplicates
  #helloLastEventId = null; // string: the newest id the last hello gave (the resume point before any event)
  #replayUntil = null; // BigInt: replaying ends at an event id >= this
  #resumedFrom = null; // string: the lastEventId the current socket was opened with
  #closed = false;
  #lastMessageAt = 0;
  #pingSentAt = null; // when the oldest ping still without an answer went out
  #expired = false;
  #onOnline = null;

  /** state is 'connecting', 'replaying', 'live' or 'offline'. */
  state = 'connecting';
  /** lastEventId is the id of the newest event delivered (a decimal string), or null. */
  lastEventId = null;
  /** hello is the data of the current socket's hello ({role, user, lastEventId}), or null. */
  hello = null;
  /**
   * presence is who is online as the server last told this socket: {online: [person]}
   * for super admins (sorted by _id), {agentsOnline: n} for clients; null until the
   * socket's presence snapshot, and again once it drops.
   */
  presence = null;
  #online = null; // Map _id → person: a super admin's view, from the snapshot and presence.changed

  constructor(options) {
    this.#o = { ...defaults, ...options };
    const WS = this.#o.WebSocket ?? globalThis.WebSocket;
    if (typeof WS !== 'function') {
      throw new TypeError('connect: no WebSocket implementation; pass { WebSocket } '
        + '(in Node 20 run node --experimental-websocket and pass globalThis.WebSocket, or use the ws package)');
    }
    this.#o.WebSocket = WS;
    if (this.#o.lastEventId !== undefined && this.#o.lastEventId !== null) {
      const id = String(this.#o.lastEventId);
      if (!/^\d+$/.test(id)) throw new TypeError('connect: lastEventId must be a decimal string');
      this.lastEventId = id;
      this.#floor = BigInt(id);
    }
    if (typeof globalThis.addEventListener === 'function') {
      // A browser that comes back online reconnects at once instead of waiting out the backoff.
      this.#onOnline = () => { if (this.state === 'offline' && !this.#closed) this.#reconnectNow(); };
      globalThis.addEventListener('online', this.#onOnline);
    }
    this.#open();
  }

  /**
   * on registers handler for an event type: a contract type ('thread.added', …,
   * 'hello', 'presence', 'presence.changed', 'typing', 'pong', 'error'), 'state',
   * 'reset' or 'typing.stopped'. 'presence' handlers get the whole state after
   * every snapshot and change (as conn.presence). It returns a function that
   * removes the handler.
   */
  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(handler);
    return () => this.#handlers.get(type)?.delete(handler);
  }

  /** typing tells the other side that the caller is typing in ticketId (at most once per 2 s). */
  typing(ticketId) {
    const now = Date.now();
    if (now - (this.#typingSent.get(ticketId) ?? -Infinity) < this.#o.typingEvery) return false;
    if (!this.#send({ type: 'typing', ticketId })) return false;
    this.#typingSent.set(ticketId, now);
    return true;
  }

  /** markSeen marks threads seen: over the socket when it is open, else over REST. */
  async markSeen(threadIds) {
    if (!Array.isArray(threadIds) || threadIds.length === 0) return;
    if (this.state === 'live' || this.state === 'replaying') {
      if (this.#send({ type: 'seen', threadIds })) return;
    }
    await this.#o.markSeenRest(threadIds);
  }

  /**
   * reached says whether the stream has passed event id (a decimal string, e.g. a
   * write's lastEventId): every event up to it was delivered, or came before this
   * connection's start. A write answers with an id at least its own events', so an
   * app that applied its write's answer can tell when the stream has caught up.
   */
  reached(id) {
    if (id === null || id === undefined || !/^\d+$/.test(String(id))) return false;
    const want = BigInt(id);
    if (this.#floor !== null && this.#floor >= want) return true;
    return this.state === 'live' && this.#helloLastEventId !== null && BigInt(this.#helloLastEventId) >= want;
  }

  /** close closes the socket for good: no reconnect. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    this.presence = null;
    this.#online = null;
    for (const { timer } of this.#typing.values()) clearTimeout(timer);
    this.#typing.clear();
    if (this.#onOnline) globalThis.removeEventListener('online', this.#onOnline);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      detach(ws);
      try { ws.close(1000, 'closed by the client'); } catch { /* already closing */ }
    }
    this.#setState('offline', { reason: 'closed' });
  }

  async #open() {
    this.#setState('connecting');
    let token;
    try {
      token = await this.#o.getToken(this.#expired);
    } catch (err) {
      this.#dropped({ code: 0, reason: 'token provider failed: ' + (err?.message ?? err) });
      return;
    }
    if (this.#closed) return;
    this.#expired = false;
    const url = new URL(this.#o.baseUrl.replace(/^http/, 'ws') + '/ws');
    url.searchParams.set('access_token', token);
    const resume = this.lastEventId ?? this.#helloLastEventId;
    if (resume !== null) url.searchParams.set('lastEventId', resume);
    this.#resumedFrom = resume;

    let ws;
    try {
      ws = new this.#o.WebSocket(url.toString());
    } catch (err) {
      this.#dropped({ code: 0, reason: 'cannot open a socket: ' + (err?.message ?? err) });
      return;
    }
    this.#ws = ws;
    this.hello = null;
    this.#alive(); // a socket that never opens is dead too
    ws.onopen = () => {
      this.#timers.heartbeat = setInterval(() => this.#ping(), this.#o.heartbeatInterval);
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(typeof e.data === 'string' ? e.data : String(e.data));
      } catch {
        return; // not the contract's JSON: ignore the frame
      }
      this.#alive();
      this.#receive(msg);
    };
    ws.onerror = () => { /* onclose follows, with the code */ };
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#dropped({ code: e.code, reason: e.reason || '' });
    };
  }

  // receive handles one server message in order.
  #receive(msg) {
    switch (msg.type) {
      case 'hello': {
        this.hello = msg.data ?? {};
        this.#helloLastEventId = /^\d+$/.test(String(this.hello.lastEventId ?? '')) ? String(this.hello.lastEventId) : null;
        this.#timers.stable = setTimeout(() => { this.#attempt = 0; }, this.#o.stableAfter);
        const from = this.#resumedFrom;
        if (from !== null && this.#helloLastEventId !== null && BigInt(this.#helloLastEventId) > BigInt(from)) {
          this.#replayUntil = BigInt(this.#helloLastEventId);
          this.#setState('replaying');
          this.#send({ type: 'ping' }); // its pong comes after the replay
        } else {
          this.#replayUntil = null;
          this.#setState('live');
        }
        this.#emit('hello', msg);
        return;
      }
      case 'reset':
        // The events after our id are gone (or the id is from the future): start over
        // from the server's present. The app refetches in its handler.
        this.lastEventId = null;
        this.#floor = null;
        this.#replayUntil = null;
        this.#setState('live');
        this.#emit('reset', msg);
        return;
      case 'pong':
        if (this.state === 'replaying') this.#caughtUp();
        this.#emit('pong', msg);
        return;
      case 'typing':
        this.#typingStarted(msg);
        return;
      case 'presence':
        this.#presenceSnapshot(msg);
        return;
      case 'presence.changed':
        this.#presenceChanged(msg);
        return;
    }
    if (msg.id !== undefined && msg.id !== null && /^\d+$/.test(String(msg.id))) {
      const id = BigInt(msg.id);
      if (this.#floor !== null && id <= this.#floor) return; // seen already
      this.#floor = id;
      this.lastEventId = String(msg.id);
      if (msg.type === 'thread.added') this.#typingEndedBy(msg);
      this.#emit(msg.type, msg);
      if (this.state === 'replaying' && this.#replayUntil !== null && id >= this.#replayUntil) this.#caughtUp();
      return;
    }
    this.#emit(msg.type, msg);
  }

  #caughtUp() {
    this.#replayUntil = null;
    this.#setState('live');
  }

  // A presence frame is the whole state: a super admin's snapshot ({online}) or a
  // client's count ({agentsOnline}, which is also how a client hears of changes).
  #presenceSnapshot(msg) {
    const d = msg.data ?? {};
    if (Array.isArray(d.online)) {
      this.#online = new Map(d.online.map((p) => [p._id, p]));
      this.presence = { online: sortedPeople(this.#online) };
    } else {
      this.#online = null;
      this.presence = { agentsOnline: Number(d.agentsOnline ?? 0) };
    }
    this.#emit('presence', { type: 'presence', data: this.presence });
  }

  // presence.changed names who joined and who left since the last batch. A
  // change may repeat what the snapshot already showed (it is set-like), so it
  // is applied, not counted. Handlers of 'presence' get the resulting whole state.
  #presenceChanged(msg) {
    if (this.#online === null) return; // no snapshot to apply it to
    for (const p of msg.data?.joined ?? []) this.#online.set(p._id, p);
    for (const p of msg.data?.left ?? []) this.#online.delete(p._id);
    this.presence = { online: sortedPeople(this.#online) };
    this.#emit('presence.changed', msg);
    this.#emit('presence', { type: 'presence', data: this.presence });
  }

  #typingStarted(msg) {
    const userId = msg.data?.user?._id ?? '';
    const key = msg.ticketId + ' ' + userId;
    const prev = this.#typing.get(key);
    if (prev) clearTimeout(prev.timer);
    const expiresAt = Date.now() + this.#o.typingTimeout;
    const event = { ...msg, expiresAt };
    const timer = setTimeout(() => this.#typingStopped(key), this.#o.typingTimeout);
    this.#typing.set(key, { timer, event });
    this.#emit('typing', event);
  }

  // A message from someone typing ends their typing at once.
  #typingEndedBy(msg) {
    const t = msg.data ?? {};
    const author = t.superAdmin?._id ?? t.client?._id;
    const key = msg.ticketId + ' ' + author;
    const entry = this.#typing.get(key);
    if (entry) {
      clearTimeout(entry.timer);
      this.#typingStopped(key);
    }
  }

  #typingStopped(key) {
    const entry = this.#typing.get(key);
    if (!entry) return;
    this.#typing.delete(key);
    const { ticketId, data } = entry.event;
    this.#emit('typing.stopped', { type: 'typing.stopped', ticketId, data });
  }

  // alive notes that the socket works (any message proves it) and restarts the
  // dead-connection timer.
  #alive() {
    this.#lastMessageAt = Date.now();
    this.#pingSentAt = null;
    clearTimeout(this.#timers.dead);
    this.#timers.dead = setTimeout(() => this.#checkDead(), this.#o.heartbeatTimeout);
  }

  #ping() {
    if (this.#send({ type: 'ping' }) && this.#pingSentAt === null) this.#pingSentAt = Date.now();
  }

  // checkDead runs after heartbeatTimeout without a message. The socket is dead when
  // it never opened, or when a ping has gone unanswered for the grace period. A ping
  // that was never sent (a background tab's throttled timers) is sent now and
  // given its grace, so sleeping tabs do not reconnect for nothing.
  #checkDead() {
    const ws = this.#ws;
    if (!ws) return;
    const { heartbeatTimeout: timeout, heartbeatInterval: interval } = this.#o;
    const grace = interval < timeout ? timeout - interval : timeout / 2;
    const now = Date.now();
    if (ws.readyState === 1 && (this.#pingSentAt === null || now - this.#pingSentAt < grace)) {
      if (this.#pingSentAt === null) this.#ping();
      this.#timers.dead = setTimeout(() => this.#checkDead(), grace - (now - (this.#pingSentAt ?? now)));
      return;
    }
    this.#ws = null;
    detach(ws);
    try { ws.close(closeHeartbeat, 'no message from the server'); } catch { /* gone */ }
    this.#dropped({ code: closeHeartbeat, reason: `no message for ${now - this.#lastMessageAt} ms` });
  }

  // dropped moves to offline and schedules the reconnect.
  #dropped({ code, reason }) {
    this.#clearTimers();
    this.hello = null;
    this.presence = null; // its changes no longer come; the next socket sends a snapshot
    this.#online = null;
    if (this.#closed) return;
    // Typing cannot outlive the socket that carried it.
    for (const key of [...this.#typing.keys()]) {
      clearTimeout(this.#typing.get(key).timer);
      this.#typingStopped(key);
    }
    let delay;
    if (code === closeTokenExpired) {
      this.#expired = true; // the provider is asked for a new token
      delay = this.#attempt === 0 ? 0 : this.#delay();
    } else {
      delay = this.#delay();
    }
    this.#attempt++;
    this.#timers.reconnect = setTimeout(() => this.#open(), delay);
    this.#setState('offline', { code, reason, retryIn: delay });
  }

  #delay() {
    const cap = Math.min(this.#o.maxReconnectDelay, this.#o.reconnectDelay * 2 ** this.#attempt);
    return Math.round(cap / 2 + Math.random() * cap / 2);
  }

  #reconnectNow() {
    clearTimeout(this.#timers.reconnect);
    this.#open();
  }

  #send(msg) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  #setState(state, info = {}) {
    const previous = this.state;
    if (previous === state && state !== 'offline') return;
    this.state = state;
    this.#emit('state', { type: 'state', state, previous, ...info });
  }

  #emit(type, event) {
    const hs = this.#handlers.get(type);
    if (!hs) return;
    for (const h of [...hs]) {
      try {
        h(event);
      } catch (err) {
        // A failing handler must not break the connection; the error still surfaces.
        queueMicrotask(() => { throw err; });
      }
    }
  }

  #clearTimers() {
    clearTimeout(this.#timers.reconnect);
    clearInterval(this.#timers.heartbeat);
    clearTimeout(this.#timers.dead);
    clearTimeout(this.#timers.stable);
  }
}

function sortedPeople(online) {
  return [...online.values()].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
}
