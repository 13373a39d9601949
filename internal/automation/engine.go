package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// Fanout passes triggers on to something else that reacts to them, such
// as webhook subscriptions.
type Fanout interface {
	Watches(triggerType string) bool
	// Fanout handles the trigger recorded as task taskID; it is called
	// again with the same task when it or a rule failed, so it must be
	// idempotent per task.
	Fanout(ctx context.Context, taskID int64, t domain.Trigger) error
}

// EventRulesChanged tells every node to reload its rules (between nodes
// only).
const EventRulesChanged = "rules.changed"

// MaxRunsPerHour caps how often one rule acts on one ticket in an hour,
// so rules that set off each other cannot run on forever.
const MaxRunsPerHour = 10

// Config wires an Engine.
type Config struct {
	Store    *store.Store
	Channels *channel.Registry
	// Events tells other nodes that rules changed.
	Events domain.Publisher
	Log    *slog.Logger
	// Now is the clock; nil is the real one.
	Now func() time.Time
	// Client calls rules' webhooks; nil is one that follows no redirects.
	Client *http.Client
	// TasksAdded wakes the task worker after an event is stored.
	TasksAdded func()
}

// Engine runs rules on recorded triggers and on a schedule.
type Engine struct {
	store      *store.Store
	channels   *channel.Registry
	events     domain.Publisher
	log        *slog.Logger
	now        func() time.Time
	desk       *desk.Desk
	fanouts    []Fanout
	client     *http.Client // for rules' webhooks
	tasksAdded func()

	mu        sync.RWMutex
	rules     []*Rule // enabled, in order
	loaded    bool
	gen       uint64 // counts changes, so a reload that read before one is not kept
	reloading atomic.Bool
}

// New returns an engine; Attach gives it the desk it acts through.
func New(cfg Config) *Engine {
	e := &Engine{store: cfg.Store, channels: cfg.Channels, events: cfg.Events, log: cfg.Log, now: cfg.Now, client: cfg.Client,
		tasksAdded: cfg.TasksAdded}
	if e.client == nil {
		e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Attach sets the desk the engine acts through and what else hears each
// trigger. Call it once, before tasks run.
func (e *Engine) Attach(d *desk.Desk, fanouts ...Fanout) {
	e.desk, e.fanouts = d, fanouts
}

// Wants reports whether a fanout watches the trigger's type or an enabled
// rule on it may match, judged by what the desk knows in the transaction
// that made it (desk.Watcher): a customer's message that no rule's
// conditions can fit records no trigger, which keeps ingest fast.
func (e *Engine) Wants(t domain.Trigger, known desk.Known) bool {
	for _, f := range e.fanouts {
		if f.Watches(t.Type) {
			return true
		}
	}
	rules, ok := e.cached()
	if !ok {
		// Unsure until the rules are loaded: record the trigger.
		e.reloadSoon()
		return true
	}
	var f Facts
	for _, r := range rules {
		if r.Trigger != t.Type {
			continue
		}
		if f == nil {
			f = e.knownFacts(known)
		}
		if mayMatch(r.Conditions, f) != no {
			return true
		}
	}
	return false
}

// cached returns the enabled rules as last loaded; false when they are
// not loaded or a change made them stale.
func (e *Engine) cached() ([]*Rule, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.rules, e.loaded
}

// rulesNow returns the enabled rules, loading them when they are stale.
func (e *Engine) rulesNow(ctx context.Context) ([]*Rule, error) {
	if rules, ok := e.cached(); ok {
		return rules, nil
	}
	err := e.reload(ctx)
	if rules, ok := e.cached(); ok {
		return rules, nil
	}
	if err == nil {
		err = errors.New("the rules changed while they were loaded")
	}
	return nil, fmt.Errorf("load rules: %w", err)
}

// reloadSoon loads the rules in the background, once at a time, so that
// Wants, called inside the desk's transactions, never waits on the store.
func (e *Engine) reloadSoon() {
	if !e.reloading.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer e.reloading.Store(false)
		if err := e.reload(context.Background()); err != nil {
			e.log.Error("load rules", "err", err)
		}
	}()
}

// reload reads the enabled rules. A change announced while it read makes
// its result stale, and it is not kept.
func (e *Engine) reload(ctx context.Context) error {
	e.mu.RLock()
	gen := e.gen
	e.mu.RUnlock()
	stored, err := e.store.Rules(ctx)
	if err != nil {
		return err
	}
	var rules []*Rule
	for _, s := range stored {
		if !s.Enabled {
			continue
		}
		r, err := FromStore(s)
		if err != nil {
			e.log.Warn("rule cannot run", "rule", s.ID, "name", s.Name, "err", err)
			continue
		}
		rules = append(rules, r)
	}
	e.mu.Lock()
	if e.gen == gen {
		e.rules, e.loaded = rules, true
	}
	e.mu.Unlock()
	return nil
}

// invalidate marks the rules stale.
func (e *Engine) invalidate() {
	e.mu.Lock()
	e.gen++
	e.loaded = false
	e.mu.Unlock()
}

// FromStore decodes a stored rule.
func FromStore(s *store.Rule) (*Rule, error) {
	return Decode(s.ID, s.Version, s.Name, s.Trigger, s.EventName, s.Enabled, s.Conditions, s.Actions)
}

// Changed reloads the rules after a change on this node and tells the
// others.
func (e *Engine) Changed(ctx context.Context) {
	e.invalidate()
	if err := e.reload(ctx); err != nil {
		e.log.Error("reload rules", "err", err)
	}
	if e.events != nil {
		e.events.Publish(domain.Event{Type: EventRulesChanged})
	}
}

// Publish hears events from the hub: another node's rule change.
func (e *Engine) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == EventRulesChanged {
			e.invalidate()
			return
		}
	}
}

