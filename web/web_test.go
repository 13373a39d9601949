package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>`

var bigJS = "console.log('loket');" + strings.Repeat("/* padding */", 100)

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		".gitkeep":                {Data: nil},
		"index.html":              {Data: []byte(indexHTML)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/index-abc123.js":  {Data: []byte(bigJS)},
		"assets/index-def456.css": {Data: []byte("body{margin:0}")},
	}
}

func TestHandler(t *testing.T) {
	built := newHandler(builtFS())
	unbuilt := newHandler(fstest.MapFS{".gitkeep": {Data: nil}})

	tests := []struct {
		name       string
		h          http.Handler
		method     string
		path       string
		gzip       bool
		status     int
		cache      string
		ctype      string
		bodyHas    string
		encoding   string
		notBodyHas string
	}{
		{name: "root serves index", h: built, path: "/", status: 200, cache: "no-cache", ctype: "text/html", bodyHas: `<div id="app">`},
		{name: "index.html", h: built, path: "/index.html", status: 200, cache: "no-cache", ctype: "text/html", bodyHas: `<div id="app">`},
		{name: "spa fallback", h: built, path: "/tickets/42", status: 200, cache: "no-cache", ctype: "text/html", bodyHas: `<div id="app">`},
		{name: "spa fallback deep", h: built, path: "/admin/agents/new", status: 200, cache: "no-cache", bodyHas: `<div id="app">`},
		{name: "head", h: built, method: "HEAD", path: "/inbox", status: 200, cache: "no-cache", ctype: "text/html"},
		{name: "hashed js immutable", h: built, path: "/assets/index-abc123.js", status: 200, cache: "public, max-age=31536000, immutable", ctype: "javascript", bodyHas: "console.log('loket')"},
		{name: "hashed js gzip", h: built, path: "/assets/index-abc123.js", gzip: true, status: 200, cache: "public, max-age=31536000, immutable", encoding: "gzip", bodyHas: "console.log('loket')"},
		{name: "small css not compressed", h: built, path: "/assets/index-def456.css", gzip: true, status: 200, cache: "public, max-age=31536000, immutable", ctype: "text/css", bodyHas: "body{margin:0}"},
		{name: "missing asset is 404 not index", h: built, path: "/assets/index-old999.js", status: 404, cache: "no-cache", notBodyHas: `<div id="app">`},
		{name: "top-level file", h: built, path: "/favicon.svg", status: 200, cache: "no-cache", ctype: "image/svg+xml", bodyHas: "<svg"},
		{name: "dotfile hidden", h: built, path: "/.gitkeep", status: 200, cache: "no-cache", bodyHas: `<div id="app">`},
		{name: "traversal stays inside", h: built, path: "/../../etc/passwd", status: 200, cache: "no-cache", bodyHas: `<div id="app">`},
		{name: "api path is not the app", h: built, path: "/api/v1/nope", status: 404, notBodyHas: `<div id="app">`},
		{name: "post refused", h: built, method: "POST", path: "/", status: 405},
		{name: "not built root", h: unbuilt, path: "/", status: 503, cache: "no-cache", ctype: "text/html", bodyHas: "The web app is not built: run <code>make web</code>"},
		{name: "not built deep", h: unbuilt, path: "/tickets/1", status: 503, cache: "no-cache", bodyHas: "make web"},
		{name: "not built asset", h: unbuilt, path: "/assets/index-abc123.js", status: 503, bodyHas: "make web"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			req := httptest.NewRequest(method, "http://loket.test"+tc.path, nil)
			if tc.gzip {
				req.Header.Set("Accept-Encoding", "gzip, deflate, br")
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.status)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self' ws: wss:") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if tc.cache != "" && res.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tc.cache)
			}
			if tc.ctype != "" && !strings.Contains(res.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("Content-Type = %q, want it to contain %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding = %q, want %q", got, tc.encoding)
			}
			body, _ := io.ReadAll(res.Body)
			if tc.encoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("gunzip: %v", err)
				}
				body, _ = io.ReadAll(zr)
				if len(body) != len(bigJS) {
					t.Errorf("gunzipped %d bytes, want %d", len(body), len(bigJS))
				}
			}
			if method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD answered with a body")
			}
			if tc.bodyHas != "" && !strings.Contains(string(body), tc.bodyHas) {
				t.Errorf("body lacks %q:\n%s", tc.bodyHas, body)
			}
			if tc.notBodyHas != "" && strings.Contains(string(body), tc.notBodyHas) {
				t.Errorf("body has %q", tc.notBodyHas)
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                  false,
		"gzip":              true,
		"br, gzip;q=0.8":    true,
		"gzip;q=0":          false,
		"GZIP; q=1.0":       true,
		"deflate, identity": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", header)
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// The embedded build must always be readable: at least .gitkeep is there.
func TestHandlerEmbedded(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 && rec.Code != 503 {
		t.Fatalf("status = %d", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), "<") {
		t.Fatalf("no HTML: %q", rec.Body.String())
	}
}
