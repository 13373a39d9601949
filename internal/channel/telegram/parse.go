package telegram

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// ContentType is the content type under which updates are ingested.
const ContentType = "application/json"

// allowedUpdates are the update kinds the adapter asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "message_reaction"}

// update is one Bot API Update; the kinds Loket does not ask for stay
// unread.
type update struct {
	UpdateID        int64            `json:"update_id"`
	Message         *message         `json:"message"`
	EditedMessage   *message         `json:"edited_message"`
	CallbackQuery   *callbackQuery   `json:"callback_query"`
	MessageReaction *messageReaction `json:"message_reaction"`
}

type user struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Username     string `json:"username"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type message struct {
	MessageID   int64        `json:"message_id"`
	From        *user        `json:"from"`
	Chat        chat         `json:"chat"`
	Date        int64        `json:"date"`
	EditDate    int64        `json:"edit_date"`
	Text        string       `json:"text"`
	Caption     string       `json:"caption"`
	Photo       []photoSize  `json:"photo"`
	Document    *file        `json:"document"`
	Voice       *file        `json:"voice"`
	Audio       *file        `json:"audio"`
	Video       *file        `json:"video"`
	VideoNote   *file        `json:"video_note"`
	Sticker     *sticker     `json:"sticker"`
	Location    *location    `json:"location"`
	Venue       *venue       `json:"venue"`
	Contact     *contact     `json:"contact"`
	ReplyMarkup *replyMarkup `json:"reply_markup"`
}

type photoSize struct {
	FileID   string `json:"file_id"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	FileSize int64  `json:"file_size"`
}

type file struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
}

type sticker struct {
	FileID     string `json:"file_id"`
	Emoji      string `json:"emoji"`
	IsAnimated bool   `json:"is_animated"`
	IsVideo    bool   `json:"is_video"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type venue struct {
	Title   string `json:"title"`
	Address string `json:"address"`
}

type contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
}

type replyMarkup struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    user     `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

type messageReaction struct {
	Chat        chat           `json:"chat"`
	MessageID   int64          `json:"message_id"`
	User        *user          `json:"user"`
	Date        int64          `json:"date"`
	NewReaction []reactionType `json:"new_reaction"`
}

type reactionType struct {
	Type  string `json:"type"`
	Emoji string `json:"emoji"`
}

// Parse implements channel.Parser for one Bot API Update. Only private
// chats with people are customers' conversations: groups, channels and
// other bots are ignored, as are update kinds Loket does not serve (an
// empty batch, never an error). A message's external id is its chat and
// message id, so an update Telegram delivers twice is stored once.
func (*Adapter) Parse(_ *domain.Channel, _ string, body []byte, _ string) (*channel.Batch, error) {
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, domain.Invalid("invalid_json", "the update is not a Telegram Bot API update: "+err.Error())
	}
	var b channel.Batch
	switch {
	case u.Message != nil:
		if in := inbound(u.Message); in != nil {
			b.Messages = append(b.Messages, in)
		}
	case u.EditedMessage != nil:
		m := u.EditedMessage
		if customer(m.From, m.Chat) {
			b.Changes = append(b.Changes, channel.Change{ExternalID: messageID(m.Chat.ID, m.MessageID), Kind: channel.ChangeEdit,
				From: identity(m.From), Text: orElse(m.Text, m.Caption), At: unix(orZero(m.EditDate, m.Date))})
		}
	case u.CallbackQuery != nil:
		if in := pressed(u.CallbackQuery); in != nil {
			b.Messages = append(b.Messages, in)
		}
	case u.MessageReaction != nil:
		if c, ok := reaction(u.MessageReaction); ok {
			b.Changes = append(b.Changes, c)
		}
	}
	return &b, nil
}

// customer reports whether a message is a person's in a private chat with
// the bot: only those are conversations.
func customer(from *user, c chat) bool {
	return from != nil && !from.IsBot && from.ID != 0 && c.Type == "private"
}

