// Package automation runs rules: on a trigger (a ticket created, a message
// received, an SLA breach, an event a web shop posts, a schedule), if the
// conditions hold, it runs the actions in order through the desk, the way
// an agent would, and records each run on the ticket. Conditions, template
// texts and the choice of what a rule would do are plain functions of the
// facts; the Engine around them loads the facts and acts.
package automation

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Cond is a node of a rule's condition tree: a group (All or Any of its
// children; an empty group holds) or a comparison of a fact with a value.
type Cond struct {
	All   []Cond `json:"all,omitempty"`
	Any   []Cond `json:"any,omitempty"`
	Field string `json:"field,omitempty"`
	Op    string `json:"op,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Action is one step of a rule. Type says what it does; the other fields
// are its parameters (see Actions for which an action reads).
type Action struct {
	Type       string   `json:"type"`
	Status     string   `json:"status,omitempty"`
	Priority   string   `json:"priority,omitempty"`
	TeamID     int64    `json:"team_id,omitempty"`
	AgentID    int64    `json:"agent_id,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Text       string   `json:"text,omitempty"`
	Subject    string   `json:"subject,omitempty"`
	Template   string   `json:"template,omitempty"`
	ChannelIDs []int64  `json:"channel_ids,omitempty"`
	To         string   `json:"to,omitempty"`
	URL        string   `json:"url,omitempty"`
	// SendHours limits when a message goes out, as "08:00-21:00" in the
	// channel's time zone; a message due outside waits for the start.
	SendHours string `json:"send_hours,omitempty"`
	// ProviderTemplate is a channel's own approved template (a WhatsApp
	// template), which send_template sends on channels that have such
	// templates, as they demand outside their send window. Its parameters
	// are templates over the facts, such as {{.order.number}}.
	ProviderTemplate *channel.TemplateRef `json:"provider_template,omitempty"`
	// Approval holds a message the action sends (reply, send_template,
	// email) until a supervisor approves it.
	Approval bool `json:"approval,omitempty"`
	// spread delays a message that waits for its sending hours by this
	// many milliseconds past their start, so a campaign's messages keep
	// their pace then too.
	spread int64
}

// Rule is a rule with its conditions and actions decoded.
type Rule struct {
	ID         int64
	Version    int
	Name       string
	Trigger    string
	EventName  string
	Enabled    bool
	Conditions Cond
	Actions    []Action
}

// Operators a condition can use.
var Ops = []string{"eq", "ne", "contains", "not_contains", "contains_word", "starts_with", "in", "not_in",
	"gt", "gte", "lt", "lte", "regex", "exists", "not_exists"}

// Action types.
const (
	ActSetStatus    = "set_status"
	ActSetPriority  = "set_priority"
	ActSetTeam      = "set_team"
	ActAssign       = "assign"
	ActAddTags      = "add_tags"
	ActRemoveTags   = "remove_tags"
	ActNote         = "note"
	ActReply        = "reply"
	ActSendTemplate = "send_template"
	ActEmail        = "email"
	ActCreateTicket = "create_ticket"
	ActWebhook      = "webhook"
	ActStartBot     = "start_bot"
)

// ActionTypes lists the action types in the order an editor offers them.
var ActionTypes = []string{ActSetStatus, ActSetPriority, ActSetTeam, ActAssign, ActAddTags, ActRemoveTags,
	ActNote, ActReply, ActSendTemplate, ActEmail, ActCreateTicket, ActWebhook, ActStartBot}

// Triggers a rule can have.
var Triggers = append(slices.Clone(domain.TriggerTypes), domain.TriggerSchedule)

// Decode reads a stored rule's conditions and actions and checks them.
func Decode(id int64, version int, name, trigger, eventName string, enabled bool, conditions, actions json.RawMessage) (*Rule, error) {
	r := &Rule{ID: id, Version: version, Name: name, Trigger: trigger, EventName: eventName, Enabled: enabled}
	if len(conditions) > 0 {
		if err := json.Unmarshal(conditions, &r.Conditions); err != nil {
			return nil, domain.Invalid("invalid_conditions", "conditions must be a tree of {all|any: [...]} groups and {field, op, value} comparisons")
		}
	}
	if len(actions) > 0 {
		if err := json.Unmarshal(actions, &r.Actions); err != nil {
			return nil, domain.Invalid("invalid_actions", "actions must be a list of {type, ...} objects")
		}
	}
	return r, r.Validate()
}

