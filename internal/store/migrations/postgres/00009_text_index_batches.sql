-- +goose Up
-- SQLite indexes message text in batches from this version on; PostgreSQL's
-- GIN index keeps its own pending list, so nothing changes here.
SELECT 1;

-- +goose Down
SELECT 1;
