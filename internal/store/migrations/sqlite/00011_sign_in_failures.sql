-- +goose Up
-- Failed sign-ins to an agent's account since its last successful one, so
-- that the owner is told of them when signing in.
ALTER TABLE agents ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN failed_sign_in_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN failed_sign_in_from TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE agents DROP COLUMN failed_sign_in_from;
ALTER TABLE agents DROP COLUMN failed_sign_in_at;
ALTER TABLE agents DROP COLUMN failed_sign_ins;
