-- A ticket's threads are ordered by (created_at, id), which is total: pages of a long
-- conversation (the latest n, or those before a given thread) are a backward scan of
-- this index that stops after n rows. It replaces threads_ticket, whose seq order ids
-- also follow (ids increase within an instance, as seq does).

-- +goose Up
CREATE INDEX threads_ticket_order ON threads (ticket_id, created_at, id);
DROP INDEX threads_ticket;

-- +goose Down
CREATE INDEX threads_ticket ON threads (ticket_id, created_at, seq);
DROP INDEX threads_ticket_order;
