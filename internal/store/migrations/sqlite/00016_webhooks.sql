-- +goose Up
-- Webhooks out: subscriptions of outside systems to Loket's events, and the
-- log of every delivery made to them. A delivery row is written in the same
-- transaction as the durable task that sends it, so none is lost or sent
-- twice; the row keeps each attempt's outcome for the admin to read.
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,            -- sealed with the secret key
    events          TEXT NOT NULL DEFAULT '[]', -- JSON list of event types
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT NOT NULL DEFAULT '', -- why Loket turned it off; empty when an admin did
    failures        INTEGER NOT NULL DEFAULT 0, -- consecutive failed deliveries
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    trigger_id      BIGINT NOT NULL,          -- the trigger task the event came from
    redelivery_of   BIGINT NOT NULL DEFAULT 0, -- the delivery an admin sent again; 0 for the first
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered or failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER NOT NULL DEFAULT 0,
    response_body   TEXT NOT NULL DEFAULT '', -- the first 2 KB
    error           TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT NOT NULL DEFAULT 0
);
-- One first delivery per webhook and trigger, so that a trigger handled
-- twice is delivered once.
CREATE UNIQUE INDEX webhook_deliveries_trigger ON webhook_deliveries (webhook_id, trigger_id) WHERE redelivery_of = 0;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
