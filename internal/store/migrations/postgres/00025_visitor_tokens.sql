-- +goose Up
-- When a website visitor's token was issued: it is replaced with a new one
-- once it is a week old, as the visitor comes back.
ALTER TABLE webchat_visitors ADD COLUMN token_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webchat_visitors DROP COLUMN token_at;
