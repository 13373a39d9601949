package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Bot API limits, counted in UTF-16 code units as Telegram counts them.
const (
	maxText         = 4096
	maxCaption      = 1024
	maxCallbackData = 64
	maxPhotoBytes   = 10 << 20
)

// sentMessage is the part of a sent Message the adapter reads.
type sentMessage struct {
	MessageID int64 `json:"message_id"`
	Chat      chat  `json:"chat"`
}

// Send implements channel.Adapter. The text goes out with sendMessage,
// split into parts of at most 4096 characters, with the quick replies as
// an inline keyboard on the last part; files go out with sendPhoto or
// sendDocument, the first one carrying the text as its caption when it
// fits. The external id is that of the first message sent.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	id := out.Message.ID
	if out.To == nil || out.To.Kind != domain.IdentityTelegram || out.To.Value == "" {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send telegram message %d: the customer has no telegram address", id))
	}
	b, err := a.bot(out.Channel)
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send telegram message %d: %w", id, err))
	}
	chatID := out.To.Value
	text := out.Message.Text
	keyboard := inlineKeyboard(channel.QuickReplies(out.Message))
	atts := out.Message.Attachments
	caption := len(atts) > 0 && utf16Len(text) <= maxCaption
	var first *sentMessage
	keep := func(m *sentMessage) {
		if first == nil {
			first = m
		}
	}
	if !caption {
		parts := split(text, maxText)
		for i, part := range parts {
			params := map[string]any{"chat_id": chatID, "text": part}
			if i == len(parts)-1 && keyboard != nil {
				params["reply_markup"] = keyboard
			}
			var m sentMessage
			if err := b.call(ctx, "sendMessage", params, &m); err != nil {
				return channel.Sent{}, sendError(id, err)
			}
			keep(&m)
		}
	}
	for i, att := range atts {
		data, err := out.Attachment(ctx, att)
		if err != nil {
			return channel.Sent{}, fmt.Errorf("send telegram message %d: read %s: %w", id, att.Filename, err)
		}
		method, field := "sendDocument", "document"
		if photo(att.ContentType) && len(data) <= maxPhotoBytes {
			method, field = "sendPhoto", "photo"
		}
		fields := map[string]string{"chat_id": chatID}
		if i == 0 && caption {
			if text != "" {
				fields["caption"] = text
			}
			if keyboard != nil {
				markup, _ := json.Marshal(keyboard)
				fields["reply_markup"] = string(markup)
			}
		}
		var m sentMessage
		if err := b.upload(ctx, method, fields, field, orElse(att.Filename, "file"), data, &m); err != nil {
			return channel.Sent{}, sendError(id, err)
		}
		keep(&m)
	}
	if first == nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send telegram message %d: %w", id, errors.New("nothing to send")))
	}
	return channel.Sent{ExternalID: messageID(first.Chat.ID, first.MessageID)}, nil
}

func photo(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(strings.ToLower(ct)) {
	case "image/jpeg", "image/png", "image/webp":
		return true
	}
	return false
}

// inlineKeyboard shows quick replies as buttons, one per row.
func inlineKeyboard(replies []channel.QuickReply) *replyMarkup {
	if len(replies) == 0 {
		return nil
	}
	kb := &replyMarkup{}
	for _, r := range replies {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []inlineButton{{Text: orElse(r.Label, r.ID), CallbackData: callbackData(r.ID)}})
	}
	return kb
}

// callbackData is a quick reply's id as button data, which Telegram caps
// at 64 bytes. A longer id (or one that looks like a digest) is replaced
// by a digest, never cut: a cut id could name another choice. The tap
// then reaches the bot as the button's label only.
func callbackData(id string) string {
	if len(id) <= maxCallbackData && !hashed(id) && id != "" {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "#" + hex.EncodeToString(sum[:])[:40]
}

// hashed reports whether button data is a digest made by callbackData.
func hashed(data string) bool { return strings.HasPrefix(data, "#") }

// split cuts text into parts of at most limit UTF-16 code units, at a line
// break or space where one is near, never inside a character.
func split(text string, limit int) []string {
	var parts []string
	for utf16Len(text) > limit {
		cut, units := 0, 0
		lastBreak := -1
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			n := max(utf16.RuneLen(r), 1)
			if units+n > limit {
				break
			}
			units += n
			i += size
			cut = i
			if unicode.IsSpace(r) {
				lastBreak = cut
			}
		}
		if lastBreak > cut/2 {
			cut = lastBreak
		}
		parts = append(parts, strings.TrimRightFunc(text[:cut], unicode.IsSpace))
		text = strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
	}
	if text != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}
