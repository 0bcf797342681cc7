-- A client's socket replays only its own tickets' events: this keeps that read off
-- every other client's events.

-- +goose Up
CREATE INDEX events_client ON events (client_id, id) WHERE id IS NOT NULL;

-- +goose Down
DROP INDEX events_client;
