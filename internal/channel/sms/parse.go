package sms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Content types the webhook hands to Ingest: Twilio posts forms, CM JSON.
const (
	contentTypeForm = "application/x-www-form-urlencoded"
	contentTypeJSON = "application/json"
)

// twilioSID is the shape of a Twilio message id, such as SM followed by
// 32 hexadecimal characters.
var twilioSID = regexp.MustCompile(`^[A-Za-z0-9]{2,64}$`)

// maxMediaPerMessage is how many media Twilio attaches to one MMS at most.
const maxMediaPerMessage = 10

// Parse implements channel.Parser: a Twilio form (an incoming message or a
// status callback) or a CM JSON body (an incoming message or a status
// report).
func (a *Adapter) Parse(_ *domain.Channel, contentType string, body []byte, region string) (*channel.Batch, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case contentTypeForm:
		return parseTwilio(body, region)
	case contentTypeJSON:
		return parseCM(body, region)
	}
	return nil, domain.Invalid("unsupported_media_type", fmt.Sprintf("an sms payload is a form (Twilio) or JSON (CM), not %q", contentType))
}

// twilioStatuses maps Twilio's MessageStatus values of outbound messages
// to delivery statuses; "received" and "receiving" are incoming messages.
var twilioStatuses = map[string]domain.DeliveryStatus{
	"accepted": domain.DeliveryQueued, "scheduled": domain.DeliveryQueued, "queued": domain.DeliveryQueued,
	"sending": domain.DeliveryQueued, "sent": domain.DeliverySent, "delivered": domain.DeliveryDelivered,
	"read": domain.DeliveryRead, "undelivered": domain.DeliveryFailed, "failed": domain.DeliveryFailed,
	"canceled": domain.DeliveryFailed,
}

// twilioErrors are the texts of Twilio's common delivery error codes.
var twilioErrors = map[string]string{
	"21211": "Invalid 'To' phone number",
	"21408": "Permission to send an SMS has not been enabled for the region",
	"21610": "Attempt to send to unsubscribed recipient",
	"21614": "'To' number is not a valid mobile number",
	"30001": "Queue overflow",
	"30002": "Account suspended",
	"30003": "Unreachable destination handset",
	"30004": "Message blocked",
	"30005": "Unknown destination handset",
	"30006": "Landline or unreachable carrier",
	"30007": "Message filtered by the carrier",
	"30008": "Unknown error",
}

// twilioReason says why Twilio could not deliver, such as "Twilio error
// 30003: Unreachable destination handset".
func twilioReason(code string) string {
	if code == "" || code == "0" {
		return ""
	}
	if text, ok := twilioErrors[code]; ok {
		return "Twilio error " + code + ": " + text
	}
	return "Twilio error " + code
}

func parseTwilio(body []byte, region string) (*channel.Batch, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, domain.Invalid("invalid_form", "the Twilio payload is not a form: "+err.Error())
	}
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	if !twilioSID.MatchString(sid) {
		return nil, domain.Invalid("missing_message_sid", "the Twilio payload has no MessageSid of letters and digits")
	}
	status := form.Get("MessageStatus")
	if status == "" {
		status = form.Get("SmsStatus")
	}
	if st, ok := twilioStatuses[strings.ToLower(status)]; ok {
		s := channel.Status{ExternalID: sid, Status: st}
		if st == domain.DeliveryFailed {
			s.Reason = twilioReason(strings.ToValidUTF8(form.Get("ErrorCode"), ""))
		}
		return &channel.Batch{Statuses: []channel.Status{s}}, nil
	}
	from, err := domain.NewIdentity(domain.IdentityPhone, form.Get("From"), region)
	if err != nil {
		return nil, domain.Invalid("invalid_from", fmt.Sprintf("the Twilio message %s comes from %q, which is not a phone number", sid, form.Get("From")))
	}
	text := strings.ToValidUTF8(form.Get("Body"), "\uFFFD")
	in := &channel.Inbound{ExternalID: sid, From: from, Text: text, Consent: consentOf(text), Raw: body}
	n, _ := strconv.Atoi(form.Get("NumMedia"))
	for i := range min(max(n, 0), maxMediaPerMessage) {
		ref := form.Get("MediaUrl" + strconv.Itoa(i))
		if ref == "" {
			continue
		}
		ct := mediaType(form.Get("MediaContentType" + strconv.Itoa(i)))
		in.Attachments = append(in.Attachments, channel.Attachment{Filename: mediaName(i, ct), ContentType: ct, Ref: strings.ToValidUTF8(ref, "")})
	}
	return &channel.Batch{Messages: []*channel.Inbound{in}}, nil
}

// mediaType is a media's content type without parameters, or
// application/octet-stream when it has none that parses.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return "application/octet-stream"
	}
	return mt
}

// mediaName names the i-th media of a message by its type, as MMS media
// have no file names.
func mediaName(i int, ct string) string {
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		ext = exts[0]
		for _, e := range exts {
			if e == ".jpg" || e == ".png" || e == ".gif" || e == ".mp4" || e == ".txt" || e == ".vcf" {
				ext = e
			}
		}
	}
	return fmt.Sprintf("media-%d%s", i+1, ext)
}

