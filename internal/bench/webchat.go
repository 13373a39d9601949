package bench

// "loket bench webchat": many idle website chat visitors on one node. It
// starts its own server on a temporary SQLite database, opens --connections
// visitor sessions and sockets, reports the server's memory per idle
// socket, then has agents reply to --replies of those visitors and times
// each reply from the agent's POST to the visitor's socket.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

type webchatOptions struct {
	connections int
	replies     int
	sources     int
	hold        time.Duration
	timeout     time.Duration
}

func parseWebchatOptions(args []string) (*webchatOptions, error) {
	o := &webchatOptions{}
	fs := flag.NewFlagSet("bench webchat", flag.ContinueOnError)
	fs.IntVar(&o.connections, "connections", 10000, "idle visitor sockets to hold open")
	fs.IntVar(&o.replies, "replies", 200, "agent replies to time from POST to the visitor's socket")
	fs.IntVar(&o.sources, "sources", 250, "loopback source addresses (127.0.1.x) to spread visitors over, so per-address rate limits are not the bottleneck")
	fs.DurationVar(&o.hold, "hold", 10*time.Second, "how long to hold the idle sockets before measuring memory")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.connections < 1 || o.replies < 0 || o.replies > o.connections || o.sources < 1 || o.sources > 254 {
		return nil, errors.New("need connections ≥ 1, 0 ≤ replies ≤ connections and 1 ≤ sources ≤ 254")
	}
	return o, nil
}

// webchatVisitor is one simulated widget.
type webchatVisitor struct {
	token    string
	question string // the first message, which becomes the ticket's subject
	client   *http.Client
	conn     *websocket.Conn
	ticket   int64
	// seen receives the ids of replies that reach the socket.
	seen chan int64
}

