package routing

import (
	"errors"
	"fmt"
	"time"
)

// Channel kinds the defaults know. A kind is the core's channel kind string;
// the engine treats any other string as a non-live kind with Capacity.Other
// as its cost.
const (
	KindCall    = "call"
	KindVoice   = "voice"
	KindChat    = "chat"
	KindWebchat = "webchat"
	KindEmail   = "email"
)

// Presence says whether an agent takes pushed work. Only online agents do;
// away and offline agents keep what they hold until the team's grace
// period returns it to the queue (see Team.ReassignAfter and Engine.Tick).
type Presence string

// Presences an agent can have.
const (
	PresenceOnline  Presence = "online"
	PresenceAway    Presence = "away"
	PresenceOffline Presence = "offline"
)

func (p Presence) valid() bool {
	return p == PresenceOnline || p == PresenceAway || p == PresenceOffline
}

// Mode is how a team's queue hands out work.
type Mode string

// Assignment modes. The zero Mode counts as ModeManual, so a team the engine
// has not been told about never gets work pushed unexpectedly.
const (
	// ModeManual never pushes: agents pull with GetNext or are assigned
	// by hand.
	ModeManual Mode = "manual"
	// ModeRoundRobin gives a new item to the next agent in rotation (by
	// agent id) who is online, has the skills and the free capacity.
	ModeRoundRobin Mode = "round_robin"
	// ModeMostFree gives a new item to the online agent with the skills
	// and the most free capacity units; ties go to the agent assigned
	// least recently.
	ModeMostFree Mode = "most_free"
)

func (m Mode) pushes() bool { return m == ModeRoundRobin || m == ModeMostFree }

func (m Mode) valid() bool { return m == "" || m == ModeManual || m.pushes() }

// Capacity is how much concurrent work an agent carries: a budget of units,
// and a cost in units per channel kind. An item fits when its cost is at
// most the agent's free units (budget minus the cost of what it holds).
//
// The defaults (DefaultCapacity) give a budget of 10 with a call costing
// 10, a chat 3 and anything else 1: a call needs an idle agent and, while
// it lasts, nothing else fits (every cost is at least 1); three chats take
// 9 units, so a fourth does not fit but one e-mail does; ten e-mails fill
// the budget. A team or agent with other needs sets its own Capacity.
//
// Tickets of a telephone channel (KindVoice) cost 1 like e-mail: the
// telephone system rings agents itself, and while an agent is on a call,
// and through its wrap-up, the engine pushes them nothing (SetBusy); what
// stays queued is follow-up work and callbacks.
type Capacity struct {
	Budget int            // units an agent can hold at once, at least 1
	Costs  map[string]int // units one item of a kind takes, each at least 1
	Other  int            // cost of a kind not in Costs, at least 1
}

// DefaultCapacity returns the capacity described on Capacity.
func DefaultCapacity() Capacity {
	return Capacity{
		Budget: 10,
		Costs:  map[string]int{KindCall: 10, KindChat: 3, KindWebchat: 3},
		Other:  1,
	}
}

// Cost returns the units one item of kind takes.
func (c *Capacity) Cost(kind string) int {
	if n, ok := c.Costs[kind]; ok {
		return n
	}
	return c.Other
}

// validate rejects costs below 1: a free item would let an agent on a call
// take unlimited work, breaking "a call blocks everything else".
func (c *Capacity) validate() error {
	if c.Budget < 1 || c.Other < 1 {
		return fmt.Errorf("routing: capacity budget %d and other cost %d must be at least 1", c.Budget, c.Other)
	}
	for k, n := range c.Costs {
		if n < 1 {
			return fmt.Errorf("routing: capacity cost of %q is %d, must be at least 1", k, n)
		}
	}
	return nil
}

// clone copies c so later changes to the caller's map do not reach the
// engine behind its lock.
func (c Capacity) clone() *Capacity {
	costs := make(map[string]int, len(c.Costs))
	for k, n := range c.Costs {
		costs[k] = n
	}
	c.Costs = costs
	return &c
}

// DefaultLiveKinds returns the kinds served before all others: a customer
// is waiting on the line or in the chat window.
func DefaultLiveKinds() []string { return []string{KindCall, KindVoice, KindChat, KindWebchat} }

