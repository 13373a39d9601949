-- +goose Up
-- Public conversations (comments, mentions, reviews): a ticket opened by a
-- public post is public; a message keeps the post's details (link, rating,
-- the post it is under) as JSON.
ALTER TABLE tickets ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN public TEXT NOT NULL DEFAULT '';
-- Per channel: whether public replies need a second person's approval
-- ('' required, 'off'), who may approve (agent ids; empty: supervisors)
-- and the team's tone guide.
ALTER TABLE channels ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN approvers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE channels ADD COLUMN tone_guide_url TEXT NOT NULL DEFAULT '';
-- Where a polled channel (mentions, reviews) has read up to.
CREATE TABLE channel_cursors (
    channel_id BIGINT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    cursor TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A public post's author asked to identify (reviews cannot be answered
-- privately): the link's token, the e-mail address they gave and the
-- confirmation code sent there, kept as hashes.
CREATE TABLE identify_requests (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    code_hash TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE identify_requests;
DROP TABLE channel_cursors;
ALTER TABLE channels DROP COLUMN tone_guide_url;
ALTER TABLE channels DROP COLUMN approvers;
ALTER TABLE channels DROP COLUMN approval;
ALTER TABLE messages DROP COLUMN public;
ALTER TABLE tickets DROP COLUMN public;
