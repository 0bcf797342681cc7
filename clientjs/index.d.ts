// Type declarations of @supportd/client (handwritten; checked by `tsc --noEmit`).
// The shapes are those of supportd's reference (docs/rest.md, docs/realtime.md).

/** A 24 lower-case hex character id. */
export type Id = string;
/** A UTC ISO-8601 time with milliseconds, e.g. "2024-01-15T10:30:00.000Z". */
export type Time = string;
/** An event id: a decimal string of one increasing sequence. */
export type EventId = string;

export type Role = 'client' | 'superAdmin';
export type Status = 'pending' | 'progress' | 'resolved' | 'cancelled';
export type Category =
  | 'billing' | 'integration' | 'smartCheck' | 'smartScan' | 'smartEnroll' | 'smartAccess' | 'other';

export interface Person {
  _id: Id;
  name: string;
}

export interface Thread {
  _id: Id;
  message: string;
  /** When the other side first saw it; null until then. */
  seenAt: Time | null;
  supportTicket: Id;
  /** The ticket's client (for an agent's thread too). */
  client: Person | null;
  /** The agent who wrote it; null for a client's thread. */
  superAdmin: Person | null;
  attachments: Id[];
  createdAt: Time;
  updatedAt: Time;
}

export interface Ticket {
  _id: Id;
  title: string;
  subject: string | null;
  category: Category;
  status: Status;
  number: number;
  api: string | null;
  issueUrl: string | null;
  assignee: Person | null;
  client: Person;
  /** The latest threads, oldest first: 20 in a list, 100 from `get`; page the rest with `tickets.threads`. */
  threads: Thread[];
  /** How many threads the ticket has in all (REST answers only; not in events). */
  threadsTotal: number;
  /** Threads by the other side the caller has not seen, of all its threads (REST answers only; not in events). */
  unread: number;
  createdAt: Time;
  updatedAt: Time;
}

/** A ticket as events carry it: no `unread` (it depends on the reader), no `threadsTotal` (`ticket.created` carries every thread). */
export type EventTicket = Omit<Ticket, 'unread' | 'threadsTotal'>;

export interface Counts {
  all: number;
  open: number;
  closed: number;
  pending: number;
  progress: number;
  resolved: number;
  cancelled: number;
}

export type Sort = '-createdAt' | 'createdAt' | '-updatedAt' | 'updatedAt' | '-number' | 'number';

export interface ListParams {
  page?: number;
  /** 1–100, default 10. */
  limit?: number;
  status?: Status;
  category?: Category;
  countByStatus?: boolean;
  sort?: Sort;
  /** Search: every word must occur in the title, subject or a message. */
  q?: string;
  /** Super admins only: one client's tickets. */
  client?: Id;
  /** Super admins only: one agent's tickets. */
  assignee?: Id;
}

/** A snapshot: what it reflects is every event up to lastEventId. */
export interface Snapshot {
  /** X-Last-Event-Id: connect with it to miss nothing after this snapshot. */
  lastEventId: EventId | null;
}

export interface ListResult extends Snapshot {
  data: Ticket[];
  limit: number;
  page: number;
  pages: number;
  total: number;
  /** With countByStatus: counts over every filter but status. */
  counts?: Counts;
}

export interface TicketResult extends Snapshot {
  data: Ticket;
}

export interface NewThread {
  message: string;
  attachments?: Id[];
}

export interface CreateTicketBody {
  title: string;
  category: Category;
  threads: NewThread[];
  subject?: string;
  api?: string;
  /** Super admins only (required for them): the client the ticket is for. */
  client?: Id;
}

export type ReplyBody = NewThread;

export interface UpdateTicketBody {
  title?: string;
  category?: Category;
  status?: Status;
  subject?: string | null;
  api?: string | null;
  /** Super admins only: an agent's id, or null to unassign. */
  assignee?: Id | null;
  /** Super admins only. */
  issueUrl?: string | null;
}

/** A write's answer: X-Last-Event-Id, the newest event id once the write's own events were numbered (null when the server could not number them in time). */
export interface Written {
  lastEventId: EventId | null;
}

export interface Completed extends Written {
  status: 'completed';
}

export interface BulkRemoved extends Completed {
  deleted: number;
}

export interface GithubIssue {
  id: number;
  number: number;
  title: string;
  html_url: string;
  body: string;
  labels: string[];
  assignees: string[];
}

export interface GithubIssueResult extends Written {
  data: { githubIssue: GithubIssue; issueUrl: string };
}

export interface WriteOptions {
  /** Reuse a key to retry a create or reply made earlier; by default a new one is made per call. */
  idempotencyKey?: string;
}

export type ErrorCode =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'MethodNotAllowed' | 'Conflict' | 'Gone'
  | 'PayloadTooLarge' | 'TooManyRequests' | 'InternalError' | 'BadGateway' | 'ServiceUnavailable'
  | 'GatewayTimeout' | 'HTTPError' | 'NetworkError' | 'Timeout';