func benchWebchat(ctx context.Context, args []string) error {
	o, err := parseWebchatOptions(args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	limit, err := raiseOpenFiles(uint64(o.connections) + 1024)
	if err != nil {
		return err
	}
	fmt.Printf("Loket webchat benchmark: %d idle visitor sockets, %d timed replies\n", o.connections, o.replies)
	fmt.Printf("machine: %s; open files limit %d (server and client each hold one per socket)\n", machineLoad(), limit)

	admin := benchClient(64)
	defer admin.CloseIdleConnections()
	srv, err := startBenchServer(ctx, admin, "")
	if err != nil {
		return err
	}
	defer srv.cleanup()
	base, pid := srv.target.url, srv.cmd.Process.Pid
	fmt.Printf("server: %s serve, SQLite in %s (removed afterwards), listening on %s\n", srv.cmd.Path, srv.data, base)
	var ch struct{ ID int64 }
	if err := benchJSON(ctx, admin, "POST", base+"/api/v1/channels", srv.target.apiToken,
		`{"kind":"webchat","name":"Bench chat","settings":{"allowed_origins":["*"]}}`, http.StatusCreated, &ch); err != nil {
		return fmt.Errorf("create the chat channel: %w", err)
	}
	clients := make([]*http.Client, o.sources)
	for i := range clients {
		clients[i] = sourceClient(net.IPv4(127, 0, 1, byte(i+1)))
	}
	visitors := make([]*webchatVisitor, o.connections)
	for i := range visitors {
		visitors[i] = &webchatVisitor{client: clients[i%o.sources], seen: make(chan int64, 4)}
	}
	chatURL := fmt.Sprintf("%s/api/v1/webchat/%d", base, ch.ID)

	began := time.Now()
	if err := forEach(ctx, visitors, 64, func(v *webchatVisitor) error {
		var s struct{ Token string }
		if err := benchJSON(ctx, v.client, "POST", chatURL+"/session", "", `{}`, http.StatusOK, &s); err != nil {
			return err
		}
		v.token = s.Token
		return nil
	}); err != nil {
		return fmt.Errorf("start visitor sessions: %w", err)
	}
	fmt.Printf("  %d sessions started in %s\n", o.connections, time.Since(began).Round(time.Millisecond))
	// The timed visitors ask something first, so that they have a ticket.
	for i, v := range visitors[:o.replies] {
		v.question = fmt.Sprintf("Where is my order %d?", i)
	}
	if err := forEach(ctx, visitors[:o.replies], 32, func(v *webchatVisitor) error {
		body := fmt.Sprintf(`{"token":%q,"text":%q}`, v.token, v.question)
		return benchJSON(ctx, v.client, "POST", chatURL+"/messages", "", body, http.StatusCreated, nil)
	}); err != nil {
		return fmt.Errorf("first messages: %w", err)
	}
	if err := ticketsOf(ctx, admin, base, srv.target.apiToken, ch.ID, visitors[:o.replies]); err != nil {
		return err
	}

	rssBefore, err := procStatusBytes(pid, "VmRSS")
	if err != nil {
		return err
	}
	began = time.Now()
	wsURL := "ws" + strings.TrimPrefix(chatURL, "http") + "/socket"
	if err := forEach(ctx, visitors, 128, func(v *webchatVisitor) error { return v.connect(ctx, wsURL) }); err != nil {
		return fmt.Errorf("open visitor sockets: %w", err)
	}
	connected := time.Since(began)
	fmt.Printf("  %d sockets open in %s (%s each on average)\n", o.connections, connected.Round(time.Millisecond), ms(connected/time.Duration(o.connections)))
	defer func() {
		for _, v := range visitors {
			if v.conn != nil {
				v.conn.CloseNow()
			}
		}
	}()
	select {
	case <-time.After(o.hold):
	case <-ctx.Done():
		return ctx.Err()
	}
	rssAfter, err := procStatusBytes(pid, "VmRSS")
	if err != nil {
		return err
	}
	var open int
	for _, v := range visitors {
		if v.conn != nil {
			open++
		}
	}
	perConn := float64(rssAfter-rssBefore) / float64(o.connections)
	fmt.Printf("\nidle sockets after %s (machine: %s)\n", o.hold, machineLoad())
	printTable(os.Stdout, []string{"", "value"}, [][]string{
		{"sockets open", thousands(float64(open))},
		{"server RSS before the sockets", megabytes(rssBefore)},
		{"server RSS with the sockets", megabytes(rssAfter)},
		{"per idle socket", fmt.Sprintf("%.1f KB", perConn/1e3)},
	})

	// Fan-out: replies while every other socket stays idle.
	lat := make([]time.Duration, 0, o.replies)
	var mu sync.Mutex
	var lost atomic.Int64
	err = forEach(ctx, visitors[:o.replies], 8, func(v *webchatVisitor) error {
		start := time.Now()
		var reply struct{ ID int64 }
		if err := benchJSON(ctx, admin, "POST", fmt.Sprintf("%s/api/v1/tickets/%d/messages", base, v.ticket), srv.target.apiToken,
			`{"text":"It ships today."}`, http.StatusCreated, &reply); err != nil {
			return err
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case id := <-v.seen:
				if id != reply.ID {
					continue
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				return nil
			case <-deadline:
				lost.Add(1)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	if err != nil {
		return fmt.Errorf("time replies: %w", err)
	}
	fmt.Printf("\nagent reply → visitor socket, with %d idle sockets (POST, outbox delivery, relay, socket)\n", o.connections)
	printTable(os.Stdout, latencyHeader, [][]string{append([]string{"reply reaches the visitor"}, summarize(lat).cells()...)})
	if n := lost.Load(); n > 0 {
		fmt.Printf("  %d replies did not arrive within 10 s\n", n)
	}
	return nil
}

// connect opens the visitor's socket, says hello and reads frames into
// seen until the socket closes.
func (v *webchatVisitor) connect(ctx context.Context, url string) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPClient: v.client, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return err
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": v.token})
	if err := c.Write(dctx, websocket.MessageText, hello); err != nil {
		c.CloseNow()
		return err
	}
	var ready struct{ Type string }
	if _, b, err := c.Read(dctx); err != nil || json.Unmarshal(b, &ready) != nil || ready.Type != "ready" {
		c.CloseNow()
		return fmt.Errorf("no ready frame: %v", err)
	}
	v.conn = c
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var f struct {
				Type    string
				Message struct {
					ID     int64
					Status string
				}
			}
			if json.Unmarshal(b, &f) == nil && f.Type == "message" {
				select {
				case v.seen <- f.Message.ID:
				default:
				}
			}
		}
	}()
	return nil
}

// ticketsOf finds the ticket of each timed visitor by its subject, the
// visitor's first message.
func ticketsOf(ctx context.Context, c *http.Client, base, token string, channel int64, vs []*webchatVisitor) error {
	bySubject := map[string]int64{}
	cursor := ""
	for {
		var page struct {
			Tickets []struct {
				ID      int64
				Subject string
			}
			Next string
		}
		url := fmt.Sprintf("%s/api/v1/tickets?channel_id=%d&cursor=%s", base, channel, cursor)
		if err := benchJSON(ctx, c, "GET", url, token, "", http.StatusOK, &page); err != nil {
			return fmt.Errorf("list chat tickets: %w", err)
		}
		for _, t := range page.Tickets {
			bySubject[t.Subject] = t.ID
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for _, v := range vs {
		if v.ticket = bySubject[v.question]; v.ticket == 0 {
			return fmt.Errorf("no chat ticket for %q", v.question)
		}
	}
	return nil
}

// forEach runs fn for every item with at most n at once and returns the
// first error.
func forEach[T any](ctx context.Context, items []T, n int, fn func(T) error) error {
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	sem := make(chan struct{}, n)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(it); err != nil {
				once.Do(func() { first = err })
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// sourceClient is an HTTP client whose connections leave from ip, one of
// the loopback addresses, as visitors behind different addresses would.
func sourceClient(ip net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}
}

// benchJSON sends a request and decodes the answer into out; want 0
// accepts any status.
func benchJSON(ctx context.Context, c *http.Client, method, url, token, body string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if want != 0 && resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %.300s", method, url, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// raiseOpenFiles lifts the soft limit on open files towards need (up to
// the hard limit), for this process and the server it starts.
func raiseOpenFiles(need uint64) (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("read the open files limit: %w", err)
	}
	if rl.Cur < need {
		rl.Cur = min(need, rl.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, fmt.Errorf("raise the open files limit: %w", err)
		}
	}
	if rl.Cur < need {
		return rl.Cur, fmt.Errorf("the open files limit is %d, fewer than the %d this benchmark needs; raise it with ulimit -n", rl.Cur, need)
	}
	return rl.Cur, nil
}
