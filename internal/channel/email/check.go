package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// CheckTimeout bounds each connection test, so an admin waiting on the
// answer is not kept as long as a delivery would wait (the dialer's
// timeout applies when shorter).
const CheckTimeout = 15 * time.Second

// Check implements channel.Checker. It connects to the SMTP server with
// the configured TLS and signs in, sending nothing, and, when the channel
// reads a mailbox, signs in to the IMAP server and opens the folder
// read-only. Both tests run at once.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	s, err := ParseSettings(ch.Settings)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: "cannot read the settings: " + err.Error()}}
	}
	out := []channel.Check{{Name: "smtp", Detail: "not configured"}}
	if s.IMAP != nil {
		out = append(out, channel.Check{Name: "imap"})
	}
	timeout := min(a.Dialer.timeout(), CheckTimeout)
	var wg sync.WaitGroup
	if s.SMTP != nil {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out[0] = a.Dialer.checkSMTP(ctx, s.SMTP, ch.Secrets["smtp.password"], s.From())
		})
	}
	if s.IMAP != nil {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out[1] = a.Dialer.checkIMAP(ctx, s.IMAP, ch.Secrets["imap.password"])
		})
	}
	wg.Wait()
	return out
}

// checkSMTP connects to srv, says hello, starts TLS as configured and
// signs in, then quits without sending.
func (d *Dialer) checkSMTP(ctx context.Context, srv *Server, password, from string) channel.Check {
	res := channel.Check{Name: "smtp"}
	fail := func(step string, err error) channel.Check {
		res.Detail = step + ": " + failure(ctx, err)
		return res
	}
	c, done, err := d.openSMTP(ctx, srv, password, from)
	if err != nil {
		var st *smtpStep
		if errors.As(err, &st) {
			return fail(st.step, st.err)
		}
		return fail("connect", err)
	}
	defer done()
	signedIn := "no sign-in configured"
	if srv.Username != "" {
		signedIn = "signed in as " + srv.Username
	}
	if err := c.Quit(); err != nil {
		return fail("quit", err)
	}
	res.OK, res.Detail = true, fmt.Sprintf("connected to %s (%s); %s", srv.address(465, 587), tlsName(srv), signedIn)
	return res
}

// checkIMAP connects to srv, signs in and opens the watched folder
// read-only, so no flag changes.
func (d *Dialer) checkIMAP(ctx context.Context, srv *Server, password string) channel.Check {
	res := channel.Check{Name: "imap"}
	fail := func(step string, err error) channel.Check {
		res.Detail = step + ": " + failure(ctx, err)
		return res
	}
	addr := srv.address(993, 143)
	conn, err := d.dial(ctx, addr, srv.Host, srv.tlsMode() == TLSImplicit)
	if err != nil {
		return fail("connect to "+addr, err)
	}
	opts := &imapclient.Options{TLSConfig: d.tlsConfig(srv.Host)}
	var c *imapclient.Client
	if srv.tlsMode() == TLSStartTLS {
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return fail("starttls", err)
		}
	} else {
		c = imapclient.New(conn, opts)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(srv.Username, password).Wait(); err != nil {
		return fail("login failed", err)
	}
	folder := orElse(srv.Folder, "INBOX")
	data, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return fail("open folder "+folder, err)
	}
	if err := c.Logout().Wait(); err != nil {
		return fail("logout", err)
	}
	res.OK, res.Detail = true, fmt.Sprintf("connected to %s (%s); signed in as %s; %s holds %d messages",
		addr, tlsName(srv), srv.Username, folder, data.NumMessages)
	return res
}

// failure says why a step failed, naming a timeout as such rather than
// the closed connection or i/o error it leaves behind.
func failure(ctx context.Context, err error) string {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "no answer in time"
	}
	return err.Error()
}

// tlsName describes how a connection to srv is encrypted.
func tlsName(srv *Server) string {
	switch srv.tlsMode() {
	case TLSStartTLS:
		return "STARTTLS"
	case TLSNone:
		return "no TLS"
	}
	return "TLS"
}
