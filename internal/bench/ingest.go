package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"loket.dev/loket/internal/channel/api"
)

// ingestOptions are the flags of "loket bench ingest".
type ingestOptions struct {
	url         string
	token       string
	channel     int64
	apiToken    string
	data        string
	messages    int
	concurrency int
	rate        float64
	customers   int
	timeout     time.Duration
	kind        string
}

// ingestTarget is the server ingest posts to and listens on.
type ingestTarget struct {
	url          string // base URL, no trailing slash
	channel      int64  // API channel to post to
	inboundToken string // the channel's inbound token
	apiToken     string // for the realtime stream; empty: events are not timed
	// webhook, when set, posts as that provider to hook, the channel's
	// webhook URL, instead of to the API channel.
	webhook *webhook
	hook    string
}

// benchIngest posts inbound messages with concurrent workers, optionally
// paced, and times each POST and the arrival of its message.created event
// on one realtime stream. Without --url it starts its own server.
func benchIngest(ctx context.Context, args []string) error {
	o, err := parseIngestOptions(args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client := benchClient(o.concurrency)
	defer client.CloseIdleConnections()

	pace := "unpaced"
	if o.rate > 0 {
		pace = "paced to " + thousands(o.rate) + " msg/s"
	}
	fmt.Printf("Loket ingest benchmark: %d %s messages from %d customers, %d workers, %s\n", o.messages, o.kind, o.customers, o.concurrency, pace)
	fmt.Printf("machine: %s\n", machineLoad())

	t := ingestTarget{url: strings.TrimRight(o.url, "/"), channel: o.channel, inboundToken: o.token, apiToken: o.apiToken}
	var srv *benchServer
	if o.url == "" {
		if srv, err = startBenchServer(ctx, client, o.data); err != nil {
			return err
		}
		defer srv.cleanup()
		t = srv.target
		where := srv.data + " (removed afterwards)"
		if srv.tempDir == "" {
			where = srv.data + " (kept)"
		}
		fmt.Printf("server: %s serve, SQLite in %s, listening on %s\n", srv.cmd.Path, where, t.url)
		fmt.Printf("  start-up (exec to first 200 on /healthz)  %s\n", ms(srv.startup))
		if w, ok := findWebhook(o.kind); ok {
			if t.channel, t.hook, err = createWebhookChannel(ctx, client, t.url, t.apiToken, w); err != nil {
				return err
			}
			t.webhook = &w
			fmt.Printf("  posting as %s to %s\n", w.kind, t.hook)
		}
	} else {
		fmt.Printf("server: %s, channel %d\n", t.url, t.channel)
	}

	var stream *eventStream
	if t.apiToken != "" {
		if stream, err = openEventStream(ctx, t); err != nil {
			return err
		}
		defer stream.close()
	}
	var serverCPU time.Duration
	if srv != nil {
		rss, err1 := procStatusBytes(srv.cmd.Process.Pid, "VmRSS")
		cpu, err2 := procCPU(srv.cmd.Process.Pid)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		fmt.Printf("  RSS at idle                               %s\n", megabytes(rss))
		serverCPU = -cpu
	}
	clientCPU := -selfCPU()

	run := &ingestRun{o: o, t: t, client: client, stream: stream, tag: fmt.Sprintf("%x", time.Now().UnixNano())}
	run.start(ctx)
	fmt.Printf("\nresult (machine: %s)\n", machineLoad())
	if ctx.Err() != nil {
		fmt.Printf("  stopped early: %v after %s\n", ctx.Err(), o.timeout)
	}
	rows := run.report(ctx)
	clientCPU += selfCPU()
	stored := run.created + run.duplicate
	if srv != nil {
		cpu, err := procCPU(srv.cmd.Process.Pid)
		if err != nil {
			return err
		}
		serverCPU += cpu
		fmt.Printf("  server CPU   %.2f s: %.3f ms per message, %s messages per CPU-second\n",
			serverCPU.Seconds(), serverCPU.Seconds()*1000/float64(max(stored, 1)), thousands(float64(stored)/serverCPU.Seconds()))
	}
	fmt.Printf("  client CPU   %.2f s (this benchmark process, on the same machine)\n", clientCPU.Seconds())
	fmt.Println()
	printTable(os.Stdout, latencyHeader, rows)
	if srv != nil {
		fmt.Println()
		return srv.finish()
	}
	return nil
}

// parseIngestOptions reads and checks the flags of "loket bench ingest".
func parseIngestOptions(args []string) (ingestOptions, error) {
	var o ingestOptions
	fs := flag.NewFlagSet("bench ingest", flag.ExitOnError)
	fs.StringVar(&o.url, "url", "", "base URL of a running Loket; empty: start one (this binary's serve) on a temporary SQLite database")
	fs.StringVar(&o.token, "token", "", "with --url: the channel's inbound token")
	fs.Int64Var(&o.channel, "channel", 0, "with --url: id of the API channel to post to")
	fs.StringVar(&o.apiToken, "api-token", "", "with --url: API token for the realtime stream; without it event latency is not measured")
	fs.StringVar(&o.data, "data", "", "without --url: data directory for the started server, kept afterwards (default: a temporary one, removed)")
	fs.IntVar(&o.messages, "messages", 20000, "number of messages to post")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent posting workers (and idle connections kept)")
	fs.Float64Var(&o.rate, "rate", 0, "total messages per second to pace the posts to; 0: as fast as the workers go")
	fs.IntVar(&o.customers, "customers", 3000, "distinct customers the messages come from")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "stop after this long")
	fs.StringVar(&o.kind, "kind", "api", "post as this channel kind: api (the API channel), or a provider's signed webhook: "+strings.Join(webhookKinds()[1:], ", "))
	fs.Parse(args)
	if !slices.Contains(webhookKinds(), o.kind) {
		return o, fmt.Errorf("bench ingest: unknown --kind %q; one of %s", o.kind, strings.Join(webhookKinds(), ", "))
	}
	if o.kind != "api" && o.url != "" {
		return o, errors.New("bench ingest: --kind other than api needs the server the benchmark starts; it cannot go with --url")
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("bench ingest: unexpected argument %q", fs.Arg(0))
	case o.messages <= 0 || o.concurrency <= 0 || o.customers <= 0 || o.rate < 0 || o.timeout <= 0:
		return o, errors.New("bench ingest: --messages, --concurrency, --customers and --timeout must be positive, --rate not negative")
	case o.url != "" && (o.token == "" || o.channel <= 0):
		return o, errors.New("bench ingest: --url needs --token and --channel")
	case o.url != "" && o.data != "":
		return o, errors.New("bench ingest: --data is for the server the benchmark starts; it cannot go with --url")
	case o.url == "" && (o.token != "" || o.channel != 0 || o.apiToken != ""):
		return o, errors.New("bench ingest: --token, --channel and --api-token go with --url")
	}
	return o, nil
}

