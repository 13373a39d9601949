-- +goose Up
-- The volume report's counts per hour, channel and team, so that a year is
-- a few thousand rows instead of every message. Triggers append each change
-- to report_hour_deltas in the writing transaction (an insert, so writers
-- never wait on one another's counters); the leader folds the deltas into
-- report_hours (Store.FoldReportHours), and a report reads both. Tickets
-- count under their own channel, messages under theirs, both under the
-- ticket's current team: a ticket moved to another team takes its counts
-- along (Store.UpdateTicket appends the deltas of the move).
CREATE TABLE report_hours (
    hour         INTEGER NOT NULL, -- Unix ms of the hour's start
    channel_id   INTEGER NOT NULL, -- 0: none
    team_id      INTEGER NOT NULL, -- 0: none
    tickets      INTEGER NOT NULL DEFAULT 0,
    messages_in  INTEGER NOT NULL DEFAULT 0,
    messages_out INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel_id, team_id)
) WITHOUT ROWID;
CREATE INDEX report_hours_team ON report_hours (team_id, hour);
CREATE TABLE report_hour_deltas (
    id           INTEGER PRIMARY KEY,
    hour         INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    team_id      INTEGER NOT NULL,
    tickets      INTEGER NOT NULL DEFAULT 0,
    messages_in  INTEGER NOT NULL DEFAULT 0,
    messages_out INTEGER NOT NULL DEFAULT 0
);
INSERT INTO report_hours (hour, channel_id, team_id, tickets, messages_in, messages_out)
SELECT hour, channel_id, team_id, SUM(tickets), SUM(messages_in), SUM(messages_out) FROM (
    SELECT created_at / 3600000 * 3600000 AS hour, COALESCE(channel_id, 0) AS channel_id, COALESCE(team_id, 0) AS team_id,
        1 AS tickets, 0 AS messages_in, 0 AS messages_out
    FROM tickets
    UNION ALL
    SELECT m.created_at / 3600000 * 3600000, COALESCE(m.channel_id, 0), COALESCE(t.team_id, 0),
        0, m.direction = 'in', m.direction = 'out'
    FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.kind = 'message' AND m.direction IN ('in', 'out')
) GROUP BY hour, channel_id, team_id;
-- +goose StatementBegin
CREATE TRIGGER report_hours_ticket AFTER INSERT ON tickets BEGIN
    INSERT INTO report_hour_deltas (hour, channel_id, team_id, tickets)
    VALUES (new.created_at / 3600000 * 3600000, COALESCE(new.channel_id, 0), COALESCE(new.team_id, 0), 1);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER report_hours_message AFTER INSERT ON messages
WHEN new.kind = 'message' AND new.direction IN ('in', 'out') BEGIN
    INSERT INTO report_hour_deltas (hour, channel_id, team_id, messages_in, messages_out)
    SELECT new.created_at / 3600000 * 3600000, COALESCE(new.channel_id, 0), COALESCE(t.team_id, 0),
        new.direction = 'in', new.direction = 'out'
    FROM tickets t WHERE t.id = new.ticket_id;
END;
-- +goose StatementEnd
-- Next responses: each agent reply, after the first, to a customer who
-- wrote since the agent side last replied, measured as the SLA measures it
-- (from the customer's latest message). Recorded by the desk as it sends;
-- older ones are taken from the messages. The speed report reads them by
-- the tickets created in its period.
CREATE TABLE next_responses (
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    customer_at INTEGER NOT NULL,
    agent_at    INTEGER NOT NULL
);
CREATE INDEX next_responses_ticket ON next_responses (ticket_id);
INSERT INTO next_responses (ticket_id, customer_at, agent_at)
SELECT ticket_id, last_customer, created_at FROM (
    SELECT ticket_id, created_at, direction, author_type,
        MAX(CASE WHEN direction = 'in' THEN created_at END) OVER w AS last_customer,
        MAX(CASE WHEN direction = 'out' AND author_type = 'agent' THEN created_at END) OVER w AS last_agent
    FROM messages WHERE kind = 'message' AND direction IN ('in', 'out')
    WINDOW w AS (PARTITION BY ticket_id ORDER BY created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
) x WHERE direction = 'out' AND author_type = 'agent' AND last_agent IS NOT NULL AND last_customer > last_agent;
-- Speed, SLA and outcome read the tickets of one team by creation.
CREATE INDEX tickets_team_created ON tickets (team_id, created_at);

-- +goose Down
DROP INDEX tickets_team_created;
DROP TABLE next_responses;
DROP TRIGGER report_hours_message;
DROP TRIGGER report_hours_ticket;
DROP TABLE report_hour_deltas;
DROP TABLE report_hours;