// Lost is called when the bus may have missed events: reload.
func (e *Engine) Lost() { e.invalidate() }

// HandleTrigger is the task handler of desk.TaskTrigger: it runs the
// rules the trigger sets off, then the fanouts. Run again after a
// failure, rules and actions that already acted are skipped.
func (e *Engine) HandleTrigger(ctx context.Context, job store.Job) error {
	var t domain.Trigger
	if err := json.Unmarshal(job.Payload, &t); err != nil {
		return tasks.Permanent(fmt.Errorf("decode trigger: %w", err))
	}
	var failed []error
	rules, err := e.rulesNow(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Trigger != t.Type || (t.Type == domain.TriggerEvent && r.EventName != t.Name) || r.ID == t.RuleID {
			continue
		}
		gone, err := e.apply(ctx, r, &t, fmt.Sprintf("rule:%d:task:%d", r.ID, job.ID))
		if gone {
			// The ticket or contact was deleted or merged away.
			e.log.Info("trigger's subject is gone", "trigger", t.Type, "ticket", t.TicketID, "err", err)
			break
		}
		if err != nil {
			failed = append(failed, err)
		}
	}
	for _, f := range e.fanouts {
		if f.Watches(t.Type) {
			if err := f.Fanout(ctx, job.ID, t); err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}

// apply runs a rule on a trigger under key: a run started before (and cut
// short by a crash or an error) goes on with the version it started with,
// without matching again, since its first actions may have changed the
// facts; otherwise the rule runs when its conditions match. Each rule sees
// the ticket as the rules before it left it, and a ticket one of them
// opened for a trigger without one becomes the trigger's. gone reports
// that the trigger's ticket or contact no longer exists.
func (e *Engine) apply(ctx context.Context, r *Rule, t *domain.Trigger, key string) (gone bool, err error) {
	prev, err := e.store.RuleRunByKey(ctx, key)
	if err != nil || (prev != nil && prev.FinishedAt > 0) {
		return false, err
	}
	s, err := e.load(ctx, *t)
	if errors.Is(err, domain.ErrNotFound) {
		return true, err
	} else if err != nil {
		return false, err
	}
	if prev != nil && prev.Version != r.Version {
		v, err := e.store.RuleVersion(ctx, r.ID, prev.Version)
		if err != nil {
			return false, err
		}
		if r, err = Decode(r.ID, v.Version, v.Name, v.Trigger, v.EventName, v.Enabled, v.Conditions, v.Actions); err != nil {
			return false, err
		}
	}
	if prev == nil && !Match(r.Conditions, s.facts) {
		return false, nil
	}
	err = e.run(ctx, r, *t, s, key)
	if t.TicketID == 0 && s.ticket != nil {
		t.TicketID = s.ticket.ID
	}
	return false, err
}

// run runs a matching rule's actions under key, each at most once, and
// records the run on the ticket. An action that fails for good (bad input,
// no channel reaching the customer) is recorded and the others go on; one
// that may succeed later fails the run, which is tried again.
func (e *Engine) run(ctx context.Context, r *Rule, t domain.Trigger, s *subject, key string) error {
	run := &store.RuleRun{RuleID: r.ID, Version: r.Version, Key: key, Trigger: t.Type, TicketID: s.ticketID(), ContactID: s.contactID()}
	if _, err := e.store.StartRuleRun(ctx, run); err != nil {
		return err
	}
	if run.FinishedAt > 0 {
		return nil // acted on this before
	}
	if tid := s.ticketID(); tid != 0 {
		n, err := e.store.CountRuleRuns(ctx, r.ID, tid, e.now().Add(-time.Hour).UnixMilli())
		if err != nil {
			return err
		}
		if n > MaxRunsPerHour {
			e.log.Warn("rule ran too often on the ticket this hour; skipped", "rule", r.ID, "ticket", tid)
			run.Actions, run.Error = []string{}, fmt.Sprintf("skipped: the rule ran more than %d times on this ticket in an hour", MaxRunsPerHour)
			return e.store.FinishRuleRun(ctx, run)
		}
	}
	actx := desk.ByRule(ctx, r.ID, t.Depth)
	var done, problems []string
	for i, a := range r.Actions {
		summary, err := e.act(desk.Once(actx, fmt.Sprintf("%s:%d", key, i)), fmt.Sprintf("%s:%d", key, i), a, s)
		switch {
		case errors.Is(err, desk.ErrDone):
			done = append(done, summary)
		case err == nil:
			if summary != "" {
				done = append(done, summary)
			}
		case permanent(err):
			problems = append(problems, fmt.Sprintf("%s: %v", a.Type, err))
		default:
			return fmt.Errorf("rule %d action %d (%s): %w", r.ID, i+1, a.Type, err)
		}
	}
	run.Actions, run.TicketID = done, s.ticketID()
	if run.Actions == nil {
		run.Actions = []string{}
	}
	run.Error = strings.Join(problems, "; ")
	// The timeline entry first: a crash before the run is finished then
	// repeats neither.
	if tid := s.ticketID(); tid != 0 {
		summary := strings.Join(append(slices.Clone(done), problems...), "; ")
		if summary == "" {
			summary = "nothing to change"
		}
		text := fmt.Sprintf("Rule %q (version %d): %s", r.Name, r.Version, summary)
		err := e.desk.AddTimelineEvent(desk.Once(ctx, key+":timeline"), tid, text, desk.EventRuleRan, map[string]any{
			"rule": r.Name, "rule_id": r.ID, "version": r.Version, "actions": run.Actions, "error": run.Error})
		if err != nil && !errors.Is(err, desk.ErrDone) {
			return err
		}
	}
	return e.store.FinishRuleRun(ctx, run)
}

// permanent reports whether an action's error will not go away by
// trying again: bad input, a refusal, a template that does not fit.
func permanent(err error) bool {
	var de *domain.Error
	var te *TemplateError
	return errors.As(err, &de) || errors.As(err, &te) || errors.Is(err, domain.ErrNotFound) || tasks.IsPermanent(err)
}