// report prints the outcome of the posts and, with a stream, of the
// events, and returns the latency table's rows.
func (r *ingestRun) report(ctx context.Context) [][]string {
	fmt.Printf("  answered     %d (%d created, %d duplicate, %d accepted without a message), %d errors\n",
		r.created+r.duplicate+r.accepted, r.created, r.duplicate, r.accepted, r.failed)
	for _, e := range r.errs {
		fmt.Printf("               error: %s\n", e)
	}
	fmt.Printf("  elapsed      %.2f s\n", r.elapsed.Seconds())
	fmt.Printf("  throughput   %s msg/s answered 2xx\n", thousands(float64(r.created+r.duplicate)/r.elapsed.Seconds()))
	rows := [][]string{append([]string{"POST → 2xx answer"}, summarize(r.latency).cells()...)}
	if r.stream == nil {
		fmt.Println("  events       not measured (give --api-token)")
		return rows
	}
	missing := r.stream.wait(ctx, 10*time.Second)
	res := r.stream.results()
	fmt.Printf("  events       %d matched (%d before their POST answer, counted as 0 after it), %d missing\n",
		len(res.afterAnswer), res.early, missing)
	if res.drops > 0 {
		gaveUp := ""
		if res.drops >= maxStreamDrops {
			gaveUp = ", then stopped reconnecting"
		}
		fmt.Printf("  stream       dropped %d times by the server%s; last: %s\n", res.drops, gaveUp, res.drop)
	}
	if res.resyncs > 0 {
		fmt.Printf("  stream       told %d times to resync: the server skipped events for this client\n", res.resyncs)
	}
	return append(rows,
		append([]string{"2xx answer → message.created event"}, summarize(res.afterAnswer).cells()...),
		append([]string{"POST sent → message.created event"}, summarize(res.endToEnd).cells()...))
}

// selfCPU returns the CPU time, user and system, this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchClient returns an HTTP client for concurrency workers that keeps a
// connection per worker and never goes through a proxy.
func benchClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// ingestRun is one run of posting workers and what they measured.
type ingestRun struct {
	o      ingestOptions
	t      ingestTarget
	client *http.Client
	stream *eventStream
	tag    string // makes external ids unique across runs

	next  atomic.Int64
	began time.Time

	mu                                   sync.Mutex
	latency                              []time.Duration // of the POSTs answered 2xx
	created, duplicate, accepted, failed int
	errs                                 []string // the first few distinct errors
	elapsed                              time.Duration
}

