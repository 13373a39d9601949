package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
)

type calendarRequest struct {
	Name   string             `json:"name"`
	Config sla.CalendarConfig `json:"config"`
}

func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request, _ *principal) error {
	cs, err := s.store.Calendars(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"calendars": cs})
	return nil
}

func (s *Server) saveCalendar(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := optionalPathID(r)
	if err != nil {
		return err
	}
	var req calendarRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	c := &store.Calendar{ID: id, Name: strings.TrimSpace(req.Name), Config: req.Config}
	if c.Name == "" {
		return domain.Invalid("invalid_name", "name is required")
	}
	if _, err := sla.NewCalendar(c.Config); err != nil {
		return domain.Invalid("invalid_calendar", err.Error())
	}
	return s.saved(w, r, p, id, c, "calendar.save", c.Name, func(tx *store.Store) error { return tx.SaveCalendar(r.Context(), c) })
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request, _ *principal) error {
	ps, err := s.store.Policies(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": ps, "defaults": map[string]*sla.Policy{
		"live": sla.Default("webchat"), "messaging": sla.Default("whatsapp"), "email": sla.Default("email")}})
	return nil
}

var priorities = []string{"low", "normal", "high", "urgent"}

func (s *Server) savePolicy(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := optionalPathID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, 64<<10)
	if err != nil {
		return err
	}
	pol := sla.Policy{Enabled: true} // a new policy is on unless the body says otherwise
	if err := decodeBytes(body, &pol); err != nil {
		return err
	}
	pol.ID, pol.Name = id, strings.TrimSpace(pol.Name)
	if pol.Name == "" {
		return domain.Invalid("invalid_name", "name is required")
	}
	if pol.WarnPercent == 0 {
		pol.WarnPercent = 80
	}
	if pol.WarnPercent < 1 || pol.WarnPercent > 99 {
		return domain.Invalid("invalid_policy", "warn_percent must be between 1 and 99")
	}
	if _, ok := pol.Targets["normal"]; !ok {
		return domain.Invalid("invalid_policy", "targets must include at least \"normal\"")
	}
	for prio, tg := range pol.Targets {
		if !domain.Priority(prio).Valid() {
			return domain.Invalid("invalid_policy", fmt.Sprintf("targets: unknown priority %q; use %s", prio, strings.Join(priorities, ", ")))
		}
		if tg.FirstResponse < 0 || tg.NextResponse < 0 || tg.Resolution < 0 {
			return domain.Invalid("invalid_policy", "targets are minutes and cannot be negative")
		}
	}
	return s.saved(w, r, p, id, &pol, "sla_policy.save", pol.Name, func(tx *store.Store) error { return tx.SavePolicy(r.Context(), &pol) })
}

// optionalPathID is the {id} of a PUT, or 0 for the POST that creates.
func optionalPathID(r *http.Request) (int64, error) {
	if r.PathValue("id") == "" {
		return 0, nil
	}
	return pathID(r, "id")
}

// saved runs an admin's save in a transaction with its audit entry, then
// answers 201 for a new resource (id 0) or 200 for a replaced one.
func (s *Server) saved(w http.ResponseWriter, r *http.Request, p *principal, id int64, v any, action, target string, save func(*store.Store) error) error {
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := save(tx); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, action, target, "")
	})
	if err != nil {
		return err
	}
	s.desk.InvalidateSLA() // cheap, and calendars and policies feed it
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
	return nil
}
