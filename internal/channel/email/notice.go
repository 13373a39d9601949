package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// CanSendNotices reports whether ch can send Loket's own notices: an
// enabled e-mail channel with an SMTP server and an address to send from.
func CanSendNotices(ch *domain.Channel) bool {
	if ch.Kind != Kind || !ch.Enabled {
		return false
	}
	s, err := ParseSettings(ch.Settings)
	return err == nil && s.SMTP != nil && s.From() != ""
}

// SendNotice mails a plain-text notice from Loket itself, not a reply on a
// ticket, through ch's SMTP server: account notices to agents, such as a
// lock after failed sign-ins.
func (a *Adapter) SendNotice(ctx context.Context, ch *domain.Channel, to, subject, text string) error {
	if !CanSendNotices(ch) {
		return channel.Permanent(errors.New("this channel cannot send notices: it needs an smtp server and an address to send from"))
	}
	s, _ := ParseSettings(ch.Settings)
	root, err := enmime.Builder().
		From(s.FromName, s.From()).
		To("", to).
		Subject(subject).
		Date(time.Now()).
		Header("Auto-Submitted", "auto-generated").
		Text([]byte(text)).
		Build()
	if err != nil {
		return channel.Permanent(fmt.Errorf("build notice: %w", err))
	}
	var buf bytes.Buffer
	if err := root.Encode(&buf); err != nil {
		return channel.Permanent(fmt.Errorf("encode notice: %w", err))
	}
	return a.Dialer.send(ctx, s.SMTP, ch.Secrets["smtp.password"], s.From(), []string{to}, buf.Bytes())
}
