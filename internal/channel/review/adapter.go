package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// ContentType is the type of the payloads Poll returns and Parse reads.
const ContentType = "application/json"

// PagesPerPoll is how many pages one poll reads at most: a backlog (the
// first poll's 30 days) is spread over several polls.
const PagesPerPoll = 10

// Config wires an Adapter.
type Config struct {
	// Now is the clock for the first poll's look-back; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
	// PagesPerPoll replaces the package's PagesPerPoll (tests).
	PagesPerPoll int
}

// Adapter makes a Site a channel kind: it implements channel.Adapter,
// Parser, Poller, Describer and Checker.
type Adapter struct {
	site  Site
	now   func() time.Time
	log   *slog.Logger
	pages int
}

// New returns the channel adapter for site.
func New(site Site, cfg Config) *Adapter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PagesPerPoll <= 0 {
		cfg.PagesPerPoll = PagesPerPoll
	}
	return &Adapter{site: site, now: cfg.Now, log: cfg.Log, pages: cfg.PagesPerPoll}
}

// Site is the site the adapter speaks to.
func (a *Adapter) Site() Site { return a.site }

// Kind implements channel.Adapter.
func (a *Adapter) Kind() string { return a.site.Kind() }

// Secrets implements channel.Adapter.
func (a *Adapter) Secrets() []string { return a.site.Secrets() }

// Validate implements channel.Adapter.
func (a *Adapter) Validate(settings json.RawMessage, secrets map[string]string) error {
	return a.site.Validate(settings, secrets)
}

// Capabilities implements channel.Describer: public replies of plain text
// to reviews, no private replies (a reviewer cannot be written to; the
// core asks them to identify through a link) and no moderation.
func (a *Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		Public:     true,
		MaxLength:  a.site.Traits().MaxLength,
		Identities: []domain.IdentityKind{a.site.Identity()},
	}
}

// PollInterval implements channel.Poller: the channel's
// poll_interval_seconds, five minutes by default, at least one minute.
func (a *Adapter) PollInterval(ch *domain.Channel) time.Duration {
	return interval(ch.Settings)
}

// payload is what Poll hands the core and Parse reads: the new and edited
// reviews of one poll, oldest first. It is the adapter's own format, so a
// dead letter reads the same whatever the site.
type payload struct {
	Reviews []Review `json:"reviews"`
}

// Poll implements channel.Poller: it reads the site newest first, page by
// page, until it reaches what an earlier poll imported (see cursor), at
// most PagesPerPoll pages, and returns the reviews that are new or edited
// since, oldest first, or nil when there are none.
func (a *Adapter) Poll(ctx context.Context, ch *domain.Channel, cur string) ([]byte, string, error) {
	c, err := parseCursor(cur, a.now())
	if err != nil {
		// A cursor this adapter did not write cannot be resumed: start
		// again from the look-back; duplicates are dropped by the core.
		a.log.Warn("review poll cursor unreadable; starting again", "channel", ch.ID, "err", err)
		c, _ = parseCursor("", a.now())
	}
	order := a.site.Traits().Order
	var fresh []Review
	for range a.pages {
		reviews, next, err := a.site.Fetch(ctx, ch, c.Page)
		if err != nil {
			if len(fresh) > 0 {
				// Keep what the pages before gave; this page is asked
				// for again next time.
				break
			}
			return nil, cur, err
		}
		done := next == ""
		for _, r := range reviews {
			if err := r.Validate(); err != nil {
				a.log.Warn("review skipped", "channel", ch.ID, "kind", ch.Kind, "err", err)
				continue
			}
			t := key(order, &r)
			if c.seen(t, r.ID) {
				// Listed newest first: what follows a review older than
				// Since was read by an earlier sweep. Reviews at Since
				// itself may still be followed by a new one at the same
				// instant.
				if t.Before(c.Since) {
					done = true
				}
				continue
			}
			fresh = append(fresh, r)
			c.note(t, r.ID)
		}
		if done {
			c.finish()
			break
		}
		c.Page = next
	}
	if len(fresh) == 0 {
		return nil, c.String(), nil
	}
	slices.SortStableFunc(fresh, func(x, y Review) int { return key(order, &x).Compare(key(order, &y)) })
	body, err := json.Marshal(payload{Reviews: fresh})
	if err != nil {
		return nil, cur, fmt.Errorf("%s poll: %w", ch.Kind, err)
	}
	return body, c.String(), nil
}

