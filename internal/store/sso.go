package store

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// AgentByOIDC returns the agent linked to subject at the OpenID provider
// issuer, with its teams.
func (s *Store) AgentByOIDC(ctx context.Context, issuer, subject string) (*domain.Agent, error) {
	a, err := scanAgent(s.rq.QueryRowContext(ctx,
		"SELECT "+agentColumns+" FROM agents WHERE oidc_issuer = $1 AND oidc_subject = $2 AND oidc_subject <> ''", issuer, subject))
	if err != nil {
		return nil, notFound("agent signing in as "+subject, err)
	}
	return a, s.loadAgentTeams(ctx, a)
}

// AgentOIDC returns the provider and subject agent id is linked to; both
// empty when it is not linked.
func (s *Store) AgentOIDC(ctx context.Context, id int64) (issuer, subject string, err error) {
	err = s.rq.QueryRowContext(ctx, "SELECT oidc_issuer, oidc_subject FROM agents WHERE id = $1", id).Scan(&issuer, &subject)
	if err != nil {
		return "", "", notFound(fmt.Sprintf("agent %d", id), err)
	}
	return issuer, subject, nil
}

// LinkOIDC links agent id to subject at issuer, so that later sign-ins
// find the agent even when the provider's e-mail address changes.
func (s *Store) LinkOIDC(ctx context.Context, id int64, issuer, subject string) error {
	res, err := s.q.ExecContext(ctx, "UPDATE agents SET oidc_issuer = $2, oidc_subject = $3, updated_at = $4 WHERE id = $1", id, issuer, subject, Now())
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("sso_subject_taken", fmt.Sprintf("another agent already signs in as %s", subject))
		}
		return fmt.Errorf("link agent %d to %s: %w", id, subject, err)
	}
	return mustAffect(res, fmt.Sprintf("agent %d", id))
}
