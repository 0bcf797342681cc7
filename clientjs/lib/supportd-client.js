// supportd-client: the REST calls of the supportd contract and a realtime connection
// (see connection.js). No dependencies; runs in browsers and in Node 20+.

import { Connection } from './connection.js';

export { Connection };

/** Codes by HTTP status, for answers whose body is not the contract's {code, message}. */
const codeByStatus = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound',
  405: 'MethodNotAllowed', 409: 'Conflict', 410: 'Gone', 413: 'PayloadTooLarge', 429: 'TooManyRequests',
  500: 'InternalError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
};

/**
 * SupportdError is every failure of a call: the server's {code, message} with the
 * HTTP status, or code NetworkError / Timeout with status 0 when no answer came.
 */
export class SupportdError extends Error {
  constructor(code, message, status, body = null, options = undefined) {
    super(message, options);
    this.name = 'SupportdError';
    this.code = code;
    this.status = status;
    this.body = body;
  }
}

// Statuses worth a retry: the request may not have been applied, or was refused for now.
const retryStatuses = new Set([429, 502, 503, 504]);

/**
 * createClient returns the REST calls and connect(). token is a string or a
 * function (sync or async) called before every request and every (re)connection; it
 * receives {expired: true} after the server refused the previous token (401, or a
 * socket closed with 4001), so a caching provider knows to fetch a new one.
 */