// start runs the workers until every message is posted or ctx ends.
func (r *ingestRun) start(ctx context.Context) {
	r.latency = make([]time.Duration, 0, r.o.messages)
	r.began = time.Now()
	var wg sync.WaitGroup
	for w := range r.o.concurrency {
		wg.Go(func() { r.work(ctx, w) })
	}
	wg.Wait()
	r.elapsed = time.Since(r.began)
}

// work posts messages until none are left or ctx ends; with a rate,
// message i is not sent before began + i/rate.
func (r *ingestRun) work(ctx context.Context, w int) {
	rng := rand.New(rand.NewPCG(uint64(w), 0x10ce7))
	endpoint := fmt.Sprintf("%s/api/v1/channels/%d/inbound", r.t.url, r.t.channel)
	for {
		i := int(r.next.Add(1)) - 1
		if i >= r.o.messages || ctx.Err() != nil {
			return
		}
		if r.o.rate > 0 {
			due := time.NewTimer(time.Until(r.began.Add(time.Duration(float64(i) / r.o.rate * float64(time.Second)))))
			select {
			case <-ctx.Done():
				due.Stop()
				return
			case <-due.C:
			}
		}
		req, externalID := r.request(rng, endpoint, i)
		t0 := time.Now()
		status, err := r.postOne(ctx, req)
		t1 := time.Now()
		r.record(status, t1.Sub(t0), err)
		if err == nil && status != http.StatusAccepted && r.stream != nil {
			r.stream.answered(externalID, post{sent: t0, answered: t1})
		}
	}
}

// request is the post of message i and the external id it is stored
// under: to the API channel, or as the provider of the webhook kind.
func (r *ingestRun) request(rng *rand.Rand, endpoint string, i int) (*http.Request, string) {
	if w := r.t.webhook; w != nil {
		c := rng.IntN(r.o.customers)
		return w.request(r.t.hook, i, c, r.tag, sentences(rng, customerNL, 1+rng.IntN(3)))
	}
	req := newPost(endpoint, "application/json", r.message(rng, i))
	req.Header.Set("Authorization", "Bearer "+r.t.inboundToken)
	return req, fmt.Sprintf("bench-%s-%d", r.tag, i)
}

// message returns the JSON of message i from a random customer. A third
// of the customers write with an e-mail address, a third with a phone
// number and a third with both, so that recognition links identities.
func (r *ingestRun) message(rng *rand.Rand, i int) []byte {
	c := rng.IntN(r.o.customers)
	m := api.Message{ExternalID: fmt.Sprintf("bench-%s-%d", r.tag, i), Language: "nl"}
	m.From.Name = customerName(c)
	email, phone := fmt.Sprintf("klant%05d@example.nl", c), fmt.Sprintf("+3161%07d", c)
	switch c % 3 {
	case 0:
		m.From.Email = email
	case 1:
		m.From.Phone = phone
	default:
		m.From.Email, m.From.Phone = email, phone
	}
	pool := customerNL
	if c%5 == 0 {
		pool, m.Language = customerEN, "en"
	}
	m.Text = sentences(rng, pool, 1+rng.IntN(3))
	b, _ := json.Marshal(m)
	return b
}

// postOne posts one message and returns the status; err is set for
// transport failures and unexpected statuses. The API channel answers 201
// (created), 200 (duplicate) or 202 (kept as a dead letter, or nothing for
// the inbox); a provider's webhook 2xx once committed.
func (r *ingestRun) postOne(ctx context.Context, req *http.Request) (int, error) {
	resp, err := r.client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read answer: %w", err)
	}
	if r.t.webhook != nil && resp.StatusCode/100 == 2 {
		return http.StatusCreated, nil
	}
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK, http.StatusAccepted:
		return resp.StatusCode, nil
	}
	return resp.StatusCode, fmt.Errorf("%s: %.200s", resp.Status, bytes.TrimSpace(data))
}

// record counts one post's outcome.
func (r *ingestRun) record(status int, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed++
		if msg := err.Error(); len(r.errs) < 3 && !slices.Contains(r.errs, msg) {
			r.errs = append(r.errs, msg)
		}
		return
	}
	r.latency = append(r.latency, took)
	switch status {
	case http.StatusCreated:
		r.created++
	case http.StatusOK:
		r.duplicate++
	default:
		r.accepted++
	}
}
