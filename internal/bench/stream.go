package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/domain"
)

// maxStreamDrops bounds how often eventStream reconnects after the server
// dropped it; after that many drops it gives up on the remaining events.
const maxStreamDrops = 20

// eventStream is one realtime client on /api/v1/stream that times, for
// each message the benchmark posted, when its message.created event
// arrived: after the POST's answer, and after the POST was sent.
type eventStream struct {
	url   string
	token string

	cancel context.CancelFunc
	done   chan struct{} // closed when the reader has stopped

	mu sync.Mutex
	// Messages are known by their external id, which the benchmark
	// chooses and every channel kind stores.
	pending map[string]post      // POST answered, event not seen yet
	early   map[string]time.Time // event seen before its POST answer
	res     streamResults
}

// post is when a message was posted and when the POST was answered.
type post struct{ sent, answered time.Time }

// streamResults is what an eventStream measured.
type streamResults struct {
	afterAnswer []time.Duration // POST answered → event; 0 when the event came first
	endToEnd    []time.Duration // POST sent → event
	early       int             // events that came before their POST answer
	drops       int             // times the server dropped the stream
	drop        string          // why it was last dropped
	resyncs     int             // times the server said events were skipped
}

// openEventStream connects to the target's stream with its API token,
// waits for the hello (from then on events reach it) and starts reading.
func openEventStream(ctx context.Context, t ingestTarget) (*eventStream, error) {
	s := &eventStream{
		url: t.url + "/api/v1/stream", token: t.apiToken,
		pending: map[string]post{}, early: map[string]time.Time{}, done: make(chan struct{}),
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.read(rctx, conn)
	return s, nil
}

// dial connects and reads the server's hello.
func (s *eventStream) dial(ctx context.Context) (*websocket.Conn, error) {
	conn, _, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}},
		HTTPHeader: http.Header{"Authorization": {"Bearer " + s.token}},
	})
	if err != nil {
		return nil, fmt.Errorf("connect to the realtime stream %s: %w", s.url, err)
	}
	conn.SetReadLimit(4 << 20)
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, hello, err := conn.Read(hctx)
	if err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("realtime stream: no hello: %w", err)
	}
	var h struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(hello, &h) != nil || h.Type != "hello" {
		conn.CloseNow()
		return nil, fmt.Errorf("realtime stream: expected a hello, got %.200s", hello)
	}
	return conn, nil
}

// read takes events until ctx ends, reconnecting when the server drops
// the stream (events sent while disconnected are missed).
func (s *eventStream) read(ctx context.Context, conn *websocket.Conn) {
	defer close(s.done)
	for {
		_, data, err := conn.Read(ctx)
		at := time.Now()
		if err != nil {
			conn.CloseNow()
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			s.res.drops++
			s.res.drop = err.Error()
			give := s.res.drops >= maxStreamDrops
			s.mu.Unlock()
			if give {
				return
			}
			if conn, err = s.dial(ctx); err != nil {
				s.mu.Lock()
				s.res.drop = err.Error()
				s.mu.Unlock()
				return
			}
			continue
		}
		var ev struct {
			Type    string `json:"type"`
			Message struct {
				ExternalID string `json:"external_id"`
			} `json:"message"`
		}
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "resync":
			s.mu.Lock()
			s.res.resyncs++
			s.mu.Unlock()
		case ev.Type == domain.EventMessageCreated && ev.Message.ExternalID != "":
			s.event(ev.Message.ExternalID, at)
		}
	}
}

// answered notes that the message with external id id was posted at
// p.sent and answered at p.answered.
func (s *eventStream) answered(id string, p post) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.early[id]; ok {
		delete(s.early, id)
		s.res.afterAnswer = append(s.res.afterAnswer, 0)
		s.res.endToEnd = append(s.res.endToEnd, at.Sub(p.sent))
		s.res.early++
		return
	}
	s.pending[id] = p
}

// event notes that the event of the message with external id id arrived
// at at.
func (s *eventStream) event(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[id]; ok {
		delete(s.pending, id)
		s.res.afterAnswer = append(s.res.afterAnswer, at.Sub(p.answered))
		s.res.endToEnd = append(s.res.endToEnd, at.Sub(p.sent))
		return
	}
	s.early[id] = at
}

// wait lets events of answered messages arrive, for at most grace, and
// returns how many are still missing.
func (s *eventStream) wait(ctx context.Context, grace time.Duration) int {
	deadline := time.Now().Add(grace)
	for {
		s.mu.Lock()
		missing := len(s.pending)
		s.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		select {
		case <-s.done: // the reader gave up
			return missing
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// results returns a copy of what the stream measured so far.
func (s *eventStream) results() streamResults {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.afterAnswer = slices.Clone(r.afterAnswer)
	r.endToEnd = slices.Clone(r.endToEnd)
	return r
}

// close disconnects and waits for the reader to stop.
func (s *eventStream) close() {
	s.cancel()
	<-s.done
}
