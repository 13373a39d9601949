package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"loket.dev/loket/internal/automation"
	"loket.dev/loket/internal/handling"
	"loket.dev/loket/internal/tasks"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/bot"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/channel/frontdesk"
	"loket.dev/loket/internal/channel/letter"
	"loket.dev/loket/internal/channel/meta"
	"loket.dev/loket/internal/channel/poll"
	"loket.dev/loket/internal/channel/review/google"
	"loket.dev/loket/internal/channel/review/trustpilot"
	"loket.dev/loket/internal/channel/sms"
	"loket.dev/loket/internal/channel/telegram"
	"loket.dev/loket/internal/channel/voice"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/channel/whatsapp"
	"loket.dev/loket/internal/channel/x"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/metrics"
	"loket.dev/loket/internal/notice"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/webhook"
	"loket.dev/loket/web"
	"loket.dev/loket/web/widget"
)

// serve runs Loket: it builds each component with one constructor, in
// the order they depend on each other, starts their background work,
// then serves HTTP until ctx ends.
func serve(ctx context.Context, args []string) error {
	c, err := serveConfig(args)
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel)
	started := time.Now()

	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Dialect() == store.Postgres {
		log.Info("database pool", "connections", c.poolSize, "nodes", c.Nodes, "explicit", c.Pool > 0)
	}
	blobs, err := openBlobs(ctx, c)
	if err != nil {
		return err
	}
	secretKey, err := secret.LoadKey(c.SecretKey, c.Data)
	if err != nil {
		return err
	}
	idKey := messageIDKey(secretKey)
	firstLogin, err := bootstrap(ctx, st, c)
	if err != nil {
		return err
	}
	bg := newBackground(ctx)
	defer bg.stop()

	hub, events, hearsOthers := openRealtime(st, c, log, bg)
	hrs := hours.New(hours.Config{Store: st, Events: events})
	channels := channel.NewRegistry()
	faq := bot.New(bot.Config{Store: st, BaseURL: c.publicURL(), Log: log, Channels: channels, Hours: hrs})
	runner := tasks.NewRunner(st, log)
	// Rules' webhook actions call URLs a supervisor typed, so they get
	// the webhooks' guard against Loket's own network too.
	rules := automation.New(automation.Config{Store: st, Channels: channels, Events: events, Log: log, TasksAdded: runner.Wake,
		Client: webhook.NewClient(c.WebhookAllowPrivate)})
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channels, Events: domain.Publishers{events, faq},
		Region: c.Region, Log: log, BotActive: faq.Active, Hours: hrs, SurveyKey: secretKey, BaseURL: c.publicURL(),
		Watcher: rules, TasksAdded: runner.Wake})
	defer d.Close()
	hooks := webhook.New(webhook.Config{Store: st, Events: events, Log: log, AllowPrivate: c.WebhookAllowPrivate, Wake: runner.Wake})
	rules.Attach(d, hooks)
	runner.Handle(desk.TaskTrigger, rules.HandleTrigger)
	runner.Handle(automation.TaskRuleWebhook, rules.CallWebhook)
	runner.Handle(automation.TaskCampaign, rules.SendCampaign)
	runner.Handle(webhook.TaskKind, hooks.Handle)
	defer faq.Close()
	worker := outbox.NewWorker(st, d.Deliver, d.Queued(), log)
	router := dispatch.New(dispatch.Config{Store: st, Desk: d, Events: events, Log: log, Connected: hub.Agents, AwayAfter: c.away})
	mail, err := email.NewService(email.ServiceConfig{Store: st, Desk: d, Waits: router, IDKey: idKey,
		SMTPAddr: c.SMTPAddr, SpoolDir: c.Data, Log: log})
	if err != nil {
		return err
	}

	runner.Handle(notice.TaskKind, (&notice.Sender{Store: st, Mail: mail.Adapter}).Handle)

	// Channels: one line each.
	channels.Register(api.New())
	channels.Register(mail)
	channels.Register(webchat.New(webchat.Config{Desk: d, Store: st, Blobs: blobs, Events: events, Wait: router,
		BaseURL: c.publicURL(), Log: log, Hours: hrs}))
	channels.Register(whatsapp.New(whatsapp.Config{}))
	channels.Register(sms.New(sms.Config{BaseURL: c.publicURL}))
	channels.Register(voice.New(voice.Config{BaseURL: c.publicURL, Region: c.Region}))
	channels.Register(letter.New())
	channels.Register(meta.Messenger(meta.Config{Log: log}))
	channels.Register(meta.Instagram(meta.Config{Log: log}))
	frontDesk := frontdesk.New(frontdesk.Config{Desk: d, Store: st, Log: log})
	channels.Register(frontDesk)
	channels.Register(telegram.New(telegram.Config{BaseURL: c.publicURL(), Report: d.ReportProvider, Channels: st, Locks: st.Locker(), Log: log, Ingest: d.IngestPayload}))
	channels.Register(google.New(google.Config{Log: log}))
	channels.Register(trustpilot.New(trustpilot.Config{Log: log}))
	channels.Register(x.New(x.Config{}))

	reg := metrics.New()
	reg.RegisterRuntime()
	counted := metrics.RegisterLoket(reg, metrics.Facts{Store: st, Queues: routingQueues(router)})

	signOn, err := c.OIDC.provider(c.publicURL()+"/api/v1/sso/callback", secretKey)
	if err != nil {
		return err
	}
	srv := httpapi.New(httpapi.Config{
		Desk: d, Store: st, Blobs: blobs, Hub: hub, Channels: channels, Log: log,
		// Ready once this node hears the others: before, an agent served
		// here would miss their events.
		Ready:          hearsOthers,
		SecureCookies:  strings.HasPrefix(c.BaseURL, "https://"),
		Web:            web.Handler(),
		Widget:         widget.Handler(),
		Help:           helpCenter(c, st, d, log),
		Display:        frontDesk.Display(),
		Router:         router,
		TrustedProxies: c.proxies,
		Contacts:       c.contacts,
		BaseURL:        c.publicURL(),
		Metrics:        reg,
		Automation:     rules,
		Webhooks:       hooks,
		SSO:            signOn,
		TasksAdded:     runner.Wake,
	})

	// Background work: every listener hears the hub before it starts.
	hub.Listen(hrs)
	hub.Listen(router)
	hub.Listen(counted)
	hub.Listen(rules)
	handled := handling.New(st, log)
	hub.SetHandler(handled)
	hub.Listen(hooks)
	for _, a := range channels.Adapters() {
		if l, ok := a.(domain.Publisher); ok {
			hub.Listen(l)
		}
		if r, ok := a.(channel.Runner); ok {
			bg.Go(r.Run)
		}
		// Read, not pushed: mentions, reviews.
		if p, ok := a.(channel.Poller); ok {
			r := poll.New(poll.Config{Kind: a.Kind(), Poller: p, Store: st, Locks: st.Locker(), Ingest: d.IngestPayload,
				Report: d.ReportProvider, Log: log})
			hub.Listen(r)
			bg.Go(r.Run)
		}
	}
	bg.Go(func(ctx context.Context) { checkSLAs(ctx, d, log) })
	bg.Go(func(ctx context.Context) { indexText(ctx, st, log) })
	// Dead letters and surveys: kept payloads are tried again as their
	// waits pass, due surveys are sent.
	bg.Go(func(ctx context.Context) {
		sweep(ctx, 30*time.Second, router.Leading, log, "retry dead letters", func(ctx context.Context) error {
			_, err := d.RetryDeadLetters(ctx)
			return err
		})
	})
	bg.Go(func(ctx context.Context) {
		sweep(ctx, 30*time.Second, router.Leading, log, "send surveys", sendSurveys(d))
	})
	bg.Go(func(ctx context.Context) {
		sweep(ctx, time.Minute, router.Leading, log, "scheduled rules", rules.Sweep)
	})
	bg.Go(func(ctx context.Context) {
		sweep(ctx, time.Hour, router.Leading, log, "prune finished tasks", func(ctx context.Context) error {
			if _, err := st.Tasks().Prune(ctx, time.Now().Add(-7*24*time.Hour).UnixMilli()); err != nil {
				return err
			}
			// A task is retried for a day at most; its actions' keys are
			// kept for a month.
			_, err := st.PruneActionKeys(ctx, time.Now().Add(-30*24*time.Hour).UnixMilli())
			return err
		})
	})
	bg.Go(func(ctx context.Context) {
		sweep(ctx, time.Hour, router.Leading, log, "prune the webhook delivery log", hooks.Prune)
	})
	bg.Go(func(ctx context.Context) {
		sweep(ctx, time.Hour, router.Leading, log, "prune rate limits", func(ctx context.Context) error {
			_, err := st.PruneRateLimits(ctx, time.Now().UnixMilli())
			return err
		})
	})
	// Retention: channels that keep solved tickets for a number of days
	// have older ones erased, hourly, with a note in the audit log.
	bg.Go(func(ctx context.Context) {
		sweep(ctx, time.Hour, router.Leading, log, "apply retention", func(ctx context.Context) error {
			done, err := d.ApplyRetention(ctx)
			for ch, n := range done {
				log.Info("retention: erased solved tickets", "channel", ch, "tickets", n)
				if aerr := st.Audit(ctx, "retention", "retention.erase", fmt.Sprintf("channel %d", ch), fmt.Sprintf("%d tickets", n)); aerr != nil {
					return aerr
				}
			}
			return err
		})
	})
	bg.Go(runner.Worker().Run)
	bg.Go(handled.Run)
	// The volume report's hourly counts: what writes appended since the
	// last round is added up, so that reports read few rows.
	bg.Go(func(ctx context.Context) {
		sweep(ctx, 30*time.Second, router.Leading, log, "fold report hours", func(ctx context.Context) error {
			_, err := st.FoldReportHours(ctx)
			return err
		})
	})
	bg.Go(router.Run)
	bg.Go(func(ctx context.Context) { faq.Run(ctx, bot.Env{Desk: d, Waits: router, Sweeps: router.Leading}) })
	bg.Go(worker.Run)

	return serveHTTP(ctx, c, srv.Handler(), hub, log, func(addr string) {
		fmt.Printf("Loket is running at %s (%s, started in %s)\n", c.publicURL(), st.Dialect(), time.Since(started).Round(time.Millisecond))
		fmt.Print(firstLogin)
		log.Info("serving", "addr", addr, "database", st.Dialect())
	})
}

