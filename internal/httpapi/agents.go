package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

type agentRequest struct {
	Email    *string      `json:"email"`
	Name     *string      `json:"name"`
	Role     *domain.Role `json:"role"`
	Language *string      `json:"language"`
	Password *string      `json:"password"`
	Disabled *bool        `json:"disabled"`
	TeamIDs  *[]int64     `json:"team_ids"`
	Skills   *[]string    `json:"skills"`
	Phone    *string      `json:"phone"`
	// Capacity is absent to keep, null to use the team's, or an object.
	Capacity optional[domain.Capacity] `json:"capacity"`
}

var languages = map[string]bool{"en": true, "nl": true, "de": true}

func (req *agentRequest) apply(a *domain.Agent) (passwordHash string, err error) {
	if req.Name != nil {
		a.Name = strings.TrimSpace(*req.Name)
	}
	if req.Role != nil {
		a.Role = *req.Role
	}
	if req.Language != nil {
		a.Language = *req.Language
	}
	if req.Disabled != nil {
		a.Disabled = *req.Disabled
	}
	if req.Skills != nil {
		if a.Skills, err = domain.NormalizeSkills(*req.Skills); err != nil {
			return "", err
		}
	}
	if req.Phone != nil {
		if a.Phone, err = domain.NormalizeAgentPhone(*req.Phone); err != nil {
			return "", err
		}
	}
	if req.Capacity.Set {
		if err := req.Capacity.Value.Validate(); err != nil {
			return "", err
		}
		a.Capacity = req.Capacity.Value
	}
	if a.Name == "" {
		return "", domain.Invalid("invalid_name", "name is required")
	}
	if !a.Role.Valid() {
		return "", domain.Invalid("invalid_role", "role must be admin, supervisor or agent")
	}
	if !languages[a.Language] {
		return "", domain.Invalid("invalid_language", "language must be en, nl or de")
	}
	if req.Password != nil {
		return hashNewPassword(*req.Password, a)
	}
	return "", nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, _ *principal) error {
	agents, err := s.store.Agents(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": nonNil(agents)})
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.Agent(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req agentRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	if req.Email == nil || req.Password == nil {
		return domain.Invalid("missing_field", "email and password are required")
	}
	email, err := domain.NormalizeEmail(*req.Email)
	if err != nil {
		return err
	}
	a := &domain.Agent{Email: email, Role: domain.RoleAgent, Language: "en"}
	hash, err := req.apply(a)
	if err != nil {
		return err
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreateAgent(r.Context(), a, hash); err != nil {
			return err
		}
		if req.TeamIDs != nil {
			if err := tx.SetAgentTeams(r.Context(), a.ID, *req.TeamIDs); err != nil {
				return err
			}
			a.TeamIDs = *req.TeamIDs
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.create", a.Email, string(a.Role))
	})
	if err != nil {
		return err
	}
	if a.TeamIDs == nil {
		a.TeamIDs = []int64{}
	}
	s.desk.AgentsChanged(r.Context(), a.ID)
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req agentRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	if req.Email != nil {
		return domain.Invalid("immutable_field", "an agent's e-mail cannot be changed; create a new agent")
	}
	var a *domain.Agent
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if a, err = tx.Agent(r.Context(), id); err != nil {
			return err
		}
		hash, err := req.apply(a)
		if err != nil {
			return err
		}
		if err := tx.UpdateAgent(r.Context(), a, hash); err != nil {
			return err
		}
		if req.TeamIDs != nil {
			if err := tx.SetAgentTeams(r.Context(), a.ID, *req.TeamIDs); err != nil {
				return err
			}
			a.TeamIDs = *req.TeamIDs
		}
		if hash != "" || a.Disabled {
			if _, err := tx.DeleteAgentSessions(r.Context(), a.ID, ""); err != nil {
				return err
			}
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.update", a.Email, "")
	})
	if err != nil {
		return err
	}
	if a.Disabled || req.TeamIDs != nil || req.Role != nil {
		s.hub.Drop(a.ID) // open streams were authorised with the old rights
	}
	s.desk.AgentsChanged(r.Context(), a.ID)
	writeJSON(w, http.StatusOK, a)
	return nil
}

type teamRequest struct {
	Name          *string                   `json:"name"`
	Mode          *string                   `json:"mode"`
	Capacity      optional[domain.Capacity] `json:"capacity"`
	ReassignAfter *int64                    `json:"reassign_after_seconds"`
}

// apply sets the fields the request names on t and checks the result.
func (req *teamRequest) apply(t *domain.Team) error {
	if req.Name != nil {
		t.Name = strings.TrimSpace(*req.Name)
	}
	if t.Name == "" {
		return domain.Invalid("invalid_name", "name is required")
	}
	if req.Mode != nil {
		if err := domain.ValidMode(*req.Mode); err != nil {
			return err
		}
		t.Mode = *req.Mode
	}
	if req.Capacity.Set {
		if err := req.Capacity.Value.Validate(); err != nil {
			return err
		}
		t.Capacity = req.Capacity.Value
	}
	if req.ReassignAfter != nil {
		if *req.ReassignAfter < 0 || *req.ReassignAfter > 7*24*3600 {
			return domain.Invalid("invalid_reassign_after", "reassign_after_seconds must be from 0 (never) to 604800 (a week)")
		}
		t.ReassignAfter = *req.ReassignAfter
	}
	return nil
}

// optional is a JSON field that can be absent (Set false), null (Value
// nil) or a value.
type optional[T any] struct {
	Set   bool
	Value *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	o.Value = new(T)
	return json.Unmarshal(b, o.Value)
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, _ *principal) error {
	teams, err := s.store.Teams(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": nonNil(teams)})
	return nil
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req teamRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	t := &domain.Team{AgentIDs: []int64{}, Mode: domain.ModeManual}
	if err := req.apply(t); err != nil {
		return err
	}
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreateTeam(r.Context(), t); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "team.create", t.Name, "")
	})
	if err != nil {
		return err
	}
	s.desk.TeamChanged(r.Context(), t.ID)
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req teamRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	var t *domain.Team
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if t, err = tx.Team(r.Context(), id); err != nil {
			return err
		}
		if err := req.apply(t); err != nil {
			return err
		}
		if err := tx.UpdateTeam(r.Context(), t); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "team.update", t.Name, "")
	})
	if err != nil {
		return err
	}
	s.desk.TeamChanged(r.Context(), t.ID)
	writeJSON(w, http.StatusOK, t)
	return nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
