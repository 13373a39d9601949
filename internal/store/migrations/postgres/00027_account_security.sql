-- +goose Up
-- Two-factor sign-in with a time-based code (TOTP): the secret, sealed
-- with the data directory's key; whether the agent confirmed it; and the
-- last time step a code was accepted for, so that no code counts twice.
ALTER TABLE agents ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- Lockout: failed sign-ins counted in a window that starts at the first
-- of them, the end of the current lock, and how many locks came in a row
-- (each lasts longer).
ALTER TABLE agents ADD COLUMN lock_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN lock_window_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;

-- One-time recovery codes for when the authenticator is lost, by hash.
CREATE TABLE recovery_codes (
    agent_id  BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (agent_id, code_hash)
);

-- Sessions get a public id (the token's hash stays secret), and what the
-- agent sees of them in the list of their sessions.
ALTER TABLE sessions ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET id = md5(random()::text || token_hash), seen_at = created_at;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- A password accepted, a second factor still to come: the short-lived
-- token that lets its bearer give the code, and nothing else.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    agent_id   BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Settings of the whole desk that admins change, by key; the value is JSON.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE sign_in_challenges;
DROP INDEX sessions_id;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN ip;
ALTER TABLE sessions DROP COLUMN seen_at;
ALTER TABLE sessions DROP COLUMN id;
DROP TABLE recovery_codes;
ALTER TABLE agents DROP COLUMN lockouts;
ALTER TABLE agents DROP COLUMN locked_until;
ALTER TABLE agents DROP COLUMN lock_window_at;
ALTER TABLE agents DROP COLUMN lock_failures;
ALTER TABLE agents DROP COLUMN totp_last_step;
ALTER TABLE agents DROP COLUMN totp_enabled;
ALTER TABLE agents DROP COLUMN totp_secret;
