package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
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

	mu     sync.RWMutex
	rules  []*Rule // enabled, in order
	loaded bool
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

// Watches reports whether an enabled rule or a fanout reacts to a trigger
// type; the desk records only such triggers.
func (e *Engine) Watches(typ string) bool {
	for _, f := range e.fanouts {
		if f.Watches(typ) {
			return true
		}
	}
	for _, r := range e.enabled() {
		if r.Trigger == typ {
			return true
		}
	}
	return false
}

// enabled returns the enabled rules, loading them on first use.
func (e *Engine) enabled() []*Rule {
	e.mu.RLock()
	rules, loaded := e.rules, e.loaded
	e.mu.RUnlock()
	if loaded {
		return rules
	}
	if err := e.reload(context.Background()); err != nil {
		e.log.Error("load rules", "err", err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.rules
}

func (e *Engine) reload(ctx context.Context) error {
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
	e.rules, e.loaded = rules, true
	e.mu.Unlock()
	return nil
}

// FromStore decodes a stored rule.
func FromStore(s *store.Rule) (*Rule, error) {
	return Decode(s.ID, s.Version, s.Name, s.Trigger, s.EventName, s.Enabled, s.Conditions, s.Actions)
}

// Changed reloads the rules after a change on this node and tells the
// others.
func (e *Engine) Changed(ctx context.Context) {
	if err := e.reload(ctx); err != nil {
		e.log.Error("reload rules", "err", err)
		e.mu.Lock()
		e.loaded = false
		e.mu.Unlock()
	}
	if e.events != nil {
		e.events.Publish(domain.Event{Type: EventRulesChanged})
	}
}

// Publish hears events from the hub: another node's rule change.
func (e *Engine) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == EventRulesChanged {
			e.mu.Lock()
			e.loaded = false
			e.mu.Unlock()
			return
		}
	}
}

// Lost is called when the bus may have missed events: reload.
func (e *Engine) Lost() {
	e.mu.Lock()
	e.loaded = false
	e.mu.Unlock()
}

// HandleTrigger is the task handler of desk.TaskTrigger: it runs the
// rules the trigger sets off, then the fanouts. Run again after a
// failure, rules and actions that already acted are skipped.
func (e *Engine) HandleTrigger(ctx context.Context, job store.Job) error {
	var t domain.Trigger
	if err := json.Unmarshal(job.Payload, &t); err != nil {
		return tasks.Permanent(fmt.Errorf("decode trigger: %w", err))
	}
	var failed []error
	rules := e.enabled()
	var s *subject
	for _, r := range rules {
		if r.Trigger != t.Type || (t.Type == domain.TriggerEvent && r.EventName != t.Name) || r.ID == t.RuleID {
			continue
		}
		if s == nil {
			var err error
			if s, err = e.load(ctx, t); errors.Is(err, domain.ErrNotFound) {
				// The ticket or contact was deleted or merged away.
				e.log.Info("trigger's subject is gone", "trigger", t.Type, "ticket", t.TicketID, "err", err)
				break
			} else if err != nil {
				return err
			}
		}
		if !Match(r.Conditions, s.facts) {
			continue
		}
		if err := e.run(ctx, r, t, s, fmt.Sprintf("rule:%d:task:%d", r.ID, job.ID)); err != nil {
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
			return nil
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
	run.Actions = done
	if run.Actions == nil {
		run.Actions = []string{}
	}
	run.Error = joinProblems(problems)
	if err := e.store.FinishRuleRun(ctx, run); err != nil {
		return err
	}
	if tid := s.ticketID(); tid != 0 {
		text := fmt.Sprintf("Rule %q (version %d): %s", r.Name, r.Version, joinSummary(done, problems))
		err := e.desk.AddTimelineEvent(desk.Once(ctx, key+":timeline"), tid, text, desk.EventRuleRan, map[string]any{
			"rule": r.Name, "rule_id": r.ID, "version": r.Version, "actions": run.Actions, "error": run.Error})
		if err != nil && !errors.Is(err, desk.ErrDone) {
			return err
		}
	}
	return nil
}

func joinProblems(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

func joinSummary(done, problems []string) string {
	parts := append(append([]string(nil), done...), problems...)
	if len(parts) == 0 {
		return "nothing to change"
	}
	return joinProblems(parts)
}

// permanent reports whether an action's error will not go away by
// trying again: bad input, a refusal, a template that does not fit.
func permanent(err error) bool {
	var de *domain.Error
	var te *TemplateError
	return errors.As(err, &de) || errors.As(err, &te) || errors.Is(err, domain.ErrNotFound) || tasks.IsPermanent(err)
}
