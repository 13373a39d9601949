package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/routing"
)

// View is the live routing picture every node shows: per team and channel
// kind what waits and how long a new item would, and each agent's presence
// and load.
type View struct {
	Queues    []QueueView `json:"queues"`
	Agents    []AgentView `json:"agents"`
	Estimates []Estimate  `json:"estimates"`
	At        int64       `json:"at"` // when the leader made it
}

// QueueView is the waiting work of one kind in one team's queue.
type QueueView struct {
	TeamID          int64  `json:"team_id"`
	Kind            string `json:"kind"`
	Waiting         int    `json:"waiting"`
	LongestWaitMs   int64  `json:"longest_wait_ms"`
	EstimatedWaitMs int64  `json:"estimated_wait_ms"`
}

// AgentView is one agent's presence and load.
type AgentView struct {
	AgentID   int64  `json:"agent_id"`
	Presence  string `json:"presence"`
	Since     int64  `json:"since,omitempty"`
	Load      int    `json:"load"`
	Budget    int    `json:"budget"`
	Items     int    `json:"items"`
	Reserving bool   `json:"reserving"`
	// OnCallUntil: the agent is on a call or in its wrap-up until then
	// (Unix ms; absent: not); while the call lasts, when it would go
	// stale (domain.Call.FreeAt).
	OnCallUntil int64 `json:"on_call_until,omitempty"`
}

// Estimate is the expected wait of a new item of a kind in a team's queue;
// Staffed is false when no online agent of the team can take the kind.
type Estimate struct {
	TeamID  int64  `json:"team_id"`
	Kind    string `json:"kind"`
	WaitMs  int64  `json:"wait_ms"`
	Staffed bool   `json:"staffed"`
}

// makeView turns the engine's state into a View, with estimates for every
// team and every channel kind in use.
func (d *Dispatcher) makeView(eng *routing.Engine) *View {
	d.mu.Lock()
	sc := d.scope
	d.mu.Unlock()
	now := d.now()
	snap := eng.Snapshot(now)
	v := &View{Queues: []QueueView{}, Agents: []AgentView{}, Estimates: []Estimate{}, At: now.UnixMilli()}
	kinds := map[string]bool{}
	for _, k := range sc.kinds {
		kinds[k] = true
	}
	for _, q := range snap.Queues {
		kinds[q.Kind] = true
		wait, _ := eng.EstimatedWait(q.TeamID, q.Kind)
		v.Queues = append(v.Queues, QueueView{TeamID: q.TeamID, Kind: q.Kind, Waiting: q.Waiting,
			LongestWaitMs: q.LongestWait.Milliseconds(), EstimatedWaitMs: wait.Milliseconds()})
	}
	for _, a := range snap.Agents {
		av := AgentView{AgentID: a.AgentID, Presence: string(a.Presence), Load: a.Load, Budget: a.Budget, Items: a.Items, Reserving: a.Reserving}
		if !a.Since.IsZero() {
			av.Since = a.Since.UnixMilli()
		}
		if !a.BusyUntil.IsZero() {
			av.OnCallUntil = a.BusyUntil.UnixMilli()
		}
		v.Agents = append(v.Agents, av)
	}
	for _, team := range sc.teams {
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			wait, staffed := eng.EstimatedWait(team, k)
			v.Estimates = append(v.Estimates, Estimate{TeamID: team, Kind: k, WaitMs: wait.Milliseconds(), Staffed: staffed})
		}
	}
	return v
}

// saveView stores the leader's view for the other nodes, when it changed
// or has not been saved for savedMaxAge: an idle cluster writes it once a
// minute rather than every tick.
func (d *Dispatcher) saveView(ctx context.Context, eng *routing.Engine) {
	v := d.makeView(eng)
	d.mu.Lock()
	d.view, d.viewAt = v, d.now()
	d.mu.Unlock()
	at := v.At
	v.At = 0
	body, _ := json.Marshal(v)
	v.At = at
	now := d.now()
	if bytes.Equal(body, d.saved) && now.Sub(d.savedAt) < savedMaxAge {
		return
	}
	b, _ := json.Marshal(v)
	if err := d.store.SaveRoutingState(ctx, b, at); err != nil {
		if ctx.Err() == nil {
			d.log.Warn("routing: cannot save the live view", "err", err)
		}
		return
	}
	d.saved, d.savedAt = body, now
}

// View returns the live routing picture: the leader's own, fresh, when
// this node leads, else the one the leader saved last (at most a tick old,
// or savedMaxAge when nothing changed).
func (d *Dispatcher) View(ctx context.Context) (*View, error) {
	if eng := d.lead.Load(); eng != nil {
		return d.makeView(eng), nil
	}
	d.mu.Lock()
	v, at := d.view, d.viewAt
	d.mu.Unlock()
	if v != nil && d.now().Sub(at) < d.tick/2 {
		return v, nil
	}
	b, _, err := d.store.RoutingState(ctx)
	if errors.Is(err, domain.ErrNotFound) {
		return &View{Queues: []QueueView{}, Agents: []AgentView{}, Estimates: []Estimate{}}, nil
	} else if err != nil {
		return nil, err
	}
	v = &View{}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.view, d.viewAt = v, d.now()
	d.mu.Unlock()
	return v, nil
}

// EstimatedWait returns how long a new item of kind would wait in the
// team's queue, and whether any online agent of the team can take it at
// all. Without a view yet it answers (0, false).
func (d *Dispatcher) EstimatedWait(teamID int64, kind string) (time.Duration, bool) {
	if eng := d.lead.Load(); eng != nil {
		return eng.EstimatedWait(teamID, kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := d.View(ctx)
	if err != nil {
		return 0, false
	}
	for _, e := range v.Estimates {
		if e.TeamID == teamID && e.Kind == kind {
			return time.Duration(e.WaitMs) * time.Millisecond, e.Staffed
		}
	}
	return 0, false
}
