-- +goose Up
-- Prepared answers agents insert into replies.
CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL UNIQUE,
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE canned_responses;
