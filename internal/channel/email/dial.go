package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/channel"
)

// Dialer opens connections to IMAP and SMTP servers. The zero value uses
// the system's certificate roots and a 30-second timeout.
type Dialer struct {
	// TLSConfig is the base TLS configuration; the server name is filled in
	// per connection. Nil means the defaults.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each command; 30 seconds when zero.
	Timeout time.Duration
}

func (d *Dialer) timeout() time.Duration {
	if d == nil || d.Timeout == 0 {
		return 30 * time.Second
	}
	return d.Timeout
}

// tlsConfig is the TLS configuration for a connection to host.
func (d *Dialer) tlsConfig(host string) *tls.Config {
	var c *tls.Config
	if d != nil && d.TLSConfig != nil {
		c = d.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c
}

// dial connects to addr, wrapping the connection in TLS when implicit is
// set.
func (d *Dialer) dial(ctx context.Context, addr, host string, implicit bool) (net.Conn, error) {
	nd := &net.Dialer{Timeout: d.timeout()}
	if implicit {
		td := &tls.Dialer{NetDialer: nd, Config: d.tlsConfig(host)}
		return td.DialContext(ctx, "tcp", addr)
	}
	return nd.DialContext(ctx, "tcp", addr)
}

// send delivers msg from from to the recipients to through the SMTP server srv. A 5xx
// answer is permanent; anything else may pass and is retried.
func (d *Dialer) send(ctx context.Context, srv *Server, password, from string, to []string, msg []byte) error {
	err := d.submit(ctx, srv, password, from, to, msg)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return channel.Permanent(fmt.Errorf("smtp server %s refused the message: %d %s", srv.Host, se.Code, se.Message))
	}
	if err != nil {
		return fmt.Errorf("smtp server %s: %w", srv.Host, err)
	}
	return nil
}

func (d *Dialer) submit(ctx context.Context, srv *Server, password, from string, to []string, msg []byte) error {
	c, done, err := d.openSMTP(ctx, srv, password, from)
	if err != nil {
		return err
	}
	defer done()
	c.SubmissionTimeout = 2 * d.timeout()
	if err := c.SendMail(from, to, strings.NewReader(string(msg))); err != nil {
		return err
	}
	return c.Quit()
}

// smtpStep is an error of one step of opening an SMTP session, named so
// that the connection test can say which step failed.
type smtpStep struct {
	step string
	err  error
}

func (e *smtpStep) Error() string { return e.step + ": " + e.err.Error() }
func (e *smtpStep) Unwrap() error { return e.err }

// openSMTP connects to srv, starts TLS as configured, greets with the
// domain of from and signs in when srv has a username. done closes the
// session; ctx ending closes it too.
func (d *Dialer) openSMTP(ctx context.Context, srv *Server, password, from string) (c *smtp.Client, done func(), err error) {
	addr := srv.address(465, 587)
	conn, err := d.dial(ctx, addr, srv.Host, srv.tlsMode() == TLSImplicit)
	if err != nil {
		return nil, nil, &smtpStep{"connect to " + addr, err}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	if srv.tlsMode() == TLSStartTLS {
		if c, err = smtp.NewClientStartTLS(conn, d.tlsConfig(srv.Host)); err != nil {
			stop()
			conn.Close()
			return nil, nil, &smtpStep{"starttls", err}
		}
	} else {
		c = smtp.NewClient(conn)
	}
	done = func() { stop(); c.Close() }
	c.CommandTimeout = d.timeout()
	helo := "localhost"
	if _, dom, ok := strings.Cut(from, "@"); ok {
		helo = dom
	}
	if err := c.Hello(helo); err != nil {
		done()
		return nil, nil, &smtpStep{"greeting", err}
	}
	if srv.Username != "" {
		auth := sasl.NewPlainClient("", srv.Username, password)
		// Some servers (older Exchange) offer only LOGIN.
		if ok, mechs := c.Extension("AUTH"); ok && !strings.Contains(mechs, "PLAIN") && strings.Contains(mechs, "LOGIN") {
			auth = sasl.NewLoginClient(srv.Username, password)
		}
		if err := c.Auth(auth); err != nil {
			done()
			return nil, nil, &smtpStep{"login failed", err}
		}
	}
	return c, done, nil
}
