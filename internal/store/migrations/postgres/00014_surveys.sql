-- +goose Up
-- Satisfaction (CSAT) and recommendation (NPS) surveys: one row per survey
-- asked of a contact after a solve, from scheduling to its answer. A row
-- outlives restarts, so a due survey is sent by whichever node sweeps next.
CREATE TABLE surveys (
    id          BIGSERIAL PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id  BIGINT NOT NULL,
    channel_id  BIGINT NOT NULL,
    team_id     BIGINT NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,           -- csat or nps
    language    TEXT NOT NULL DEFAULT '',
    token_hash  TEXT NOT NULL DEFAULT '', -- SHA-256 of the link's signed token
    due_at      BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL DEFAULT 0,
    skipped     TEXT NOT NULL DEFAULT '', -- why it was not sent (outside_window, opted_out, ...)
    message_id  BIGINT NOT NULL DEFAULT 0,
    answered_at BIGINT NOT NULL DEFAULT 0,
    score       INTEGER NOT NULL DEFAULT -1,
    comment     TEXT NOT NULL DEFAULT '',
    commented_at BIGINT NOT NULL DEFAULT 0,
    -- Until when the contact's next message on the channel is the comment
    -- (after a tap on a button); 0 for answers given on the page.
    comment_until BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
-- The sweep's work: due and neither sent nor skipped.
CREATE INDEX surveys_due ON surveys (due_at) WHERE sent_at = 0 AND skipped = '';
CREATE INDEX surveys_contact ON surveys (contact_id, kind, created_at);
CREATE INDEX surveys_answered ON surveys (answered_at) WHERE answered_at > 0;
CREATE UNIQUE INDEX surveys_ticket_kind ON surveys (ticket_id, kind);

-- +goose Down
DROP TABLE surveys;
