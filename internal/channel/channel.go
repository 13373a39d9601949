// Package channel is the contract between Loket's core and its channel
// adapters: everything a channel kind needs lives in its own package, and
// the core, the bot and the composer never ask a kind's name.
//
// An adapter (Adapter) delivers replies that the durable outbox hands it
// and checks its channels' settings; its secrets are sealed at rest. Beyond
// that it implements what its channel does:
//
//   - Parser: one parse of a provider payload (a webhook body, a mail)
//     yields a Batch with everything in it: customers' messages (Inbound),
//     statuses of messages we sent (Status), reactions, edits and
//     deletions (Change) and passing signals such as typing (Signal). The
//     core applies a batch in Desk.Ingest: messages through Desk.Receive's
//     group commit, statuses and changes in one transaction, signals live.
//     A payload that fails is kept as a dead letter and parsed again on
//     retry, so nothing acknowledged is lost.
//   - Router: the adapter's public HTTP routes (webhooks and their
//     verification handshakes, media, a widget's endpoints and socket),
//     mounted by the HTTP server under /api/v1/{kind}/{channel}/ behind
//     body limits, logging and panic recovery. A route gets the channel,
//     the client's address, the server's rate limiter and Ingest.
//   - Describer: Capabilities (buttons, templates, a send window, read
//     receipts, typing, public replies, a maximum length, attachments,
//     the kind of address it reaches), which the bot and the composer use.
//   - Dialer: telephone adapters place calls for agents; their Parser
//     reports calls as CallEvents, which the core keeps as one call entry
//     per call on the timeline.
//   - Checker, Documenter, Embedder: a connection test, the OpenAPI
//     fragment of its routes, the snippet a website pastes.
//
// Adding a channel kind is one package under internal/channel and one
// registration line in cmd/loket; docs/adding-a-channel.md has the
// checklist.
package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"loket.dev/loket/internal/domain"
)

// Inbound is one normalised customer message, whatever channel it came by.
type Inbound struct {
	ChannelID  int64
	ExternalID string // the provider's id; duplicates per channel are dropped
	// From is the customer's address on this channel. Also holds further
	// identities the channel vouches for (an API caller's e-mail and phone).
	From domain.Identity
	Also []domain.Identity
	Name string // the customer's display name, if the channel gives one
	// ContactID names the contact the message is from when the channel
	// knows it already, such as a paper letter an agent registers on a
	// contact: it is used instead of recognising From, which may be empty.
	ContactID int64
	// Language is the customer's language (ISO 639-1), if known.
	Language string
	Kind     domain.MessageKind // message (default), call, letter, visit
	Subject  string
	Text     string
	HTML     string // already sanitised by the adapter
	// Thread is an explicit conversation key from the channel: messages
	// with the same key land on the same ticket.
	Thread string
	// ReplyTo lists external ids of earlier messages on this channel that
	// this one answers (e-mail In-Reply-To and References). Any sender may
	// join a thread this way, so channels must give their own outbound
	// messages ids that cannot be guessed.
	ReplyTo []string
	// TicketNumber is a ticket the channel believes this belongs to (a
	// number in an e-mail subject). It is honoured only for that ticket's
	// own contact, so a guessed number cannot hijack a ticket.
	TicketNumber int64
	// Standalone messages never join the contact's latest ticket on the
	// channel: without a thread match they open a new ticket (e-mail).
	Standalone bool
	// Automatic marks machine-sent mail such as out-of-office replies: it
	// is stored on the ticket without reopening it or counting as a
	// customer message.
	Automatic bool
	// ThreadOnly marks a message that only belongs to a conversation it
	// names (Thread or ReplyTo), such as a delivery report about our
	// reply: it joins that ticket under the ticket's own contact, its
	// sender is not recognised or added as a contact, and it is dropped
	// when it names no conversation. It never reopens the ticket.
	ThreadOnly bool
	// Consent is an opt-out or opt-in the message expresses (SMS "STOP"):
	// the core records it on the contact for the channel's kind.
	Consent Consent
	// Public is set for a post anyone can see (a comment, a mention, a
	// review). It opens a public ticket of its own, keyed by Thread (which
	// a public message must have); public and private messages never share
	// a ticket.
	Public      *domain.PublicPost
	Attachments []Attachment
	Raw         []byte // the provider's original bytes, kept for audit when set
	ProviderAt  time.Time
	Meta        json.RawMessage
}

// Attachment is a file received with a message, fetched at ingest.
type Attachment struct {
	Filename    string
	ContentType string
	ContentID   string
	Inline      bool
	Data        []byte
	// Ref is the provider's reference to media not yet downloaded (a
	// WhatsApp media id, a Telegram file id); the adapter's Fetcher fills
	// Data from it before the message is stored.
	Ref string
}

