-- +goose Up
-- Handling time: the spans an agent had a ticket open in the agent app,
-- from the presence frames the app sends while it shows the ticket. A
-- ticket's handling time is the sum of its spans, over every agent.
CREATE TABLE handling (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL,
    agent_id   BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ms         BIGINT NOT NULL
);
CREATE INDEX handling_ticket ON handling (ticket_id);

-- +goose Down
DROP TABLE handling;