// key is the time a review is listed by.
func key(o Order, r *Review) time.Time {
	if o == ByUpdated && !r.Updated.IsZero() {
		return r.Updated
	}
	return r.Created
}

// Parse implements channel.Parser. Each review becomes a public message:
//   - ExternalID the review's id, Thread "review:" and the id, so each
//     review is its own public ticket and a reply answers it;
//   - From the reviewer's identity of the site's kind: the site's reviewer
//     id, or "review:" and the review's id when the site names no
//     reviewer (anonymous), so such reviewers never merge with anyone;
//   - Subject the stars and the title ("★★☆☆☆ Slow delivery"), Text the
//     review's text (the stars alone for a rating without text);
//   - Public: the stars, the link to the review and the reviewer's
//     profile;
//   - the business's reply already on the site, if any, in Meta under
//     "site_reply" ({"text","at"}), not as a message of its own.
//
// An edited review (updated after it was written, other than by the
// business's reply) also yields an edit of the same external id. Its text opens with the stars and title as they
// are now, so a changed rating shows on the timeline; the rating on the
// message stays that of the version first imported. The core drops the
// message itself when it has it already.
func (a *Adapter) Parse(ch *domain.Channel, contentType string, body []byte, _ string) (*channel.Batch, error) {
	if mt, _, _ := strings.Cut(contentType, ";"); contentType != "" && !strings.EqualFold(strings.TrimSpace(mt), ContentType) {
		return nil, domain.Invalid("unsupported_media_type", fmt.Sprintf("%s payloads are %s, not %q", a.Kind(), ContentType, contentType))
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, domain.Invalid("invalid_payload", fmt.Sprintf("%s payload is not the adapter's JSON: %v", a.Kind(), err))
	}
	b := &channel.Batch{}
	for i := range p.Reviews {
		r := &p.Reviews[i]
		if err := r.Validate(); err != nil {
			return nil, err
		}
		in, err := a.inbound(r)
		if err != nil {
			return nil, err
		}
		b.Messages = append(b.Messages, in)
		if r.edited() {
			b.Changes = append(b.Changes, channel.Change{ExternalID: r.ID, Kind: channel.ChangeEdit, From: in.From, Text: editText(r), At: r.Updated})
		}
	}
	return b, nil
}

func (a *Adapter) inbound(r *Review) (*channel.Inbound, error) {
	value := strings.TrimSpace(r.AuthorID)
	if r.Anonymous || value == "" {
		value = "review:" + r.ID
	}
	from, err := domain.NewIdentity(a.site.Identity(), value, "")
	if err != nil {
		return nil, domain.Invalid("invalid_review", fmt.Sprintf("review %.40q: reviewer: %v", r.ID, err))
	}
	in := &channel.Inbound{
		ExternalID: r.ID,
		Thread:     "review:" + r.ID,
		From:       from,
		Name:       strings.TrimSpace(r.AuthorName),
		Language:   language(r.Language),
		Subject:    headline(r),
		Text:       strings.TrimSpace(r.Text),
		Public:     &domain.PublicPost{URL: r.URL, AuthorURL: r.AuthorURL, Rating: r.Rating},
		ProviderAt: r.Created,
	}
	if in.Text == "" {
		in.Text = in.Subject
	}
	if r.Reply != nil && strings.TrimSpace(r.Reply.Text) != "" {
		var at int64
		if !r.Reply.Updated.IsZero() {
			at = r.Reply.Updated.UnixMilli()
		}
		in.Meta, _ = json.Marshal(map[string]any{"site_reply": map[string]any{"text": r.Reply.Text, "at": at}})
	}
	return in, nil
}

