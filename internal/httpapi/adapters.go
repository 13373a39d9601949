package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// mountAdapters serves the public routes of every adapter that has some
// (channel.Router) under /api/v1/{kind}/{channel}/.
func (s *Server) mountAdapters(mux *http.ServeMux) {
	for _, a := range s.channels.Adapters() {
		r, ok := a.(channel.Router)
		if !ok {
			continue
		}
		for _, rt := range r.Routes() {
			mux.Handle(rt.Method+" "+adapterPath(a.Kind(), rt), s.adapterRoute(a.Kind(), rt))
		}
	}
}

// adapterPath is where an adapter's route is served.
func adapterPath(kind string, rt channel.Route) string {
	return "/api/v1/" + kind + "/{channel}/" + rt.Path
}

// adapterRoute resolves the channel, limits the body, recovers a panic
// and writes the route's error like any API error.
func (s *Server) adapterRoute(kind string, rt channel.Route) http.Handler {
	limit := rt.MaxBody
	if limit <= 0 {
		limit = channel.DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("%s route %s panicked: %v", kind, rt.Path, v))
			}
		}()
		id, err := pathID(r, "channel")
		if err == nil {
			var ch *domain.Channel
			if ch, err = s.adapterChannels.get(r.Context(), s, id, kind); err == nil {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
				err = rt.Handle(w, r, &channel.Request{
					Channel:  ch,
					ClientIP: s.clientIP(r),
					URL:      s.base(r) + r.URL.RequestURI(),
					Allow:    s.limits.allow,
					Body:     func() ([]byte, error) { return readBody(w, r, limit) },
					Decode: func(v any) error {
						body, err := readBody(w, r, limit)
						if err != nil {
							return err
						}
						return decodeBytes(body, v)
					},
					// A provider that stops waiting must not cut the
					// ingest short: what it sent is stored or kept.
					Ingest: func(contentType string, body []byte) error {
						_, err := s.desk.Ingest(context.WithoutCancel(r.Context()), ch, contentType, body)
						return err
					},
					Switchboard: s.desk,
				})
				s.noteRefused(r, ch, err)
			}
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// noteRefused shows a provider's refused call (a wrong signature or verify
// token: 401, 403) in the channel's health, where the admin who mistyped
// an app secret looks first.
func (s *Server) noteRefused(r *http.Request, ch *domain.Channel, err error) {
	var he *channel.HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden) {
		s.desk.Report(r.Context(), ch.ID, desk.HealthWebhook, fmt.Errorf("refused a call: %s", he.Message))
	}
}

// base is Loket's public URL: the configured one, or else the scheme and
// host the request came to.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// channelCache keeps the enabled channels that adapter routes were called
// for, a few seconds each, so a busy webhook or chat does not read its
// channel on every request and an admin's change still reaches every node
// quickly.
type channelCache struct {
	mu sync.Mutex
	m  map[int64]cachedChannel
}

type cachedChannel struct {
	ch     *domain.Channel // nil: no enabled channel of the kind
	loaded time.Time
}

// channelTTL is how long a cached channel is used.
const channelTTL = 5 * time.Second

// get returns the enabled channel id of kind, or ErrNotFound.
func (c *channelCache) get(ctx context.Context, s *Server, id int64, kind string) (*domain.Channel, error) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || time.Since(e.loaded) >= channelTTL {
		ch, err := s.store.Channel(ctx, id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		if err != nil || !ch.Enabled {
			ch = nil
		}
		e = cachedChannel{ch: ch, loaded: time.Now()}
		c.mu.Lock()
		if c.m == nil || len(c.m) > 10000 {
			c.m = map[int64]cachedChannel{}
		}
		c.m[id] = e
		c.mu.Unlock()
	}
	if e.ch == nil || e.ch.Kind != kind {
		return nil, fmt.Errorf("%s channel %d: %w", kind, id, domain.ErrNotFound)
	}
	return e.ch, nil
}

// channelSnippet returns the HTML a site pastes to embed a channel, for
// kinds that are embedded (channel.Embedder).
func (s *Server) channelSnippet(w http.ResponseWriter, r *http.Request, _ *principal) error {
	ch, a, err := s.channelAndAdapter(r)
	if err != nil {
		return err
	}
	e, ok := a.(channel.Embedder)
	if !ok {
		return errorf(http.StatusConflict, "not_embeddable", "channel %d is a %s channel; only channels a website embeds, such as the website chat, have a snippet", ch.ID, ch.Kind)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": e.Snippet(ch, fmt.Sprintf("%s://%s", scheme, r.Host))})
	return nil
}
