package realtime_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// freezer is a TCP proxy whose connections can be frozen: bytes stop
// flowing both ways while the sockets stay open, as when a network path
// dies without a word. New connections are forwarded normally.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	frozen chan struct{} // closed to freeze the connections made so far
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, frozen: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	go f.serve()
	return f
}

func (f *freezer) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		frozen := f.frozen
		f.mu.Unlock()
		go pipe(c, up, frozen)
		go pipe(up, c, frozen)
	}
}

// pipe copies until the connection ends or frozen is closed, after which
// it holds the bytes back.
func pipe(dst, src net.Conn, frozen chan struct{}) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-frozen:
			return
		default:
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze stops the connections made so far; later ones flow.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.frozen)
	f.frozen = make(chan struct{})
}

// A node whose listening connection dies without a word notices, listens
// again, and tells its agents' apps to catch up on what they missed.
func TestPGBus_SilentlyDeadConnectionIsNoticedAndClientsCatchUp(t *testing.T) {
	pgURL := storetest.PostgresURL(t)
	st := storetest.Open(t, store.Postgres)
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	f := newFreezer(t, u.Host)
	u.Host = f.ln.Addr().String()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := realtime.NewHub(st, log)
	bus := realtime.NewPGBus(hub, st, u.String(), log)
	bus.IdleCheck = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-bus.Listening()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.Serve(w, r, domain.Viewer{Role: domain.RoleAdmin}, domain.AgentRef{ID: 1, Name: "Ada"})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(hub.CloseAll)
	c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, hello, err := c.Read(context.Background()); err != nil || !strings.Contains(string(hello), "hello") {
		t.Fatalf("first frame %s (%v), want hello", hello, err)
	}

	f.freeze()
	// Once the bus has noticed and listens again, the stream tells the
	// agent's app to catch up, and stays open.
	rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
	defer rcancel()
	for {
		_, frame, err := c.Read(rctx)
		if err != nil {
			t.Fatalf("the stream ended (%v) instead of telling the agent to catch up after the bus lost its connection", err)
		}
		if strings.Contains(string(frame), `"type":"resync"`) {
			break
		}
	}
}
