package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Campaign is a message template sent to a filtered list of contacts.
type Campaign struct {
	ID            int64          `json:"id"`
	Name          string         `json:"name"`
	Template      string         `json:"template"`
	ChannelIDs    []int64        `json:"channel_ids"`
	SendHours     string         `json:"send_hours"`
	Filter        CampaignFilter `json:"filter"`
	RatePerMinute int            `json:"rate_per_minute"`
	Recipients    int            `json:"recipients"`
	CreatedBy     string         `json:"created_by"`
	CreatedAt     int64          `json:"created_at"`
	// Counts by recipient state (pending, sent, skipped, failed), when read.
	Counts map[string]int `json:"counts,omitempty"`
}

// CampaignFilter chooses a campaign's contacts: those with a ticket in one
// of Statuses carrying every tag in Tags (and in TeamID, when set), or the
// contacts named in ContactIDs. A contact reached through a ticket gets
// the message on its newest such ticket.
type CampaignFilter struct {
	Statuses   []string `json:"statuses,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	TeamID     int64    `json:"team_id,omitempty"`
	ContactIDs []int64  `json:"contact_ids,omitempty"`
}

// Target is one contact a campaign reaches, with the ticket it was found by.
type Target struct {
	ContactID int64
	TicketID  int64
}

// CampaignTargets lists the contacts a filter chooses, at most limit.
func (s *Store) CampaignTargets(ctx context.Context, f CampaignFilter, limit int) ([]Target, error) {
	if len(f.ContactIDs) > 0 {
		out := make([]Target, 0, len(f.ContactIDs))
		seen := map[int64]bool{}
		for _, id := range f.ContactIDs {
			if !seen[id] && len(out) < limit {
				seen[id] = true
				out = append(out, Target{ContactID: id})
			}
		}
		return out, nil
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Statuses) > 0 {
		marks := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			marks[i] = arg(st)
		}
		where = append(where, "t.status IN ("+strings.Join(marks, ", ")+")")
	}
	if f.TeamID != 0 {
		where = append(where, "t.team_id = "+arg(f.TeamID))
	}
	for _, tag := range f.Tags {
		where = append(where, "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = "+arg(tag)+")")
	}
	if len(where) == 0 {
		where = append(where, "1 = 1")
	}
	q := "SELECT t.contact_id, MAX(t.id) FROM tickets t WHERE " + strings.Join(where, " AND ") +
		" GROUP BY t.contact_id ORDER BY t.contact_id LIMIT " + arg(limit)
	rows, err := s.rq.QueryContext(ctx, q, args...)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (Target, error) {
		var t Target
		return t, row.Scan(&t.ContactID, &t.TicketID)
	})
	if err != nil {
		return nil, fmt.Errorf("campaign targets: %w", err)
	}
	return out, nil
}

// CreateCampaign stores a campaign and its recipients as pending.
func (s *Store) CreateCampaign(ctx context.Context, c *Campaign, targets []Target) error {
	chans, _ := json.Marshal(c.ChannelIDs)
	filter, _ := json.Marshal(c.Filter)
	c.CreatedAt, c.Recipients = Now(), len(targets)
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO campaigns (name, template, channel_ids, send_hours, filter, rate_per_minute, recipients, created_by, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		c.Name, c.Template, string(chans), c.SendHours, string(filter), c.RatePerMinute, c.Recipients, c.CreatedBy, c.CreatedAt).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create campaign %q: %w", c.Name, err)
	}
	for _, t := range targets {
		if _, err := s.q.ExecContext(ctx,
			"INSERT INTO campaign_recipients (campaign_id, contact_id, ticket_id, updated_at) VALUES ($1, $2, $3, $4)",
			c.ID, t.ContactID, t.TicketID, c.CreatedAt); err != nil {
			return fmt.Errorf("recipient %d of campaign %d: %w", t.ContactID, c.ID, err)
		}
	}
	return nil
}

const campaignColumns = "id, name, template, channel_ids, send_hours, filter, rate_per_minute, recipients, created_by, created_at"

func scanCampaign(row interface{ Scan(...any) error }) (*Campaign, error) {
	var c Campaign
	var chans, filter string
	if err := row.Scan(&c.ID, &c.Name, &c.Template, &chans, &c.SendHours, &filter, &c.RatePerMinute, &c.Recipients, &c.CreatedBy, &c.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(chans), &c.ChannelIDs); err != nil {
		return nil, err
	}
	return &c, json.Unmarshal([]byte(filter), &c.Filter)
}

// Campaign returns a campaign with its recipients counted by state.
func (s *Store) Campaign(ctx context.Context, id int64) (*Campaign, error) {
	c, err := scanCampaign(s.rq.QueryRowContext(ctx, "SELECT "+campaignColumns+" FROM campaigns WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("campaign %d", id), err)
	}
	rows, err := s.rq.QueryContext(ctx, "SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state", id)
	counts, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) ([2]any, error) {
		var state string
		var n int
		err := row.Scan(&state, &n)
		return [2]any{state, n}, err
	})
	if err != nil {
		return nil, fmt.Errorf("count recipients of campaign %d: %w", id, err)
	}
	c.Counts = map[string]int{"pending": 0, "sent": 0, "skipped": 0, "failed": 0}
	for _, kv := range counts {
		c.Counts[kv[0].(string)] = kv[1].(int)
	}
	return c, nil
}

// Campaigns lists the newest campaigns.
func (s *Store) Campaigns(ctx context.Context, limit int) ([]*Campaign, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+campaignColumns+" FROM campaigns ORDER BY id DESC LIMIT $1", limit)
	out, err := scanAll(rows, err, scanCampaign)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// Recipient is one contact's result in a campaign.
type Recipient struct {
	ContactID int64  `json:"contact_id"`
	TicketID  int64  `json:"ticket_id,omitempty"`
	State     string `json:"state"`
	MessageID int64  `json:"message_id,omitempty"`
	Detail    string `json:"detail,omitempty"`
	UpdatedAt int64  `json:"updated_at"`
}

// CampaignRecipients lists a campaign's recipients after a contact id.
func (s *Store) CampaignRecipients(ctx context.Context, campaignID, after int64, limit int) ([]*Recipient, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT contact_id, ticket_id, state, message_id, detail, updated_at FROM campaign_recipients
		 WHERE campaign_id = $1 AND contact_id > $2 ORDER BY contact_id LIMIT $3`, campaignID, after, limit)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (*Recipient, error) {
		var r Recipient
		return &r, row.Scan(&r.ContactID, &r.TicketID, &r.State, &r.MessageID, &r.Detail, &r.UpdatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("recipients of campaign %d: %w", campaignID, err)
	}
	return out, nil
}

