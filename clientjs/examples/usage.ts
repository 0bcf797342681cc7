// A typed use of @supportd/client: `tsc --noEmit -p .` checks it against index.d.ts,
// including the misuses marked @ts-expect-error.
import { createClient, SupportdError, type Ticket, type Counts, type ConnectionState } from '@supportd/client';

async function fetchToken(): Promise<string> {
  return 'token-from-your-backend';
}

export async function widget(render: (tickets: Ticket[]) => void): Promise<void> {
  const client = createClient({
    baseUrl: 'https://support.example.com',
    token: async ({ expired }) => (expired ? fetchToken() : 'cached-token'),
  });

  const page = await client.tickets.list({ status: 'pending', countByStatus: true, sort: '-updatedAt' });
  render(page.data);
  const counts: Counts | undefined = page.counts;
  void counts;

  const created = await client.tickets.create({
    title: 'Printer on fire', category: 'billing', threads: [{ message: 'Smoke everywhere' }],
  });
  const reply = await client.tickets.reply(created.data._id, { message: 'Still smoking' }, { idempotencyKey: 'retry-1' });
  const seenAt: string | null = reply.data.seenAt;
  void seenAt;
  await client.tickets.update(created.data._id, { status: 'resolved', assignee: null });
  await client.tickets.markSeen([reply.data._id]);
  const removed = await client.tickets.bulkRemove([created.data._id]);
  const n: number = removed.deleted;
  void n;

  try {
    await client.tickets.createGithubIssue(created.data._id);
  } catch (err) {
    if (err instanceof SupportdError && err.code === 'Forbidden' && err.status === 403) {
      // clients may not
    }
  }

  const conn = client.connect({ lastEventId: page.lastEventId });
  const off = conn.on('thread.added', (e) => {
    const message: string = e.data.message;
    const id: string = e.id;
    void message; void id;
  });
  conn.on('counts', (e) => { const pending: number = e.data.pending; void pending; });
  conn.on('ticket.status', (e) => { const s: 'pending' | 'progress' | 'resolved' | 'cancelled' = e.data.status; void s; });
  conn.on('typing', (e) => { const until: number = e.expiresAt; void until; void e.data.user.name; });
  conn.on('typing.stopped', (e) => void e.ticketId);
  conn.on('presence', (e) => { if ('agentsOnline' in e.data) void e.data.agentsOnline; else void e.data.online.length; });
  conn.on('state', (e) => { const s: ConnectionState = e.state; void s; void e.retryIn; });
  conn.on('reset', async () => { render((await client.tickets.list()).data); });
  conn.on('threads.seen', (e) => void e.data.threadIds);
  conn.on('ticket.deleted', (e) => void e.data._id);
  conn.on('hello', (e) => void e.data.user._id);
  conn.on('error', (e) => void e.data.code);
  conn.typing(created.data._id);
  await conn.markSeen([reply.data._id]);
  off();
  conn.close();

  // @ts-expect-error: not a status
  await client.tickets.update('x', { status: 'open' });
  // @ts-expect-error: not an event type
  conn.on('thread.created', () => {});
  // @ts-expect-error: threads are required
  await client.tickets.create({ title: 't', category: 'other' });
  // @ts-expect-error: token must be a string or a provider
  createClient({ baseUrl: 'x', token: 42 });
}

// Integrations: webhooks and the events feed.
export async function integrations(client: ReturnType<typeof createClient>): Promise<void> {
  const hook = await client.webhooks.create({ url: 'https://example.com/hook', events: ['thread.added'] });
  const secret: string = hook.data.secret;
  void secret;
  const attempts = await client.webhooks.deliveries(hook.data._id, { limit: 10 });
  const status: number = attempts.data[0].status;
  void status;
  await client.webhooks.replay(hook.data._id, 0);
  const page = await client.events.list({ after: '0', limit: 100 });
  await client.events.list({ after: page.lastEventId });
  await client.webhooks.delete(hook.data._id);
  // @ts-expect-error: not an event type
  await client.webhooks.create({ url: 'x', events: ['typing'] });
}
