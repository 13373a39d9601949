package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"loket.dev/loket/internal/domain"
)

const agentColumns = "id, email, name, role, language, disabled, created_at, presence, presence_at, skills, capacity, presence_auto, phone, totp_enabled"

func scanAgent(row interface{ Scan(...any) error }, extra ...any) (*domain.Agent, error) {
	var a domain.Agent
	var skills, capacity string
	dest := append([]any{&a.ID, &a.Email, &a.Name, &a.Role, &a.Language, &a.Disabled, &a.CreatedAt,
		&a.Presence, &a.PresenceAt, &skills, &capacity, &a.PresenceAuto, &a.Phone, &a.TwoFactor}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if a.Skills, err = decodeStrings(skills); err != nil {
		return nil, fmt.Errorf("skills of agent %d: %w", a.ID, err)
	}
	if a.Capacity, err = decodeCapacity(capacity); err != nil {
		return nil, fmt.Errorf("capacity of agent %d: %w", a.ID, err)
	}
	return &a, nil
}

// encodeCapacity stores a capacity as JSON, nil as the empty string.
func encodeCapacity(c *domain.Capacity) string {
	if c == nil {
		return ""
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func decodeCapacity(s string) (*domain.Capacity, error) {
	if s == "" {
		return nil, nil
	}
	var c domain.Capacity
	return &c, json.Unmarshal([]byte(s), &c)
}

// CreateAgent stores a new agent with an already hashed password: every
// field UpdateAgent saves, so a new agent is what a later read returns.
func (s *Store) CreateAgent(ctx context.Context, a *domain.Agent, passwordHash string) error {
	now := Now()
	if a.Language == "" {
		a.Language = "en"
	}
	if a.Skills == nil {
		a.Skills = []string{}
	}
	a.Presence = domain.PresenceOffline
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO agents (email, name, role, password_hash, language, disabled, skills, capacity, phone, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9) RETURNING id`,
		a.Email, a.Name, a.Role, passwordHash, a.Language, a.Disabled, encodeStrings(a.Skills), encodeCapacity(a.Capacity), now, a.Phone).Scan(&a.ID)
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("email_taken", fmt.Sprintf("an agent with e-mail %s already exists", a.Email))
		}
		return fmt.Errorf("create agent %s: %w", a.Email, err)
	}
	a.CreatedAt = now
	return nil
}

// Agent returns the agent with id, with its teams.
func (s *Store) Agent(ctx context.Context, id int64) (*domain.Agent, error) {
	a, err := scanAgent(s.rq.QueryRowContext(ctx, "SELECT "+agentColumns+" FROM agents WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("agent %d", id), err)
	}
	return a, s.loadAgentTeams(ctx, a)
}

// AgentLogin returns the agent with email and its password hash.
func (s *Store) AgentLogin(ctx context.Context, email string) (*domain.Agent, string, error) {
	var hash string
	a, err := scanAgent(s.rq.QueryRowContext(ctx, "SELECT "+agentColumns+", password_hash FROM agents WHERE email = $1", strings.ToLower(email)), &hash)
	if err != nil {
		return nil, "", notFound("agent "+email, err)
	}
	return a, hash, s.loadAgentTeams(ctx, a)
}

func (s *Store) loadAgentTeams(ctx context.Context, a *domain.Agent) error {
	ids, err := s.int64s(ctx, "SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id", a.ID)
	if err != nil {
		return fmt.Errorf("teams of agent %d: %w", a.ID, err)
	}
	a.TeamIDs = ids
	return nil
}

// Agents lists every agent.
func (s *Store) Agents(ctx context.Context) ([]*domain.Agent, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+agentColumns+" FROM agents ORDER BY name, id")
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	var out []*domain.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list agents: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	for _, a := range out {
		if err := s.loadAgentTeams(ctx, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountAgents returns how many agents exist.
func (s *Store) CountAgents(ctx context.Context) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, "SELECT COUNT(*) FROM agents").Scan(&n)
	return n, err
}

// UpdateAgent saves name, role, language, disabled, skills, capacity and phone;
// passwordHash is changed only when not empty. Presence has SetPresence.
func (s *Store) UpdateAgent(ctx context.Context, a *domain.Agent, passwordHash string) error {
	res, err := s.q.ExecContext(ctx,
		`UPDATE agents SET name = $2, role = $3, language = $4, disabled = $5,
		 password_hash = CASE WHEN $6 = '' THEN password_hash ELSE $6 END, updated_at = $7, skills = $8, capacity = $9, phone = $10 WHERE id = $1`,
		a.ID, a.Name, a.Role, a.Language, a.Disabled, passwordHash, Now(), encodeStrings(a.Skills), encodeCapacity(a.Capacity), a.Phone)
	if err != nil {
		return fmt.Errorf("update agent %d: %w", a.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("agent %d", a.ID))
}

// SetPresence records an agent's presence, whether Loket set it (auto)
// rather than the agent, and when it last changed; at is kept when the
// presence stays the same. An agent choosing a presence counts as seen.
func (s *Store) SetPresence(ctx context.Context, agentID int64, presence string, auto bool, at int64) (int64, error) {
	err := s.q.QueryRowContext(ctx,
		`UPDATE agents SET presence = $2, presence_auto = $4,
		 presence_at = CASE WHEN presence = $2 AND presence_at > 0 THEN presence_at ELSE $3 END,
		 seen_at = CASE WHEN $4 THEN seen_at ELSE $3 END
		 WHERE id = $1 RETURNING presence_at`, agentID, presence, at, auto).Scan(&at)
	if err != nil {
		return 0, notFound(fmt.Sprintf("agent %d", agentID), err)
	}
	return at, nil
}

// TouchAgents records that the agents' apps are connected at at.
func (s *Store) TouchAgents(ctx context.Context, ids []int64, at int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{at}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	if _, err := s.q.ExecContext(ctx, "UPDATE agents SET seen_at = $1 WHERE id IN ("+strings.Join(ph, ", ")+")", args...); err != nil {
		return fmt.Errorf("touch agents: %w", err)
	}
	return nil
}

// UnseenOnline returns the agents online whose app has not been connected
// since before.
func (s *Store) UnseenOnline(ctx context.Context, before int64) ([]int64, error) {
	return s.int64s(ctx, "SELECT id FROM agents WHERE presence = 'online' AND seen_at < $1 AND NOT disabled ORDER BY id", before)
}

// SetAgentTeams replaces the teams an agent belongs to.
func (s *Store) SetAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM team_members WHERE agent_id = $1", agentID); err != nil {
		return fmt.Errorf("set teams of agent %d: %w", agentID, err)
	}
	for _, t := range teamIDs {
		if _, err := s.q.ExecContext(ctx, "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", t, agentID); err != nil {
			if isForeignKey(err) {
				return domain.Invalid("unknown_team", fmt.Sprintf("team %d does not exist", t))
			}
			return fmt.Errorf("set teams of agent %d: %w", agentID, err)
		}
	}
	return nil
}

// TeamSkills returns the skills the enabled members of a team have, each
// once.
func (s *Store) TeamSkills(ctx context.Context, teamID int64) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT a.skills FROM agents a JOIN team_members m ON m.agent_id = a.id
		WHERE m.team_id = $1 AND NOT a.disabled`, teamID)
	if err != nil {
		return nil, fmt.Errorf("skills of team %d: %w", teamID, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	out := []string{}
	for rows.Next() {
		var enc string
		if err := rows.Scan(&enc); err != nil {
			return nil, fmt.Errorf("skills of team %d: %w", teamID, err)
		}
		skills, err := decodeStrings(enc)
		if err != nil {
			return nil, fmt.Errorf("skills of team %d: %w", teamID, err)
		}
		for _, sk := range skills {
			if !seen[sk] {
				seen[sk] = true
				out = append(out, sk)
			}
		}
	}
	return out, rows.Err()
}

// CreateTeam stores a new team.
func (s *Store) CreateTeam(ctx context.Context, t *domain.Team) error {
	t.CreatedAt = Now()
	if t.Mode == "" {
		t.Mode = domain.ModeManual
	}
	err := s.q.QueryRowContext(ctx,
		"INSERT INTO teams (name, created_at, mode, capacity, reassign_after_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		t.Name, t.CreatedAt, t.Mode, encodeCapacity(t.Capacity), t.ReassignAfter*1000).Scan(&t.ID)
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("name_taken", fmt.Sprintf("a team named %q already exists", t.Name))
		}
		return fmt.Errorf("create team %s: %w", t.Name, err)
	}
	return nil
}

// Teams lists every team with its members.
func (s *Store) Teams(ctx context.Context) ([]*domain.Team, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT t.id, t.name, t.created_at, t.mode, t.capacity, t.reassign_after_ms, m.agent_id
		FROM teams t LEFT JOIN team_members m ON m.team_id = t.id ORDER BY t.name, t.id, m.agent_id`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []*domain.Team
	for rows.Next() {
		var t domain.Team
		var agent nullInt
		var capacity string
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedAt, &t.Mode, &capacity, &t.ReassignAfter, &agent); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
		t.ReassignAfter /= 1000
		var err error
		if t.Capacity, err = decodeCapacity(capacity); err != nil {
			return nil, fmt.Errorf("capacity of team %d: %w", t.ID, err)
		}
		if n := len(out); n == 0 || out[n-1].ID != t.ID {
			t.AgentIDs = []int64{}
			out = append(out, &t)
		}
		if agent.Valid {
			last := out[len(out)-1]
			last.AgentIDs = append(last.AgentIDs, agent.Int64)
		}
	}
	return out, rows.Err()
}

// UpdateTeam saves a team's name and routing settings.
func (s *Store) UpdateTeam(ctx context.Context, t *domain.Team) error {
	res, err := s.q.ExecContext(ctx, "UPDATE teams SET name = $2, mode = $3, capacity = $4, reassign_after_ms = $5 WHERE id = $1",
		t.ID, t.Name, t.Mode, encodeCapacity(t.Capacity), t.ReassignAfter*1000)
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("name_taken", fmt.Sprintf("a team named %q already exists", t.Name))
		}
		return fmt.Errorf("update team %d: %w", t.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("team %d", t.ID))
}

// APIToken is a named credential for systems calling the API.
type APIToken struct {
	ID   int64       `json:"id"`
	Name string      `json:"name"`
	Role domain.Role `json:"role"`
	// Scope limits the token to one use: ScopeEvents may only post
	// events. Empty: everything its role may do.
	Scope      string `json:"scope,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt int64  `json:"last_used_at,omitempty"`
}

// ScopeEvents is the scope of a token that may only post events.
const ScopeEvents = "events"

// CreateAPIToken stores a token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, t *APIToken, tokenHash string) error {
	t.CreatedAt = Now()
	err := s.q.QueryRowContext(ctx, "INSERT INTO api_tokens (name, token_hash, role, scope, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		t.Name, tokenHash, t.Role, t.Scope, t.CreatedAt).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// APITokenByHash finds a token.
func (s *Store) APITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error) {
	var t APIToken
	err := s.rq.QueryRowContext(ctx, "SELECT id, name, role, scope, created_at, last_used_at FROM api_tokens WHERE token_hash = $1", tokenHash).
		Scan(&t.ID, &t.Name, &t.Role, &t.Scope, &t.CreatedAt, &t.LastUsedAt)
	if err != nil {
		return nil, notFound("token", err)
	}
	return &t, nil
}

func (s *Store) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	return s.int64sQ(ctx, s.rq, query, args...)
}

func (s *Store) int64sQ(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, errNotFound)
	}
	return nil
}

// Team returns one team with its members.
func (s *Store) Team(ctx context.Context, id int64) (*domain.Team, error) {
	teams, err := s.Teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("team %d: %w", id, domain.ErrNotFound)
}