// Validate checks that a rule can run: a known trigger, comparisons with
// known operators and valid patterns, actions with their parameters.
func (r *Rule) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return domain.Invalid("invalid_name", "a rule needs a name")
	}
	if !slices.Contains(Triggers, r.Trigger) {
		return domain.Invalid("invalid_trigger", fmt.Sprintf("unknown trigger %q; one of %s", r.Trigger, strings.Join(Triggers, ", ")))
	}
	if r.Trigger == domain.TriggerEvent && !eventName.MatchString(r.EventName) {
		return domain.Invalid("invalid_trigger", "an event rule names its event in lower case, such as order.placed")
	}
	if err := validCond(r.Conditions, 0); err != nil {
		return err
	}
	if len(r.Actions) == 0 {
		return domain.Invalid("invalid_actions", "a rule needs at least one action")
	}
	for i, a := range r.Actions {
		if err := a.validate(); err != nil {
			return domain.Invalid("invalid_actions", fmt.Sprintf("action %d (%s): %s", i+1, a.Type, err.Error()))
		}
	}
	return nil
}

func validCond(c Cond, depth int) error {
	if depth > 8 {
		return domain.Invalid("invalid_conditions", "conditions are nested more than 8 deep")
	}
	if c.Field == "" {
		if c.Op != "" {
			return domain.Invalid("invalid_conditions", "a comparison needs a field")
		}
		for _, k := range append(slices.Clone(c.All), c.Any...) {
			if err := validCond(k, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if !slices.Contains(Ops, c.Op) {
		return domain.Invalid("invalid_conditions", fmt.Sprintf("unknown operator %q for %s; one of %s", c.Op, c.Field, strings.Join(Ops, ", ")))
	}
	if c.Op == "regex" {
		p, _ := c.Value.(string)
		if len(p) > 1000 {
			return domain.Invalid("invalid_conditions", "a pattern is at most 1000 characters")
		}
		if _, err := regexp.Compile("(?i)" + p); err != nil {
			return domain.Invalid("invalid_conditions", fmt.Sprintf("pattern for %s: %v", c.Field, err))
		}
	}
	return nil
}

func (a Action) validate() error {
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("needs %s", what)
		}
		return nil
	}
	switch a.Type {
	case ActSetStatus:
		return need(domain.TicketStatus(a.Status).Valid(), "a status")
	case ActSetPriority:
		return need(domain.Priority(a.Priority).Valid(), "a priority")
	case ActSetTeam:
		return nil // 0 takes the ticket out of every team
	case ActAssign, ActStartBot:
		return nil // 0 unassigns
	case ActAddTags, ActRemoveTags:
		return need(len(a.Tags) > 0, "tags")
	case ActNote, ActReply:
		if err := need(strings.TrimSpace(a.Text) != "", "a text"); err != nil {
			return err
		}
		return Check(a.Text)
	case ActSendTemplate:
		if err := need(a.Template != "", "a template"); err != nil {
			return err
		}
		if a.SendHours != "" {
			if _, err := parseHours(a.SendHours); err != nil {
				return err
			}
		}
		if pt := a.ProviderTemplate; pt != nil {
			if pt.Name == "" || pt.Language == "" {
				return fmt.Errorf("provider_template needs a name and a language")
			}
			for _, p := range pt.Params {
				if err := Check(p); err != nil {
					return err
				}
			}
		}
		return nil
	case ActEmail:
		if _, err := domain.NormalizeEmail(a.To); err != nil {
			return fmt.Errorf("needs an e-mail address to send to")
		}
		if err := need(strings.TrimSpace(a.Text) != "", "a text"); err != nil {
			return err
		}
		return Check(a.Text)
	case ActCreateTicket:
		if err := need(strings.TrimSpace(a.Subject) != "", "a subject"); err != nil {
			return err
		}
		if a.Priority != "" && !domain.Priority(a.Priority).Valid() {
			return fmt.Errorf("unknown priority %q", a.Priority)
		}
		return Check(a.Subject)
	case ActWebhook:
		return need(strings.HasPrefix(a.URL, "https://") || strings.HasPrefix(a.URL, "http://"), "an http(s) URL")
	}
	return fmt.Errorf("unknown action type; one of %s", strings.Join(ActionTypes, ", "))
}
