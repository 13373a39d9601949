-- +goose Up
-- Facts the reports need that later changes overwrite: how often a solved
-- ticket was reopened, and which SLA targets were ever breached (bits 1
-- first response, 2 next response, 4 resolution; sla_breached is cleared
-- once no target runs). Reopens start counting now; breaches of older
-- tickets are taken from their timeline.
ALTER TABLE tickets ADD COLUMN reopens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_breaches INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET sla_breaches = sla_breaches | 1 WHERE id IN (SELECT ticket_id FROM messages WHERE kind = 'event'
    AND meta LIKE '%"event":"sla.breached"%' AND meta LIKE '%"target":"first_response"%');
UPDATE tickets SET sla_breaches = sla_breaches | 2 WHERE id IN (SELECT ticket_id FROM messages WHERE kind = 'event'
    AND meta LIKE '%"event":"sla.breached"%' AND meta LIKE '%"target":"next_response"%');
UPDATE tickets SET sla_breaches = sla_breaches | 4 WHERE id IN (SELECT ticket_id FROM messages WHERE kind = 'event'
    AND meta LIKE '%"event":"sla.breached"%' AND meta LIKE '%"target":"resolution"%');
-- Reports select tickets by creation and count messages by time (covering,
-- so that counting never reads a message itself).
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX messages_created ON messages (created_at, kind, direction, channel_id, ticket_id);

-- +goose Down
DROP INDEX messages_created;
DROP INDEX tickets_created;
ALTER TABLE tickets DROP COLUMN sla_breaches;
ALTER TABLE tickets DROP COLUMN reopens;
