-- +goose Up
-- Messages reach the full-text index in batches after their commit
-- (Store.IndexText), not through a trigger inside every insert: FTS5 wrote
-- a segment per message that way and spent most of a busy writer's time
-- merging them. text_index remembers the last message indexed.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
CREATE TABLE text_index (
    name    TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO text_index (name, last_id) SELECT 'messages', COALESCE(MAX(id), 0) FROM messages;
-- Only rows already indexed may be taken out of the index.
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT last_id FROM text_index WHERE name = 'messages') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body_text ON messages
WHEN old.id <= (SELECT last_id FROM text_index WHERE name = 'messages') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.id, new.body_text);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
INSERT INTO messages_fts (rowid, body_text)
SELECT id, body_text FROM messages WHERE id > (SELECT last_id FROM text_index WHERE name = 'messages');
DROP TABLE text_index;
-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.id, new.body_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body_text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.id, new.body_text);
END;
-- +goose StatementEnd
