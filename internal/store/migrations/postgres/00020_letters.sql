-- +goose Up
-- A contact's postal address, as lines of text: where letters to the
-- customer go. Registered letters fill it from their sender address.
ALTER TABLE contacts ADD COLUMN address TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN address;
