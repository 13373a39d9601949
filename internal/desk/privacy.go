package desk

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// EraseContact erases a contact at their request (the GDPR's right to
// erasure): their identities, name and attributes, the text, attachments
// and originals of every entry on their tickets, their survey comments and
// the data of events posted about them. Replies not sent yet are
// cancelled. Tickets, entries and calls stay as anonymous rows, so that
// reports keep their figures. Blobs no other message uses are deleted
// after the commit.
func (d *Desk) EraseContact(ctx context.Context, contactID int64) (*domain.Contact, error) {
	var blobs []string
	var ids []int64
	var c *domain.Contact
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if c, err = tx.Contact(ctx, contactID); err != nil {
			return err
		}
		if c.MergedInto != 0 {
			return domain.Invalid("merged_contact", fmt.Sprintf("contact %s was merged into contact %d: erase that one", c.Number, c.MergedInto))
		}
		if ids, err = tx.ContactTicketIDs(ctx, contactID); err != nil {
			return err
		}
		if blobs, err = tx.EraseContact(ctx, contactID, d.now()); err != nil {
			return err
		}
		c, err = tx.Contact(ctx, contactID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("erase contact %d: %w", contactID, err)
	}
	d.deleteBlobs(ctx, blobs)
	var events []domain.Event
	for _, id := range ids {
		t, err := d.store.Ticket(ctx, id)
		if err != nil {
			return nil, err
		}
		events = append(events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventTicketUpdated, t, nil))
	}
	d.publish(ctx, events)
	return c, nil
}

// retentionBatch is how many tickets one transaction of ApplyRetention
// erases.
const retentionBatch = 100

// ApplyRetention erases the content of tickets solved longer ago than
// their channel's retention (domain.Channel.RetentionDays), as EraseContact
// does for one contact's tickets but keeping the contact. It reports how
// many tickets each channel had erased, which the caller logs and audits.
func (d *Desk) ApplyRetention(ctx context.Context) (map[int64]int, error) {
	chs, err := d.store.Channels(ctx, "")
	if err != nil {
		return nil, err
	}
	done := map[int64]int{}
	for _, ch := range chs {
		if ch.RetentionDays <= 0 {
			continue
		}
		before := d.now() - int64(ch.RetentionDays)*24*60*60*1000
		for {
			ids, err := d.store.Retained(ctx, ch.ID, before, retentionBatch)
			if err != nil || len(ids) == 0 {
				if err != nil {
					return done, fmt.Errorf("retention of channel %d: %w", ch.ID, err)
				}
				break
			}
			var blobs []string
			err = d.store.Tx(ctx, func(tx *store.Store) error {
				var err error
				blobs, err = tx.EraseTickets(ctx, ids, d.now())
				return err
			})
			if err != nil {
				return done, fmt.Errorf("retention of channel %d: %w", ch.ID, err)
			}
			d.deleteBlobs(ctx, blobs)
			done[ch.ID] += len(ids)
		}
	}
	return done, nil
}

// deleteBlobs removes files no message refers to any more; one that cannot
// be removed is logged and left.
func (d *Desk) deleteBlobs(ctx context.Context, blobs []string) {
	for _, sha := range blobs {
		if err := d.blobs.Delete(ctx, sha); err != nil {
			d.log.Warn("erase: a file was not deleted", "sha256", sha, "err", err)
		}
	}
}
