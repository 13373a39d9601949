package email

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/domain"
)

// Defaults of the SMTP receiver's limits.
const (
	// DefaultMaxMessageBytes is the size limit of one mail.
	DefaultMaxMessageBytes = 25 << 20
	// DefaultMaxSessions is how many connections are served at once; the
	// next one is answered 421 and closed, so the sender retries later.
	DefaultMaxSessions = 32
	// DefaultMaxDeliveries is how many received mails are parsed and
	// stored at once. Mails arriving meanwhile wait on disk, so memory
	// holds this many mails, not one per connection.
	DefaultMaxDeliveries = 2
)

// SMTPReceiver is a built-in SMTP server that takes mail for the addresses
// of the enabled e-mail channels, so that an MX record or a forwarding rule
// can point straight at Loket. It answers 250 only once the mail is
// committed (or kept as a dead letter), and 451 when that failed, so the
// sending server keeps the mail and tries again.
type SMTPReceiver struct {
	// Channels lists the channels; it is asked once per connection.
	Channels ChannelLister
	Inbox    *Inbox
	// Domain is the name the server greets with; "localhost" when empty.
	Domain string
	// MaxMessageBytes limits a mail's size, advertised as SIZE;
	// DefaultMaxMessageBytes when zero.
	MaxMessageBytes int64
	// MaxSessions limits concurrent connections; DefaultMaxSessions when
	// zero.
	MaxSessions int
	// MaxDeliveries limits the mails parsed and stored at once;
	// DefaultMaxDeliveries when zero.
	MaxDeliveries int
	// SpoolDir is where mails are written while they arrive; the system's
	// temporary directory when empty.
	SpoolDir string
	// TLSConfig, when set, enables STARTTLS.
	TLSConfig *tls.Config
	Log       *slog.Logger

	deliveries chan struct{} // a slot per delivery in progress
}

// ListenAndServe listens on addr and serves until ctx ends.
func (r *SMTPReceiver) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return r.Serve(ctx, ln)
}

// Serve takes SMTP connections on ln until ctx ends, then waits up to 30
// seconds for mails in progress before closing the remaining connections.
func (r *SMTPReceiver) Serve(ctx context.Context, ln net.Listener) error {
	r.deliveries = make(chan struct{}, limitOr(r.MaxDeliveries, DefaultMaxDeliveries))
	ln = &limitListener{Listener: ln, slots: make(chan struct{}, limitOr(r.MaxSessions, DefaultMaxSessions)), log: r.log()}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return r.session(ctx, c)
	}))
	s.Domain = r.Domain
	if s.Domain == "" {
		s.Domain = "localhost"
	}
	s.MaxMessageBytes = r.MaxMessageBytes
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	s.MaxRecipients = 100
	s.ReadTimeout, s.WriteTimeout = 5*time.Minute, time.Minute
	s.TLSConfig = r.TLSConfig
	s.ErrorLog = slog.NewLogLogger(r.log().Handler(), slog.LevelWarn)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if s.Shutdown(sctx) != nil {
			s.Close()
		}
	}()
	err := s.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) || ctx.Err() != nil {
		return nil
	}
	return err
}

func (r *SMTPReceiver) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// session starts a connection with a fresh list of the enabled channels.
func (r *SMTPReceiver) session(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	chs, err := r.Channels.Channels(ctx, Kind)
	if err != nil {
		r.log().Error("smtp: list channels", "err", err)
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporarily unavailable, try again later"}
	}
	byAddr := map[string]*domain.Channel{}
	for _, ch := range chs {
		if !ch.Enabled {
			continue
		}
		s, err := ParseSettings(ch.Settings)
		if err != nil {
			continue
		}
		for _, a := range s.Addresses {
			byAddr[strings.ToLower(strings.TrimSpace(a))] = ch
		}
	}
	// A mail in progress is finished during shutdown rather than failed.
	return &smtpSession{r: r, ctx: context.WithoutCancel(ctx), byAddr: byAddr, remote: c.Conn().RemoteAddr().String()}, nil
}

// smtpSession is one SMTP connection.
type smtpSession struct {
	r      *SMTPReceiver
	ctx    context.Context
	byAddr map[string]*domain.Channel
	remote string
	from   string
	to     []*domain.Channel // distinct channels of the accepted recipients
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ch, ok := s.byAddr[strings.ToLower(to)]
	if !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	}
	for _, c := range s.to {
		if c.ID == ch.ID {
			return nil
		}
	}
	s.to = append(s.to, ch)
	return nil
}

// Data spools the mail to disk as it arrives, recording the envelope sender
// as Return-Path the way a final delivery does, then waits for a delivery
// slot and hands it to the inbox once per channel.
func (s *smtpSession) Data(rd io.Reader) error {
	f, err := os.CreateTemp(s.r.SpoolDir, "loket-smtp-*.eml")
	if err != nil {
		return s.spoolFailed(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.WriteString(f, "Return-Path: <"+s.from+">\r\n"); err != nil {
		return s.spoolFailed(err)
	}
	if _, err := io.Copy(f, rd); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return err // the server answers a too-large mail with 552
		}
		return s.spoolFailed(err)
	}

	s.r.deliveries <- struct{}{}
	defer func() { <-s.r.deliveries }()
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		return s.spoolFailed(err)
	}
	for _, ch := range s.to {
		err := s.r.Inbox.Deliver(s.ctx, ch, raw)
		if refused(err) {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: " + err.Error()}
		}
		if err != nil {
			s.r.log().Error("smtp: deliver", "channel", ch.ID, "from", s.from, "remote", s.remote, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
		}
	}
	return nil
}

// spoolFailed logs a failure to write or read the spooled mail and asks
// the sender to try again.
func (s *smtpSession) spoolFailed(err error) error {
	s.r.log().Error("smtp: spool", "from", s.from, "remote", s.remote, "err", err)
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
}

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }

// limitListener serves at most cap(slots) connections at once and answers
// the ones past that with 421, without reading from them.
type limitListener struct {
	net.Listener
	slots chan struct{}
	log   *slog.Logger
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			l.log.Warn("smtp: too many connections", "remote", c.RemoteAddr().String(), "limit", cap(l.slots))
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "421 4.3.2 Too many connections, try again later\r\n")
			c.Close()
		}
	}
}

// limitConn gives its slot back when it is closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// limitOr returns n, or def when n is zero or less.
func limitOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}