export function createClient(options) {
  const opts = options ?? {};
  if (typeof opts.baseUrl !== 'string' || opts.baseUrl === '') {
    throw new TypeError('createClient: baseUrl is required (e.g. "https://support.example.com")');
  }
  if (typeof opts.token !== 'string' && typeof opts.token !== 'function') {
    throw new TypeError('createClient: token must be a string or a function returning one');
  }
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const fetchImpl = opts.fetch ?? globalThis.fetch?.bind(globalThis);
  const retries = opts.retries ?? 2;
  const timeout = opts.timeout ?? 30000;

  async function getToken(expired = false) {
    if (typeof opts.token === 'string') return opts.token;
    const t = await opts.token({ expired });
    if (typeof t !== 'string' || t === '') throw new TypeError('token provider returned no token');
    return t;
  }

  // request sends one call, retrying (with the same Idempotency-Key) when the answer
  // says to try again or none came; retry marks the calls that are safe to repeat.
  async function request(method, path, { query, body, idempotencyKey, retry = true, snapshot = false } = {}) {
    if (!fetchImpl) throw new TypeError('createClient: no fetch implementation; pass { fetch }');
    let url = baseUrl + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null) qs.set(k, String(v));
      }
      const s = qs.toString();
      if (s) url += '?' + s;
    }
    let expired = false;
    for (let attempt = 0; ; attempt++) {
      const headers = { Authorization: 'Bearer ' + (await getToken(expired)), Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
      let res;
      try {
        res = await fetchImpl(url, {
          method, headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeout),
        });
      } catch (err) {
        const timedOut = err?.name === 'TimeoutError';
        if (retry && attempt < retries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new SupportdError(timedOut ? 'Timeout' : 'NetworkError',
          timedOut ? `${method} ${path}: no answer within ${timeout} ms` : `${method} ${path}: ${err?.message ?? err}`,
          0, null, { cause: err });
      }
      const data = await readBody(res);
      if (res.ok) {
        // A snapshot's id is the newest event it reflects; a write's, the newest
        // event once its own were numbered (see Connection.reached).
        if (snapshot || method !== 'GET') data.lastEventId = res.headers.get('X-Last-Event-Id');
        return data;
      }
      // A refused token is asked for again once, when a provider can give a new one.
      if (res.status === 401 && typeof opts.token === 'function' && !expired) {
        expired = true;
        attempt--;
        continue;
      }
      if (retry && retryStatuses.has(res.status) && attempt < retries) {
        await sleep(retryAfter(res) ?? backoff(attempt));
        continue;
      }
      const err = toError(res, data);
      if (snapshot) err.lastEventId = res.headers.get('X-Last-Event-Id');
      throw err;
    }
  }

  const id = (ticketId) => encodeURIComponent(String(ticketId));

  const tickets = {
    // list answers an empty page (not an error) when nothing matches: the contract's
    // 404 "No support tickets found" is for the reference API's callers, not for apps.
    async list(params = {}) {
      try {
        return await request('GET', '/support-tickets', { query: params, snapshot: true });
      } catch (err) {
        if (!(err instanceof SupportdError) || err.status !== 404 || err.code !== 'NotFound') throw err;
        const page = Number(params.page ?? 1);
        const limit = Number(params.limit ?? 10);
        const empty = { data: [], limit, page, pages: 0, total: 0, lastEventId: err.lastEventId ?? null };
        if (err.body?.counts) empty.counts = err.body.counts;
        return empty;
      }
    },
    get: (ticketId) => request('GET', `/support-tickets/${id(ticketId)}`, { snapshot: true }),
    // threads pages a conversation backwards: the threads older than before (a thread
    // id; without it the newest), oldest first, with hasMore when older ones remain.
    threads: (ticketId, { before, limit } = {}) =>
      request('GET', `/support-tickets/${id(ticketId)}/threads`, { query: { before, limit } }),
    create: (body, callOptions = {}) => request('POST', '/support-tickets/insert', {
      body, idempotencyKey: callOptions.idempotencyKey ?? newKey(),
    }),
    reply: (ticketId, body, callOptions = {}) => request('POST', `/support-tickets/${id(ticketId)}/thread`, {
      body, idempotencyKey: callOptions.idempotencyKey ?? newKey(),
    }),
    update: (ticketId, body) => request('PUT', `/support-tickets/${id(ticketId)}`, { body }),
    remove: (ticketId) => request('DELETE', `/support-tickets/${id(ticketId)}`),
    bulkRemove: (ids) => request('POST', '/support-tickets/bulk', { body: { ids } }),
    markSeen: (threadIds) => request('PUT', '/support-tickets/threads/seen', { body: { threadIds } }),
    // Not retried: a second call answers 400 "Issue already created".
    createGithubIssue: (ticketId) => request('POST', `/support-tickets/${id(ticketId)}/github-issue`, { retry: false }),
  };

  // Integrations: webhooks (super admins) and the events feed.
  const webhooks = {
    create: (body) => request('POST', '/webhooks', { body, retry: false }),
    list: () => request('GET', '/webhooks'),
    delete: (webhookId) => request('DELETE', `/webhooks/${id(webhookId)}`),
    deliveries: (webhookId, params = {}) => request('GET', `/webhooks/${id(webhookId)}/deliveries`, { query: params }),
    replay: (webhookId, fromEventId) => request('POST', `/webhooks/${id(webhookId)}/replay`, {
      body: { fromEventId: String(fromEventId) },
    }),
  };
  const events = {
    list: ({ after, limit } = {}) => request('GET', '/events', {
      query: { after: after === undefined || after === null ? undefined : String(after), limit },
    }),
  };

  return {
    baseUrl,
    tickets,
    webhooks,
    events,
    connect(connectOptions = {}) {
      return new Connection({
        ...opts,
        ...connectOptions,
        baseUrl,
        getToken,
        markSeenRest: tickets.markSeen,
      });
    },
  };
}

async function readBody(res) {
  const text = await res.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function toError(res, body) {
  const code = typeof body?.code === 'string' ? body.code : (codeByStatus[res.status] ?? 'HTTPError');
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${res.status}`;
  return new SupportdError(code, message, res.status, body);
}

function retryAfter(res) {
  const v = Number(res.headers.get('Retry-After'));
  return Number.isFinite(v) && v > 0 ? Math.min(v, 30) * 1000 : null;
}

// backoff is the wait before retry n (0-based): 250 ms doubling, with full jitter.
function backoff(n) {
  return Math.random() * Math.min(4000, 250 * 2 ** (n + 1));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** newKey makes an Idempotency-Key: 128 random bits in hex (works outside secure contexts too). */
export function newKey() {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
