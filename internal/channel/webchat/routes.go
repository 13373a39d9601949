package webchat

import (
	"context"
	_ "embed"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

// The visitor side of the chat, mounted by the HTTP server under
// /api/v1/webchat/{channel}/. The routes are public: the widget proves who
// it is with the visitor token in the body (never in a URL or a custom
// header, so that browsers send them as simple cross-origin requests
// without a preflight), and the channel's allowed origins decide which
// sites may call them.

// Rate limits of the visitor side, per node.
const (
	perIP          = 600 // requests a minute from one address
	sessionsPerIP  = 60  // sessions started a minute from one address
	messagesPerVis = 30  // messages a minute from one visitor
	uploadsPerVis  = 10  // files a minute from one visitor
)

// Routes implements channel.Router.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{
		{Method: "POST", Path: "session", MaxBody: 16 << 10, Handle: a.visitorRoute(a.serveSession)},
		{Method: "POST", Path: "profile", MaxBody: 4 << 10, Handle: a.visitorRoute(a.serveProfile)},
		{Method: "POST", Path: "messages", MaxBody: 64 << 10, Handle: a.visitorRoute(a.serveSend)},
		{Method: "POST", Path: "uploads", MaxBody: MaxUploadBytes + 64<<10, Handle: a.visitorRoute(a.serveUpload)},
		{Method: "POST", Path: "history", MaxBody: 4 << 10, Handle: a.visitorRoute(a.serveHistory)},
		{Method: "POST", Path: "attachments/{id}", MaxBody: 4 << 10, Handle: a.visitorRoute(a.serveAttachment)},
		{Method: "POST", Path: "rating", MaxBody: 8 << 10, Handle: a.visitorRoute(a.serveRate)},
		{Method: "POST", Path: "callback", MaxBody: 16 << 10, Handle: a.visitorRoute(a.serveCallback)},
		{Method: "GET", Path: "socket", Handle: a.visitorRoute(a.serveSocket)},
	}
}

type visitorHandler func(w http.ResponseWriter, r *http.Request, req *channel.Request, set *Settings) error

// visitorRoute applies the channel's origin rules (CORS) and the per-address
// rate limit, and gives the visitor side's errors their status and code.
func (a *Adapter) visitorRoute(h visitorHandler) func(http.ResponseWriter, *http.Request, *channel.Request) error {
	return func(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
		set, err := parseSettings(req.Channel.Settings)
		if err != nil {
			return err
		}
		if err := CheckOrigin(w, r, set); err != nil {
			return httpError(err)
		}
		if !req.Allow("webchat-ip:"+req.ClientIP, perIP, time.Minute) {
			return tooMany(w)
		}
		return httpError(h(w, r, req, set))
	}
}

func tooMany(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "10")
	return channel.Errorf(http.StatusTooManyRequests, "rate_limited", "too many chat requests; wait a few seconds")
}

// visitorLimit applies a per-visitor limit, keyed by the token's hash.
func visitorLimit(w http.ResponseWriter, req *channel.Request, what, token string, n int) error {
	if token == "" {
		return ErrVisitor
	}
	if !req.Allow("webchat-"+what+":"+secret.Hash(token), n, time.Minute) {
		return tooMany(w)
	}
	return nil
}

// httpError gives the visitor side's own errors their status and code.
func httpError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrVisitor):
		return channel.Errorf(http.StatusUnauthorized, "invalid_visitor_token", "%s", err.Error())
	case errors.Is(err, ErrIdentity):
		return channel.Errorf(http.StatusUnauthorized, "invalid_identity", "%s", err.Error())
	case errors.Is(err, ErrOrigin):
		return channel.Errorf(http.StatusForbidden, "origin_not_allowed", "%s", err.Error())
	case errors.Is(err, ErrTooManySockets):
		return channel.Errorf(http.StatusTooManyRequests, "too_many_connections", "%s", err.Error())
	}
	return err
}