// Outbound is a stored message the outbox asks an adapter to deliver.
type Outbound struct {
	Channel *domain.Channel
	Ticket  *domain.Ticket
	Contact *domain.Contact
	Message *domain.Message
	// To is the customer's address to deliver to.
	To *domain.Identity
	// Attachment returns the bytes of one of Message.Attachments.
	Attachment func(ctx context.Context, a domain.Attachment) ([]byte, error)
	// IdempotencyKey is stable across retries of the same message; pass it
	// to providers that accept one so a retry never sends twice.
	IdempotencyKey string
	// Public is set for a reply on a public ticket by its own channel: it
	// answers ReplyTo, the provider's id of the customer's latest public
	// message there (a comment, a mention, a review), in public.
	Public  bool
	ReplyTo string
	// PrivateReplyTo, set for a message a team sends to take a public
	// conversation private, is the provider's id of the customer's public
	// message to answer privately (Capabilities.PrivateReplies), such as
	// a Messenger private reply to a comment or a direct message on X.
	PrivateReplyTo string
}

// Sent is what a provider answered for a delivered message.
type Sent struct {
	ExternalID string
	// Status is sent (default) or delivered; queued for a channel that
	// leaves the last step to a person (Capabilities.Manual).
	Status domain.DeliveryStatus
	// Attachments are files the adapter made of the message, such as a
	// letter's printable PDF; they are stored on the message.
	Attachments []Attachment
	// Identity is an address of the customer the provider named while
	// delivering (the Messenger id a private reply to a comment reached):
	// the core adds it to the contact, so their answer joins them.
	Identity *domain.Identity
}

// Adapter delivers messages for one kind of channel and checks its settings.
type Adapter interface {
	// Kind is the channel kind this adapter serves, such as "api" or "email".
	Kind() string
	// Secrets names the settings keys that are secret: they are sealed at
	// rest and never returned by the API.
	Secrets() []string
	// Validate checks a channel's settings and secrets before they are saved.
	Validate(settings json.RawMessage, secrets map[string]string) error
	// Send delivers one message. Return a *PermanentError when retrying
	// cannot help; any other error is retried with backoff.
	Send(ctx context.Context, out *Outbound) (Sent, error)
}

// PermanentError is a delivery failure that retrying cannot fix, such as a
// provider rejecting the recipient.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err must not be retried.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfterError is a passing failure for which the provider named how
// long to wait, such as an HTTP 429 with Retry-After or Telegram's
// retry_after: the outbox waits at least that long before trying again.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter wraps err as a RetryAfterError.
func RetryAfter(err error, after time.Duration) error {
	return &RetryAfterError{Err: err, After: after}
}

// RetryWait is the wait a provider asked for in err, or zero.
func RetryWait(err error) time.Duration {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After
	}
	return 0
}

// Registry maps channel kinds to adapters.
type Registry struct {
	mu       sync.RWMutex
	adapters map[string]Adapter
}

// NewRegistry returns a registry holding adapters.
func NewRegistry(adapters ...Adapter) *Registry {
	r := &Registry{adapters: map[string]Adapter{}}
	for _, a := range adapters {
		r.Register(a)
	}
	return r
}

// Register adds or replaces the adapter for its kind.
func (r *Registry) Register(a Adapter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.adapters[a.Kind()] = a
}

// Adapter returns the adapter for kind.
func (r *Registry) Adapter(kind string) (Adapter, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.adapters[kind]
	if !ok {
		return nil, domain.Invalid("unknown_channel_kind", fmt.Sprintf("no channel kind %q; available: %v", kind, r.kindsLocked()))
	}
	return a, nil
}

// Adapters returns every registered adapter, sorted by kind.
func (r *Registry) Adapters() []Adapter {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Adapter, 0, len(r.adapters))
	for _, k := range r.kindsLocked() {
		out = append(out, r.adapters[k])
	}
	return out
}

// Capabilities returns what channels of kind can carry: plain text only
// for an unknown kind or an adapter that does not say.
func (r *Registry) Capabilities(kind string) Capabilities {
	a, err := r.Adapter(kind)
	if err != nil {
		return Capabilities{}
	}
	if d, ok := a.(Describer); ok {
		return d.Capabilities()
	}
	return Capabilities{}
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.kindsLocked()
}

