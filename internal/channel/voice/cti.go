package voice

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Content types the CTI route takes.
const (
	contentTypeJSON = "application/json"
	contentTypeForm = "application/x-www-form-urlencoded"
)

// CTI events.
const (
	ctiNewCall = "newCall"
	ctiAnswer  = "answer"
	ctiHangup  = "hangup"
)

// ctiEvent is one event of the generic CTI webhook, posted as JSON or as a
// form.
type ctiEvent struct {
	Event           string   `json:"event"`
	From            text     `json:"from"`
	To              text     `json:"to"`
	Direction       string   `json:"direction"`
	CallID          text     `json:"callId"`
	CallIDSnake     text     `json:"call_id,omitempty"`
	User            users    `json:"user,omitempty"`
	AnsweringNumber text     `json:"answeringNumber,omitempty"`
	Cause           string   `json:"cause,omitempty"`
	Queue           string   `json:"queue,omitempty"`
	UserBrackets    []string `json:"user[],omitempty"`
	// TeamID is where caller-ID routing sent the call; the CTI route sets
	// it before the event is stored, so parsing it again on a retry sends
	// the call to the same team.
	TeamID int64 `json:"team_id,omitempty"`
}

// text is a JSON string that PBXs sometimes send as a number.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*t = text(n)
		return nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	*t = text(s)
	return err
}

// users is the CTI "user" field: one name or a list.
type users []string

func (u *users) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		var list []string
		err := json.Unmarshal(b, &list)
		*u = list
		return err
	}
	var one text
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*u = users{string(one)}
	return nil
}

// readCTI reads a CTI event from a JSON or form body.
func readCTI(contentType string, body []byte) (*ctiEvent, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var ev ctiEvent
	switch {
	case mt == contentTypeForm:
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, domain.Invalid("invalid_payload", "the CTI form cannot be read: "+err.Error())
		}
		ev = ctiEvent{Event: f.Get("event"), From: text(f.Get("from")), To: text(f.Get("to")), Direction: f.Get("direction"),
			CallID: text(f.Get("callId")), CallIDSnake: text(f.Get("call_id")), User: append(f["user[]"], f["user"]...),
			AnsweringNumber: text(f.Get("answeringNumber")), Cause: f.Get("cause"), Queue: f.Get("queue")}
	case mt == contentTypeJSON || mt == "" || strings.HasSuffix(mt, "+json"):
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, domain.Invalid("invalid_payload", "the CTI event is not a JSON object with the documented fields: "+err.Error())
		}
		ev.User = append(ev.User, ev.UserBrackets...)
		ev.UserBrackets = nil
	default:
		return nil, domain.Invalid("unsupported_content_type", fmt.Sprintf("post CTI events as application/json or application/x-www-form-urlencoded, not %q", contentType))
	}
	if ev.CallID == "" {
		ev.CallID = ev.CallIDSnake
	}
	ev.CallIDSnake = ""
	return &ev, nil
}

// ctiCauses maps the CTI hang-up causes to Loket's.
var ctiCauses = map[string]domain.CallCause{
	"normalClearing": domain.CauseNormal,
	"busy":           domain.CauseBusy,
	"cancel":         domain.CauseCancelled,
	"noAnswer":       domain.CauseNoAnswer,
	"congestion":     domain.CauseFailed,
	"notFound":       domain.CauseFailed,
	"forwarded":      domain.CauseForwarded,
}

// ctiCall is what one CTI event says about its call.
type ctiCall struct {
	events []channel.CallEvent
	// customer is the customer's side of the call.
	customer number
	// rejected: the channel refuses this caller (a newCall only).
	rejected bool
}

