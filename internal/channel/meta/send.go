package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Quick reply limits of the Send API.
const (
	maxQuickReplies      = 13
	maxQuickReplyTitle   = 20
	maxQuickReplyPayload = 1000
)

// sendRecipient names whom a message goes to: a person's id, or the
// comment a private reply answers.
type sendRecipient struct {
	ID        string `json:"id,omitempty"`
	CommentID string `json:"comment_id,omitempty"`
}

type quickReply struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

type sendMessage struct {
	Text         string       `json:"text,omitempty"`
	Attachment   *sendFile    `json:"attachment,omitempty"`
	QuickReplies []quickReply `json:"quick_replies,omitempty"`
}

type sendFile struct {
	Type    string `json:"type"`
	Payload struct {
		IsReusable bool `json:"is_reusable"`
	} `json:"payload"`
}

type sendRequest struct {
	Recipient     sendRecipient `json:"recipient"`
	MessagingType string        `json:"messaging_type,omitempty"`
	Message       sendMessage   `json:"message"`
}

type sendAnswer struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// Send implements channel.Adapter. Each file goes first, as its own
// message uploaded with the Send API (multipart filedata, not kept for
// reuse), then the text; the quick replies ride on the last message so
// they show under it. Sent.ExternalID is the last message's id, which
// the customer's delivery and read receipts name. Meta takes no
// idempotency key: a retry after a partly sent reply sends its first
// parts again.
//
// A reply on a public ticket answers the customer's comment in public,
// and a message taking it private answers the comment privately
// (public.go).
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	m := out.Message
	switch {
	case out.Public:
		return a.sendPublic(ctx, out)
	case out.PrivateReplyTo != "":
		return a.sendPrivate(ctx, out)
	}
	if out.To != nil && out.To.Kind == domain.IdentityFacebook {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: this address is a Facebook commenter's, which Messenger cannot write to; a direct message can go only once they have written to the Page in Messenger (a private reply to their comment invites that): answer the comment publicly or privately", a.p.kind, m.ID))
	}
	if out.To == nil || out.To.Kind != a.p.identity || out.To.Value == "" {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: the contact has no %s address", a.p.kind, m.ID, a.p.identity))
	}
	s, err := a.settings(out.Channel.Settings)
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: %w", a.p.kind, m.ID, err))
	}
	quick := quickReplies(channel.QuickReplies(m))
	text := strings.TrimSpace(m.Text)
	var last sendAnswer
	for i, att := range m.Attachments {
		data, err := out.Attachment(ctx, att)
		if err != nil {
			return channel.Sent{}, fmt.Errorf("send %s message %d: read attachment %q: %w", a.p.kind, m.ID, att.Filename, err)
		}
		var qr []quickReply
		if text == "" && i == len(m.Attachments)-1 {
			qr = quick
		}
		if last, err = a.sendFile(ctx, out, s, att, data, qr); err != nil {
			return channel.Sent{}, fmt.Errorf("send %s message %d: attachment %q: %w", a.p.kind, m.ID, att.Filename, classify(err))
		}
	}
	if text != "" || len(m.Attachments) == 0 {
		req := sendRequest{Recipient: sendRecipient{ID: out.To.Value}, MessagingType: "RESPONSE",
			Message: sendMessage{Text: m.Text, QuickReplies: quick}}
		body, _ := json.Marshal(req)
		if err := a.graph(ctx, out.Channel, "POST", s.PageID+"/messages", nil, "application/json", bytes.NewReader(body), &last); err != nil {
			return channel.Sent{}, fmt.Errorf("send %s message %d: %w", a.p.kind, m.ID, classify(err))
		}
	}
	if last.MessageID == "" {
		return channel.Sent{}, fmt.Errorf("send %s message %d: the Send API answered no message_id", a.p.kind, m.ID)
	}
	return channel.Sent{ExternalID: last.MessageID}, nil
}

// sendFile uploads one attachment and sends it in the same call.
func (a *Adapter) sendFile(ctx context.Context, out *channel.Outbound, s Settings, att domain.Attachment, data []byte, qr []quickReply) (sendAnswer, error) {
	f := &sendFile{Type: fileType(att.ContentType)}
	recipient, _ := json.Marshal(sendRecipient{ID: out.To.Value})
	msg, _ := json.Marshal(sendMessage{Attachment: f, QuickReplies: qr})
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, field := range [][2]string{{"recipient", string(recipient)}, {"messaging_type", "RESPONSE"}, {"message", string(msg)}} {
		if err := w.WriteField(field[0], field[1]); err != nil {
			return sendAnswer{}, err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="filedata"; filename=%q`, att.Filename))
	ct := att.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	part, err := w.CreatePart(h)
	if err != nil {
		return sendAnswer{}, err
	}
	if _, err := part.Write(data); err != nil {
		return sendAnswer{}, err
	}
	if err := w.Close(); err != nil {
		return sendAnswer{}, err
	}
	var ans sendAnswer
	err = a.graph(ctx, out.Channel, "POST", s.PageID+"/messages", nil, w.FormDataContentType(), &buf, &ans)
	return ans, err
}

// fileType is the Send API's attachment type for a content type.
func fileType(contentType string) string {
	for _, t := range []string{"image", "video", "audio"} {
		if strings.HasPrefix(contentType, t+"/") {
			return t
		}
	}
	return "file"
}

// quickReplies fits the bot's choices to the Send API: at most 13, with
// titles cut to 20 characters.
func quickReplies(in []channel.QuickReply) []quickReply {
	var out []quickReply
	for _, q := range in {
		if len(out) == maxQuickReplies {
			break
		}
		title := strings.TrimSpace(q.Label)
		if title == "" {
			title = q.ID
		}
		if q.ID == "" || title == "" || len(q.ID) > maxQuickReplyPayload {
			continue
		}
		out = append(out, quickReply{ContentType: "text", Title: cut(title, maxQuickReplyTitle), Payload: q.ID})
	}
	return out
}

// cut shortens s to n characters, ending with an ellipsis when cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Check implements channel.Checker: it reads the Page's name with the
// token (and, for Instagram, the account's username), writing to no one.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	s, err := a.settings(ch.Settings)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	checks := []channel.Check{a.checkNode(ctx, ch, "page", s.PageID, "name")}
	if a.p.kind == KindInstagram {
		checks = append(checks, a.checkNode(ctx, ch, "instagram_account", s.InstagramAccountID, "username"))
	}
	return checks
}

func (a *Adapter) checkNode(ctx context.Context, ch *domain.Channel, name, id, field string) channel.Check {
	var node map[string]any
	q := map[string][]string{"fields": {field}}
	if err := a.graph(ctx, ch, "GET", id, q, "", nil, &node); err != nil {
		var ge *graphError
		if errors.As(err, &ge) && ge.Code == 190 {
			return channel.Check{Name: name, Detail: "Meta refused the page_access_token: " + err.Error()}
		}
		return channel.Check{Name: name, Detail: err.Error()}
	}
	return channel.Check{Name: name, OK: true, Detail: fmt.Sprintf("signed in; %s %v", field, node[field])}
}
