package channel

import (
	"context"
	"time"

	"loket.dev/loket/internal/domain"
)

// CallEvent is one step of a telephone call as the telephone system
// reports it: the call rings, is answered, ends. A telephone adapter's
// Parser returns them in Batch.Calls; the core keeps one call entry per
// call id on the channel and moves it forward (domain.CallState.Merge), so
// events may arrive twice or late.
type CallEvent struct {
	CallID    string
	Direction domain.Direction
	// Customer is the customer's number in E.164 form (the adapter
	// normalises it with the region); empty when the caller withheld it.
	Customer string
	// Line is our side: the number the customer called, or the extension
	// of the agent who calls out.
	Line  string
	State domain.CallState // ringing, answered or ended
	Cause domain.CallCause // with ended
	// Agents name the people whose phones ring or who answered, as the
	// telephone system knows them: an extension, a phone number, an
	// e-mail or a name. The core matches them to agents (their phone
	// setting first).
	Agents       []string
	RecordingURL string
	VoicemailURL string
	// TeamID sends a new call's ticket to a team other than the channel's
	// (caller-ID routing); zero keeps the channel's.
	TeamID int64
	// WrapUp is how long the agent who took the call stays busy for live
	// work after it ends (the channel's wrap-up time).
	WrapUp time.Duration
	// Name is the caller's name when the system knows it (caller-ID
	// name), for a new contact.
	Name string
	At   time.Time
}

// Switchboard is what the core tells a telephone adapter's routes while a
// call is on: who is calling, the call as stored, which agents can take
// it. The HTTP server passes the desk's in Request.Switchboard.
type Switchboard interface {
	// Caller describes the contact a number belongs to; Known is false for
	// a number Loket has never seen.
	Caller(ctx context.Context, number string) (*Caller, error)
	// Call returns the call with the system's call id on the channel, or
	// an error wrapping domain.ErrNotFound.
	Call(ctx context.Context, channelID int64, callID string) (*domain.Call, error)
	// Available lists the team's agents who are online, not on a call and
	// have a phone set, the longest idle first.
	Available(ctx context.Context, teamID int64) ([]Reachable, error)
	// RequestCallback records a customer's request to be called back on
	// the channel: a call entry in the team's queue with the phone SLA.
	RequestCallback(ctx context.Context, channelID int64, r CallbackRequest) (*domain.Call, error)
}

// CallbackRequest is a customer asking to be called back, from the
// website chat, the bot or the help center.
type CallbackRequest struct {
	Number   string // as the customer typed it; the core normalises it
	Name     string
	Language string
	At       time.Time // the preferred time; zero: as soon as possible
	Note     string
	// Also are identities the asking channel vouches for (the website
	// visitor's), linked to the same contact.
	Also []domain.Identity
}

// Caller is the contact behind a calling number, for caller-ID routing.
type Caller struct {
	Known      bool
	ContactID  int64
	Name       string
	Number     string         // the customer number
	Attributes map[string]any // the contact's attributes, such as "segment": "vip"
	// OpenTicketTags are the tags on the contact's tickets that are not
	// solved or closed.
	OpenTicketTags []string
}

// Reachable is an agent a telephone system can ring.
type Reachable struct {
	AgentID int64
	Name    string
	Phone   string // the agent's extension or number
}

// Dialer is implemented by telephone adapters that place calls for agents
// (click-to-call).
type Dialer interface {
	// Dial asks the telephone system to connect the agent's phone with the
	// customer. It returns the system's id of the call, or "" when the
	// system names the call later: a PBX that dials once the agent's phone
	// starts the call reports it with a newCall event from the agent's
	// extension, which the core ties to this request.
	Dial(ctx context.Context, ch *domain.Channel, d DialRequest) (callID string, err error)
}

// DialRequest is one click-to-call.
type DialRequest struct {
	AgentPhone string // the agent's extension or number
	Customer   string // E.164
	// Ref is Loket's id of the call until the system names it; a system
	// that calls back about the call (a status webhook) can carry it.
	Ref string
}
