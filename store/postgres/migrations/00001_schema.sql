-- The whole schema of supportd's PostgreSQL store. Times are written already truncated
-- to milliseconds by the application, so every timestamptz round-trips exactly.

-- +goose Up

-- pg_trgm lets the search's ILIKE '%word%' use GIN indexes instead of scanning.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- people are clients and super admins as their tokens last named them; tickets and
-- threads keep only ids and join the latest name at read time.
CREATE TABLE people (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL CHECK (role IN ('client', 'superAdmin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Ticket numbers are shown to people: they start at 1001 like the reference API's.
CREATE SEQUENCE ticket_number_seq START 1001;

CREATE TABLE tickets (
    id             text PRIMARY KEY,
    number         bigint NOT NULL DEFAULT nextval('ticket_number_seq') UNIQUE,
    title          text NOT NULL,
    subject        text,
    category       text NOT NULL CHECK (category IN ('billing', 'integration', 'smartCheck',
                       'smartScan', 'smartEnroll', 'smartAccess', 'other')),
    status         text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'progress', 'resolved', 'cancelled')),
    api            text,
    issue_url      text,
    assignee_id    text,
    client_id      text NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    -- unread_client: agent threads the client side has not seen; unread_support: client
    -- threads no agent has seen. Kept in step by every write that adds or sees threads.
    unread_client  integer NOT NULL DEFAULT 0,
    unread_support integer NOT NULL DEFAULT 0
) WITH (fillfactor = 90); -- room for HOT updates of the unread counters

ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;

-- One index per (scope, sort) so that every list page is an ordered index scan that stops
-- after offset+limit rows; the id column is the tiebreaker of the ORDER BY.
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_client_created ON tickets (client_id, created_at, id);
CREATE INDEX tickets_client_updated ON tickets (client_id, updated_at, id);
CREATE INDEX tickets_client_number ON tickets (client_id, number);
-- A status tab of a super admin's list, where the status may be rare.
CREATE INDEX tickets_status_created ON tickets (status, created_at, id);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at, id);
CREATE INDEX tickets_status_number ON tickets (status, number);
-- An agent's tickets: their counts by status read the index alone.
CREATE INDEX tickets_assignee ON tickets (assignee_id, status) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_title_trgm ON tickets USING gin (title gin_trgm_ops);
CREATE INDEX tickets_subject_trgm ON tickets USING gin (subject gin_trgm_ops);

CREATE TABLE threads (
    -- seq keeps the threads of one insert, which share created_at, in insertion order.
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    id             text PRIMARY KEY,
    ticket_id      text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message        text NOT NULL,
    super_admin_id text, -- null: written by the ticket's client
    attachments    text[] NOT NULL DEFAULT '{}',
    seen_at        timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE INDEX threads_ticket ON threads (ticket_id, created_at, seq);
CREATE INDEX threads_message_trgm ON threads USING gin (message gin_trgm_ops);

-- Status counts kept up to date by the triggers below, so that list badges never recount.
CREATE TABLE ticket_counts (
    client_id text NOT NULL,
    category  text NOT NULL,
    status    text NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (client_id, category, status)
);

-- The global counts are spread over 16 shards (by backend pid) so that concurrent writers
-- rarely wait on the same row; readers sum the shards.
CREATE TABLE ticket_counts_global (
    shard    integer NOT NULL,
    category text NOT NULL,
    status   text NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (shard, category, status)
);

-- ticket_counts_apply adds the net change of one statement on tickets to the counts. It
-- runs once per statement over the transition tables, and applies its deltas in key
-- order so that two statements touching the same rows lock them in the same order and
-- cannot deadlock (a bulk delete touches many rows at once).
-- +goose StatementBegin
CREATE FUNCTION ticket_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d_client   text[];
    d_category text[];
    d_status   text[];
    d_n        bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(client_id ORDER BY client_id, category, status),
               array_agg(category ORDER BY client_id, category, status),
               array_agg(status ORDER BY client_id, category, status),
               array_agg(n ORDER BY client_id, category, status)
          INTO d_client, d_category, d_status, d_n
          FROM (SELECT client_id, category, status, count(*) AS n
                  FROM new_rows GROUP BY 1, 2, 3) d;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(client_id ORDER BY client_id, category, status),
               array_agg(category ORDER BY client_id, category, status),
               array_agg(status ORDER BY client_id, category, status),
               array_agg(n ORDER BY client_id, category, status)
          INTO d_client, d_category, d_status, d_n
          FROM (SELECT client_id, category, status, -count(*) AS n
                  FROM old_rows GROUP BY 1, 2, 3) d;
    ELSE
        SELECT array_agg(client_id ORDER BY client_id, category, status),
               array_agg(category ORDER BY client_id, category, status),
               array_agg(status ORDER BY client_id, category, status),
               array_agg(n ORDER BY client_id, category, status)
          INTO d_client, d_category, d_status, d_n
          FROM (SELECT client_id, category, status, sum(n) AS n
                  FROM (SELECT client_id, category, status, 1 AS n FROM new_rows
                        UNION ALL
                        SELECT client_id, category, status, -1 FROM old_rows) x
                 GROUP BY 1, 2, 3
                HAVING sum(n) <> 0) d;
    END IF;
    IF d_client IS NULL THEN
        RETURN NULL; -- nothing that counts changed (most updates)
    END IF;

    INSERT INTO ticket_counts AS c (client_id, category, status, n)
    SELECT * FROM unnest(d_client, d_category, d_status, d_n) AS u(client_id, category, status, n)
     ORDER BY 1, 2, 3
        ON CONFLICT (client_id, category, status) DO UPDATE SET n = c.n + EXCLUDED.n;

    INSERT INTO ticket_counts_global AS g (shard, category, status, n)
    SELECT pg_backend_pid() % 16, category, status, sum(n)
      FROM unnest(d_category, d_status, d_n) AS u(category, status, n)
     GROUP BY 2, 3
    HAVING sum(n) <> 0
     ORDER BY 2, 3
        ON CONFLICT (shard, category, status) DO UPDATE SET n = g.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tickets_counts_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_apply();
CREATE TRIGGER tickets_counts_update AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_apply();
CREATE TRIGGER tickets_counts_delete AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_apply();

-- The event log (outbox). Writers insert with id NULL in the transaction of the change;
-- the sequencer numbers committed rows afterwards, so ids follow commit order. data is
-- json, not jsonb, so that payloads come back byte for byte (key order included).
CREATE TABLE events (
    pk        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id        bigint UNIQUE,
    type      text NOT NULL,
    ticket_id text NOT NULL,
    client_id text NOT NULL,
    at        timestamptz NOT NULL,
    data      json
);

-- The sequencer's scan for unnumbered events stays small however long the log is.
CREATE INDEX events_pending ON events (pk) WHERE id IS NULL;

-- The last id handed out: it never goes back, even when pruning empties the log.
CREATE TABLE event_cursor (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id bigint NOT NULL
);
INSERT INTO event_cursor (last_id) VALUES (0);

-- Idempotency keys: the key row is inserted first in the transaction of the create, so a
-- concurrent request with the same key waits on the primary key until the first ends.
CREATE TABLE idempotency (
    caller_id  text NOT NULL,
    key        text NOT NULL,
    hash       text NOT NULL,
    body       json,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller_id, key)
);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE event_cursor;
DROP TABLE events;
DROP TABLE ticket_counts_global;
DROP TABLE ticket_counts;
DROP TABLE threads;
DROP TABLE tickets;
DROP FUNCTION ticket_counts_apply();
DROP TABLE people;