// calls turns a CTI event into call events. A call between two
// extensions concerns no customer and yields none.
func (s *Settings) calls(ev *ctiEvent) (*ctiCall, error) {
	var state domain.CallState
	switch ev.Event {
	case ctiNewCall:
		state = domain.CallRinging
	case ctiAnswer:
		state = domain.CallAnswered
	case ctiHangup:
		state = domain.CallEnded
	default:
		return nil, domain.Invalid("unknown_event", fmt.Sprintf("event must be newCall, answer or hangup, not %q", ev.Event))
	}
	id := strings.TrimSpace(string(ev.CallID))
	if id == "" || len(id) > 255 {
		return nil, domain.Invalid("invalid_call_id", "callId is required, at most 255 characters")
	}
	dir := domain.DirectionIn
	customerRaw, lineRaw := string(ev.From), string(ev.To)
	switch ev.Direction {
	case "in", "":
	case "out":
		dir, customerRaw, lineRaw = domain.DirectionOut, string(ev.To), string(ev.From)
	default:
		return nil, domain.Invalid("invalid_direction", fmt.Sprintf("direction must be in or out, not %q", ev.Direction))
	}
	customer, err := readNumber(customerRaw, s.Region)
	if err != nil {
		side := "from"
		if dir == domain.DirectionOut {
			side = "to"
		}
		return nil, domain.Invalid("invalid_number", fmt.Sprintf("%s %q: %s", side, customerRaw, errText(err)))
	}
	out := &ctiCall{customer: customer}
	if customer.Extension != "" {
		return out, nil // an internal call
	}
	line := strings.TrimSpace(lineRaw)
	if n, err := readNumber(line, s.Region); err == nil && n.E164 != "" {
		line = n.E164
	}
	if len(line) > 64 {
		return nil, domain.Invalid("invalid_number", "the line's number is longer than 64 characters")
	}
	var agents []string
	for _, u := range ev.User {
		if u = strings.TrimSpace(u); u != "" {
			agents = append(agents, u)
		}
	}
	if a := strings.TrimSpace(string(ev.AnsweringNumber)); a != "" {
		agents = append(agents, a)
	}
	if dir == domain.DirectionOut && line != "" {
		agents = append(agents, line)
	}
	if len(agents) > 20 {
		return nil, domain.Invalid("too_many_users", "a CTI event names at most 20 users")
	}
	ce := channel.CallEvent{CallID: id, Direction: dir, Customer: customer.E164, Line: line, State: state, Agents: agents, TeamID: ev.TeamID}
	if state == domain.CallEnded {
		ce.Cause = ctiCauses[ev.Cause]
		ce.WrapUp = s.wrapUp()
	}
	out.events = append(out.events, ce)
	if state == domain.CallRinging && dir == domain.DirectionIn && s.rejects(customer) {
		out.rejected = true
		out.events = append(out.events, channel.CallEvent{CallID: id, Direction: dir, Customer: customer.E164, Line: line,
			State: domain.CallEnded, Cause: domain.CauseRejected})
	}
	return out, nil
}

func errText(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

// ctiAnswerBody is the CTI route's answer to newCall: nothing, a rejection,
// or the number to dial for a click-to-call.
type ctiAnswerBody struct {
	Action   string `json:"action,omitempty"`
	Reason   string `json:"reason,omitempty"`
	CallerID string `json:"callerId,omitempty"`
	Number   string `json:"number,omitempty"`
}

// cti takes a telephone system's CTI event: the token in the address is
// checked first, then the event is read, routed, stored, and a newCall
// answered.
func (a *Adapter) cti(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	s, err := settingsOf(req.Channel, a.region)
	if err != nil {
		return err
	}
	want := req.Channel.Secrets[SecretToken]
	if s.Provider != ProviderCTI || want == "" || subtle.ConstantTimeCompare([]byte(r.PathValue("token")), []byte(want)) != 1 {
		return channel.Errorf(http.StatusUnauthorized, "invalid_token", "the CTI address's token does not match the channel's token")
	}
	body, err := req.Body()
	if err != nil {
		return err
	}
	ev, err := readCTI(r.Header.Get("Content-Type"), body)
	if err != nil {
		return badRequest(err)
	}
	call, err := s.calls(ev)
	if err != nil {
		return badRequest(err)
	}
	ctx := r.Context()
	ev.TeamID = 0
	if ev.Event == ctiNewCall && !call.rejected && len(call.events) > 0 && call.events[0].Direction == domain.DirectionIn {
		if ev.TeamID, err = s.team(ctx, req.Switchboard, call.customer.E164); err != nil {
			return err
		}
	}
	stored, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode CTI event %s: %w", ev.CallID, err)
	}
	if err := req.Ingest(contentTypeJSON, stored); err != nil {
		return err
	}
	answer := ctiAnswerBody{}
	switch {
	case ev.Event != ctiNewCall || len(call.events) == 0:
	case call.rejected:
		answer = ctiAnswerBody{Action: "reject", Reason: "busy"}
	case call.events[0].Direction == domain.DirectionOut:
		c, err := req.Switchboard.Call(ctx, req.Channel.ID, call.events[0].CallID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		// A click-to-call the core tied to this call: the PBX learns
		// whom to dial.
		if err == nil && c.Direction == domain.DirectionOut && c.Customer != "" && c.Customer != call.customer.E164 {
			answer = ctiAnswerBody{Action: "dial", CallerID: s.Number, Number: c.Customer}
		}
	}
	channel.WriteJSON(w, http.StatusOK, answer)
	return nil
}

// badRequest answers a payload the route cannot take with 400 and the
// error's code.
func badRequest(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return channel.Errorf(http.StatusBadRequest, de.Code, "%s", de.Message)
	}
	return err
}
