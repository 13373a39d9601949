package main

import (
	"log/slog"
	"net/http"
	"time"
)

// HTTP timeouts. A request's headers must arrive within readHeaderTimeout
// and its whole body within readTimeout, which leaves a 25 MB upload about
// 85 KB/s; a client sending slower holds a connection no longer than that.
// WebSockets are not affected: a hijacked connection's deadlines are
// cleared. No write timeout, so large downloads and slow readers finish.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// newHTTPServer returns the HTTP server for h with Loket's timeouts.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
