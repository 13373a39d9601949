package httpapi

import (
	"net/http"
	"strconv"

	"loket.dev/loket/internal/store"
)

// Sessions: an agent sees where they are signed in and ends sessions;
// admins do the same for any agent.

// sessionsOf lists an agent's sessions, marking currentID, the caller's.
func (s *Server) sessionsOf(r *http.Request, agentID int64, currentID string) ([]*store.Session, error) {
	list, err := s.store.Sessions(r.Context(), agentID)
	if err != nil {
		return nil, err
	}
	for _, ses := range list {
		ses.Current = currentID != "" && ses.ID == currentID
	}
	return list, nil
}

func (s *Server) listMySessions(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no sessions")
	}
	list, err := s.sessionsOf(r, p.agent.ID, p.sessionID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// revokeMySession ends one of the agent's sessions; ending the current one
// signs out.
func (s *Server) revokeMySession(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no sessions")
	}
	id := r.PathValue("sid")
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.DeleteAgentSession(r.Context(), p.agent.ID, id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "session.revoke", p.agent.Email, id)
	})
	if err != nil {
		return err
	}
	// The hub knows agents, not sessions: every stream of the agent
	// closes, and those of sessions still valid reconnect.
	s.hub.Drop(p.agent.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeMyOtherSessions ends every session of the agent but this one.
func (s *Server) revokeMyOtherSessions(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 || p.session == "" {
		return errorf(http.StatusForbidden, "forbidden", "only a signed-in agent has other sessions")
	}
	var n int64
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if n, err = tx.DeleteAgentSessions(r.Context(), p.agent.ID, p.session); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "session.revoke_others", p.agent.Email, strconv.FormatInt(n, 10))
	})
	if err != nil {
		return err
	}
	s.hub.Drop(p.agent.ID)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

func (s *Server) listAgentSessions(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.Agent(r.Context(), id); err != nil {
		return err
	}
	list, err := s.sessionsOf(r, id, p.sessionID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// revokeAgentSession is an admin ending one session of an agent.
func (s *Server) revokeAgentSession(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sid := r.PathValue("sid")
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		a, err := tx.Agent(r.Context(), id)
		if err != nil {
			return err
		}
		if err := tx.DeleteAgentSession(r.Context(), id, sid); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.session.revoke", a.Email, sid)
	})
	if err != nil {
		return err
	}
	s.hub.Drop(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeAgentSessions is an admin ending every session of an agent (but
// the admin's own, when the admin is that agent).
func (s *Server) revokeAgentSessions(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var n int64
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		a, err := tx.Agent(r.Context(), id)
		if err != nil {
			return err
		}
		if n, err = tx.DeleteAgentSessions(r.Context(), id, p.session); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.sessions.revoke", a.Email, strconv.FormatInt(n, 10))
	})
	if err != nil {
		return err
	}
	s.hub.Drop(id)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

// unlockAgent is an admin lifting the lock that failed sign-ins put on an
// agent's account.
func (s *Server) unlockAgent(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		a, err := tx.Agent(r.Context(), id)
		if err != nil {
			return err
		}
		if err := tx.Unlock(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.unlock", a.Email, "")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