// cmMO is an incoming message from CM's Business Messaging webhook.
type cmMO struct {
	From    cmParty `json:"from"`
	To      cmParty `json:"to"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Reference string `json:"reference"`
	TimeUTC   string `json:"timeUtc"`
	Channel   string `json:"channel"`
}

type cmParty struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// cmReport is CM's status report in its JSON form.
type cmReport struct {
	Received  string `json:"received"`
	To        string `json:"to"`
	Reference string `json:"reference"`
	Status    struct {
		Code             flexString `json:"code"`
		ErrorCode        flexString `json:"errorCode"`
		ErrorDescription string     `json:"errorDescription"`
	} `json:"status"`
}

// flexString takes a JSON string or number, as CM's report fields are
// filled in from a template.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n)
	return nil
}

// cmStatuses maps CM's status report codes to delivery statuses: 0
// accepted by the operator, 1 rejected by CM or the operator, 2 delivered,
// 3 failed, 4 read (not for SMS).
var cmStatuses = map[flexString]domain.DeliveryStatus{
	"0": domain.DeliverySent, "1": domain.DeliveryFailed, "2": domain.DeliveryDelivered,
	"3": domain.DeliveryFailed, "4": domain.DeliveryRead,
}

func parseCM(body []byte, region string) (*channel.Batch, error) {
	var probe struct {
		Messages *struct {
			Msg json.RawMessage `json:"msg"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, domain.Invalid("invalid_json", "the CM payload is not a JSON object: "+err.Error())
	}
	if probe.Messages != nil {
		return parseCMReport(probe.Messages.Msg)
	}
	var mo cmMO
	if err := json.Unmarshal(body, &mo); err != nil {
		return nil, domain.Invalid("invalid_json", "the CM message does not have the documented fields: "+err.Error())
	}
	if mo.Channel != "" && !strings.EqualFold(mo.Channel, "SMS") {
		return &channel.Batch{}, nil // another of the account's channels, such as WhatsApp
	}
	from, err := domain.NewIdentity(domain.IdentityPhone, mo.From.Number, region)
	if err != nil {
		return nil, domain.Invalid("invalid_from", fmt.Sprintf("the CM message comes from %q, which is not a phone number", mo.From.Number))
	}
	at, err := parseCMTime(mo.TimeUTC)
	if err != nil {
		return nil, domain.Invalid("invalid_time", fmt.Sprintf("the CM message's timeUtc %q is not a time such as 2026-12-07T19:30:00", mo.TimeUTC))
	}
	text := strings.ToValidUTF8(mo.Message.Text, "\uFFFD")
	in := &channel.Inbound{
		ExternalID: cmMessageID(&mo), From: from, Name: strings.ToValidUTF8(strings.TrimSpace(mo.From.Name), ""),
		Text: text, Consent: consentOf(text), ProviderAt: at, Raw: body,
	}
	return &channel.Batch{Messages: []*channel.Inbound{in}}, nil
}

// cmMessageID identifies an incoming CM message, which carries no id of
// its own: CM retries a message it could not deliver with the same
// sender, recipient, time and text, so their digest is stable.
func cmMessageID(mo *cmMO) string {
	h := sha256.New()
	for _, part := range []string{mo.From.Number, mo.To.Number, mo.TimeUTC, mo.Message.Text} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "cm-" + hex.EncodeToString(h.Sum(nil))[:32]
}

func parseCMTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

func parseCMReport(raw json.RawMessage) (*channel.Batch, error) {
	var reports []cmReport
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		reports = make([]cmReport, 1)
		if err := json.Unmarshal(raw, &reports[0]); err != nil {
			return nil, domain.Invalid("invalid_json", "the CM status report does not have the documented fields: "+err.Error())
		}
	} else if err := json.Unmarshal(raw, &reports); err != nil {
		return nil, domain.Invalid("invalid_json", "the CM status report's msg is neither an object nor a list: "+err.Error())
	}
	b := &channel.Batch{}
	for _, r := range reports {
		st, ok := cmStatuses[flexString(strings.TrimSpace(string(r.Status.Code)))]
		if !ok || r.Reference == "" {
			continue // a status SMS does not have, or a message sent without our reference
		}
		s := channel.Status{ExternalID: strings.ToValidUTF8(r.Reference, ""), Status: st}
		if st == domain.DeliveryFailed {
			s.Reason = cmReason(string(r.Status.ErrorCode), r.Status.ErrorDescription)
		}
		b.Statuses = append(b.Statuses, s)
	}
	return b, nil
}

// cmReason says why CM could not deliver, such as "CM error 5: Absent
// subscriber".
func cmReason(code, description string) string {
	code, description = strings.ToValidUTF8(strings.TrimSpace(code), ""), strings.ToValidUTF8(strings.TrimSpace(description), "")
	switch {
	case code != "" && description != "":
		return "CM error " + code + ": " + description
	case code != "":
		return "CM error " + code
	}
	return description
}

// Keywords by which a customer opts out of or back in to texts, in English
// (as carriers use them), German and Dutch, matched against the whole
// message.
var (
	optOut = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true,
		"QUIT": true, "STOP ALLE": true, "STOPP": true, "AFMELDEN": true}
	optIn = map[string]bool{"START": true, "YES": true, "UNSTOP": true, "AANMELDEN": true}
)

// consentOf reads an opt-out or opt-in keyword: the whole message,
// trimmed, in any case.
func consentOf(text string) channel.Consent {
	word := strings.ToUpper(strings.Join(strings.Fields(text), " "))
	switch {
	case optOut[word]:
		return channel.ConsentOut
	case optIn[word]:
		return channel.ConsentIn
	}
	return channel.ConsentNone
}
