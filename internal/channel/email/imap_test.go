package email

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
)

// statuses records the health reports of channels.
type statuses struct {
	mu  sync.Mutex
	got []string
}

func (s *statuses) SetChannelStatus(_ context.Context, _ int64, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, status)
	return nil
}

func (s *statuses) last() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return "", false
	}
	return s.got[len(s.got)-1], true
}

// startIMAP serves an in-memory mailbox with an INBOX for user "support"
// and returns its address.
func startIMAP(t testing.TB) string {
	t.Helper()
	addr, _ := startIdleIMAP(t)
	return addr
}

// idleSession tells when a client starts to IDLE. The in-memory server
// reports only mail that arrives once IDLE has begun, so a test that proves
// IDLE must add its mail after that.
type idleSession struct {
	imapserver.SessionIMAP4rev2
	idling chan<- struct{}
}

func (s idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idling <- struct{}{}:
	default:
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

// startIdleIMAP is startIMAP that also signals each IDLE a client starts.
func startIdleIMAP(t testing.TB) (string, <-chan struct{}) {
	t.Helper()
	idling := make(chan struct{}, 1)
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("support", "secret")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	s := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleSession{mem.NewSession().(imapserver.SessionIMAP4rev2), idling}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), idling
}

// mailbox is a test's own client on the in-memory server.
func mailbox(t testing.TB, addr string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("support", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func appendMail(t testing.TB, c *imapclient.Client, raw string) {
	t.Helper()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := io.WriteString(cmd, raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// seen reports, per message in order, whether it is flagged \Seen.
func seen(t testing.TB, c *imapclient.Client) []bool {
	t.Helper()
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []bool
	for _, m := range msgs {
		out = append(out, slices.Contains(m.Flags, imap.FlagSeen))
	}
	return out
}

// imapChannel is an enabled e-mail channel reading the mailbox at addr.
func imapChannel(t testing.TB, addr string) *domain.Channel {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	settings, _ := json.Marshal(Settings{
		Addresses: []string{"support@shop.example"},
		SMTP:      &Server{Host: "smtp.example"},
		IMAP:      &Server{Host: host, Port: p, TLS: TLSNone, Username: "support"},
	})
	return &domain.Channel{ID: 5, Kind: Kind, Enabled: true, Settings: settings, Secrets: map[string]string{"imap.password": "secret"}}
}

// runWatcher watches chs until the test ends, polling every poll.
func runWatcher(t *testing.T, d *fakeDesk, st *statuses, poll time.Duration, chs ...*domain.Channel) {
	t.Helper()
	w := &IMAPWatcher{
		Channels: channels(chs), Inbox: &Inbox{Receiver: d, Log: quiet}, Status: st, Log: quiet,
		PollInterval: poll, Backoff: 20 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

var quiet = slog.New(slog.DiscardHandler)

func TestIMAPWatcher_IngestsUnseenMailThenFlagsItSeen(t *testing.T) {
	addr, idling := startIdleIMAP(t)
	box := mailbox(t, addr)
	appendMail(t, box, customerMail)
	d, st := &fakeDesk{}, &statuses{}
	// Polling only hourly, the second mail can only be seen through IDLE.
	runWatcher(t, d, st, time.Hour, imapChannel(t, addr))

	eventually.True(t, "the first mail is ingested and seen", func() bool {
		ingested := d.calls()
		return len(ingested) == 1 && slices.Equal(seen(t, box), []bool{true})
	})
	<-idling // the watcher waits for news now
	appendMail(t, box, "From: piet@customer.example\r\nSubject: Second\r\nMessage-ID: <q2@customer.example>\r\n\r\nAnd another thing.\r\n")
	eventually.True(t, "a mail arriving later is ingested and seen", func() bool {
		ingested := d.calls()
		return len(ingested) == 2 && slices.Equal(seen(t, box), []bool{true, true})
	})
	ingested := d.calls()
	if ingested[0].channelID != 5 || ingested[0].contentType != ContentType || string(ingested[0].body) != customerMail {
		t.Errorf("first ingest = %+v", ingested[0])
	}
	if s, ok := st.last(); ok && s != "" {
		t.Errorf("channel status = %q, want healthy", s)
	}
}

func TestIMAPWatcher_LeavesMailUnseenWhenIngestFails(t *testing.T) {
	addr := startIMAP(t)
	box := mailbox(t, addr)
	appendMail(t, box, customerMail)
	d, st := &fakeDesk{err: errors.New("database down")}, &statuses{}
	runWatcher(t, d, st, 50*time.Millisecond, imapChannel(t, addr))

	eventually.True(t, "the failure is reported on the channel", func() bool {
		s, _ := st.last()
		return s == "imap: ingest mail for channel 5: database down"
	})
	if got := seen(t, box); !slices.Equal(got, []bool{false}) {
		t.Errorf("seen flags = %v, want the mail still unseen", got)
	}
}

func TestIMAPWatcher_ReportsALoginFailure(t *testing.T) {
	addr := startIMAP(t)
	ch := imapChannel(t, addr)
	ch.Secrets["imap.password"] = "wrong"
	st := &statuses{}
	runWatcher(t, &fakeDesk{}, st, 50*time.Millisecond, ch)
	eventually.True(t, "the login failure is reported", func() bool {
		s, _ := st.last()
		return strings.HasPrefix(s, "imap: login as support: ")
	})
}
