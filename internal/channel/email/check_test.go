package email

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// strictSession is an MTA session that accepts only relay-user/relay-pass.
type strictSession struct{ mtaSession }

func (s *strictSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "relay-user" || pass != "relay-pass" {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}

// startStrictMTA is a plain SMTP server that checks passwords.
func startStrictMTA(t *testing.T) string {
	t.Helper()
	m := &fakeMTA{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &strictSession{mtaSession{mta: m}}, nil
	}))
	s.Domain, s.AllowInsecureAuth = "mta.test", true
	s.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func server(addr, mode, user string) *Server {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return &Server{Host: host, Port: p, TLS: mode, Username: user}
}

func TestCheck_ReportsEachServerWithTheReasonItFailed(t *testing.T) {
	cert, roots := testCert(t)
	strict := startStrictMTA(t)
	tlsMTA := startTLSMTA(t, TLSImplicit, cert)
	imapAddr := startIMAP(t)
	silent := silentServer(t)
	closed := closedPort(t)

	tests := []struct {
		name     string
		smtp     *Server
		imap     *Server
		secrets  map[string]string
		timeout  time.Duration
		want     []string // per check: "ok" or the start of the failure detail
		wantText []string // further text each detail must contain
	}{
		{
			name: "both servers accept", smtp: server(strict, TLSNone, "relay-user"), imap: server(imapAddr, TLSNone, "support"),
			secrets: map[string]string{"smtp.password": "relay-pass", "imap.password": "secret"},
			want:    []string{"ok", "ok"}, wantText: []string{"signed in as relay-user", "INBOX holds 0 messages"},
		},
		{
			name: "wrong passwords", smtp: server(strict, TLSNone, "relay-user"), imap: server(imapAddr, TLSNone, "support"),
			secrets: map[string]string{"smtp.password": "nope", "imap.password": "nope"},
			want:    []string{"login failed: ", "login failed: "},
		},
		{
			name: "unknown folder", smtp: server(strict, TLSNone, "relay-user"),
			imap:    &Server{Host: server(imapAddr, "", "").Host, Port: server(imapAddr, "", "").Port, TLS: TLSNone, Username: "support", Folder: "Support"},
			secrets: map[string]string{"smtp.password": "relay-pass", "imap.password": "secret"},
			want:    []string{"ok", "open folder Support: "},
		},
		{
			name: "trusted TLS without sign-in, no mailbox", smtp: server(tlsMTA.addr, TLSImplicit, ""),
			want: []string{"ok"}, wantText: []string{"(TLS); no sign-in configured"},
		},
		{
			name: "nobody listens", smtp: server(closed, TLSNone, ""), imap: server(closed, TLSNone, "support"),
			want: []string{"connect to " + closed + ": ", "connect to " + closed + ": "},
		},
		{
			name: "servers that never answer", smtp: server(silent, TLSNone, ""), imap: server(silent, TLSNone, "support"),
			timeout: 100 * time.Millisecond,
			want:    []string{"greeting: no answer in time", "login failed: no answer in time"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, SMTP: tt.smtp, IMAP: tt.imap})
			secrets := tt.secrets
			if secrets == nil {
				secrets = map[string]string{}
			}
			ch := &domain.Channel{ID: 1, Kind: Kind, Settings: settings, Secrets: secrets}
			a := &Adapter{Dialer: &Dialer{TLSConfig: &tls.Config{RootCAs: roots}, Timeout: tt.timeout}}
			var _ channel.Checker = a
			got := a.Check(context.Background(), ch)
			if len(got) != len(tt.want) {
				t.Fatalf("checks %+v, want %d", got, len(tt.want))
			}
			for i, c := range got {
				if c.Name != []string{"smtp", "imap"}[i] {
					t.Errorf("check %d is named %q", i, c.Name)
				}
				if want := tt.want[i]; (want == "ok") != c.OK || (want != "ok" && !strings.HasPrefix(c.Detail, want)) {
					t.Errorf("%s: ok %v, detail %q; want %q", c.Name, c.OK, c.Detail, want)
				}
				if i < len(tt.wantText) && !strings.Contains(c.Detail, tt.wantText[i]) {
					t.Errorf("%s: detail %q lacks %q", c.Name, c.Detail, tt.wantText[i])
				}
			}
		})
	}
}

func TestCheck_UntrustedCertificateFailsTheConnection(t *testing.T) {
	cert, _ := testCert(t)
	mta := startTLSMTA(t, TLSImplicit, cert)
	settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, SMTP: server(mta.addr, TLSImplicit, "")})
	got := New(nil).Check(context.Background(), &domain.Channel{Kind: Kind, Settings: settings})
	if len(got) != 1 || got[0].OK || !strings.Contains(got[0].Detail, "certificate") {
		t.Fatalf("checks %+v, want a certificate failure", got)
	}
}