func inbound(m *message) *channel.Inbound {
	if !customer(m.From, m.Chat) {
		return nil
	}
	in := &channel.Inbound{
		ExternalID: messageID(m.Chat.ID, m.MessageID),
		From:       identity(m.From),
		Name:       name(m.From),
		Language:   language(m.From.LanguageCode),
		Text:       orElse(m.Text, m.Caption),
		ProviderAt: unix(m.Date),
	}
	if len(m.Photo) > 0 {
		largest := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > largest.Width*largest.Height {
				largest = p
			}
		}
		in.Attachments = append(in.Attachments, attachment(largest.FileID, "photo.jpg", "image/jpeg"))
	}
	for _, f := range []struct {
		f          *file
		name, mime string
	}{{m.Document, "document", "application/octet-stream"}, {m.Voice, "voice.ogg", "audio/ogg"}, {m.Audio, "audio.mp3", "audio/mpeg"},
		{m.Video, "video.mp4", "video/mp4"}, {m.VideoNote, "video_note.mp4", "video/mp4"}} {
		if f.f != nil && f.f.FileID != "" {
			in.Attachments = append(in.Attachments, attachment(f.f.FileID, orElse(f.f.FileName, f.name), orElse(f.f.MimeType, f.mime)))
		}
	}
	if s := m.Sticker; s != nil && s.FileID != "" {
		name, mime := "sticker.webp", "image/webp"
		switch {
		case s.IsAnimated:
			name, mime = "sticker.tgs", "application/x-tgsticker"
		case s.IsVideo:
			name, mime = "sticker.webm", "video/webm"
		}
		in.Attachments = append(in.Attachments, attachment(s.FileID, name, mime))
		in.Text = orElse(in.Text, s.Emoji)
	}
	switch {
	case m.Venue != nil && m.Location != nil:
		in.Text = joinLines(in.Text, fmt.Sprintf("Location: %s, %s (%s)", m.Venue.Title, m.Venue.Address, coordinates(m.Location)))
	case m.Location != nil:
		in.Text = joinLines(in.Text, "Location: "+coordinates(m.Location))
	}
	if c := m.Contact; c != nil {
		in.Text = joinLines(in.Text, fmt.Sprintf("Contact: %s, %s", strings.TrimSpace(c.FirstName+" "+c.LastName), c.PhoneNumber))
	}
	if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
		return nil // a poll, a dice, a service message: nothing an agent can read
	}
	return in
}

// pressed turns a tap on an inline keyboard button into the customer's
// answer: the button's label as text and its data as the quick reply the
// bot reads.
func pressed(q *callbackQuery) *channel.Inbound {
	c := chat{ID: q.From.ID, Type: "private"}
	if q.Message != nil {
		c = q.Message.Chat
	}
	if !customer(&q.From, c) || q.ID == "" || q.Data == "" {
		return nil
	}
	in := &channel.Inbound{
		ExternalID: "callback:" + q.ID,
		From:       identity(&q.From),
		Name:       name(&q.From),
		Language:   language(q.From.LanguageCode),
		Text:       q.Data,
	}
	if q.Message != nil && q.Message.ReplyMarkup != nil {
		for _, row := range q.Message.ReplyMarkup.InlineKeyboard {
			for _, btn := range row {
				if btn.CallbackData == q.Data && btn.Text != "" {
					in.Text = btn.Text
				}
			}
		}
	}
	if !hashed(q.Data) {
		in.Meta = channel.QuickReplyMeta(q.Data)
	}
	return in
}

func reaction(r *messageReaction) (channel.Change, bool) {
	if !customer(r.User, r.Chat) {
		return channel.Change{}, false
	}
	c := channel.Change{ExternalID: messageID(r.Chat.ID, r.MessageID), Kind: channel.ChangeReaction, From: identity(r.User), At: unix(r.Date)}
	for _, t := range r.NewReaction {
		if t.Type == "emoji" && t.Emoji != "" {
			c.Emoji = t.Emoji
			return c, true
		}
	}
	// Only custom emoji or paid stars, which Loket cannot show, or none:
	// the reaction was taken back.
	return c, len(r.NewReaction) == 0
}

// messageID is the external id of a message in a chat, ours or the
// customer's: message ids are only unique within their chat.
func messageID(chatID, id int64) string { return fmt.Sprintf("msg:%d:%d", chatID, id) }

func identity(u *user) domain.Identity {
	return domain.Identity{Kind: domain.IdentityTelegram, Value: strconv.FormatInt(u.ID, 10)}
}

func name(u *user) string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// language reduces Telegram's IETF tag (en, pt-br) to ISO 639-1.
func language(tag string) string {
	l, _, _ := strings.Cut(strings.ToLower(tag), "-")
	if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
		return ""
	}
	return l
}

func attachment(fileID, filename, contentType string) channel.Attachment {
	return channel.Attachment{Ref: fileID, Filename: domain.BaseFilename(filename), ContentType: contentType}
}

func coordinates(l *location) string {
	return fmt.Sprintf("%.6f, %.6f https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f", l.Latitude, l.Longitude, l.Latitude, l.Longitude)
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func unix(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orZero(n, def int64) int64 {
	if n == 0 {
		return def
	}
	return n
}
