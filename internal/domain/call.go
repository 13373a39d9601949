package domain

import (
	"fmt"
	"strings"
	"time"
)

// CallStale is how long an answered call whose hang-up never came keeps
// its agent busy, so that a lost hang-up cannot hold them for ever.
const CallStale = 4 * time.Hour

// CallState is where a telephone call is. A call moves forward only:
// requested or dialing, ringing, answered, ended.
type CallState string

// Call states.
const (
	// CallRequested is a customer's request to be called back (from the
	// website chat, the bot or the help center); it ends when an agent
	// calls the customer from the ticket.
	CallRequested CallState = "requested"
	// CallDialing is an outbound call an agent started in Loket that the
	// telephone system has not placed yet.
	CallDialing  CallState = "dialing"
	CallRinging  CallState = "ringing"
	CallAnswered CallState = "answered"
	CallEnded    CallState = "ended"
)

func (s CallState) rank() int {
	switch s {
	case CallRequested, CallDialing:
		return 1
	case CallRinging:
		return 2
	case CallAnswered:
		return 3
	case CallEnded:
		return 4
	}
	return 0
}

// Valid reports whether s is a known call state.
func (s CallState) Valid() bool { return s.rank() > 0 }

// Live reports whether a person is on the line or about to be.
func (s CallState) Live() bool { return s == CallRinging || s == CallAnswered }

// Merge returns the state after update, which may arrive late or twice: a
// call never goes back (a "ringing" after "answered" changes nothing).
func (s CallState) Merge(update CallState) CallState {
	if update.rank() > s.rank() {
		return update
	}
	return s
}

// CallCause says how a call ended.
type CallCause string

// Call causes.
const (
	CauseNormal     CallCause = "normal"    // answered and hung up
	CauseNoAnswer   CallCause = "no_answer" // nobody picked up
	CauseBusy       CallCause = "busy"
	CauseCancelled  CallCause = "cancelled"   // the caller hung up before an answer
	CauseForwarded  CallCause = "forwarded"   // passed to a number outside the telephone system
	CauseFailed     CallCause = "failed"      // the number could not be reached
	CauseRejected   CallCause = "rejected"    // refused by the channel's settings
	CauseCalledBack CallCause = "called_back" // a callback request an agent answered with a call
)

// Valid reports whether c is a known cause.
func (c CallCause) Valid() bool {
	switch c {
	case CauseNormal, CauseNoAnswer, CauseBusy, CauseCancelled, CauseForwarded, CauseFailed, CauseRejected, CauseCalledBack:
		return true
	}
	return false
}

// Call is one telephone call, or a request for one: the call entry on a
// ticket's timeline (a Message of KindCall) and its state. Times are Unix
// milliseconds.
type Call struct {
	MessageID int64 `json:"message_id"`
	TicketID  int64 `json:"ticket_id"`
	ChannelID int64 `json:"channel_id"`
	ContactID int64 `json:"contact_id,omitempty"`
	// CallID is the telephone system's id of the call; Loket makes one up
	// for dialing calls and callback requests until the system names it.
	CallID    string    `json:"call_id"`
	Direction Direction `json:"direction"`
	// Customer is the customer's number in E.164 form; empty when the
	// caller withheld it.
	Customer string `json:"customer,omitempty"`
	// Line is our side: the number called, or the agent's extension.
	Line  string    `json:"line,omitempty"`
	State CallState `json:"state"`
	Cause CallCause `json:"cause,omitempty"`
	// AgentID answered the call, or placed it.
	AgentID int64 `json:"agent_id,omitempty"`
	// Ringing are the agents whose phones rang.
	Ringing []int64 `json:"ringing,omitempty"`
	// Missed: an inbound call that ended without an answer; its ticket
	// waits in the team's queue for a callback.
	Missed bool `json:"missed,omitempty"`
	// CallbackAt is when the customer would like to be called back.
	CallbackAt int64 `json:"callback_at,omitempty"`
	// CalledBackAt is when an agent called from the ticket after this
	// missed call.
	CalledBackAt int64  `json:"called_back_at,omitempty"`
	Note         string `json:"note,omitempty"`
	RecordingURL string `json:"recording_url,omitempty"`
	VoicemailURL string `json:"voicemail_url,omitempty"`
	StartedAt    int64  `json:"started_at"`
	AnsweredAt   int64  `json:"answered_at,omitempty"`
	EndedAt      int64  `json:"ended_at,omitempty"`
	// BusyUntil is when the agent who took the call is free for live work
	// again: the end of the call plus the channel's wrap-up time.
	BusyUntil int64 `json:"busy_until,omitempty"`
}

// FreeAt is when the agent who took or placed c is free for live work
// again: the end of its wrap-up, or while it lasts, when it goes stale.
func (c *Call) FreeAt() int64 {
	if c.State == CallAnswered {
		return c.AnsweredAt + CallStale.Milliseconds()
	}
	return c.BusyUntil
}

// Seconds is how long the customer and the agent talked.
func (c *Call) Seconds() int64 {
	if c.AnsweredAt == 0 || c.EndedAt < c.AnsweredAt {
		return 0
	}
	return (c.EndedAt - c.AnsweredAt) / 1000
}

// Summary is the call entry's text on the timeline, in English like the
// other system entries: "Missed call from +31612345678".
func (c *Call) Summary() string {
	who := c.Customer
	if who == "" {
		who = "an anonymous caller"
	}
	switch {
	case c.State == CallRequested:
		return "Callback requested by " + who
	case c.Cause == CauseCalledBack:
		return "Callback request by " + who + ", called back"
	case c.Missed:
		return "Missed call from " + who
	case c.Direction == DirectionOut && c.State == CallEnded && c.AnsweredAt == 0:
		return fmt.Sprintf("Call to %s not answered (%s)", who, c.Cause)
	case c.Direction == DirectionOut && c.State == CallEnded:
		return fmt.Sprintf("Call to %s, %s", who, clock(c.Seconds()))
	case c.Direction == DirectionOut:
		return "Calling " + who
	case c.State == CallEnded && c.AnsweredAt == 0:
		return fmt.Sprintf("Call from %s not answered (%s)", who, c.Cause)
	case c.State == CallEnded:
		return fmt.Sprintf("Call from %s, %s", who, clock(c.Seconds()))
	case c.State == CallAnswered:
		return "Call from " + who + " in progress"
	}
	return "Incoming call from " + who
}

// clock writes seconds as m:ss, or h:mm:ss from an hour.
func clock(s int64) string {
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// NormalizeAgentPhone checks an agent's phone setting: an extension ("201")
// or a number ("+31 20 123 4567"), kept without spaces and dashes so the
// telephone system's way of writing it matches. Empty clears it.
func NormalizeAgentPhone(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
			return -1
		}
		return r
	}, s)
	if len(s) > 32 {
		return "", Invalid("invalid_phone", "phone must be at most 32 characters")
	}
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '+' && i == 0 || r == '*' || r == '#') {
			return "", Invalid("invalid_phone", fmt.Sprintf("phone %q may hold digits, a leading + and * or # only", s))
		}
	}
	return s, nil
}