// serveConfig reads the serve flags and environment and checks the values
// that need parsing.
func serveConfig(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	c.bindServe(fs)
	fs.Parse(args)
	var err error
	if c.proxies, err = httpapi.ParseTrustedProxies(c.Proxies); err != nil {
		return nil, fmt.Errorf("LOKET_TRUSTED_PROXIES: %w", err)
	}
	if c.away, err = c.awayAfter(); err != nil {
		return nil, err
	}
	if c.contacts, err = c.contactScope(); err != nil {
		return nil, err
	}
	if err := c.OIDC.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// openBlobs opens the attachment store: the S3 bucket when one is named,
// else the blob directory.
func openBlobs(ctx context.Context, c *config) (blob.Store, error) {
	if c.S3.Bucket != "" {
		return blob.NewS3(ctx, blob.S3Config{Endpoint: c.S3.Endpoint, Region: c.S3.Region, Bucket: c.S3.Bucket,
			AccessKey: c.S3.AccessKey, SecretKey: c.S3.SecretKey, Prefix: c.S3.Prefix, PathStyle: c.S3.PathStyle})
	}
	return blob.NewDir(c.blobDir())
}

// openRealtime returns the hub that pushes events to agents, where to
// publish events (the hub itself on one node, the PostgreSQL bus, which
// feeds every node's hub, on several) and whether this node hears the
// others yet (always, on one node).
func openRealtime(st *store.Store, c *config, log *slog.Logger, bg *background) (*realtime.Hub, domain.Publisher, func() bool) {
	hub := realtime.NewHub(st, log)
	if st.Dialect() != store.Postgres {
		return hub, hub, func() bool { return true }
	}
	// LISTEN needs a session of its own: straight to PostgreSQL, past
	// any transaction-mode pooler.
	bus := realtime.NewPGBus(hub, st, c.directURL(), log)
	hub.SetPublisher(bus)
	bg.Go(bus.Run)
	hears := func() bool {
		select {
		case <-bus.Listening():
			return true
		default:
			return false
		}
	}
	return hub, bus, hears
}

// serveHTTP serves handler on c.Addr until ctx ends, then stops taking
// requests and lets those in flight finish. ready runs once it listens.
func serveHTTP(ctx context.Context, c *config, handler http.Handler, hub *realtime.Hub, log *slog.Logger, ready func(addr string)) error {
	httpSrv := newHTTPServer(handler, log)
	// WebSockets are hijacked connections that Shutdown does not close;
	// visitors' sockets close when their adapter's Run ends.
	httpSrv.RegisterOnShutdown(hub.CloseAll)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	ready(ln.Addr().String())
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := httpSrv.Shutdown(shutdownCtx); serr != nil {
		log.Warn("shutdown", "err", serr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// background runs the components' loops until stop, which cancels them
// and waits for each to return (the outbox after its deliveries).
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackground(ctx context.Context) *background {
	b := &background{}
	b.ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return b
}

// Go runs fn in its own goroutine with the background's context.
func (b *background) Go(fn func(ctx context.Context)) { b.wg.Go(func() { fn(b.ctx) }) }

func (b *background) stop() {
	b.cancel()
	b.wg.Wait()
}

// bootstrap prepares an empty database: the first admin (from the
// configuration or generated) and, unless disabled, a demo team and API
// channel so a new user can try Loket at once. It returns what to print.
func bootstrap(ctx context.Context, st *store.Store, c *config) (string, error) {
	n, err := st.CountAgents(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	email, pw, generated := c.AdminEmail, c.AdminPass, false
	if email == "" {
		email = "admin@localhost"
	}
	if email, err = domain.NormalizeEmail(email); err != nil {
		return "", fmt.Errorf("LOKET_ADMIN_EMAIL: %w", err)
	}
	if pw == "" {
		pw, generated = secret.Token("pw")[3:23], true
	}
	if err := secret.CheckPasswordPolicy(pw, email, "Admin"); err != nil {
		return "", fmt.Errorf("LOKET_ADMIN_PASSWORD: %w", err)
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return "", fmt.Errorf("LOKET_ADMIN_PASSWORD: %w", err)
	}
	var out strings.Builder
	var demoToken string
	var ch *domain.Channel
	var chatID int64
	err = st.Tx(ctx, func(tx *store.Store) error {
		a := &domain.Agent{Email: email, Name: "Admin", Role: domain.RoleAdmin}
		if err := tx.CreateAgent(ctx, a, hash); err != nil {
			return err
		}
		// Online from the start, so the demo's first chat finds someone to hand over to.
		if _, err := tx.SetPresence(ctx, a.ID, domain.PresenceOnline, false, time.Now().UnixMilli()); err != nil {
			return err
		}
		// The demo team first, so that it keeps id 1 as on earlier desks.
		team := &domain.Team{Name: "Support", Mode: domain.ModeMostFree}
		if !c.NoDemo {
			if err := tx.CreateTeam(ctx, team); err != nil {
				return err
			}
		}
		complaints, err := automation.Seed(ctx, tx, "Loket")
		if err != nil {
			return err
		}
		if c.NoDemo {
			return nil
		}
		if err := tx.SetAgentTeams(ctx, a.ID, []int64{team.ID, complaints.ID}); err != nil {
			return err
		}
		demoToken = secret.Token("lki")
		ch = &domain.Channel{Kind: api.Kind, Name: "Demo (API)", TeamID: team.ID, Enabled: true}
		if err := tx.CreateChannel(ctx, ch, secret.Hash(demoToken)); err != nil {
			return err
		}
		chatID, err = createDemoChat(ctx, tx, team.ID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create first admin: %w", err)
	}
	fmt.Fprintf(&out, "\nFirst start: sign in as %s", email)
	if generated {
		fmt.Fprintf(&out, " with password %s\n(shown only now; change it after signing in)\n", pw)
	} else {
		fmt.Fprint(&out, " with the password from LOKET_ADMIN_PASSWORD\n")
	}
	if ch != nil {
		fmt.Fprintf(&out, "\nA demo API channel is ready. Post a customer message to it:\n\n"+
			"  curl -s %s/api/v1/channels/%d/inbound \\\n    -H 'Authorization: Bearer %s' \\\n"+
			"    -H 'Content-Type: application/json' -d '{\"external_id\":\"demo-1\",\"from\":{\"email\":\"jan@example.nl\",\"name\":\"Jan\"},\"text\":\"Where is my order?\"}'\n\n",
			c.publicURL(), ch.ID, demoToken)
		fmt.Fprintf(&out, "Chat with the FAQ bot as a customer would: %s/widget/try/%d\n"+
			"The public help center: %s/help\n\n", c.publicURL(), chatID, c.publicURL())
	}
	return out.String(), nil
}

// checkSLAs raises SLA warnings and breaches as they come due, and keeps
// the query planner's statistics fresh once an hour.
func checkSLAs(ctx context.Context, d *desk.Desk, log *slog.Logger) {
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	optimize := time.NewTicker(time.Hour)
	defer optimize.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-optimize.C:
			if err := d.Store().Optimize(ctx); err != nil && ctx.Err() == nil {
				log.Warn("optimize database", "err", err)
			}
			continue
		case <-tick.C:
		}
		for {
			n, err := d.CheckSLA(ctx, 200)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("sla check", "err", err)
				}
				break
			}
			if n < 200 {
				break
			}
		}
	}
}

// routingQueues reads the routing queues for the metrics.
func routingQueues(router *dispatch.Dispatcher) func(ctx context.Context) ([]metrics.Queue, error) {
	return func(ctx context.Context) ([]metrics.Queue, error) {
		v, err := router.View(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]metrics.Queue, len(v.Queues))
		for i, q := range v.Queues {
			out[i] = metrics.Queue{TeamID: q.TeamID, Kind: q.Kind, Waiting: q.Waiting, LongestWaitMs: q.LongestWaitMs}
		}
		return out, nil
	}
}

// sweep runs fn every period on the node that leads routing, for work
// that one node at a time must do: retrying dead letters, sending due
// surveys, folding report counts. An error is logged and the next round tries again.
func sweep(ctx context.Context, period time.Duration, leading func() bool, log *slog.Logger, what string, fn func(context.Context) error) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !leading() {
			continue
		}
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			log.Error(what, "err", err)
		}
	}
}

// sendSurveys sends every survey that is due, a hundred at a time.
func sendSurveys(d *desk.Desk) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			n, err := d.SendDueSurveys(ctx, 100)
			if err != nil || n < 100 {
				return err
			}
		}
	}
}

// messageIDKey derives the key for unguessable e-mail Message-IDs from the
// secret key, so that every node makes the same ids.
func messageIDKey(key []byte) []byte {
	sum := sha256.Sum256(append([]byte("loket message-id\x00"), key...))
	return sum[:]
}

// indexText adds new messages to SQLite's full-text index once a second,
// in one batch (searches catch up on their own before they run).
func indexText(ctx context.Context, st *store.Store, log *slog.Logger) {
	if st.Dialect() != store.SQLite {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := st.IndexText(ctx); err != nil && ctx.Err() == nil {
				log.Warn("full-text index", "err", err)
			}
		}
	}
}
