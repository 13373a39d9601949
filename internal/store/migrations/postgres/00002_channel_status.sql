-- +goose Up
-- A channel's connector reports its health here (for example "imap: login
-- failed"), so that errors are visible in the API rather than only in logs.
ALTER TABLE channels ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN status_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE channels DROP COLUMN status_at;
ALTER TABLE channels DROP COLUMN status;
