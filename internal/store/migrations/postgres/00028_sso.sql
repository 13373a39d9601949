-- +goose Up
-- Single sign-on: the OpenID provider (issuer) and its subject an agent
-- signs in as, linked on the first sign-in; e-mail addresses can change
-- at the provider, the subject does not.
ALTER TABLE agents ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX agents_oidc ON agents (oidc_issuer, oidc_subject) WHERE oidc_subject <> '';

-- +goose Down
DROP INDEX agents_oidc;
ALTER TABLE agents DROP COLUMN oidc_subject;
ALTER TABLE agents DROP COLUMN oidc_issuer;
