package email

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// StatusReporter records a connector's health on its channel; an empty
// status means healthy. *store.Store satisfies it.
type StatusReporter interface {
	SetChannelStatus(ctx context.Context, id int64, status string) error
}

// IMAPWatcher fetches new mail from the IMAP mailbox of every enabled
// e-mail channel that has imap settings. A mail is marked \Seen only after
// the inbox accepted it, so a crash or failed ingest leaves it to be
// fetched again (duplicates are dropped by Message-ID). With Locks, each
// mailbox is watched by one node at a time.
type IMAPWatcher struct {
	Channels ChannelLister
	Inbox    *Inbox
	Status   StatusReporter
	Dialer   *Dialer
	Log      *slog.Logger
	// PollInterval is how often a mailbox without IDLE is checked, and
	// how long IDLE waits before checking anyway; 30 seconds when zero.
	PollInterval time.Duration
	// RescanInterval is how often the channel list is read again to pick
	// up new, changed and removed channels; one minute when zero.
	RescanInterval time.Duration
	// Backoff is the first wait after a failed connection; it doubles up
	// to five minutes. One second when zero.
	Backoff time.Duration
	// Locks, when set, lets only the node holding a channel's lock watch
	// its mailbox; another node takes the mailbox over at its next rescan
	// once that node is gone. Nil watches every mailbox (one node).
	Locks channel.Locks

	wakeOnce sync.Once
	wake     chan struct{} // a rescan is asked for (Rescan)
}

// watching is the running watcher of one channel.
type watching struct {
	fingerprint string
	stop        context.CancelFunc
	done        chan struct{}
}

// Run watches the channels' mailboxes until ctx ends.
func (w *IMAPWatcher) Run(ctx context.Context) {
	running := map[int64]*watching{}
	defer func() {
		for id, r := range running {
			r.stop()
			<-r.done
			if w.Locks != nil {
				w.Locks.Unlock(context.WithoutCancel(ctx), mailboxLock(id))
			}
		}
	}()
	tick := time.NewTicker(orDefault(w.RescanInterval, time.Minute))
	defer tick.Stop()
	for {
		w.rescan(ctx, running)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.wakeup():
		}
	}
}

// rescan starts watchers for new or changed channels and stops those of
// removed, disabled or changed ones.
func (w *IMAPWatcher) rescan(ctx context.Context, running map[int64]*watching) {
	chs, err := w.Channels.Channels(ctx, Kind)
	if err != nil {
		if ctx.Err() == nil {
			w.log().Error("imap: list channels", "err", err)
		}
		return
	}
	want := map[int64]*domain.Channel{}
	for _, ch := range chs {
		if s, err := ParseSettings(ch.Settings); err == nil && ch.Enabled && s.IMAP != nil {
			want[ch.ID] = ch
		}
	}
	w.lockMailboxes(ctx, want, running)
	for id, r := range running {
		if ch, ok := want[id]; !ok || channel.Fingerprint(ch) != r.fingerprint {
			r.stop()
			<-r.done
			delete(running, id)
			if !ok && w.Locks != nil {
				w.Locks.Unlock(ctx, mailboxLock(id))
			}
		}
	}
	for id, ch := range want {
		if _, ok := running[id]; ok {
			continue
		}
		wctx, stop := context.WithCancel(ctx)
		r := &watching{fingerprint: channel.Fingerprint(ch), stop: stop, done: make(chan struct{})}
		running[id] = r
		go func() {
			defer close(r.done)
			w.watch(wctx, ch)
		}()
	}
}

