package httpapi

import (
	"errors"
	"net/http"
	"sort"

	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
)

type presenceRequest struct {
	Presence string `json:"presence"`
}

// setPresence switches the calling agent online, away or offline.
func (s *Server) setPresence(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req presenceRequest
	if err := decode(w, r, 1<<10, &req); err != nil {
		return err
	}
	if p.agent.ID == 0 {
		return domain.Invalid("not_an_agent", "an API token has no presence; sign in as an agent")
	}
	since, err := s.desk.SetPresence(r.Context(), p.agent, req.Presence)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"presence": req.Presence, "since": since})
	return nil
}

// getNext assigns the calling agent the best waiting ticket it can take.
func (s *Server) getNext(w http.ResponseWriter, r *http.Request, p *principal) error {
	if s.router == nil {
		return errorf(http.StatusServiceUnavailable, "routing_unavailable", "routing is not running")
	}
	if p.agent.Presence != domain.PresenceOnline {
		return domain.Invalid("not_online", "set your presence to online to take work")
	}
	t, err := s.router.GetNext(r.Context(), p.agent.ID)
	if errors.Is(err, dispatch.ErrUnavailable) {
		w.Header().Set("Retry-After", "5")
		return errorf(http.StatusServiceUnavailable, "routing_unavailable", "%s", err)
	} else if err != nil {
		return err
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// queues shows supervisors every queue and agent live.
func (s *Server) queues(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if s.router == nil {
		return errorf(http.StatusServiceUnavailable, "routing_unavailable", "routing is not running")
	}
	v, err := s.router.View(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// waitTime is one channel's expected wait for a new conversation.
type waitTime struct {
	ChannelID       int64  `json:"channel_id"`
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	Staffed         bool   `json:"staffed"`
	EstimatedWaitMs int64  `json:"estimated_wait_ms"`
}

// waitTimes tells customers (a website, the bot) how long a new
// conversation would wait on each enabled channel, fastest staffed first.
func (s *Server) waitTimes(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if s.router == nil {
		return errorf(http.StatusServiceUnavailable, "routing_unavailable", "routing is not running")
	}
	channels, err := s.store.Channels(r.Context(), "")
	if err != nil {
		return err
	}
	out := []waitTime{}
	for _, ch := range channels {
		if !ch.Enabled || ch.TeamID == 0 {
			continue
		}
		wait, staffed := s.router.EstimatedWait(ch.TeamID, ch.Kind)
		out = append(out, waitTime{ChannelID: ch.ID, Kind: ch.Kind, Name: ch.Name, Staffed: staffed, EstimatedWaitMs: wait.Milliseconds()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Staffed != out[j].Staffed {
			return out[i].Staffed
		}
		return out[i].EstimatedWaitMs < out[j].EstimatedWaitMs
	})
	w.Header().Set("Cache-Control", "public, max-age=5")
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
	return nil
}
