// Package web serves the agent web app, a single-page application built by
// Vite into web/agent/build and embedded in the binary.
//
// Hashed build output under /assets/ is cached forever; index.html is served,
// never cached, for every other path so that the app's router can take over
// (SPA fallback). When the app has not been built (build holds only .gitkeep),
// every page explains how to build it.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:agent/build
var dist embed.FS

// ContentSecurityPolicy is sent with every answer of the handler. Scripts
// and styles come only from the app's own origin (Vue templates are compiled
// at build time, so no eval); inline style attributes are allowed for
// sanitised message HTML; images only from the server itself or data: URLs,
// so remote images in e-mails (tracking pixels) are not loaded; the realtime
// stream needs ws:/wss:.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNone      = "no-cache"
)

// notBuilt is the page served when agent/build/index.html is absent.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loket</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Loket</h1>
<p>The web app is not built: run <code>make web</code> and restart Loket.</p>
<p>The API is available at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`

// Handler serves the embedded agent web app.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "agent/build")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded
	}
	return newHandler(sub)
}

// handler serves a built Vite app from fsys (the contents of build).
type handler struct {
	fsys  fs.FS
	index []byte // nil when the app is not built

	mu   sync.Mutex
	gzip map[string][]byte // compressed bodies by path, made on first request
}

func newHandler(fsys fs.FS) *handler {
	h := &handler{fsys: fsys, gzip: map[string][]byte{}}
	if b, err := fs.ReadFile(fsys, "index.html"); err == nil {
		h.index = b
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		// The API has its own handler; never answer an API path with the app.
		http.NotFound(w, r)
		return
	}
	if h.index == nil {
		hdr.Set("Cache-Control", cacheNone)
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(notBuilt))
		}
		return
	}
	name := strings.TrimPrefix(p, "/")
	if strings.HasPrefix(p, "/assets/") {
		b, err := fs.ReadFile(h.fsys, name)
		if err != nil {
			// A missing hashed asset is a stale page: a 404 is the honest answer,
			// index.html in its place would be run as a script.
			hdr.Set("Cache-Control", cacheNone)
			http.NotFound(w, r)
			return
		}
		hdr.Set("Cache-Control", cacheImmutable)
		h.serve(w, r, name, b)
		return
	}
	if name != "" && name != "index.html" {
		// Other top-level files of the build (favicon, robots.txt).
		if b, err := fs.ReadFile(h.fsys, name); err == nil && !strings.HasPrefix(path.Base(name), ".") {
			hdr.Set("Cache-Control", cacheNone)
			h.serve(w, r, name, b)
			return
		}
	}
	hdr.Set("Cache-Control", cacheNone)
	h.serve(w, r, "index.html", h.index)
}

// serve writes body, gzip-compressed when the client accepts it and the
// type compresses well.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	hdr := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	hdr.Set("Content-Type", ctype)
	if compressible(ctype) && len(body) > 512 {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body = h.gzipped(name, body)
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

func (h *handler) gzipped(name string, body []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if z, ok := h.gzip[name]; ok {
		return z
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	h.gzip[name] = buf.Bytes()
	return buf.Bytes()
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}
