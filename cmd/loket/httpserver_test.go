package main

import (
	"log/slog"
	"net/http"
	"testing"
	"time"
)

func TestNewHTTPServer_BoundsTheTimeToReadARequestButLeavesRoomForUploads(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.Default())
	// 25 MB at 100 KB/s.
	upload := time.Duration(25<<20/(100<<10)) * time.Second
	if srv.ReadTimeout == 0 || srv.ReadTimeout < upload {
		t.Errorf("ReadTimeout = %v, want a bound of at least %v", srv.ReadTimeout, upload)
	}
	if srv.ReadHeaderTimeout == 0 || srv.ReadHeaderTimeout > srv.ReadTimeout {
		t.Errorf("ReadHeaderTimeout = %v, want a bound below ReadTimeout", srv.ReadHeaderTimeout)
	}
	if srv.IdleTimeout == 0 {
		t.Error("IdleTimeout is not set")
	}
	if srv.WriteTimeout != 0 {
		t.Errorf("WriteTimeout = %v, want none so downloads to slow readers finish", srv.WriteTimeout)
	}
}
