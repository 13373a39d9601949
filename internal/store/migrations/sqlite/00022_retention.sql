-- +goose Up
-- Retention: a channel may keep solved tickets for a number of days, after
-- which their content is erased (anonymised: the rows and times stay for
-- reports); erased_at marks a ticket whose content is gone.
ALTER TABLE channels ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN erased_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_retention ON tickets (channel_id, solved_at) WHERE erased_at = 0 AND solved_at > 0;

-- +goose Down
DROP INDEX tickets_retention;
ALTER TABLE tickets DROP COLUMN erased_at;
ALTER TABLE channels DROP COLUMN retention_days;
