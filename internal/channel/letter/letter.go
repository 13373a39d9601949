package letter

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind's name.
const Kind = "letter"

// Limits of a letter channel's letterhead.
const (
	maxLogoBytes   = 512 << 10
	maxHeadLines   = 6
	maxFooterLines = 4
	maxLineBytes   = 200
)

// Settings are a letter channel's letterhead. Nothing in them is secret.
type Settings struct {
	// Company is the sender's name at the top of every letter.
	Company string `json:"company"`
	// Address holds the company's postal address, one line each.
	Address []string `json:"address"`
	// Footer lines print at the bottom of every page: phone, e-mail,
	// VAT number, IBAN.
	Footer []string `json:"footer,omitempty"`
	// Logo is a PNG or JPEG image, base64-encoded, printed top right.
	Logo string `json:"logo,omitempty"`
	// TimeZone is the IANA zone in which letters are dated; UTC when
	// empty.
	TimeZone string `json:"time_zone,omitempty"`
	// Bot holds the FAQ bot's settings, which every channel kind shares;
	// the core checks them.
	Bot json.RawMessage `json:"bot,omitempty"`
}

// Adapter is the letter channel kind.
type Adapter struct{}

// New returns the letter adapter.
func New() *Adapter { return &Adapter{} }

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: a letterhead has none.
func (*Adapter) Secrets() []string { return nil }

// Capabilities implements channel.Describer: long plain text, printed and
// posted by a person, to any contact (the postal address is on the
// contact, not an identity).
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{Manual: true, MaxLength: 20000}
}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, _ map[string]string) error {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "letter channel settings: "+err.Error()+"; allowed: company, address, footer, logo, time_zone, bot")
	}
	_, err := s.check()
	return err
}

// check validates s and returns its logo's bytes.
func (s *Settings) check() ([]byte, error) {
	if strings.TrimSpace(s.Company) == "" || len(s.Company) > maxLineBytes {
		return nil, domain.Invalid("invalid_company", "company is the name printed on the letterhead: 1 to 200 bytes")
	}
	if len(s.Address) == 0 || len(s.Address) > maxHeadLines {
		return nil, domain.Invalid("invalid_address", "address holds the company's postal address: 1 to 6 lines")
	}
	if len(s.Footer) > maxFooterLines {
		return nil, domain.Invalid("invalid_footer", "footer holds at most 4 lines")
	}
	for _, l := range append(append([]string{}, s.Address...), s.Footer...) {
		if len(l) > maxLineBytes {
			return nil, domain.Invalid("too_long", fmt.Sprintf("letterhead line %q is longer than %d bytes", l, maxLineBytes))
		}
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			return nil, domain.Invalid("invalid_time_zone", fmt.Sprintf("time_zone %q is not an IANA time zone such as Europe/Amsterdam", s.TimeZone))
		}
	}
	if s.Logo == "" {
		return nil, nil
	}
	logo, err := base64.StdEncoding.DecodeString(s.Logo)
	if err != nil || len(logo) > maxLogoBytes {
		return nil, domain.Invalid("invalid_logo", "logo must be a base64-encoded PNG or JPEG image of at most 512 KiB")
	}
	if _, ok := imageType(logo); !ok {
		return nil, domain.Invalid("invalid_logo", "logo must be a PNG or JPEG image")
	}
	return logo, nil
}

// imageType is fpdf's name for a PNG or JPEG image.
func imageType(b []byte) (string, bool) {
	switch http.DetectContentType(b) {
	case "image/png":
		return "PNG", true
	case "image/jpeg":
		return "JPG", true
	}
	return "", false
}

// Send implements channel.Adapter: it prints the reply as a PDF on the
// letterhead and leaves the message queued until an agent posts it.
func (*Adapter) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	var s Settings
	if err := json.Unmarshal(out.Channel.Settings, &s); err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("letter channel %d settings: %w", out.Channel.ID, err))
	}
	logo, err := s.check()
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("letter channel %d settings: %w", out.Channel.ID, err))
	}
	if strings.TrimSpace(out.Contact.Address) == "" {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("contact %s has no postal address: add it to the contact and retry", out.Contact.Number))
	}
	loc := time.UTC
	if s.TimeZone != "" {
		loc, _ = time.LoadLocation(s.TimeZone)
	}
	var pdf bytes.Buffer
	err = Render(&pdf, &Page{
		Company: s.Company, CompanyAddress: s.Address, Footer: s.Footer, Logo: logo,
		Recipient: recipientLines(out.Contact), Language: out.Contact.Language,
		Date:    time.UnixMilli(out.Message.CreatedAt).In(loc),
		Subject: out.Ticket.Subject, Reference: fmt.Sprintf("#%d", out.Ticket.Number),
		Body: out.Message.Text,
	})
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("print letter for message %d: %w", out.Message.ID, err))
	}
	return channel.Sent{
		ExternalID: "letter-" + rand.Text(),
		Status:     domain.DeliveryQueued,
		Attachments: []channel.Attachment{{
			Filename:    fmt.Sprintf("letter-%d-%d.pdf", out.Ticket.Number, out.Message.ID),
			ContentType: "application/pdf",
			Data:        pdf.Bytes(),
		}},
	}, nil
}

// recipientLines is the address window: the contact's name, unless the
// address already starts with it, then the address lines.
func recipientLines(c *domain.Contact) []string {
	lines := strings.Split(strings.TrimSpace(c.Address), "\n")
	if c.Name != "" && !strings.EqualFold(strings.TrimSpace(lines[0]), c.Name) {
		lines = append([]string{c.Name}, lines...)
	}
	return lines
}
