package whatsapp

import (
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// payload is a webhook body: changes to a WhatsApp Business Account.
type payload struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value value  `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// value is the "messages" field of one change: for one business number,
// customers' messages with their profiles, and statuses of our messages.
type value struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []message `json:"messages"`
	Statuses []status  `json:"statuses"`
}

type message struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Context   *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Video    *media `json:"video"`
	Audio    *media `json:"audio"`
	Voice    *media `json:"voice"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
		URL       string  `json:"url"`
	} `json:"location"`
	Contacts    []sharedContact `json:"contacts"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	System *struct {
		Body string `json:"body"`
	} `json:"system"`
}

// media is an image, video, audio, voice note, document or sticker, known
// by its media id until it is downloaded (Fetch).
type media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// sharedContact is a contact card the customer sent.
type sharedContact struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
}

type status struct {
	ID        string       `json:"id"`
	Status    string       `json:"status"`
	Timestamp string       `json:"timestamp"`
	Errors    []graphError `json:"errors"`
}

// Parse implements channel.Parser. A payload names the business number it
// is for; changes for other numbers of the same app (other channels) and
// fields other than messages are skipped.
func (*Adapter) Parse(ch *domain.Channel, contentType string, body []byte, region string) (*channel.Batch, error) {
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return nil, domain.Invalid("unsupported_media_type", "a WhatsApp webhook payload is application/json")
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, domain.Invalid("invalid_json", "WhatsApp webhook payload: "+err.Error())
	}
	if p.Object != "whatsapp_business_account" {
		return nil, domain.Invalid("invalid_payload", fmt.Sprintf("WhatsApp webhook object is %q, want whatsapp_business_account", p.Object))
	}
	var own string
	if s, err := ParseSettings(ch.Settings); err == nil {
		own = s.PhoneNumberID
	}
	b := &channel.Batch{}
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" || (own != "" && c.Value.Metadata.PhoneNumberID != own) {
				continue
			}
			if err := parseValue(b, &c.Value, region); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func parseValue(b *channel.Batch, v *value, region string) error {
	for i := range v.Messages {
		m := &v.Messages[i]
		if m.ID == "" || len(m.ID) > domain.MaxIDBytes {
			return domain.Invalid("invalid_payload", "a WhatsApp message has no id or one that is too long")
		}
		from, err := domain.NewIdentity(domain.IdentityPhone, "+"+strings.TrimPrefix(m.From, "+"), region)
		if err != nil {
			return domain.Invalid("invalid_payload", fmt.Sprintf("WhatsApp message %s: sender %q is not a phone number", m.ID, m.From))
		}
		at := unixTime(m.Timestamp)
		if m.Type == "reaction" {
			// An empty emoji takes the reaction back.
			if r := m.Reaction; r != nil && r.MessageID != "" && len(r.MessageID) <= domain.MaxIDBytes {
				b.Changes = append(b.Changes, channel.Change{ExternalID: r.MessageID, Kind: channel.ChangeReaction,
					From: from, Emoji: r.Emoji, At: at})
			}
			continue
		}
		in := &channel.Inbound{ExternalID: m.ID, From: from, Name: profileName(v, m.From), ProviderAt: at}
		if m.Context != nil && m.Context.ID != "" && len(m.Context.ID) <= domain.MaxIDBytes {
			in.ReplyTo = []string{m.Context.ID}
		}
		content(in, m)
		if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
			in.Text = fmt.Sprintf("[empty WhatsApp %s message]", typeName(m.Type))
		}
		b.Messages = append(b.Messages, in)
	}
	for _, s := range v.Statuses {
		st, ok := statuses[s.Status]
		if !ok || s.ID == "" {
			continue
		}
		out := channel.Status{ExternalID: s.ID, Status: st}
		if st == domain.DeliveryFailed && len(s.Errors) > 0 {
			out.Reason = s.Errors[0].String()
		}
		b.Statuses = append(b.Statuses, out)
	}
	return nil
}

// statuses maps WhatsApp's statuses to Loket's; others (such as
// "deleted") are not about delivery.
var statuses = map[string]domain.DeliveryStatus{
	"sent": domain.DeliverySent, "delivered": domain.DeliveryDelivered, "read": domain.DeliveryRead, "failed": domain.DeliveryFailed,
}

// content fills in the text, attachments and meta of a message by its type.
func content(in *channel.Inbound, m *message) {
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Text = m.Text.Body
		}
		return
	case "image", "video", "audio", "voice", "document", "sticker":
		if md := m.media(); md != nil && md.ID != "" {
			in.Text = md.Caption
			in.Attachments = []channel.Attachment{{Ref: md.ID, ContentType: md.MimeType, Filename: filename(m.Type, md)}}
			return
		}
	case "location":
		if l := m.Location; l != nil {
			in.Text = locationText(l.Latitude, l.Longitude, l.Name, l.Address, l.URL)
			return
		}
	case "contacts":
		if len(m.Contacts) > 0 {
			in.Text = contactsText(m.Contacts)
			return
		}
	case "interactive":
		if it := m.Interactive; it != nil {
			r := it.ButtonReply
			if r == nil {
				r = it.ListReply
			}
			if r != nil {
				in.Text = r.Title
				in.Meta = channel.QuickReplyMeta(r.ID)
				return
			}
		}
	case "button":
		if m.Button != nil {
			in.Text = m.Button.Text
			in.Meta = channel.QuickReplyMeta(m.Button.Payload)
			return
		}
	case "system":
		if m.System != nil {
			in.Text = "[WhatsApp: " + m.System.Body + "]"
			return
		}
	}
	in.Text = fmt.Sprintf("[unsupported WhatsApp message type: %s]", typeName(m.Type))
}

func (m *message) media() *media {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "voice":
		if m.Voice != nil {
			return m.Voice
		}
		return m.Audio
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

func typeName(t string) string {
	if t == "" {
		return "none"
	}
	return domain.Truncate(t, 40)
}

func locationText(lat, lng float64, name, address, link string) string {
	var lines []string
	if place := strings.TrimSpace(strings.Join(nonEmpty(name, address), ", ")); place != "" {
		lines = append(lines, "📍 "+place)
	} else {
		lines = append(lines, "📍 Location")
	}
	coords := strconv.FormatFloat(lat, 'f', -1, 64) + "," + strconv.FormatFloat(lng, 'f', -1, 64)
	lines = append(lines, coords, "https://www.openstreetmap.org/?mlat="+strconv.FormatFloat(lat, 'f', -1, 64)+
		"&mlon="+strconv.FormatFloat(lng, 'f', -1, 64)+"#map=17/"+strings.ReplaceAll(coords, ",", "/"))
	if link != "" {
		lines = append(lines, link)
	}
	return strings.Join(lines, "\n")
}

func contactsText(cs []sharedContact) string {
	var lines []string
	for _, c := range cs {
		var parts []string
		for _, p := range c.Phones {
			parts = append(parts, p.Phone)
		}
		for _, e := range c.Emails {
			parts = append(parts, e.Email)
		}
		name := c.Name.FormattedName
		if name == "" {
			name = "Contact"
		}
		line := "👤 " + name
		if vals := nonEmpty(parts...); len(vals) > 0 {
			line += ": " + strings.Join(vals, ", ")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func nonEmpty(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// profileName is the WhatsApp profile name of the sender wa_id.
func profileName(v *value, waID string) string {
	for _, c := range v.Contacts {
		if c.WaID == waID {
			return domain.Truncate(strings.TrimSpace(c.Profile.Name), domain.MaxNameBytes)
		}
	}
	return ""
}

// unixTime reads WhatsApp's timestamps, Unix seconds as a string; zero when
// missing or not a plausible time.
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
