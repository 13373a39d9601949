package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// payload is a Messenger Platform webhook body: entries per Page (or
// Instagram account), each with messaging events and changes (comments,
// see comments.go).
type payload struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string   `json:"id"`
		Messaging []event  `json:"messaging"`
		Changes   []change `json:"changes"`
	} `json:"entry"`
}

// event is one messaging event: exactly one of its pointers is set.
type event struct {
	Sender struct {
		ID string `json:"id"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Timestamp int64    `json:"timestamp"`
	Message   *message `json:"message"`
	Postback  *struct {
		Mid     string `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
	Delivery *struct {
		Mids      []string `json:"mids"`
		Watermark int64    `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Mid       string `json:"mid"`
		Watermark int64  `json:"watermark"`
	} `json:"read"`
	Reaction *struct {
		Mid      string `json:"mid"`
		Action   string `json:"action"`
		Reaction string `json:"reaction"`
		Emoji    string `json:"emoji"`
	} `json:"reaction"`
	MessageEdit *struct {
		Mid  string `json:"mid"`
		Text string `json:"text"`
	} `json:"message_edit"`
}

type message struct {
	Mid           string `json:"mid"`
	Text          string `json:"text"`
	IsEcho        bool   `json:"is_echo"`
	IsDeleted     bool   `json:"is_deleted"`
	IsUnsupported bool   `json:"is_unsupported"`
	QuickReply    *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
	ReplyTo *struct {
		Mid string `json:"mid"`
	} `json:"reply_to"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type string `json:"type"`
	// Title and URL are where older fallback attachments keep them.
	Title   string `json:"title"`
	URL     string `json:"url"`
	Payload struct {
		URL         string `json:"url"`
		Title       string `json:"title"`
		Coordinates *struct {
			Lat  float64 `json:"lat"`
			Long float64 `json:"long"`
		} `json:"coordinates"`
	} `json:"payload"`
}

// reactionEmoji stands in for reactions Meta names without an emoji.
var reactionEmoji = map[string]string{"like": "👍", "dislike": "👎", "love": "❤️", "smile": "😆", "haha": "😆",
	"wow": "😮", "sad": "😢", "angry": "😠"}

// maxID is the longest provider id the desk keeps.
const maxID = 255

// Parse implements channel.Parser. Comments under the Page's posts (its
// feed) and on the Instagram account's media become public messages
// (comments.go). Events addressed to another Page or account are
// ignored, as are:
//   - echoes (is_echo): our own Page's messages, sent by Loket or from
//     Meta's inbox; they are not the customer's words, and a reply an
//     agent typed in Meta's inbox has no ticket message to attach to;
//   - events without a sender id (the chat plugin's guests, known only
//     by a user_ref that Send cannot reach).
//
// Messenger's read receipts and some deliveries name no message but a
// watermark: everything sent to the customer up to then was delivered or
// read. They become statuses with To and Through instead of an id.
func (a *Adapter) Parse(ch *domain.Channel, contentType string, body []byte, _ string) (*channel.Batch, error) {
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return nil, domain.Invalid("unsupported_media_type", "Meta posts webhooks as application/json")
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return nil, domain.Invalid("invalid_json", fmt.Sprintf("%s webhook: %v", a.p.kind, err))
	}
	if dec.More() {
		return nil, domain.Invalid("invalid_json", a.p.kind+" webhook: one JSON object expected")
	}
	if p.Object != a.p.object {
		return nil, domain.Invalid("unknown_object", fmt.Sprintf("a %s webhook has object %q, not %q: is this channel's webhook subscribed to the right product?", a.p.kind, a.p.object, p.Object))
	}
	s, err := a.settings(ch.Settings)
	if err != nil {
		return nil, err
	}
	account := a.account(s)
	b := &channel.Batch{}
	for _, e := range p.Entry {
		if e.ID != account {
			continue
		}
		for i := range e.Messaging {
			if err := a.parseEvent(b, account, &e.Messaging[i]); err != nil {
				return nil, err
			}
		}
		for i := range e.Changes {
			if err := a.parseChange(b, account, &e.Changes[i]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (a *Adapter) parseEvent(b *channel.Batch, account string, ev *event) error {
	if (ev.Recipient.ID != "" && ev.Recipient.ID != account) || ev.Sender.ID == "" || ev.Message != nil && ev.Message.IsEcho {
		return nil
	}
	if !senderID(ev.Sender.ID) {
		return domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: sender id %q is not a Meta id", a.p.kind, ev.Sender.ID))
	}
	for _, mid := range a.mids(ev) {
		if len(mid) > maxID {
			return domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: a message id is longer than %d bytes", a.p.kind, maxID))
		}
	}
	from := domain.Identity{Kind: a.p.identity, Value: ev.Sender.ID}
	var at time.Time
	if ev.Timestamp > 0 {
		at = time.UnixMilli(ev.Timestamp)
	}
	switch {
	case ev.Message != nil && ev.Message.IsDeleted:
		if ev.Message.Mid != "" {
			b.Changes = append(b.Changes, channel.Change{ExternalID: ev.Message.Mid, Kind: channel.ChangeDelete, From: from, At: at})
		}
	case ev.Message != nil:
		in, err := a.inbound(ev.Message, from, at)
		if err != nil {
			return err
		}
		b.Messages = append(b.Messages, in)
	case ev.Postback != nil:
		id := ev.Postback.Mid
		if id == "" {
			// Older postbacks have no mid; the sender and time make the
			// same one on Meta's retry.
			id = "postback-" + ev.Sender.ID + "-" + strconv.FormatInt(ev.Timestamp, 10)
		}
		text := ev.Postback.Title
		if strings.TrimSpace(text) == "" {
			text = ev.Postback.Payload
		}
		if strings.TrimSpace(text) == "" {
			text = "(tapped a button)"
		}
		b.Messages = append(b.Messages, &channel.Inbound{ExternalID: id, From: from, Text: text, ProviderAt: at,
			Meta: channel.QuickReplyMeta(ev.Postback.Payload)})
	case ev.Delivery != nil:
		for _, mid := range ev.Delivery.Mids {
			if mid != "" {
				b.Statuses = append(b.Statuses, channel.Status{ExternalID: mid, Status: domain.DeliveryDelivered})
			}
		}
		if len(ev.Delivery.Mids) == 0 && ev.Delivery.Watermark > 0 {
			b.Statuses = append(b.Statuses, channel.Status{Status: domain.DeliveryDelivered, To: from, Through: time.UnixMilli(ev.Delivery.Watermark)})
		}
	case ev.Read != nil:
		// Instagram names the message read; Messenger gives a watermark.
		if ev.Read.Mid != "" {
			b.Statuses = append(b.Statuses, channel.Status{ExternalID: ev.Read.Mid, Status: domain.DeliveryRead})
		} else if ev.Read.Watermark > 0 {
			b.Statuses = append(b.Statuses, channel.Status{Status: domain.DeliveryRead, To: from, Through: time.UnixMilli(ev.Read.Watermark)})
		}
	case ev.Reaction != nil && ev.Reaction.Mid != "":
		emoji := ""
		if ev.Reaction.Action != "unreact" {
			emoji = ev.Reaction.Emoji
			if emoji == "" {
				emoji = reactionEmoji[ev.Reaction.Reaction]
			}
			if emoji == "" {
				emoji = ev.Reaction.Reaction
			}
		}
		b.Changes = append(b.Changes, channel.Change{ExternalID: ev.Reaction.Mid, Kind: channel.ChangeReaction, From: from, Emoji: emoji, At: at})
	case ev.MessageEdit != nil && ev.MessageEdit.Mid != "":
		b.Changes = append(b.Changes, channel.Change{ExternalID: ev.MessageEdit.Mid, Kind: channel.ChangeEdit, From: from, Text: ev.MessageEdit.Text, At: at})
	}
	return nil
}

// mids lists the message ids an event names.
func (a *Adapter) mids(ev *event) []string {
	var out []string
	switch {
	case ev.Message != nil:
		out = append(out, ev.Message.Mid)
		if ev.Message.ReplyTo != nil {
			out = append(out, ev.Message.ReplyTo.Mid)
		}
	case ev.Postback != nil:
		out = append(out, ev.Postback.Mid)
	case ev.Delivery != nil:
		out = append(out, ev.Delivery.Mids...)
	case ev.Read != nil:
		out = append(out, ev.Read.Mid)
	case ev.Reaction != nil:
		out = append(out, ev.Reaction.Mid)
	case ev.MessageEdit != nil:
		out = append(out, ev.MessageEdit.Mid)
	}
	return out
}

// inbound turns a customer's message into an Inbound: media become
// attachments to download (Fetch), locations and links become text, and
// what Meta cannot show us becomes a note, so no message is lost.
func (a *Adapter) inbound(m *message, from domain.Identity, at time.Time) (*channel.Inbound, error) {
	if m.Mid == "" {
		return nil, domain.Invalid("invalid_payload", a.p.kind+" webhook: a message without a mid")
	}
	in := &channel.Inbound{ExternalID: m.Mid, From: from, ProviderAt: at}
	lines := []string{}
	if strings.TrimSpace(m.Text) != "" {
		lines = append(lines, m.Text)
	}
	for _, att := range m.Attachments {
		u := att.Payload.URL
		if u == "" {
			u = att.URL
		}
		title := att.Payload.Title
		if title == "" {
			title = att.Title
		}
		switch {
		case (att.Type == "image" || att.Type == "video" || att.Type == "audio" || att.Type == "file") && webURL(u):
			in.Attachments = append(in.Attachments, channel.Attachment{Ref: u, Filename: fileName(u, att.Type)})
		case att.Type == "location" && att.Payload.Coordinates != nil:
			c := att.Payload.Coordinates
			lines = append(lines, fmt.Sprintf("Location: %s, %s", strconv.FormatFloat(c.Lat, 'f', -1, 64), strconv.FormatFloat(c.Long, 'f', -1, 64)))
		case webURL(u):
			// Shares, story mentions, reels and fallbacks: a link the
			// agent can open, with its title when Meta gives one.
			lines = append(lines, strings.Join(strings.Fields(fmt.Sprintf("[%s] %s %s", typeName(att.Type), title, u)), " "))
		default:
			lines = append(lines, fmt.Sprintf("[%s attachment Loket cannot show; see it in Meta's inbox]", typeName(att.Type)))
		}
	}
	if m.IsUnsupported {
		lines = append(lines, fmt.Sprintf("[a message type the %s API does not share; see it in Meta's inbox]", a.p.kind))
	}
	if len(lines) == 0 && len(in.Attachments) == 0 {
		lines = append(lines, "[an empty message]")
	}
	in.Text = strings.Join(lines, "\n")
	if m.QuickReply != nil {
		in.Meta = channel.QuickReplyMeta(m.QuickReply.Payload)
	}
	if m.ReplyTo != nil && m.ReplyTo.Mid != "" {
		in.ReplyTo = []string{m.ReplyTo.Mid}
	}
	return in, nil
}

// maxSenderID is far above the length of Meta's scoped ids (some 17
// digits), and short enough that a postback's id made from it fits.
const maxSenderID = 64

// senderID reports whether id can be a customer's address: Meta's
// scoped ids are digits, but any short id without spaces or control
// characters is kept as given.
func senderID(id string) bool {
	return len(id) <= maxSenderID && utf8.ValidString(id) && !strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// typeName is an attachment type fit to show, whatever Meta sent.
func typeName(t string) string {
	t = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '_' {
			return r
		}
		return -1
	}, strings.ToLower(t))
	if t == "" || len(t) > 32 {
		return "unknown"
	}
	return t
}

// fileName is the media URL's last path element, or the attachment's
// type; Fetch adds an extension from the content type when it has none.
func fileName(u, typ string) string {
	if p, err := url.Parse(u); err == nil {
		if base := path.Base(p.Path); base != "." && base != "/" && base != "" {
			return base
		}
	}
	return typ
}
