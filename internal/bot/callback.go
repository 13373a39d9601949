package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// callbackTimes are the preferred times the bot offers, by quick-reply
// key: as soon as possible, or tomorrow from an hour in the channel's
// business-hours time zone.
var callbackTimes = []struct {
	key  string
	hour int // 0: as soon as possible
}{{"asap", 0}, {"morning", 9}, {"afternoon", 13}}

// callbackChannel is the telephone channel that takes ch's callback
// requests (its callback_channel_id setting), or 0.
func callbackChannel(ch *domain.Channel) int64 {
	var s struct {
		CallbackChannelID int64 `json:"callback_channel_id"`
	}
	if json.Unmarshal(ch.Settings, &s) != nil {
		return 0
	}
	return s.CallbackChannelID
}

// callingBack reports whether the customer's messages on a handed-over
// ticket continue a callback request: they chose "Call me back" from the
// handover, or answer the bot's question for the number or the time,
// and no agent has written since. Everything else is the team's.
func (c *conversation) callingBack(pending []*domain.Message) bool {
	if c.agent {
		return false
	}
	last := pending[len(pending)-1]
	switch c.st.Step {
	case stepHandover:
		return c.choice(last) == replyCallback
	case stepCallbackNumber:
		return true
	case stepCallbackTime:
		return strings.HasPrefix(c.choice(last), replyCallback+":")
	}
	return false
}

// callback moves a callback request one step on: the number, then the
// time, then the request recorded through the desk.
func (c *conversation) callback(ctx context.Context, m *domain.Message) error {
	c.lang = orDefault(c.st.Lang, "en")
	switch c.st.Step {
	case stepHandover:
		c.st.Step = stepCallbackNumber
		return c.sendOnly(ctx, c.say("callback_number"), nil)
	case stepCallbackNumber:
		if !plausibleNumber(m.Text) {
			c.st.Step = stepHandover
			return c.sendOnly(ctx, c.say("callback_bad_number"), []QuickReply{{ID: replyCallback, Label: c.say("callback")}})
		}
		c.st.Step, c.st.Number = stepCallbackTime, strings.TrimSpace(m.Text)
		replies := make([]QuickReply, len(callbackTimes))
		for i, ct := range callbackTimes {
			replies[i] = QuickReply{ID: replyCallback + ":" + ct.key, Label: c.say("callback_" + ct.key)}
		}
		return c.sendOnly(ctx, c.say("callback_when"), replies)
	}
	key := strings.TrimPrefix(c.choice(m), replyCallback+":")
	at := c.callbackAt(key)
	r := channel.CallbackRequest{Number: c.st.Number, Language: c.lang, At: at}
	if m.Address != nil {
		r.Also = []domain.Identity{*m.Address}
	}
	call, err := c.d.RequestCallback(ctx, callbackChannel(c.ch), r)
	var invalid *domain.Error
	if errors.As(err, &invalid) && invalid.Code == "invalid_phone" {
		c.st.Step, c.st.Number = stepCallbackNumber, ""
		return c.sendOnly(ctx, c.say("callback_bad_number")+" "+c.say("callback_number"), nil)
	}
	if err != nil {
		return err
	}
	note := fmt.Sprintf("FAQ bot: the customer asked to be called back on %s; preferred time: %s.", call.Customer, sayIn("en", "callback_"+key))
	if _, err := c.d.Send(ctx, &desk.Outgoing{TicketID: c.t.ID, Note: true, Text: note, AuthorType: domain.AuthorBot}); err != nil {
		return err
	}
	c.st.Step = stepCallbackDone
	return c.sendOnly(ctx, fmt.Sprintf(c.say("callback_done"), call.Customer, c.say("callback_"+key)), nil)
}

// callbackAt is the time a callbackTimes key stands for; zero for as soon
// as possible or an unknown key.
func (c *conversation) callbackAt(key string) time.Time {
	loc := time.UTC
	if cal := c.b.calendar(c.ch); cal != nil {
		loc = cal.Location()
	}
	for _, ct := range callbackTimes {
		if ct.key == key && ct.hour != 0 {
			now := c.b.now().In(loc)
			return time.Date(now.Year(), now.Month(), now.Day()+1, ct.hour, 0, 0, 0, loc)
		}
	}
	return time.Time{}
}

var numberPattern = regexp.MustCompile(`^\+?[\d\s\-./()]+$`)

// plausibleNumber says whether a customer's text is worth trying as a
// phone number (6 to 15 digits); the desk decides whether it can be
// called.
func plausibleNumber(s string) bool {
	s = strings.TrimSpace(s)
	if !numberPattern.MatchString(s) {
		return false
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits >= 6 && digits <= 15
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