/** Every failed call throws this: the server's code and message, and the HTTP status (0 when no answer came). */
export class SupportdError extends Error {
  constructor(code: ErrorCode | string, message: string, status: number, body?: unknown, options?: { cause?: unknown });
  readonly name: 'SupportdError';
  code: ErrorCode | string;
  status: number;
  /** The parsed error body, e.g. with `counts`. */
  body: unknown;
}

export interface ThreadsParams {
  /** A thread of the ticket: the page holds the threads before it. */
  before?: Id;
  /** 1–100, default 50. */
  limit?: number;
}

export interface ThreadsPage {
  /** Oldest first. */
  data: Thread[];
  /** Whether threads older than `data[0]` remain. */
  hasMore: boolean;
}

export interface Tickets {
  /** GET /support-tickets. Nothing found is an empty page, not an error. */
  list(params?: ListParams): Promise<ListResult>;
  /** GET /support-tickets/{id}. */
  get(id: Id): Promise<TicketResult>;
  /** GET /support-tickets/{id}/threads: threads older than `before` (default: the newest), oldest first; `limit` 1–100, default 50. */
  threads(id: Id, params?: ThreadsParams): Promise<ThreadsPage>;
  /** POST /support-tickets/insert, with an Idempotency-Key (reused by its retries). */
  create(body: CreateTicketBody, options?: WriteOptions): Promise<{ data: Ticket } & Written>;
  /** POST /support-tickets/{id}/thread, with an Idempotency-Key (reused by its retries). */
  reply(id: Id, body: ReplyBody, options?: WriteOptions): Promise<{ data: Thread } & Written>;
  /** PUT /support-tickets/{id}. */
  update(id: Id, body: UpdateTicketBody): Promise<Completed>;
  /** DELETE /support-tickets/{id}. */
  remove(id: Id): Promise<Completed>;
  /** POST /support-tickets/bulk: ids the caller cannot see are skipped. */
  bulkRemove(ids: Id[]): Promise<BulkRemoved>;
  /** PUT /support-tickets/threads/seen. */
  markSeen(threadIds: Id[]): Promise<Completed>;
  /** POST /support-tickets/{id}/github-issue (super admins). Never retried automatically. */
  createGithubIssue(id: Id): Promise<GithubIssueResult>;
}

/** Called before every request and (re)connection; `expired` is true after the server refused the last token. */
export type TokenProvider = (info: { expired: boolean }) => string | Promise<string>;

/** The WebSocket constructor: the browser's, Node's (`--experimental-websocket`), or the ws package's. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: any) => any) | null;
  onmessage: ((ev: { data: any }) => any) | null;
  onerror: ((ev: any) => any) | null;
  onclose: ((ev: { code: number; reason: string }) => any) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** Where supportd answers, e.g. "https://support.example.com" (no trailing /ws or path). */
  baseUrl: string;
  token: string | TokenProvider;
  /** fetch to use; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** WebSocket constructor for connect(); default globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Automatic retries of a call on no answer, 429, 502, 503 or 504 (default 2). */
  retries?: number;
  /** Per-request timeout in ms (default 30000). */
  timeout?: number;
}

export interface ConnectOptions {
  /** Resume after this event id (e.g. a snapshot's lastEventId): the server replays what came after. */
  lastEventId?: EventId | null;
  WebSocket?: WebSocketConstructor;
  /** ms between pings (default 10000). */
  heartbeatInterval?: number;
  /** ms without any message (with a ping unanswered) after which the socket counts as dead (default 30000). */
  heartbeatTimeout?: number;
  /** ms a typing event lasts (default 6000, the contract's). */
  typingTimeout?: number;
  /** First reconnect delay in ms (default 500); doubles per failed attempt, with jitter. */
  reconnectDelay?: number;
  /** Cap of the reconnect delay in ms (default 30000). */
  maxReconnectDelay?: number;
}

export type ConnectionState = 'connecting' | 'replaying' | 'live' | 'offline';

/** A recorded event: it has an id and is replayed on resume. */
export interface RecordedEvent<T extends string, D> {
  type: T;
  id: EventId;
  ticketId: Id;
  at: Time;
  data: D;
}

export interface HelloEvent {
  type: 'hello';
  data: { role: Role; user: Person; lastEventId: EventId };
}
/** Who is online, as a socket was told: super admins get the agents online (sorted by _id); clients get how many there are. */
export type Presence = { online: Person[] } | { agentsOnline: number };
export interface PresenceEvent {
  type: 'presence';
  /** The whole state, after the snapshot that follows hello and after every change (the same as Connection.presence). */
  data: Presence;
}
/** Super admins: who joined and who left since the last change (may repeat what the snapshot already showed). */
export interface PresenceChangedEvent {
  type: 'presence.changed';
  data: { joined: Person[]; left: Person[] };
}
export interface TypingEvent {
  type: 'typing';
  ticketId: Id;
  data: { user: Person; role: Role };
  /** Date.now() value at which it lapses unless another typing comes (then 'typing.stopped' fires). */
  expiresAt: number;
}
export interface TypingStoppedEvent {
  type: 'typing.stopped';
  ticketId: Id;
  data: { user: Person; role: Role };
}
export interface ResetEvent {
  type: 'reset';
  data: Record<string, never>;
}
export interface PongEvent {
  type: 'pong';
  data: Record<string, never>;
}
export interface ServerErrorEvent {
  type: 'error';
  data: { code: ErrorCode | string; message: string };
}
export interface StateEvent {
  type: 'state';
  state: ConnectionState;
  previous: ConnectionState;
  /** When offline: the close code (0 when no socket was made, 4000 for a heartbeat timeout, 4001 token expired). */
  code?: number;
  reason?: string;
  /** When offline and reconnecting: ms until the next attempt. */
  retryIn?: number;
}

