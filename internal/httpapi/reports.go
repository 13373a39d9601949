package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"loket.dev/loket/internal/report"
)

// Report routes: volume, speed, SLA and outcome, as JSON or, with
// ?format=csv, as a CSV download.
func (s *Server) volumeReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return serveReport(s, w, r, "volume", (*report.Reports).Volume)
}

func (s *Server) speedReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return serveReport(s, w, r, "speed", (*report.Reports).Speed)
}

func (s *Server) slaReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return serveReport(s, w, r, "sla", (*report.Reports).SLA)
}

func (s *Server) callsReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return serveReport(s, w, r, "calls", (*report.Reports).Calls)
}

func (s *Server) outcomeReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return serveReport(s, w, r, "outcome", (*report.Reports).Outcome)
}

func serveReport[T report.Table](s *Server, w http.ResponseWriter, r *http.Request, name string,
	compute func(*report.Reports, context.Context, report.Query) (*report.Report[T], error)) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return errorf(http.StatusBadRequest, "invalid_format", "format is json or csv")
	}
	q, err := report.ParseQuery(r.URL.Query(), s.limits.now())
	if err != nil {
		return err
	}
	rep, err := compute(&report.Reports{Store: s.store, Hours: s.desk.Hours()}, r.Context(), q)
	if err != nil {
		return err
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="loket-%s-%s-%s.csv"`, name,
		rep.From.Format("20060102"), rep.To.Add(-1).Format("20060102")))
	return rep.WriteCSV(w)
}

// todayReport is the wallboard's figures: the local day so far (tz,
// channel_id, team_id; the period parameters are ignored).
func (s *Server) todayReport(w http.ResponseWriter, r *http.Request, _ *principal) error {
	now := s.limits.now()
	q, err := report.ParseQuery(r.URL.Query(), now)
	if err != nil {
		return err
	}
	rep := &report.Reports{Store: s.store, Hours: s.desk.Hours()}
	today, err := rep.Today(r.Context(), q, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, today)
	return nil
}
