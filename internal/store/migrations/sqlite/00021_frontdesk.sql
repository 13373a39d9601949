-- +goose Up
-- The front desk's visitor queue: one row per visit checked in at a desk
-- channel, with its queue number of the day and where it stands. The
-- visit's entry on the ticket's timeline is message_id.
CREATE TABLE desk_visits (
    id          INTEGER PRIMARY KEY,
    channel_id  BIGINT NOT NULL,
    day         TEXT NOT NULL,
    number      INTEGER NOT NULL,
    label       TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    contact_id  BIGINT NOT NULL,
    message_id  BIGINT NOT NULL,
    topic       TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    counter     TEXT NOT NULL DEFAULT '',
    agent_id    BIGINT NOT NULL DEFAULT 0,
    arrived_at  BIGINT NOT NULL,
    called_at   BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT NOT NULL DEFAULT 0,
    notes       TEXT NOT NULL DEFAULT '',
    UNIQUE (channel_id, day, number)
);
CREATE INDEX desk_visits_queue ON desk_visits (channel_id, status, arrived_at);
CREATE INDEX desk_visits_finished ON desk_visits (channel_id, finished_at);

-- The last queue number handed out per desk channel and day.
CREATE TABLE desk_visit_numbers (
    channel_id BIGINT NOT NULL,
    day        TEXT NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (channel_id, day)
);

-- +goose Down
DROP TABLE desk_visit_numbers;
DROP TABLE desk_visits;