func (r *Registry) kindsLocked() []string {
	out := make([]string, 0, len(r.adapters))
	for k := range r.adapters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Checker is implemented by adapters that can test a channel's connection
// to its provider without writing to any customer, so an admin learns of a
// wrong password or host before a reply fails.
type Checker interface {
	// Check runs the channel's connection tests and reports each one. It
	// gives up on a test when ctx ends or the adapter's own timeout passes.
	Check(ctx context.Context, ch *domain.Channel) []Check
}

// Check is the outcome of one connection test, such as signing in to a
// mail server.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Parser is implemented by adapters whose inbound traffic arrives as a
// payload (a webhook body, a posted e-mail). One parse yields everything
// the payload carries; the core applies it (Desk.Ingest), keeps the
// payload as a dead letter when that fails, and parses it again on retry.
type Parser interface {
	Parse(ch *domain.Channel, contentType string, body []byte, region string) (*Batch, error)
}

// Batch is everything one provider payload carries: customers' messages,
// statuses of messages we sent, changes to earlier messages and passing
// signals. Providers mix them on one webhook, so one parse returns them
// together.
type Batch struct {
	Messages []*Inbound
	Statuses []Status
	Changes  []Change
	Signals  []Signal
	Calls    []CallEvent
}

// Empty reports whether b carries nothing.
func (b *Batch) Empty() bool {
	return b == nil || len(b.Messages)+len(b.Statuses)+len(b.Changes)+len(b.Signals)+len(b.Calls) == 0
}

// Status is what became of a message we sent, keyed by the id the provider
// gave it (Sent.ExternalID). Statuses may arrive out of order; the core
// merges them monotonically (domain.DeliveryStatus.Merge).
//
// A provider that reports progress as a watermark ("everything up to this
// time was read") leaves ExternalID empty and names the customer in To and
// the time in Through instead: the status then applies to every message
// sent on the channel to that address up to then.
type Status struct {
	ExternalID string
	Status     domain.DeliveryStatus
	// Reason says why delivery failed, in the provider's words.
	Reason  string
	To      domain.Identity
	Through time.Time
}

// ChangeKind says what a Change does to an earlier message.
type ChangeKind string

// Change kinds.
const (
	ChangeReaction ChangeKind = "reaction" // Emoji set, or removed when empty
	ChangeEdit     ChangeKind = "edit"     // Text replaces the message's text
	ChangeDelete   ChangeKind = "delete"   // the customer withdrew the message
)

// Change is a customer's reaction to, edit of or deletion of an earlier
// message on the channel (theirs or ours), keyed by its external id.
type Change struct {
	ExternalID string
	Kind       ChangeKind
	From       domain.Identity
	Emoji      string
	Text       string
	At         time.Time
}

// SignalKind names a passing provider signal.
type SignalKind string

// SignalTyping means the customer is typing.
const SignalTyping SignalKind = "typing"

// Signal is a provider event that is shown live but not stored, such as the
// customer typing. It concerns the contact's latest conversation on the
// channel, or the one with the channel's thread key.
type Signal struct {
	Kind   SignalKind
	From   domain.Identity
	Thread string
}

// Capabilities say what a channel kind can carry. The core, the bot and the
// composer ask them instead of a kind's name.
type Capabilities struct {
	// Buttons: quick replies the customer taps, instead of a numbered list.
	Buttons bool `json:"buttons"`
	// Templates: messages outside the send window must be approved
	// templates.
	Templates bool `json:"templates"`
	// SendWindowSeconds is how long after the customer's last message
	// free text may be sent; zero means no limit.
	SendWindowSeconds int64 `json:"send_window_seconds"`
	// ReadReceipts: the channel reports when the customer read a message.
	ReadReceipts bool `json:"read_receipts"`
	// Typing: the channel shows and reports typing.
	Typing bool `json:"typing"`
	// Public: the channel carries public posts (comments, mentions,
	// reviews), whose replies anyone can see and a second person approves
	// unless the channel turns that off.
	Public bool `json:"public"`
	// PrivateReplies: a public post can be answered privately
	// (Outbound.PrivateReplyTo); without it, taking a conversation
	// private asks the customer to identify through a link.
	PrivateReplies bool `json:"private_replies"`
	// Moderation lists what the team can do to a customer's public post on
	// its site (hide, unhide, delete), through the adapter's Moderator.
	Moderation []domain.Moderation `json:"moderation"`
	// MaxLength is the longest text one message may have, in characters;
	// zero means no limit.
	MaxLength int `json:"max_length"`
	// Attachments: files can be sent to the customer.
	Attachments bool `json:"attachments"`
	// HTML: replies may carry formatted text.
	HTML bool `json:"html"`
	// Subject: messages have a subject line.
	Subject bool `json:"subject"`
	// Copies: a reply can go to further addresses (CC).
	Copies bool `json:"copies"`
	// Segments: texts travel as SMS segments (160 GSM-7 or 70 UCS-2
	// characters, fewer when concatenated), which the composer counts.
	Segments bool `json:"segments"`
	// Manual: the adapter prepares a reply (prints a letter) and leaves it
	// queued; an agent confirms it went out, which makes it sent.
	Manual bool `json:"manual"`
	// Identities are the kinds of address the channel reaches customers
	// at (domain.IdentityEmail, domain.IdentityPhone, ...); replies go only
	// to contacts who have one. Empty: any.
	Identities []domain.IdentityKind `json:"identities"`
	// NoReplies: the channel carries no messages to customers (telephone
	// calls, visits at the desk), so no reply goes by it; the composer
	// offers the contact's other channels.
	NoReplies bool `json:"no_replies"`
}

// Describer is implemented by adapters that say what their channels can
// carry; an adapter that does not is taken to carry plain text only.
type Describer interface {
	Capabilities() Capabilities
}

// DecodeSettings decodes a channel's JSON settings into v, refusing fields
// v does not have, so a typo in a setting is reported and not ignored.
// Empty settings leave v as it is.
func DecodeSettings(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
