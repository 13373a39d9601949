-- +goose Up
-- Website chat: visitors are browsers known by an unguessable token (only
-- its SHA-256 is stored); each conversation is one thread of the channel,
-- so its ticket is found through ticket_threads.
CREATE TABLE webchat_visitors (
    id         INTEGER PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    public_id  TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    language   TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX webchat_visitors_user ON webchat_visitors (channel_id, user_id);

CREATE TABLE webchat_conversations (
    id            INTEGER PRIMARY KEY,
    visitor_id    BIGINT NOT NULL REFERENCES webchat_visitors (id),
    channel_id    BIGINT NOT NULL REFERENCES channels (id),
    thread_key    TEXT NOT NULL,
    agent_read_at BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (channel_id, thread_key)
);
CREATE INDEX webchat_conversations_visitor ON webchat_conversations (visitor_id, id);

-- Which conversation a ticket belongs to, when an event names only the ticket.
CREATE INDEX ticket_threads_ticket ON ticket_threads (ticket_id);

-- +goose Down
DROP INDEX ticket_threads_ticket;
DROP TABLE webchat_conversations;
DROP TABLE webchat_visitors;