func (a *Adapter) serveSession(w http.ResponseWriter, r *http.Request, req *channel.Request, set *Settings) error {
	if !req.Allow("webchat-session:"+req.ClientIP, sessionsPerIP, time.Minute) {
		return tooMany(w)
	}
	var body StartRequest
	if err := req.Decode(&body); err != nil {
		return err
	}
	sess, err := a.Start(r.Context(), req.Channel, set, &body)
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusOK, sess)
	return nil
}

func (a *Adapter) serveProfile(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	var body ProfileRequest
	if err := req.Decode(&body); err != nil {
		return err
	}
	v, err := a.SetProfile(r.Context(), req.Channel, &body)
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusOK, map[string]any{"visitor": v})
	return nil
}

func (a *Adapter) serveSend(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	var body SendRequest
	if err := req.Decode(&body); err != nil {
		return err
	}
	if err := visitorLimit(w, req, "message", body.Token, messagesPerVis); err != nil {
		return err
	}
	sent, err := a.SendMessage(r.Context(), req.Channel, &body)
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusCreated, sent)
	return nil
}

// serveUpload takes a file as multipart/form-data with the fields token,
// client_id, text (optional) and file.
func (a *Adapter) serveUpload(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return channel.Errorf(http.StatusRequestEntityTooLarge, "file_too_large", "files can be at most %d MB", MaxUploadBytes>>20)
		}
		return channel.Errorf(http.StatusBadRequest, "invalid_form", "send multipart/form-data with token, file and optionally text")
	}
	defer r.MultipartForm.RemoveAll()
	token := r.FormValue("token")
	if err := visitorLimit(w, req, "upload", token, uploadsPerVis); err != nil {
		return err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return channel.Errorf(http.StatusBadRequest, "missing_file", "the form has no file field")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxUploadBytes+1))
	if err != nil {
		return channel.Errorf(http.StatusBadRequest, "bad_body", "could not read the file: %v", err)
	}
	sent, err := a.SendMessage(r.Context(), req.Channel, &SendRequest{
		Token: token, ClientID: r.FormValue("client_id"), Text: r.FormValue("text"),
		Upload: &Upload{Filename: hdr.Filename, Data: data},
	})
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusCreated, sent)
	return nil
}

func (a *Adapter) serveHistory(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	var body struct {
		Token string `json:"token"`
		After int64  `json:"after"`
	}
	if err := req.Decode(&body); err != nil {
		return err
	}
	msgs, convs, err := a.History(r.Context(), req.Channel, body.Token, body.After)
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusOK, map[string]any{"messages": msgs, "conversations": convs})
	return nil
}

func (a *Adapter) serveAttachment(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return channel.Errorf(http.StatusBadRequest, "invalid_id", "id must be a positive integer")
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := req.Decode(&body); err != nil {
		return err
	}
	att, f, at, err := a.Attachment(r.Context(), req.Channel, body.Token, id)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Length", strconv.FormatInt(att.Size, 10))
	channel.ServeAttachment(w, r, att, f, time.UnixMilli(at), "private, no-store")
	return nil
}

func (a *Adapter) serveRate(w http.ResponseWriter, r *http.Request, req *channel.Request, _ *Settings) error {
	var body RateRequest
	if err := req.Decode(&body); err != nil {
		return err
	}
	conv, err := a.Rate(r.Context(), req.Channel, &body)
	if err != nil {
		return err
	}
	channel.WriteJSON(w, http.StatusOK, map[string]any{"conversation": conv})
	return nil
}

func (a *Adapter) serveSocket(w http.ResponseWriter, r *http.Request, req *channel.Request, set *Settings) error {
	return a.ServeSocket(w, r, req.Channel, set, req.ClientIP)
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }

// Run implements channel.Runner: the relay carries events to this node's
// visitor sockets until ctx ends, and then closes them.
func (a *Adapter) Run(ctx context.Context) {
	a.relay.Run(ctx)
	a.relay.CloseAll()
}

// Publish implements domain.Publisher: the hub's events of every node
// reach the visitors they concern.
func (a *Adapter) Publish(events ...domain.Event) { a.relay.Publish(events...) }

// Lost is called when this node may have missed other nodes' events: every
// visitor socket is closed, and the widgets reconnect and catch up from
// their last message.
func (a *Adapter) Lost() { a.relay.CloseAll() }
