package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// TaskCampaign is the kind of task that sends a campaign to one contact.
const TaskCampaign = "campaign.send"

// MaxRecipients caps the contacts of one campaign.
const MaxRecipients = 20000

// CampaignInput is a campaign to start: a message template sent, as the
// send_template action sends it, to the contacts a filter chooses, at most
// RatePerMinute a minute.
type CampaignInput struct {
	Name          string               `json:"name"`
	Template      string               `json:"template"`
	ChannelIDs    []int64              `json:"channel_ids"`
	SendHours     string               `json:"send_hours"`
	Filter        store.CampaignFilter `json:"filter"`
	RatePerMinute int                  `json:"rate_per_minute"`
}

type campaignTask struct {
	Campaign int64 `json:"campaign"`
	Contact  int64 `json:"contact"`
	// Offset is the recipient's place in the campaign's pace (ms).
	Offset int64 `json:"offset"`
}

// StartCampaign stores a campaign with its recipients and a task for each,
// spread out by the rate, in one transaction.
func (e *Engine) StartCampaign(ctx context.Context, in CampaignInput, by string) (*store.Campaign, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, domain.Invalid("invalid_name", "a campaign needs a name")
	}
	if in.RatePerMinute == 0 {
		in.RatePerMinute = 60
	}
	if in.RatePerMinute < 1 || in.RatePerMinute > 6000 {
		return nil, domain.Invalid("invalid_rate", "rate_per_minute is from 1 to 6000")
	}
	if in.SendHours != "" {
		if _, err := parseHours(in.SendHours); err != nil {
			return nil, domain.Invalid("invalid_send_hours", err.Error())
		}
	}
	f := in.Filter
	if len(f.Statuses) == 0 && len(f.Tags) == 0 && f.TeamID == 0 && len(f.ContactIDs) == 0 {
		return nil, domain.Invalid("invalid_filter", "choose the contacts: by ticket statuses, tags or team, or by contact_ids")
	}
	for _, st := range f.Statuses {
		if !domain.TicketStatus(st).Valid() {
			return nil, domain.Invalid("invalid_filter", fmt.Sprintf("unknown ticket status %q", st))
		}
	}
	variants, err := e.store.TemplateVariants(ctx, in.Template)
	if err != nil {
		return nil, err
	}
	if len(variants) == 0 {
		return nil, domain.Invalid("unknown_template", fmt.Sprintf("no message template named %q", in.Template))
	}
	targets, err := e.store.CampaignTargets(ctx, f, MaxRecipients+1)
	if err != nil {
		return nil, err
	}
	if len(targets) > MaxRecipients {
		return nil, domain.Invalid("too_many_recipients", fmt.Sprintf("the filter chooses more than %d contacts; narrow it", MaxRecipients))
	}
	c := &store.Campaign{Name: in.Name, Template: in.Template, ChannelIDs: in.ChannelIDs, SendHours: in.SendHours, Filter: f,
		RatePerMinute: in.RatePerMinute, CreatedBy: by}
	if c.ChannelIDs == nil {
		c.ChannelIDs = []int64{}
	}
	start := e.now().UnixMilli()
	err = e.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateCampaign(ctx, c, targets); err != nil {
			return err
		}
		for i, t := range targets {
			offset := int64(i) * 60000 / int64(in.RatePerMinute)
			payload, _ := json.Marshal(campaignTask{c.ID, t.ContactID, offset})
			_, _, err := tx.AddTask(ctx, store.Task{Kind: TaskCampaign, Key: fmt.Sprintf("campaign:%d:%d", c.ID, t.ContactID),
				Payload: payload, RunAt: start + offset})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start campaign %q: %w", in.Name, err)
	}
	if e.tasksAdded != nil {
		e.tasksAdded()
	}
	return e.store.Campaign(ctx, c.ID)
}

// SendCampaign is the handler of TaskCampaign: it sends the campaign's
// template to one contact, on the ticket it was chosen by or on a new
// solved one, and records the result: sent, skipped (opted out, no channel
// reaches them) or failed (the template does not fit their facts).
func (e *Engine) SendCampaign(ctx context.Context, job store.Job) error {
	var t campaignTask
	if err := json.Unmarshal(job.Payload, &t); err != nil {
		return tasks.Permanent(fmt.Errorf("decode campaign task: %w", err))
	}
	c, err := e.store.Campaign(ctx, t.Campaign)
	if err != nil {
		return tasks.Permanent(err)
	}
	r, err := e.store.CampaignRecipient(ctx, t.Campaign, t.Contact)
	if err != nil {
		return tasks.Permanent(err)
	}
	if r.State != "pending" {
		return nil
	}
	s, err := e.load(ctx, domain.Trigger{TicketID: r.TicketID, ContactID: r.ContactID})
	if errors.Is(err, domain.ErrNotFound) {
		return e.store.SetRecipient(ctx, c.ID, r.ContactID, "skipped", 0, "the contact or ticket no longer exists")
	} else if err != nil {
		return err
	}
	key := fmt.Sprintf("campaign:%d:%d", c.ID, r.ContactID)
	lang := s.contact.Language
	p, err := e.sendTemplate(desk.Once(ctx, key), key, Action{Type: ActSendTemplate, Template: c.Template, ChannelIDs: c.ChannelIDs,
		SendHours: c.SendHours, spread: t.Offset}, s, lang, false)
	switch {
	case err == nil:
		return e.store.SetRecipient(ctx, c.ID, r.ContactID, "sent", p.MessageID, p.Description)
	case errors.Is(err, desk.ErrDone):
		return e.store.SetRecipient(ctx, c.ID, r.ContactID, "sent", 0, "sent before a restart")
	case errors.As(err, new(*TemplateError)):
		return e.store.SetRecipient(ctx, c.ID, r.ContactID, "failed", 0, err.Error())
	case permanent(err):
		return e.store.SetRecipient(ctx, c.ID, r.ContactID, "skipped", 0, err.Error())
	}
	if job.Attempts >= job.MaxAttempts {
		return errors.Join(err, e.store.SetRecipient(ctx, c.ID, r.ContactID, "failed", 0, err.Error()))
	}
	return err
}
