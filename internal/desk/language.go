package desk

import (
	"context"
	"slices"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/lang"
	"loket.dev/loket/internal/store"
)

// requireLanguage gives a new ticket the customer's language as a required
// skill, so that a German mail reaches a German-speaking agent without a
// rule. The language is the contact's, or else the one the message is
// written in, which is then kept as the contact's. The requirement is set
// only when a member of the ticket's team has that language as a skill:
// a team that does not sort work by language, or a language nobody
// speaks, must not leave the ticket waiting for an agent who never comes.
func (d *Desk) requireLanguage(ctx context.Context, tx *store.Store, in *channel.Inbound, contact *domain.Contact, t *domain.Ticket) error {
	code := baseLanguage(contact.Language)
	if code == "" {
		code = lang.Detect(in.Subject + "\n" + in.Text)
		if code == "" {
			return nil
		}
		if contact.Language == "" {
			contact.Language = code
			if err := tx.UpdateContact(ctx, contact); err != nil {
				return err
			}
		}
	}
	if t.TeamID == 0 || slices.Contains(t.Skills, code) {
		return nil
	}
	spoken, err := tx.TeamSkills(ctx, t.TeamID)
	if err != nil {
		return err
	}
	if slices.Contains(spoken, code) {
		t.Skills = append(slices.Clone(t.Skills), code)
		slices.Sort(t.Skills)
	}
	return nil
}

// baseLanguage is the ISO 639-1 code of a language tag such as "de-AT",
// or "" when the tag is not a language Loket detects and routes by.
func baseLanguage(tag string) string {
	l, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	l, _, _ = strings.Cut(l, "_")
	if slices.Contains(lang.Supported, l) {
		return l
	}
	return ""
}
