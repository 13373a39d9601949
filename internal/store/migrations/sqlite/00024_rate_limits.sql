-- +goose Up
-- Rate limits several nodes share: per key, the theoretical arrival time
-- of the next act (GCRA, Unix ms). A key whose time has passed is at its
-- full allowance and may be pruned.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
