package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"loket.dev/loket/internal/domain"
)

// Router is implemented by adapters that serve public HTTP routes for their
// channels: a provider's webhook and its verification handshake, a media
// download, the website widget's endpoints and socket.
type Router interface {
	Routes() []Route
}

// Runner is implemented by adapters with work of their own while the
// server runs: watching mailboxes, long-polling a provider that cannot
// reach Loket, serving visitors' sockets. Run returns once ctx ends and
// its work has stopped. An adapter that also implements domain.Publisher
// hears every committed event of every node (a channel saved, a reply
// queued).
type Runner interface {
	Run(ctx context.Context)
}

// Locks lets one node of several do a channel's own work (poll it, watch
// its mailbox, register its webhook): the node that holds the channel's
// lock. *store.Locker satisfies it.
type Locks interface {
	// TryLock takes the lock unless another node holds it and reports
	// whether this node holds it.
	TryLock(ctx context.Context, name string) (bool, error)
	// Unlock gives a held lock up.
	Unlock(ctx context.Context, name string)
	// Check reports an error when the held locks may have been lost.
	Check(ctx context.Context) error
}

// Embedder is implemented by adapters whose channels a website embeds,
// such as the website chat: Snippet is the HTML to paste, loading from
// base, Loket's public URL.
type Embedder interface {
	Snippet(ch *domain.Channel, base string) string
}

// Documenter is implemented by adapters that describe their routes for the
// API description: OpenAPI returns a fragment with tags, paths and
// component schemas, merged into /api/v1/openapi.json.
type Documenter interface {
	OpenAPI() []byte
}

// Route is one public route of an adapter. The HTTP server mounts it at
// /api/v1/{kind}/{channel}/{Path} behind its logging, panic recovery and
// body-size limit, and calls Handle only for an enabled channel of the
// adapter's kind (any other id answers 404). Provider webhooks must check
// the provider's signature over the raw body before anything else.
type Route struct {
	Method string
	// Path is below the channel, such as "webhook" or "attachments/{id}".
	Path string
	// MaxBody caps the request body in bytes; DefaultMaxBody when zero.
	MaxBody int64
	Handle  func(w http.ResponseWriter, r *http.Request, req *Request) error
}

// DefaultMaxBody is a route's body limit unless it sets its own.
const DefaultMaxBody = 1 << 20

// Request is what the server hands a route besides the HTTP request.
type Request struct {
	// Channel is the enabled channel the route was called for, with its
	// secrets.
	Channel *domain.Channel
	// ClientIP is the caller's address, taken from X-Forwarded-For only
	// behind a trusted proxy.
	ClientIP string
	// URL is the address the provider called, as the public sees it:
	// Loket's public URL (LOKET_BASE_URL) with the request's path and
	// query. Providers that sign the URL (Twilio) are checked against it.
	URL string
	// Allow counts one event under key and reports whether at most n
	// happened within per; the server keeps the counts.
	Allow func(key string, n int, per time.Duration) bool
	// Body reads the request body (within the route's limit).
	Body func() ([]byte, error)
	// Decode reads the body as one JSON object into v, refusing unknown
	// fields, whatever the content type (browsers send simple requests).
	Decode func(v any) error
	// Ingest hands a provider payload to the core, which parses it with
	// the adapter (Parser) and applies everything in it. It returns nil
	// once the payload is committed or kept as a dead letter, so a webhook
	// may then acknowledge it; a *domain.Error when the payload is refused
	// for its content; any other error when the provider should retry.
	Ingest func(contentType string, body []byte) error
	// Switchboard answers a telephone system's questions while a call is
	// on (who calls, which agents can take it).
	Switchboard Switchboard
}

// HTTPError is an error a route answers with its own status and
// machine-readable code, such as a refused signature (401).
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string { return e.Message }

// Errorf returns an *HTTPError.
func Errorf(status int, code, format string, args ...any) error {
	return &HTTPError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// inlineTypes may be shown in the browser; everything else downloads.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "application/pdf": true, "text/plain": true}

// ServeAttachment answers a customer's or agent's file with safe headers:
// images, PDF and plain text inline when their bytes are what their type
// says, anything else as a download of unknown type, always in a sandbox
// without scripts, so a file can never run in Loket's origin. cacheControl
// says how long a browser may keep it.
func ServeAttachment(w http.ResponseWriter, r *http.Request, a *domain.Attachment, content io.ReadSeeker, modified time.Time, cacheControl string) {
	ct, _, _ := mime.ParseMediaType(a.ContentType)
	disposition := "attachment"
	if inlineTypes[ct] && !looksLike(content, ct) {
		ct = "" // the bytes are not what the sender said: download only
	}
	if inlineTypes[ct] {
		disposition = "inline"
	} else {
		ct = "application/octet-stream"
	}
	if ct == "text/plain" {
		ct += "; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, "", modified, content)
}

// looksLike reports whether the start of content is of type ct, by the
// content sniffing algorithm browsers use, and rewinds content.
func looksLike(content io.ReadSeeker, ct string) bool {
	head := make([]byte, 512)
	n, err := io.ReadFull(content, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false
	}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return false
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head[:n]))
	return sniffed == ct
}
