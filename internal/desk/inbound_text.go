package desk

import (
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// cleanInbound normalises every text field of in the same way on both
// databases (see domain.CleanText), reduces attachment names to safe base
// names, and refuses fields past their limits with a too_long error
// (prepare itself holds the text, external id and thread to theirs). It
// runs before anything is stored, so a payload that would fail in the
// database is cleaned or refused instead of becoming a dead letter that
// can never be retried.
func cleanInbound(in *channel.Inbound) error {
	for _, f := range []*string{&in.ExternalID, &in.From.Value, &in.Name, &in.Language, &in.Subject,
		&in.Text, &in.HTML, &in.Thread} {
		*f = domain.CleanText(*f)
	}
	for i := range in.Also {
		in.Also[i].Value = domain.CleanText(in.Also[i].Value)
	}
	for i := range in.ReplyTo {
		in.ReplyTo[i] = domain.CleanText(in.ReplyTo[i])
	}
	checks := []lengthCheck{
		{"the sender's address", in.From.Value, domain.MaxIDBytes},
		{"the sender's name", in.Name, domain.MaxNameBytes},
		{"language", in.Language, domain.MaxLanguageBytes},
		{"subject", in.Subject, domain.MaxSubjectBytes},
	}
	for _, id := range in.Also {
		checks = append(checks, lengthCheck{"the sender's address", id.Value, domain.MaxIDBytes})
	}
	for _, c := range checks {
		if err := domain.CheckLength(c.field, c.value, c.limit); err != nil {
			return err
		}
	}
	for i := range in.Attachments {
		a := &in.Attachments[i]
		a.Filename = domain.SafeFilename(a.Filename)
		a.ContentType = domain.CleanText(a.ContentType)
		a.ContentID = domain.CleanText(a.ContentID)
		if err := domain.CheckLength("an attachment's content_type", a.ContentType, domain.MaxContentTypeBytes); err != nil {
			return err
		}
		if len(a.ContentID) > domain.MaxIDBytes {
			a.ContentID = ""
		}
	}
	in.Meta = domain.CleanJSON(in.Meta)
	return nil
}

// lengthCheck is one field held to its limit.
type lengthCheck struct {
	field string
	value string
	limit int
}