// watch keeps one channel's mailbox connected until ctx ends, reconnecting
// with exponential backoff and reporting the channel's health.
func (w *IMAPWatcher) watch(ctx context.Context, ch *domain.Channel) {
	reported := ch.Status
	report := func(status string) {
		if status == reported || ctx.Err() != nil {
			return
		}
		if err := w.Status.SetChannelStatus(context.WithoutCancel(ctx), ch.ID, status); err != nil {
			w.log().Warn("imap: report channel status", "channel", ch.ID, "err", err)
			return
		}
		reported = status
	}
	first := orDefault(w.Backoff, time.Second)
	backoff := first
	for ctx.Err() == nil {
		healthy := false
		err := w.session(ctx, ch, func() {
			healthy = true
			backoff = first
			report("")
		})
		if ctx.Err() != nil {
			return
		}
		w.log().Warn("imap: mailbox connection ended", "channel", ch.ID, "err", err, "retry_in", backoff)
		report("imap: " + err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if !healthy {
			backoff = min(2*backoff, 5*time.Minute)
		}
	}
}

// session runs one IMAP connection: log in, select the folder, then fetch
// unseen mail whenever the server reports new mail or the poll interval
// passes. healthy is called after each successful round. It returns when
// the connection fails or ctx ends.
func (w *IMAPWatcher) session(ctx context.Context, ch *domain.Channel, healthy func()) error {
	s, err := ParseSettings(ch.Settings)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	srv := s.IMAP
	conn, err := w.Dialer.dial(ctx, srv.address(993, 143), srv.Host, srv.tlsMode() == TLSImplicit)
	if err != nil {
		return err
	}
	wake := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: w.Dialer.tlsConfig(srv.Host),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var c *imapclient.Client
	if srv.tlsMode() == TLSStartTLS {
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return fmt.Errorf("starttls: %w", err)
		}
	} else {
		c = imapclient.New(conn, opts)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(srv.Username, ch.Secrets["imap.password"]).Wait(); err != nil {
		return fmt.Errorf("login as %s: %w", srv.Username, err)
	}
	folder := orElse(srv.Folder, "INBOX")
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		return fmt.Errorf("select %s: %w", folder, err)
	}
	poll := orDefault(w.PollInterval, 30*time.Second)
	idle := c.Caps().Has(imap.CapIdle)
	for {
		if err := w.fetchUnseen(ctx, c, ch); err != nil {
			return err
		}
		healthy()
		if err := wait(ctx, c, idle, wake, poll); err != nil {
			return err
		}
	}
}

// wait returns when the server announces new mail (under IDLE), after
// poll, or when ctx ends.
func wait(ctx context.Context, c *imapclient.Client, idle bool, wake <-chan struct{}, poll time.Duration) error {
	var cmd *imapclient.IdleCommand
	if idle {
		// NOOP first: it collects news of mail that arrived during the last
		// fetch, which some servers do not repeat once IDLE starts.
		if err := c.Noop().Wait(); err != nil {
			return fmt.Errorf("noop: %w", err)
		}
		select {
		case <-wake:
			return nil
		default:
		}
		var err error
		if cmd, err = c.Idle(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	case <-c.Closed():
	}
	if cmd == nil {
		return ctx.Err()
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return ctx.Err()
}

// fetchUnseen hands every unseen mail to the inbox, one at a time, and
// flags it \Seen once the inbox accepted or refused it. A mail the inbox
// could not take stays unseen and ends the round with an error.
func (w *IMAPWatcher) fetchUnseen(ctx context.Context, c *imapclient.Client, ch *domain.Channel) error {
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search unseen: %w", err)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range found.AllUIDs() {
		set := imap.UIDSetNum(uid)
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch message %d: %w", uid, err)
		}
		if len(msgs) == 0 {
			continue // expunged meanwhile
		}
		raw := msgs[0].FindBodySection(body)
		if raw == nil {
			return fmt.Errorf("fetch message %d: the server sent no body", uid)
		}
		err = w.Inbox.Deliver(ctx, ch, raw)
		if refused(err) {
			w.log().Warn("imap: mail refused; flagged seen and left in the mailbox", "channel", ch.ID, "uid", uid, "err", err)
		} else if err != nil {
			return err
		}
		flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := c.Store(set, flags, nil).Close(); err != nil {
			return fmt.Errorf("flag message %d seen: %w", uid, err)
		}
	}
	return nil
}

func (w *IMAPWatcher) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
