-- +goose Up
-- Telephone calls: one row per call entry (a message of kind call), with
-- the state the telephone system reported last. The entry's meta shows it
-- on the timeline; this table is what routing (who is on a call), the
-- switchboard and reports query.
CREATE TABLE calls (
    message_id    BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    channel_id    BIGINT NOT NULL,
    call_id       TEXT NOT NULL,
    ticket_id     BIGINT NOT NULL,
    contact_id    BIGINT NOT NULL DEFAULT 0,
    direction     TEXT NOT NULL,
    customer      TEXT NOT NULL DEFAULT '',
    line          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    cause         TEXT NOT NULL DEFAULT '',
    agent_id      BIGINT NOT NULL DEFAULT 0,
    missed        BOOLEAN NOT NULL DEFAULT FALSE,
    callback_at   BIGINT NOT NULL DEFAULT 0,
    started_at    BIGINT NOT NULL,
    answered_at   BIGINT NOT NULL DEFAULT 0,
    ended_at      BIGINT NOT NULL DEFAULT 0,
    busy_until    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX calls_call ON calls (channel_id, call_id);
CREATE INDEX calls_agent ON calls (agent_id, busy_until);
CREATE INDEX calls_ticket ON calls (ticket_id);
-- An agent's phone: the extension or number the telephone system rings and
-- names them by.
ALTER TABLE agents ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE agents DROP COLUMN phone;
DROP TABLE calls;
