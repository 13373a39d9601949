-- +goose Up
-- Times are Unix milliseconds (UTC) in both dialects, so queries and
-- comparisons are identical on SQLite and PostgreSQL.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket_number', 10000), ('contact_number', 0);

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    password_hash TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT 'en',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members (agent_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id   BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL DEFAULT 'admin',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE channels (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    settings           TEXT NOT NULL DEFAULT '{}',
    secrets            TEXT NOT NULL DEFAULT '',
    inbound_token_hash TEXT NOT NULL UNIQUE,
    team_id            BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    enabled            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    language    TEXT NOT NULL DEFAULT '',
    attributes  TEXT NOT NULL DEFAULT '{}',
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    merged_into BIGINT REFERENCES contacts (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX contacts_name ON contacts (name);

CREATE TABLE identities (
    id         INTEGER PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE contact_merges (
    id            INTEGER PRIMARY KEY,
    survivor_id   BIGINT NOT NULL REFERENCES contacts (id),
    merged_id     BIGINT NOT NULL REFERENCES contacts (id),
    merged_number TEXT NOT NULL,
    agent_id      BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    number            BIGINT NOT NULL UNIQUE,
    contact_id        BIGINT NOT NULL REFERENCES contacts (id),
    subject           TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    priority          TEXT NOT NULL DEFAULT 'normal',
    team_id           BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    assignee_id       BIGINT REFERENCES agents (id) ON DELETE SET NULL,
    channel_id        BIGINT REFERENCES channels (id),
    follow_up_of      BIGINT REFERENCES tickets (id),
    first_customer_at BIGINT NOT NULL DEFAULT 0,
    first_response_at BIGINT NOT NULL DEFAULT 0,
    last_customer_at  BIGINT NOT NULL DEFAULT 0,
    solved_at         BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_status ON tickets (status, updated_at, id);
CREATE INDEX tickets_team ON tickets (team_id, status, updated_at, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status, updated_at, id);
CREATE INDEX tickets_contact ON tickets (contact_id, channel_id, status);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

CREATE TABLE ticket_threads (
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    thread_key TEXT NOT NULL,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (channel_id, thread_key)
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    ticket_id       BIGINT NOT NULL REFERENCES tickets (id),
    channel_id      BIGINT REFERENCES channels (id),
    kind            TEXT NOT NULL,
    direction       TEXT NOT NULL DEFAULT '',
    author_type     TEXT NOT NULL,
    author_id       BIGINT NOT NULL DEFAULT 0,
    address_kind    TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    body_text       TEXT NOT NULL DEFAULT '',
    body_html       TEXT NOT NULL DEFAULT '',
    external_id     TEXT,
    delivery_status TEXT NOT NULL DEFAULT '',
    delivery_error  TEXT NOT NULL DEFAULT '',
    raw_sha256      TEXT NOT NULL DEFAULT '',
    meta            TEXT NOT NULL DEFAULT '{}',
    provider_at     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (channel_id, external_id)
);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   BIGINT NOT NULL REFERENCES messages (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content_id   TEXT NOT NULL DEFAULT '',
    inline       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      BIGINT NOT NULL UNIQUE REFERENCES messages (id),
    channel_id      BIGINT NOT NULL REFERENCES channels (id),
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    run_at          BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, run_at);

CREATE TABLE inbound_dead (
    id           INTEGER PRIMARY KEY,
    channel_id   BIGINT NOT NULL REFERENCES channels (id),
    content_type TEXT NOT NULL,
    payload      BLOB NOT NULL,
    error        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 1,
    resolved_at  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- Full-text search over message text: an external-content FTS5 table kept
-- in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body_text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
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

-- +goose Down
SELECT 1;
