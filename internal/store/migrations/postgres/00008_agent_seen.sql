-- +goose Up
-- When an agent's app was last connected, so an agent who left without
-- signing out stops getting work, and whether its away was automatic.
ALTER TABLE agents ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN presence_auto BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE agents DROP COLUMN presence_auto;
ALTER TABLE agents DROP COLUMN seen_at;
