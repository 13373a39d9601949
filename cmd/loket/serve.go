package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/bot"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/helpcenter"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/web"
	"loket.dev/loket/web/widget"
)

func serve(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	c.bindServe(fs)
	fs.Parse(args)
	log := newLogger(c.LogLevel)
	started := time.Now()
	proxies, err := httpapi.ParseTrustedProxies(c.Proxies)
	if err != nil {
		return fmt.Errorf("LOKET_TRUSTED_PROXIES: %w", err)
	}
	awayAfter, err := c.awayAfter()
	if err != nil {
		return err
	}
	contacts, err := c.contactScope()
	if err != nil {
		return err
	}

	st, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.Data, "blobs")
	}
	blobs, err := blob.NewDir(c.BlobDir)
	if err != nil {
		return err
	}
	mail := email.New(st)
	if mail.IDKey, err = messageIDKey(&c); err != nil {
		return err
	}
	channels := channel.NewRegistry(api.New(), mail)

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	var background sync.WaitGroup
	hub := realtime.NewHub(st, log)
	var events domain.Publisher = hub
	if st.Dialect() == store.Postgres {
		bus := realtime.NewPGBus(hub, st, c.DatabaseURL, log)
		hub.SetPublisher(bus)
		events = bus
		background.Go(func() { bus.Run(runCtx) })
	}
	var d *desk.Desk
	worker := outbox.NewWorker(st, func(ctx context.Context, j store.Job) { d.Deliver(ctx, j) }, log)
	// The FAQ bot hears the desk's own events (each node answers what it
	// received) and decides which new conversations it takes.
	faq := bot.New(bot.Config{Store: st, BaseURL: c.publicURL(), Log: log})
	d = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channels, Events: domain.Publishers{events, faq}, Region: c.Region, Log: log,
		Wake: worker.Wake, BotActive: faq.Active})
	background.Go(func() { checkSLAs(runCtx, d, log) })
	background.Go(func() { indexText(runCtx, st, log) })

	// E-mail: mailboxes watched over IMAP, and an optional SMTP receiver.
	inbox := &email.Inbox{Receiver: d, Deliveries: d, Acks: &email.Acknowledger{Sender: d}, Log: log}
	imapWatcher := &email.IMAPWatcher{Channels: st, Inbox: inbox, Status: st, Log: log}
	background.Go(func() { imapWatcher.Run(runCtx) })
	if c.SMTPAddr != "" {
		smtpLn, err := net.Listen("tcp", c.SMTPAddr)
		if err != nil {
			d.Close()
			stopRun()
			background.Wait()
			return fmt.Errorf("listen for smtp on %s: %w", c.SMTPAddr, err)
		}
		smtpd := &email.SMTPReceiver{Channels: st, Inbox: inbox, SpoolDir: c.Data, Log: log}
		background.Go(func() {
			if err := smtpd.Serve(runCtx, smtpLn); err != nil {
				log.Error("smtp receiver", "err", err)
			}
		})
	}

	stopAll := func() {
		faq.Close()
		d.Close()
		stopRun()
		background.Wait()
	}
	firstLogin, err := bootstrap(ctx, st, &c)
	if err != nil {
		stopAll()
		return err
	}
	// Routing starts once the first team and admin exist, so the leader
	// loads them.
	router := dispatch.New(dispatch.Config{Store: st, Desk: d, Events: events, Log: log, Connected: hub.Agents, AwayAfter: awayAfter})
	hub.Listen(router)
	background.Go(func() { router.Run(runCtx) })
	background.Go(func() { faq.Run(runCtx, bot.Env{Desk: d, Waits: router, Sweeps: router.Leading}) })
	// Website chat: visitors' sockets follow the hub's events of every node.
	chatRelay := webchat.NewRelay(st, log)
	hub.Listen(chatRelay)
	background.Go(func() { chatRelay.Run(runCtx) })
	channels.Register(webchat.New(webchat.Config{Desk: d, Store: st, Blobs: blobs, Relay: chatRelay, Events: events,
		Wait: router, BaseURL: c.publicURL(), Log: log}))
	// Deliveries start once every channel's adapter is registered.
	background.Go(func() { worker.Run(runCtx) })

	srv := httpapi.New(httpapi.Config{
		Desk: d, Store: st, Blobs: blobs, Hub: hub, Channels: channels, Log: log,
		SecureCookies:  strings.HasPrefix(c.BaseURL, "https://"),
		Web:            web.Handler(),
		Widget:         widget.Handler(),
		Help:           helpcenter.New(helpcenter.Config{Store: st, BaseURL: c.publicURL(), Log: log}),
		Router:         router,
		TrustedProxies: proxies,
		Contacts:       contacts,
	})
	httpSrv := newHTTPServer(srv.Handler(), log)
	// WebSockets are hijacked connections that Shutdown does not close.
	httpSrv.RegisterOnShutdown(hub.CloseAll)
	httpSrv.RegisterOnShutdown(chatRelay.CloseAll)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		stopAll()
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	fmt.Printf("Loket is running at %s (%s, started in %s)\n", c.publicURL(), st.Dialect(), time.Since(started).Round(time.Millisecond))
	if firstLogin != "" {
		fmt.Print(firstLogin)
	}
	log.Info("serving", "addr", ln.Addr().String(), "database", st.Dialect())

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down")
	// Stop taking requests and let those in flight finish; then commit what
	// is queued, stop the outbox after its deliveries and close the store.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := httpSrv.Shutdown(shutdownCtx); serr != nil {
		log.Warn("shutdown", "err", serr)
	}
	stopAll()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
		if c.NoDemo {
			return nil
		}
		team := &domain.Team{Name: "Support", Mode: domain.ModeMostFree}
		if err := tx.CreateTeam(ctx, team); err != nil {
			return err
		}
		if err := tx.SetAgentTeams(ctx, a.ID, []int64{team.ID}); err != nil {
			return err
		}
		demoToken = secret.Token("lki")
		ch = &domain.Channel{Kind: api.Kind, Name: "Demo (API)", TeamID: team.ID, Enabled: true}
		if err := tx.CreateChannel(ctx, ch, secret.Hash(demoToken)); err != nil {
			return err
		}
		var err error
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
			"    --json '{\"external_id\":\"demo-1\",\"from\":{\"email\":\"jan@example.nl\",\"name\":\"Jan\"},\"text\":\"Where is my order?\"}'\n\n",
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

// messageIDKey derives the key for unguessable e-mail Message-IDs from the
// secret key, so that every node makes the same ids.
func messageIDKey(c *config) ([]byte, error) {
	key, err := secret.LoadKey(c.SecretKey, c.Data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("loket message-id\x00"), key...))
	return sum[:], nil
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
