package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

// Visitor endpoints of the website chat. They are public: the widget
// proves who it is with the visitor token in the body (never in a URL or a
// custom header, so that browsers send them as simple cross-origin
// requests without a preflight), and the channel's allowed origins decide
// which sites may call them.

// Rate limits of the visitor side, per node.
const (
	webchatPerIP       = 600 // requests a minute from one address
	webchatSessionsIP  = 60  // sessions started a minute from one address
	webchatMessagesPer = 30  // messages a minute from one visitor
	webchatUploadsPer  = 10  // files a minute from one visitor
)

func (s *Server) webchatAdapter() (*webchat.Adapter, error) {
	a, err := s.channels.Adapter(webchat.Kind)
	if err == nil {
		if wc, ok := a.(*webchat.Adapter); ok {
			return wc, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "not_found", "website chat is not enabled on this server")
}

// webchatRequest resolves the channel of a visitor request, applies its
// origin rules (CORS) and the per-address rate limit.
func (s *Server) webchatRequest(w http.ResponseWriter, r *http.Request) (*webchat.Adapter, *domain.Channel, *webchat.Settings, error) {
	a, err := s.webchatAdapter()
	if err != nil {
		return nil, nil, nil, err
	}
	id, err := pathID(r, "channel")
	if err != nil {
		return nil, nil, nil, err
	}
	ch, set, err := a.Channel(r.Context(), id)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := webchat.CheckOrigin(w, r, set); err != nil {
		return nil, nil, nil, webchatError(err)
	}
	if !s.limits.allow("webchat-ip:"+s.clientIP(r), webchatPerIP, time.Minute) {
		return nil, nil, nil, tooMany(w)
	}
	return a, ch, set, nil
}

func tooMany(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "10")
	return errorf(http.StatusTooManyRequests, "rate_limited", "too many chat requests; wait a few seconds")
}

// visitorLimit applies a per-visitor limit, keyed by the token's hash.
func (s *Server) visitorLimit(w http.ResponseWriter, what, token string, n int) error {
	if token == "" {
		return webchatError(webchat.ErrVisitor)
	}
	if !s.limits.allow("webchat-"+what+":"+secret.Hash(token), n, time.Minute) {
		return tooMany(w)
	}
	return nil
}

// webchatError gives the visitor side's own errors their status and code.
func webchatError(err error) error {
	switch {
	case errors.Is(err, webchat.ErrVisitor):
		return errorf(http.StatusUnauthorized, "invalid_visitor_token", "%s", err.Error())
	case errors.Is(err, webchat.ErrIdentity):
		return errorf(http.StatusUnauthorized, "invalid_identity", "%s", err.Error())
	case errors.Is(err, webchat.ErrOrigin):
		return errorf(http.StatusForbidden, "origin_not_allowed", "%s", err.Error())
	case errors.Is(err, webchat.ErrTooManySockets):
		return errorf(http.StatusTooManyRequests, "too_many_connections", "%s", err.Error())
	}
	return err
}

func (s *Server) webchatSession(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, set, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	if !s.limits.allow("webchat-session:"+s.clientIP(r), webchatSessionsIP, time.Minute) {
		return tooMany(w)
	}
	var req webchat.StartRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	sess, err := a.Start(r.Context(), ch, set, &req)
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusOK, sess)
	return nil
}

func (s *Server) webchatProfile(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	var req webchat.ProfileRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	v, err := a.SetProfile(r.Context(), ch, &req)
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"visitor": v})
	return nil
}

func (s *Server) webchatSend(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	var req webchat.SendRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	if err := s.visitorLimit(w, "message", req.Token, webchatMessagesPer); err != nil {
		return err
	}
	sent, err := a.SendMessage(r.Context(), ch, &req)
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusCreated, sent)
	return nil
}

// webchatUpload takes a file as multipart/form-data with the fields token,
// client_id, text (optional) and file.
func (s *Server) webchatUpload(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, webchat.MaxUploadBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return errorf(http.StatusRequestEntityTooLarge, "file_too_large", "files can be at most %d MB", webchat.MaxUploadBytes>>20)
		}
		return errorf(http.StatusBadRequest, "invalid_form", "send multipart/form-data with token, file and optionally text")
	}
	defer r.MultipartForm.RemoveAll()
	token := r.FormValue("token")
	if err := s.visitorLimit(w, "upload", token, webchatUploadsPer); err != nil {
		return err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return errorf(http.StatusBadRequest, "missing_file", "the form has no file field")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, webchat.MaxUploadBytes+1))
	if err != nil {
		return errorf(http.StatusBadRequest, "bad_body", "could not read the file: %v", err)
	}
	sent, err := a.SendMessage(r.Context(), ch, &webchat.SendRequest{
		Token: token, ClientID: r.FormValue("client_id"), Text: r.FormValue("text"),
		Upload: &webchat.Upload{Filename: hdr.Filename, Data: data},
	})
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusCreated, sent)
	return nil
}

func (s *Server) webchatHistory(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	var req struct {
		Token string `json:"token"`
		After int64  `json:"after"`
	}
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	msgs, convs, err := a.History(r.Context(), ch, req.Token, req.After)
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs, "conversations": convs})
	return nil
}

func (s *Server) webchatAttachment(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Token string `json:"token"`
	}
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	att, f, at, err := a.Attachment(r.Context(), ch, req.Token, id)
	if err != nil {
		return webchatError(err)
	}
	defer f.Close()
	ct, _, _ := mime.ParseMediaType(att.ContentType)
	disposition := "attachment"
	if inlineTypes[ct] {
		disposition = "inline"
	} else {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": att.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.FormatInt(att.Size, 10))
	http.ServeContent(w, r, "", timeOf(at), f)
	return nil
}

func (s *Server) webchatRate(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, _, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	var req webchat.RateRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	conv, err := a.Rate(r.Context(), ch, &req)
	if err != nil {
		return webchatError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": conv})
	return nil
}

func (s *Server) webchatSocket(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, ch, set, err := s.webchatRequest(w, r)
	if err != nil {
		return err
	}
	return webchatError(a.ServeSocket(w, r, ch, set, s.clientIP(r)))
}

// channelSnippet returns the HTML a site pastes to embed a chat channel.
func (s *Server) channelSnippet(w http.ResponseWriter, r *http.Request, _ *principal) error {
	a, err := s.webchatAdapter()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ch, err := s.store.Channel(r.Context(), id)
	if err != nil {
		return err
	}
	if ch.Kind != webchat.Kind {
		return errorf(http.StatusConflict, "not_webchat", "channel %d is a %s channel; only website chat channels have a snippet", ch.ID, ch.Kind)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": a.Snippet(ch, fmt.Sprintf("%s://%s", scheme, r.Host))})
	return nil
}
