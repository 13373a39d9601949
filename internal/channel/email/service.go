package email

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Service is the e-mail channel as the server runs it: the adapter, which
// parses and sends, with its own transports, which receive. Every mailbox
// is watched over IMAP by one node at a time, and an optional SMTP
// receiver takes mail addressed to any channel's addresses. It implements
// channel.Adapter, channel.Runner and domain.Publisher, so the server
// registers it with one line.
type Service struct {
	*Adapter
	imap *IMAPWatcher
	smtp *SMTPReceiver
	ln   net.Listener // nil: no SMTP receiver
	// locks lets one node watch each mailbox; closed when Run ends.
	locks *store.Locker
	log   *slog.Logger
}

// ServiceConfig wires a Service.
type ServiceConfig struct {
	Store *store.Store
	Desk  *desk.Desk
	// Waits gives the acknowledgement routing's live waits; may be nil.
	Waits WaitEstimator
	// IDKey is the secret that makes outbound Message-IDs unguessable.
	IDKey []byte
	// SMTPAddr is where the SMTP receiver listens, such as ":2525"; empty
	// runs none.
	SMTPAddr string
	// SpoolDir is where the SMTP receiver keeps arriving mail on disk
	// (see SMTPReceiver.SpoolDir).
	SpoolDir string
	Log      *slog.Logger
}

// NewService returns the e-mail channel, listening for SMTP when asked.
func NewService(cfg ServiceConfig) (*Service, error) {
	a := New(cfg.Store)
	a.IDKey = cfg.IDKey
	inbox := &Inbox{Receiver: cfg.Desk, Acks: &Acknowledger{Sender: cfg.Desk, Waits: cfg.Waits, Channels: cfg.Store}, Log: cfg.Log}
	s := &Service{Adapter: a, locks: cfg.Store.Locker(), log: cfg.Log}
	s.imap = &IMAPWatcher{Channels: cfg.Store, Inbox: inbox, Status: cfg.Store, Log: cfg.Log, Locks: s.locks}
	if cfg.SMTPAddr != "" {
		ln, err := net.Listen("tcp", cfg.SMTPAddr)
		if err != nil {
			return nil, fmt.Errorf("listen for smtp on %s: %w", cfg.SMTPAddr, err)
		}
		s.ln = ln
		s.smtp = &SMTPReceiver{Channels: cfg.Store, Inbox: inbox, SpoolDir: cfg.SpoolDir, Log: cfg.Log}
	}
	return s, nil
}

// Run implements channel.Runner: it watches the mailboxes and serves SMTP
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	defer s.locks.Close()
	if s.ln != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := s.smtp.Serve(ctx, s.ln); err != nil {
				s.log.Error("smtp receiver", "err", err)
			}
		}()
		defer func() { <-done }()
	}
	s.imap.Run(ctx)
}

// Publish implements domain.Publisher: a saved e-mail channel is watched
// at once (see IMAPWatcher.Publish).
func (s *Service) Publish(events ...domain.Event) { s.imap.Publish(events...) }

// Lost hears that events may have been missed.
func (s *Service) Lost() { s.imap.Lost() }
