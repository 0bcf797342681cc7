-- Outbound webhooks: each keeps its position in the event log (the last event id
-- delivered or passed over), so restarts and crashes lose nothing, and a lease that
-- names the one instance delivering it until lease_expires. generation is bumped by a
-- replay, so that the holder notices its position moved under it.

-- +goose Up
CREATE TABLE webhooks (
    id            text PRIMARY KEY,
    url           text NOT NULL,
    events        text[] NOT NULL,
    secret        text NOT NULL,
    created_at    timestamptz NOT NULL,
    position      bigint NOT NULL,
    generation    bigint NOT NULL DEFAULT 0,
    lease_owner   text,
    lease_expires timestamptz
);

-- The recent attempts of each webhook, trimmed to the newest 100 as they are added.
CREATE TABLE webhook_attempts (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id    bigint NOT NULL,
    attempt     integer NOT NULL,
    status      integer NOT NULL,
    error       text,
    duration_ms bigint NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX webhook_attempts_recent ON webhook_attempts (webhook_id, seq);

-- GitHub delivery ids already handled: GitHub redelivers, the loop-back acts once.
CREATE TABLE github_deliveries (
    id text PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now()
);

-- The loop-back finds a ticket by its issue's URL.
CREATE INDEX tickets_issue_url ON tickets (issue_url) WHERE issue_url IS NOT NULL;

-- +goose Down
DROP INDEX tickets_issue_url;
DROP TABLE github_deliveries;
DROP TABLE webhook_attempts;
DROP TABLE webhooks;
