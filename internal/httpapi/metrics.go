package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/metrics"
)

// serveMetrics writes the node's figures in Prometheus' text format.
func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	if s.metrics == nil {
		return errorf(http.StatusNotFound, "not_found", "metrics are not collected on this node")
	}
	w.Header().Set("Content-Type", metrics.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	return s.metrics.Write(w)
}

// timed records each request's duration by the route pattern that served
// it; WebSocket upgrades, which last as long as the socket, are left out.
func (s *Server) timed(next http.Handler) http.Handler {
	if s.requests == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.requests.ObserveSince(start, route, r.Method, strconv.Itoa(rec.status))
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
