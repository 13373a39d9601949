-- +goose Up
-- Business-hours calendars and SLA policies; each ticket keeps its running
-- due times so lists can sort by them and a checker can find what is due.
CREATE TABLE calendars (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    config     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    position     INTEGER NOT NULL DEFAULT 0,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    conditions   TEXT NOT NULL DEFAULT '{}',
    targets      TEXT NOT NULL,
    calendar_id  BIGINT REFERENCES calendars (id),
    warn_percent INTEGER NOT NULL DEFAULT 80,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

ALTER TABLE tickets ADD COLUMN last_agent_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN first_response_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN next_response_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN resolution_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_breached BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN sla_flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_paused_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_paused_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_next_check BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_sla_due ON tickets (sla_due, id);
CREATE INDEX tickets_sla_check ON tickets (sla_next_check);

-- +goose Down
DROP INDEX tickets_sla_check;
DROP INDEX tickets_sla_due;
ALTER TABLE tickets DROP COLUMN sla_next_check;
ALTER TABLE tickets DROP COLUMN sla_paused_ms;
ALTER TABLE tickets DROP COLUMN sla_paused_at;
ALTER TABLE tickets DROP COLUMN sla_flags;
ALTER TABLE tickets DROP COLUMN sla_breached;
ALTER TABLE tickets DROP COLUMN sla_due;
ALTER TABLE tickets DROP COLUMN resolution_due;
ALTER TABLE tickets DROP COLUMN next_response_due;
ALTER TABLE tickets DROP COLUMN first_response_due;
ALTER TABLE tickets DROP COLUMN sla_policy;
ALTER TABLE tickets DROP COLUMN last_agent_at;
DROP TABLE sla_policies;
DROP TABLE calendars;