export interface EventMap {
  hello: HelloEvent;
  presence: PresenceEvent;
  'presence.changed': PresenceChangedEvent;
  'ticket.created': RecordedEvent<'ticket.created', EventTicket>;
  'ticket.updated': RecordedEvent<'ticket.updated', Omit<EventTicket, 'threads'>>;
  'ticket.status': RecordedEvent<'ticket.status', { status: Status; previousStatus: Status }>;
  'ticket.deleted': RecordedEvent<'ticket.deleted', { _id: Id }>;
  'thread.added': RecordedEvent<'thread.added', Thread>;
  'threads.seen': RecordedEvent<'threads.seen', { threadIds: Id[]; seenAt: Time }>;
  counts: RecordedEvent<'counts', Counts>;
  typing: TypingEvent;
  'typing.stopped': TypingStoppedEvent;
  reset: ResetEvent;
  pong: PongEvent;
  error: ServerErrorEvent;
  state: StateEvent;
}

export type EventType = keyof EventMap;

export class Connection {
  private constructor();
  readonly state: ConnectionState;
  /** The newest event id delivered, or null (before any, and after a reset). */
  readonly lastEventId: EventId | null;
  /** The current socket's hello data, or null while not connected. */
  readonly hello: HelloEvent['data'] | null;
  /** Who is online: the socket's presence snapshot with the changes since; null before it and once the socket drops. */
  readonly presence: Presence | null;
  /** Whether the stream has passed this event id (e.g. a write's lastEventId): its events were delivered or predate the connection. */
  reached(id: EventId | null | undefined): boolean;
  /** Registers a handler; returns a function that removes it. */
  on<K extends EventType>(type: K, handler: (event: EventMap[K]) => void): () => void;
  /** Sends typing for a ticket (at most once per 2 s per ticket); false when not sent. */
  typing(ticketId: Id): boolean;
  /** Marks threads seen over the socket, or over REST when the socket is down. */
  markSeen(threadIds: Id[]): Promise<void>;
  /** Closes for good (no reconnect); state becomes offline. */
  close(): void;
}

// Integrations: webhooks (super admins) and the events feed.

/** The recorded event types a webhook can choose. */
export type WebhookEventType =
  | 'ticket.created' | 'ticket.updated' | 'ticket.status' | 'ticket.deleted'
  | 'thread.added' | 'threads.seen' | 'counts';

export interface Webhook {
  _id: Id;
  url: string;
  events: WebhookEventType[];
  /** `whsec_…`: only in the answer of create. */
  secret?: string;
  createdAt: Time;
}

export interface WebhookDelivery {
  eventId: EventId;
  attempt: number;
  /** The endpoint's HTTP status; 0 when it did not answer. */
  status: number;
  error: string | null;
  durationMs: number;
  at: Time;
}

export interface Webhooks {
  /** POST /webhooks: `events` defaults to every type but counts. Not retried automatically. */
  create(body: { url: string; events?: WebhookEventType[] }): Promise<{ data: Webhook & { secret: string } }>;
  /** GET /webhooks (without secrets). */
  list(): Promise<{ data: Webhook[] }>;
  /** DELETE /webhooks/{id}. */
  delete(id: Id): Promise<Completed>;
  /** GET /webhooks/{id}/deliveries: recent attempts, newest first. */
  deliveries(id: Id, params?: { limit?: number }): Promise<{ data: WebhookDelivery[] }>;
  /** POST /webhooks/{id}/replay: delivery restarts after that event id. */
  replay(id: Id, fromEventId: EventId | number): Promise<{ status: 'accepted' }>;
}

export interface EventsPage {
  /** The caller's events, in order, as its socket would get them. */
  data: RecordedEvent<string, unknown>[];
  /** Pass as `after` for the next page. */
  lastEventId: EventId;
}

export interface Events {
  /** GET /events: throws SupportdError 'Gone' (410) when `after` is older than the log keeps. */
  list(params?: { after?: EventId | number; limit?: number }): Promise<EventsPage>;
}

export interface Client {
  readonly baseUrl: string;
  readonly tickets: Tickets;
  readonly webhooks: Webhooks;
  readonly events: Events;
  /** Opens the realtime connection; it reconnects by itself until close(). */
  connect(options?: ConnectOptions): Connection;
}

export function createClient(options: ClientOptions): Client;

/** A fresh Idempotency-Key (128 random bits, hex). */
export function newKey(): string;
