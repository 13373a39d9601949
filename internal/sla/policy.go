package sla

import (
	"slices"
	"time"
)

// Targets are the promises of a policy for one priority, in business
// minutes; zero means no promise.
type Targets struct {
	FirstResponse int `json:"first_response"`
	NextResponse  int `json:"next_response"`
	Resolution    int `json:"resolution"`
}

// Conditions choose the tickets a policy applies to. Empty fields match
// anything; every non-empty field must match.
type Conditions struct {
	ChannelKinds []string        `json:"channel_kinds,omitempty"`
	ChannelIDs   []int64         `json:"channel_ids,omitempty"`
	TeamIDs      []int64         `json:"team_ids,omitempty"`
	Priorities   []string        `json:"priorities,omitempty"`
	Tags         []string        `json:"tags,omitempty"` // any of them
	Attribute    *AttributeMatch `json:"attribute,omitempty"`
}

// AttributeMatch requires a contact attribute to have a value, compared as
// text (a VIP flag, a customer tier).
type AttributeMatch struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Facts are what conditions are evaluated on.
type Facts struct {
	ChannelKind string
	ChannelID   int64
	TeamID      int64
	Priority    string
	Tags        []string
	Attributes  map[string]string
}

// Match reports whether the facts satisfy every condition.
func (c Conditions) Match(f Facts) bool {
	if len(c.ChannelKinds) > 0 && !slices.Contains(c.ChannelKinds, f.ChannelKind) {
		return false
	}
	if len(c.ChannelIDs) > 0 && !slices.Contains(c.ChannelIDs, f.ChannelID) {
		return false
	}
	if len(c.TeamIDs) > 0 && !slices.Contains(c.TeamIDs, f.TeamID) {
		return false
	}
	if len(c.Priorities) > 0 && !slices.Contains(c.Priorities, f.Priority) {
		return false
	}
	if len(c.Tags) > 0 && !slices.ContainsFunc(c.Tags, func(t string) bool { return slices.Contains(f.Tags, t) }) {
		return false
	}
	if c.Attribute != nil && f.Attributes[c.Attribute.Key] != c.Attribute.Value {
		return false
	}
	return true
}

// Policy is a named set of targets per priority, counted in the business
// hours of a calendar, for the tickets its conditions choose.
type Policy struct {
	ID          int64              `json:"id"`
	Name        string             `json:"name"`
	Position    int                `json:"position"` // lower is tried first
	Enabled     bool               `json:"enabled"`
	Conditions  Conditions         `json:"conditions"`
	Targets     map[string]Targets `json:"targets"` // by priority: low, normal, high, urgent
	CalendarID  int64              `json:"calendar_id,omitempty"`
	WarnPercent int                `json:"warn_percent"` // sla.warning when this share of a target has passed
}

// For returns the targets for a priority, falling back to normal.
func (p *Policy) For(priority string) Targets {
	if t, ok := p.Targets[priority]; ok {
		return t
	}
	return p.Targets["normal"]
}

// live and messaging kinds, for the built-in defaults.
var (
	liveKinds      = []string{"voice", "phone", "webchat", "chat", "visit"}
	messagingKinds = []string{"whatsapp", "telegram", "sms", "messenger", "instagram", "meta", "x"}
)

// Default is the built-in policy for a channel kind when no configured
// policy matches: the phone and chat answered in minutes, messaging within
// the hour, e-mail and everything else within hours, all around the clock.
func Default(kind string) *Policy {
	tg := func(first, next, resolution int) Targets { return Targets{first, next, resolution} }
	p := &Policy{Name: "default", Enabled: true, WarnPercent: 80}
	switch {
	case slices.Contains(liveKinds, kind):
		p.Name = "default (live)"
		p.Targets = map[string]Targets{"low": tg(5, 5, 24*60), "normal": tg(2, 2, 8*60), "high": tg(1, 1, 4*60), "urgent": tg(1, 1, 60)}
	case slices.Contains(messagingKinds, kind):
		p.Name = "default (messaging)"
		p.Targets = map[string]Targets{"low": tg(120, 120, 3*24*60), "normal": tg(60, 60, 2*24*60), "high": tg(30, 30, 24*60), "urgent": tg(15, 15, 8*60)}
	default:
		p.Name = "default (e-mail)"
		p.Targets = map[string]Targets{"low": tg(24*60, 24*60, 7*24*60), "normal": tg(8*60, 8*60, 5*24*60), "high": tg(4*60, 4*60, 2*24*60), "urgent": tg(60, 60, 24*60)}
	}
	return p
}

// Choose returns the first enabled policy (by position) whose conditions
// match, or the built-in default for the channel kind.
func Choose(policies []*Policy, f Facts) *Policy {
	sorted := slices.Clone(policies)
	slices.SortStableFunc(sorted, func(a, b *Policy) int { return a.Position - b.Position })
	for _, p := range sorted {
		if p.Enabled && p.Conditions.Match(f) {
			return p
		}
	}
	return Default(f.ChannelKind)
}

// Clock is the timing of a ticket as far as SLAs care.
type Clock struct {
	Created        time.Time
	FirstResponse  time.Time // zero: no agent answer yet
	LastCustomer   time.Time
	LastAgent      time.Time
	PausedBusiness time.Duration // business time spent paused (pending, on hold)
	Paused         bool          // pending or on hold now: clocks stand still
	Done           bool          // solved or closed: nothing is due
	Priority       string
}

// Target is one running promise: when it is due and when to warn.
type Target struct {
	Kind string    // first_response, next_response or resolution
	Due  time.Time // zero when not running
	Warn time.Time // when WarnPercent of the target has passed
}

// Targets kinds.
const (
	FirstResponse = "first_response"
	NextResponse  = "next_response"
	Resolution    = "resolution"
)

// Due computes the running targets of a ticket under p in calendar cal.
// Response clocks start at the customer's message; the resolution clock
// starts at creation and is pushed back by the time spent paused.
func (p *Policy) Due(cal *Calendar, c Clock) []Target {
	if c.Done || c.Paused {
		return nil
	}
	tg := p.For(c.Priority)
	warn := p.WarnPercent
	if warn <= 0 || warn >= 100 {
		warn = 80
	}
	at := func(kind string, start time.Time, minutes int, extra time.Duration) Target {
		d := time.Duration(minutes) * time.Minute
		return Target{Kind: kind, Due: cal.Add(start, d+extra), Warn: cal.Add(start, d*time.Duration(warn)/100+extra)}
	}
	var out []Target
	if c.FirstResponse.IsZero() && tg.FirstResponse > 0 {
		out = append(out, at(FirstResponse, c.Created, tg.FirstResponse, 0))
	}
	if !c.FirstResponse.IsZero() && tg.NextResponse > 0 && c.LastCustomer.After(c.LastAgent) {
		out = append(out, at(NextResponse, c.LastCustomer, tg.NextResponse, 0))
	}
	if tg.Resolution > 0 {
		out = append(out, at(Resolution, c.Created, tg.Resolution, c.PausedBusiness))
	}
	return out
}