// headline is the stars and the title, "★★☆☆☆ Slow delivery"; "Review"
// when the site gives neither.
func headline(r *Review) string {
	var parts []string
	if r.Rating > 0 {
		parts = append(parts, Stars(r.Rating))
	}
	if t := strings.Join(strings.Fields(r.Title), " "); t != "" {
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "Review"
	}
	return strings.Join(parts, " ")
}

// editText is an edited review as shown on the timeline: its headline as
// it is now, then its text.
func editText(r *Review) string {
	if t := strings.TrimSpace(r.Text); t != "" {
		return headline(r) + "\n\n" + t
	}
	return headline(r)
}

// language reduces a site's language tag ("en", "en-GB", "pt_BR") to ISO
// 639-1; "" when it is not one.
func language(tag string) string {
	l, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	l = strings.ToLower(strings.TrimSpace(l))
	if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
		return ""
	}
	return l
}

// Send implements channel.Adapter: a public reply on a review's ticket is
// posted as the business's reply to the review (out.ReplyTo). Anything
// else is refused for good: a reviewer cannot be written to privately.
// Some sites keep one reply per review, so a second reply replaces the
// first there (Google).
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	name := a.site.Traits().Name
	switch {
	case out.PrivateReplyTo != "" || !out.Public:
		return channel.Sent{}, channel.Permanent(fmt.Errorf("%s reviews can only be answered in public, on the review's own ticket; write to the reviewer on another channel", name))
	case out.ReplyTo == "":
		return channel.Sent{}, channel.Permanent(errors.New("this reply names no review to answer"))
	case out.Message == nil || strings.TrimSpace(out.Message.Text) == "":
		return channel.Sent{}, channel.Permanent(errors.New("a review reply needs text"))
	case len(out.Message.Attachments) > 0:
		return channel.Sent{}, channel.Permanent(fmt.Errorf("a reply to a %s review is text only; remove the attachments", name))
	}
	text := out.Message.Text
	if n, most := utf8.RuneCountInString(text), a.site.Traits().MaxLength; most > 0 && n > most {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("a reply to a %s review is at most %d characters; this one has %d", name, most, n))
	}
	id, err := a.site.Reply(ctx, out.Channel, out.ReplyTo, text)
	if err != nil {
		return channel.Sent{}, err
	}
	if id == "" {
		// Unique per message: the same review may be answered again.
		id = "reply:" + out.ReplyTo + ":" + strconv.FormatInt(out.Message.ID, 10)
	}
	return channel.Sent{ExternalID: id, Status: domain.DeliverySent}, nil
}

// CheckTimeout bounds the connection test.
const CheckTimeout = 15 * time.Second

// Check implements channel.Checker: it signs in and reads the first page
// of reviews, writing nothing.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	name := a.site.Traits().Name
	if err := a.site.Validate(ch.Settings, ch.Secrets); err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	reviews, _, err := a.site.Fetch(ctx, ch, "")
	if err != nil {
		return []channel.Check{{Name: "reviews", Detail: err.Error()}}
	}
	detail := fmt.Sprintf("signed in to %s; no reviews yet", name)
	if len(reviews) > 0 {
		order := a.site.Traits().Order
		newest := key(order, &reviews[0])
		detail = fmt.Sprintf("signed in to %s; the newest review is from %s", name, newest.UTC().Format(time.RFC3339))
	}
	return []channel.Check{{Name: "reviews", OK: true, Detail: detail}}
}

var (
	_ channel.Adapter   = (*Adapter)(nil)
	_ channel.Poller    = (*Adapter)(nil)
	_ channel.Describer = (*Adapter)(nil)
	_ channel.Checker   = (*Adapter)(nil)
)