// DefaultHandleTimes returns typical handling times from customer-service
// practice (call 12 min, chat 2 min); other kinds start from e-mail's
// 8.5 min (DefaultOtherHandleTime).
func DefaultHandleTimes() map[string]time.Duration {
	return map[string]time.Duration{
		KindCall: 12 * time.Minute, KindVoice: 12 * time.Minute,
		KindChat: 2 * time.Minute, KindWebchat: 2 * time.Minute,
	}
}

// DefaultOtherHandleTime is the handling time assumed for kinds not in
// Config.HandleTimes until one is measured: the typical e-mail.
const DefaultOtherHandleTime = 8*time.Minute + 30*time.Second

// Config sets up an Engine. The zero Config takes every default.
type Config struct {
	// Capacity applies to agents whose teams and who themselves set
	// none; zero means DefaultCapacity.
	Capacity Capacity
	// LiveKinds are served before every other kind; nil means
	// DefaultLiveKinds.
	LiveKinds []string
	// HandleTimes seed the estimated wait per kind until Release has
	// measured real handling times; nil means DefaultHandleTimes.
	HandleTimes map[string]time.Duration
	// OtherHandleTime seeds kinds not in HandleTimes; zero means
	// DefaultOtherHandleTime.
	OtherHandleTime time.Duration
	// Strict makes every item count against the whole budget. By default
	// live items interrupt deferrable work: a call or chat fits when the
	// agent's live work leaves room for it, whatever e-mail it holds, as
	// the customer on the line cannot wait and the e-mail can. The agent
	// then gets no deferrable work until its load is back under budget.
	Strict bool
}

// Item is one ticket waiting for, or held by, an agent.
type Item struct {
	TicketID int64
	TeamID   int64
	Kind     string // channel kind: decides cost, live class and handle time
	// Priority ranks urgency from 0 (low) to 3 (urgent), as
	// domain.Priority.Rank does; values outside are clamped.
	Priority int
	// Skills the agent must all have (languages, topics); exact match.
	Skills     []string
	EnqueuedAt time.Time // zero means now
	DueAt      time.Time // SLA due time; zero means none, served after those with one
}

// Agent is an agent as routing sees it.
type Agent struct {
	ID       int64
	TeamIDs  []int64 // the first team with a Capacity supplies the default
	Skills   []string
	Presence Presence
	// Since is when the presence last changed, so that a grace period
	// that began before the engine was loaded keeps counting from then;
	// zero means now.
	Since time.Time
	// Capacity overrides the team default when not nil.
	Capacity *Capacity
}

// Team is a queue's settings.
type Team struct {
	ID   int64
	Mode Mode
	// Capacity is the default for member agents without their own; nil
	// means the engine's.
	Capacity *Capacity
	// ReassignAfter is how long an agent may be away or offline before
	// Tick returns the team's items it holds to the queue; zero means
	// never (the agent keeps them).
	ReassignAfter time.Duration
}

// Decision is one routing outcome for the core to apply and record as a
// ticket event with its reason. AgentID 0 means the ticket went back to its
// team's queue and must be unassigned. TeamID and From say what the engine
// believed when it decided: the ticket's team, and the agent holding it (0
// while it waited). The core applies a decision only while the ticket is
// still so, since an agent may have changed it meanwhile.
type Decision struct {
	TicketID int64
	AgentID  int64
	TeamID   int64
	From     int64
	Reason   string
	Waited   time.Duration // how long an assigned item waited in its queue
}

// Errors returned for bad input.
var (
	ErrUnknownAgent = errors.New("routing: unknown agent")
	ErrBadPresence  = errors.New("routing: presence must be online, away or offline")
	ErrBadMode      = errors.New("routing: mode must be manual, round_robin or most_free")
)

// Snapshot is the supervisor's live view of every queue and agent.
type Snapshot struct {
	Queues []QueueStat // by team id, then kind
	Agents []AgentStat // by agent id
}

// QueueStat describes the items of one kind waiting in one team's queue.
type QueueStat struct {
	TeamID      int64
	Kind        string
	Waiting     int
	LongestWait time.Duration // of the item enqueued first
}

// AgentStat describes one agent's presence and load.
type AgentStat struct {
	AgentID  int64
	Presence Presence
	Since    time.Time // when the presence last changed
	Load     int       // units held
	Budget   int
	Items    int // tickets held
	// Reserving is true while the agent drains its work to make room
	// for a waiting item that needs more units than are free; it gets no
	// other pushed work meanwhile.
	Reserving bool
	// BusyUntil: the agent is on a telephone call or in its wrap-up until
	// then (zero: not), and gets no pushed work.
	BusyUntil time.Time
}
