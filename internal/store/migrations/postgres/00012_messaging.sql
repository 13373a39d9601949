-- +goose Up
-- When a channel last received a customer's message, shown with its health.
ALTER TABLE channels ADD COLUMN last_inbound_at BIGINT NOT NULL DEFAULT 0;
-- The channel kinds a contact asked not to be messaged on (SMS "STOP"),
-- comma-separated.
ALTER TABLE contacts ADD COLUMN opt_outs TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN opt_outs;
ALTER TABLE channels DROP COLUMN last_inbound_at;
