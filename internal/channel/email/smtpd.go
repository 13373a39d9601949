package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/domain"
)

// DefaultMaxMessageBytes is the SMTP receiver's size limit when none is set.
const DefaultMaxMessageBytes = 25 << 20

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
	// TLSConfig, when set, enables STARTTLS.
	TLSConfig *tls.Config
	Log       *slog.Logger
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

// Data reads the mail, records the envelope sender as Return-Path the way
// a final delivery does, and hands it to the inbox once per channel.
func (s *smtpSession) Data(rd io.Reader) error {
	var buf bytes.Buffer
	buf.WriteString("Return-Path: <" + s.from + ">\r\n")
	if _, err := buf.ReadFrom(rd); err != nil {
		return err // the server answers a too-large mail with 552
	}
	for _, ch := range s.to {
		err := s.r.Inbox.Deliver(s.ctx, ch, buf.Bytes())
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

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }
