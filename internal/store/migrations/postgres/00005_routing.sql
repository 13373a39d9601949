-- +goose Up
-- Routing: agents' presence, skills and capacity; teams' assignment mode;
-- the skills a ticket needs. The FAQ bot's hold on a ticket and the
-- customer's rating live on the ticket too.
ALTER TABLE agents ADD COLUMN presence TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE agents ADD COLUMN presence_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
ALTER TABLE agents ADD COLUMN capacity TEXT NOT NULL DEFAULT '';

ALTER TABLE teams ADD COLUMN mode TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE teams ADD COLUMN capacity TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN reassign_after_ms BIGINT NOT NULL DEFAULT 0;

ALTER TABLE tickets ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN bot_state TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN csat_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN csat_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN csat_at BIGINT NOT NULL DEFAULT 0;

-- The routing leader's live view of queues and agents, for every node.
CREATE TABLE routing_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE routing_state;
ALTER TABLE tickets DROP COLUMN csat_at;
ALTER TABLE tickets DROP COLUMN csat_comment;
ALTER TABLE tickets DROP COLUMN csat_score;
ALTER TABLE tickets DROP COLUMN bot_state;
ALTER TABLE tickets DROP COLUMN skills;
ALTER TABLE teams DROP COLUMN reassign_after_ms;
ALTER TABLE teams DROP COLUMN capacity;
ALTER TABLE teams DROP COLUMN mode;
ALTER TABLE agents DROP COLUMN capacity;
ALTER TABLE agents DROP COLUMN skills;
ALTER TABLE agents DROP COLUMN presence_at;
ALTER TABLE agents DROP COLUMN presence;
