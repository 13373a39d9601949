-- +goose Up
-- Durable background tasks other than message deliveries: running rules on
-- a recorded trigger, delivering a webhook, a scheduled rule. A task is a
-- row written in the transaction that made it due; workers lease it like
-- an outbox job, so it runs once across nodes and survives restarts. A
-- non-empty key makes adding the same task twice a no-op.
CREATE TABLE tasks (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    dedup_key    TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL DEFAULT 'pending', -- pending, done, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    run_at       BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX tasks_key ON tasks (dedup_key) WHERE dedup_key <> '';
CREATE INDEX tasks_due ON tasks (run_at) WHERE state = 'pending';
CREATE INDEX tasks_finished ON tasks (updated_at) WHERE state <> 'pending';

-- Automation rules: on a trigger, if the conditions hold, run the actions.
-- Every save is a new version, kept in rule_versions; runs name the version
-- that acted.
CREATE TABLE rules (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    trigger_type TEXT NOT NULL,
    event_name  TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    conditions  TEXT NOT NULL DEFAULT '{}',
    actions     TEXT NOT NULL DEFAULT '[]',
    builtin     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);
CREATE TABLE rule_versions (
    rule_id     BIGINT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    trigger_type TEXT NOT NULL,
    event_name  TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL,
    conditions  TEXT NOT NULL,
    actions     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, version)
);
-- One row per rule that acted; the key (rule and trigger task, or rule,
-- ticket and moment for scheduled rules) keeps a rule from acting twice
-- on the same thing.
CREATE TABLE rule_runs (
    id         BIGSERIAL PRIMARY KEY,
    rule_id    BIGINT NOT NULL,
    version    INTEGER NOT NULL,
    run_key    TEXT NOT NULL UNIQUE,
    trigger_type TEXT NOT NULL,
    ticket_id  BIGINT NOT NULL DEFAULT 0,
    contact_id BIGINT NOT NULL DEFAULT 0,
    actions    TEXT NOT NULL DEFAULT '[]',
    error      TEXT NOT NULL DEFAULT '',
    finished_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX rule_runs_rule ON rule_runs (rule_id, id);
CREATE INDEX rule_runs_ticket ON rule_runs (ticket_id, rule_id, created_at);

-- Keys of the changes rule actions made, each written in the transaction
-- of its change: an action run again after a crash finds its key and is
-- not done twice. ref is what the change made, such as a ticket's id.
CREATE TABLE action_keys (
    action_key TEXT PRIMARY KEY,
    ref        BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX action_keys_created ON action_keys (created_at);

-- Events other systems (a web shop, an ERP) tell about a contact, such as
-- order.placed; deduplicated by the sender's idempotency key.
CREATE TABLE contact_events (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    contact_id      BIGINT NOT NULL,
    data            TEXT NOT NULL DEFAULT '{}',
    idempotency_key TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
-- A key is the sender's: one system's keys never meet another's, nor
-- those of another kind of event.
CREATE UNIQUE INDEX contact_events_key ON contact_events (source, name, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX contact_events_contact ON contact_events (contact_id, id);

-- Message templates per language, filled with a ticket's, contact's or
-- event's data.
CREATE TABLE message_templates (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    language   TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (name, language)
);

-- Campaigns send a message template to a filtered list of contacts,
-- throttled, with one result per contact.
CREATE TABLE campaigns (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    template        TEXT NOT NULL,
    channel_ids     TEXT NOT NULL DEFAULT '[]',
    send_hours      TEXT NOT NULL DEFAULT '',
    filter          TEXT NOT NULL DEFAULT '{}',
    rate_per_minute INTEGER NOT NULL,
    recipients      INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
CREATE TABLE campaign_recipients (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id  BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'pending', -- pending, sent, skipped, failed
    message_id  BIGINT NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, contact_id)
);

-- A reply can wait for its time: its outbox job is due at send_at.
ALTER TABLE messages ADD COLUMN send_at BIGINT NOT NULL DEFAULT 0;
-- Replies held for a second person's approval, for the reviewers' list.
CREATE INDEX messages_awaiting_approval ON messages (id) WHERE delivery_status = 'awaiting_approval';

-- An API token may be limited to one use, such as posting events.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN scope;
DROP INDEX messages_awaiting_approval;
ALTER TABLE messages DROP COLUMN send_at;
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
DROP TABLE message_templates;
DROP TABLE contact_events;
DROP TABLE action_keys;
DROP TABLE rule_runs;
DROP TABLE rule_versions;
DROP TABLE rules;
DROP TABLE tasks;