// CampaignRecipient returns one recipient.
func (s *Store) CampaignRecipient(ctx context.Context, campaignID, contactID int64) (*Recipient, error) {
	var r Recipient
	err := s.q.QueryRowContext(ctx,
		"SELECT contact_id, ticket_id, state, message_id, detail, updated_at FROM campaign_recipients WHERE campaign_id = $1 AND contact_id = $2",
		campaignID, contactID).Scan(&r.ContactID, &r.TicketID, &r.State, &r.MessageID, &r.Detail, &r.UpdatedAt)
	if err != nil {
		return nil, notFound(fmt.Sprintf("recipient %d of campaign %d", contactID, campaignID), err)
	}
	return &r, nil
}

// SetRecipient records a recipient's result.
func (s *Store) SetRecipient(ctx context.Context, campaignID, contactID int64, state string, messageID int64, detail string) error {
	_, err := s.q.ExecContext(ctx,
		"UPDATE campaign_recipients SET state = $3, message_id = $4, detail = $5, updated_at = $6 WHERE campaign_id = $1 AND contact_id = $2",
		campaignID, contactID, state, messageID, detail, Now())
	if err != nil {
		return fmt.Errorf("result for recipient %d of campaign %d: %w", contactID, campaignID, err)
	}
	return nil
}
