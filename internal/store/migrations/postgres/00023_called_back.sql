-- +goose Up
-- When an agent called back after a missed call: the call log's Missed
-- list holds only the calls still waiting for that.
ALTER TABLE calls ADD COLUMN called_back_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE calls DROP COLUMN called_back_at;
