// Package widget serves the website chat widget: a small script built by
// Vite into web/widget/build and embedded in the binary.
//
// Sites embed a stable loader, /widget/loader.js, which is cached for a few
// minutes and loads the current hashed bundle from /widget/assets/, which
// is cached forever. A new release therefore reaches every site within
// minutes without anyone changing their snippet. When the widget has not
// been built, the loader only says so in the browser console.
package widget

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:build
var dist embed.FS

const (
	cacheLoader    = "public, max-age=300"
	cacheImmutable = "public, max-age=31536000, immutable"
)

// Handler serves the embedded widget under /widget/.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "build")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded
	}
	return newHandler(sub)
}

type asset struct {
	body, gzipped []byte
}

type handler struct {
	loader []byte
	assets map[string]asset // by name under assets/
}

func newHandler(fsys fs.FS) *handler {
	h := &handler{assets: map[string]asset{}}
	bundle := ""
	entries, _ := fs.ReadDir(fsys, "assets")
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, "assets/"+e.Name())
		if err != nil || e.IsDir() {
			continue
		}
		h.assets[e.Name()] = asset{body: b, gzipped: gzipOf(b)}
		if strings.HasPrefix(e.Name(), "widget-") && strings.HasSuffix(e.Name(), ".js") {
			bundle = e.Name()
		}
	}
	h.loader = loaderScript(bundle)
	return h
}

// loaderScript is the script a site's snippet loads: it finds its own tag,
// and adds the hashed bundle with the channel and Loket's address.
func loaderScript(bundle string) []byte {
	if bundle == "" {
		return []byte(`console.warn("Loket chat: the widget is not built; run make web and restart Loket.");` + "\n")
	}
	return fmt.Appendf(nil, `(function(){var s=document.currentScript;if(!s)return;`+
		`var c=s.getAttribute("data-loket-channel")||"",k="__loketChat"+c;if(window[k])return;window[k]=1;`+
		`var b=s.src.replace(/\/widget\/loader\.js.*$/,""),e=document.createElement("script");`+
		`e.src=b+"/widget/assets/%s";e.async=true;e.setAttribute("data-loket-channel",c);e.setAttribute("data-loket-base",b);`+
		`(document.head||document.documentElement).appendChild(e)})();`+"\n", bundle)
}

// tryPage is a stand-in for a customer's website with the snippet of one
// chat channel, so the widget can be tried before it is on a real site.
// Loket's own origin may always use a chat channel.
const tryPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Try the website chat</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d2430}</style>
</head><body>
<h1>Example shop</h1>
<p>This page stands in for your website. The chat button at the bottom right is the widget of chat
channel %[1]d, as your visitors will see it once you paste the channel's snippet into your site.</p>
<p>Ask a question as a customer would: the FAQ bot answers from the knowledge base when it is switched on
for the channel, and "Talk to a person" puts you in the team's queue.</p>
<script src="/widget/loader.js" data-loket-channel="%[1]d" async></script>
</body></html>
`

// tryPolicy lets the try page run only Loket's own scripts.
const tryPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Any site may load the script; it runs with the site's rights and
	// talks to Loket only through the channel's allowed origins.
	hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hdr.Set("Access-Control-Allow-Origin", "*")
	p := path.Clean(r.URL.Path)
	switch {
	case p == "/widget/loader.js":
		hdr.Set("Cache-Control", cacheLoader)
		h.serve(w, r, "loader.js", asset{body: h.loader})
	case strings.HasPrefix(p, "/widget/try/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(p, "/widget/try/"), 10, 64)
		if err != nil || id < 1 {
			http.NotFound(w, r)
			return
		}
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", tryPolicy)
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, tryPage, id)
	case strings.HasPrefix(p, "/widget/assets/"):
		a, ok := h.assets[strings.TrimPrefix(p, "/widget/assets/")]
		if !ok {
			hdr.Set("Cache-Control", "no-cache")
			http.NotFound(w, r)
			return
		}
		hdr.Set("Cache-Control", cacheImmutable)
		h.serve(w, r, p, a)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, a asset) {
	hdr := w.Header()
	switch path.Ext(name) {
	case ".js":
		hdr.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		hdr.Set("Content-Type", "text/css; charset=utf-8")
	default:
		hdr.Set("Content-Type", http.DetectContentType(a.body))
	}
	body := a.body
	if a.gzipped != nil && len(body) > 512 {
		hdr.Add("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body = a.gzipped
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}
