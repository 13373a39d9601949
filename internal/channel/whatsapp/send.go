package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// WhatsApp's limits on interactive messages and captions, in characters.
const (
	maxButtons     = 3
	maxButtonTitle = 20
	maxListRows    = 10
	maxRowTitle    = 24
	maxReplyID     = 200
	maxCaption     = 1024
	maxBodyText    = 1024 // the body of an interactive message
)

// Send implements channel.Adapter. A message goes out as one or more
// WhatsApp messages: each attachment (uploaded first), with the text as the
// first one's caption where it fits; otherwise the text, as reply buttons
// or a list when the message offers quick replies; or an approved
// template. The id of the last one is what statuses refer to.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	sent, err := a.send(ctx, out)
	if err != nil {
		return channel.Sent{}, classify(fmt.Errorf("send whatsapp message %d: %w", out.Message.ID, err))
	}
	return sent, nil
}

func (a *Adapter) send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	s, err := ParseSettings(out.Channel.Settings)
	if err != nil {
		return channel.Sent{}, channel.Permanent(err)
	}
	if out.To == nil || out.To.Kind != domain.IdentityPhone {
		return channel.Sent{}, channel.Permanent(errors.New("the customer has no phone number to reach on WhatsApp"))
	}
	token := out.Channel.Secrets[SecretAccessToken]
	to := strings.TrimPrefix(out.To.Value, "+")
	m := out.Message
	post := func(msg map[string]any) (string, error) {
		msg["messaging_product"] = "whatsapp"
		msg["recipient_type"] = "individual"
		msg["to"] = to
		body, err := json.Marshal(msg)
		if err != nil {
			return "", channel.Permanent(err)
		}
		var answer struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		if err := a.call(ctx, http.MethodPost, s.endpoint(s.PhoneNumberID, "messages"), token, bytes.NewReader(body), "application/json", &answer); err != nil {
			return "", err
		}
		if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
			return "", errors.New("WhatsApp answered without a message id")
		}
		return answer.Messages[0].ID, nil
	}

	if t := channel.TemplateOf(m); t != nil {
		wamid, err := post(templateMessage(t))
		return channel.Sent{ExternalID: wamid}, err
	}
	text := strings.TrimSpace(m.Text)
	replies := channel.QuickReplies(m)
	var last string
	for i, att := range m.Attachments {
		data, err := out.Attachment(ctx, att)
		if err != nil {
			return channel.Sent{}, fmt.Errorf("read attachment %q: %w", att.Filename, err)
		}
		mediaID, err := a.upload(ctx, s, token, att, data)
		if err != nil {
			return channel.Sent{}, fmt.Errorf("upload %q: %w", att.Filename, err)
		}
		kind := mediaKind(att.ContentType)
		obj := map[string]any{"id": mediaID}
		if kind == "document" {
			obj["filename"] = att.Filename
		}
		// The text rides along as the first file's caption, unless it is
		// sent with buttons or does not fit.
		if i == 0 && kind != "audio" && len(replies) == 0 && text != "" && utf8.RuneCountInString(text) <= maxCaption {
			obj["caption"] = text
			text = ""
		}
		if last, err = post(map[string]any{"type": kind, kind: obj}); err != nil {
			return channel.Sent{}, err
		}
	}
	switch {
	case len(replies) > 0:
		if text == "" {
			text = "…"
		}
		last, err = post(interactiveMessage(text, replies, out.Contact))
	case text != "":
		last, err = post(map[string]any{"type": "text", "text": map[string]any{"body": text}})
	case last == "":
		return channel.Sent{}, channel.Permanent(errors.New("the message has no text or attachment to send"))
	}
	return channel.Sent{ExternalID: last}, err
}

// templateMessage sends an approved template with its body parameters.
func templateMessage(t *channel.TemplateRef) map[string]any {
	tpl := map[string]any{"name": t.Name, "language": map[string]string{"code": t.Language}}
	if len(t.Params) > 0 {
		params := make([]map[string]string, len(t.Params))
		for i, p := range t.Params {
			params[i] = map[string]string{"type": "text", "text": p}
		}
		tpl["components"] = []map[string]any{{"type": "body", "parameters": params}}
	}
	return map[string]any{"type": "template", "template": tpl}
}

// interactiveMessage offers quick replies as up to three reply buttons, or
// as a list of up to ten rows.
func interactiveMessage(text string, replies []channel.QuickReply, contact *domain.Contact) map[string]any {
	body := map[string]string{"text": cut(text, maxBodyText)}
	var it map[string]any
	if len(replies) <= maxButtons {
		buttons := make([]map[string]any, len(replies))
		for i, r := range replies {
			buttons[i] = map[string]any{"type": "reply", "reply": map[string]string{"id": cut(r.ID, maxReplyID), "title": cut(r.Label, maxButtonTitle)}}
		}
		it = map[string]any{"type": "button", "body": body, "action": map[string]any{"buttons": buttons}}
	} else {
		rows := make([]map[string]string, 0, maxListRows)
		for _, r := range replies[:min(len(replies), maxListRows)] {
			row := map[string]string{"id": cut(r.ID, maxReplyID), "title": cut(r.Label, maxRowTitle)}
			if utf8.RuneCountInString(r.Label) > maxRowTitle {
				row["description"] = cut(r.Label, 72)
			}
			rows = append(rows, row)
		}
		it = map[string]any{"type": "list", "body": body, "action": map[string]any{
			"button":   listButton(contact),
			"sections": []map[string]any{{"rows": rows}},
		}}
	}
	return map[string]any{"type": "interactive", "interactive": it}
}

// listButton is the label of the button that opens a list, in the
// customer's language where known.
func listButton(c *domain.Contact) string {
	if c != nil {
		switch c.Language {
		case "nl":
			return "Kies"
		case "de":
			return "Auswählen"
		case "fr":
			return "Choisir"
		}
	}
	return "Choose"
}

// cut shortens s to at most n characters, ending with "…" when cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// mediaKind is the WhatsApp message type a file is sent as: the types
// WhatsApp plays or shows, anything else as a document.
func mediaKind(contentType string) string {
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	switch strings.TrimSpace(ct) {
	case "image/jpeg", "image/png":
		return "image"
	case "video/mp4", "video/3gpp":
		return "video"
	case "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg":
		return "audio"
	}
	return "document"
}

// upload stores a file at WhatsApp for the business number and returns its
// media id.
func (a *Adapter) upload(ctx context.Context, s *Settings, token string, att domain.Attachment, data []byte) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("messaging_product", "whatsapp")
	contentType := att.ContentType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.WriteField("type", contentType)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", att.Filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return "", err
	}
	part.Write(data)
	if err := w.Close(); err != nil {
		return "", err
	}
	var answer struct {
		ID string `json:"id"`
	}
	if err := a.call(ctx, http.MethodPost, s.endpoint(s.PhoneNumberID, "media"), token, &buf, w.FormDataContentType(), &answer); err != nil {
		return "", err
	}
	if answer.ID == "" {
		return "", errors.New("WhatsApp answered without a media id")
	}
	return answer.ID, nil
}
