// Package privacy serves a contact's rights over their data: an export of
// everything Loket keeps about them (the GDPR's right of access), as one
// ZIP archive an admin hands over.
package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Archive is contact.json in an export: the contact with their identities,
// every ticket with its whole timeline (messages, notes, calls, letters,
// visits and events), and the events other systems posted about them.
type Archive struct {
	ExportedAt time.Time              `json:"exported_at"`
	Contact    *domain.Contact        `json:"contact"`
	Tickets    []ArchivedTicket       `json:"tickets"`
	Events     []*domain.ContactEvent `json:"events"`
	// Files lists where each attachment and kept original is in the
	// archive, by message.
	Files []File `json:"files"`
}

// ArchivedTicket is one ticket and its timeline.
type ArchivedTicket struct {
	*domain.Ticket
	Timeline []*domain.Message `json:"timeline"`
}

// File is one attachment or original in the archive.
type File struct {
	MessageID int64  `json:"message_id"`
	Path      string `json:"path"`
	Type      string `json:"content_type"`
	SHA256    string `json:"sha256"`
}

// maxEvents caps the posted events an export holds.
const maxEvents = 100_000

// Export writes the contact's archive to w as a ZIP: contact.json, then
// every attachment under files/ and every kept original (an e-mail's
// .eml) under originals/.
func Export(ctx context.Context, st *store.Store, blobs blob.Store, contactID int64, now time.Time, w io.Writer) error {
	c, err := st.Contact(ctx, contactID)
	if err != nil {
		return err
	}
	a := &Archive{ExportedAt: now.UTC(), Contact: c, Tickets: []ArchivedTicket{}, Files: []File{}}
	ids, err := st.ContactTicketIDs(ctx, contactID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, err := st.Ticket(ctx, id)
		if err != nil {
			return err
		}
		msgs, err := st.Messages(ctx, id, 0, 0)
		if err != nil {
			return err
		}
		a.Tickets = append(a.Tickets, ArchivedTicket{Ticket: t, Timeline: msgs})
	}
	if a.Events, err = st.ContactEvents(ctx, contactID, maxEvents); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, t := range a.Tickets {
		for _, m := range t.Timeline {
			for _, at := range m.Attachments {
				name := fmt.Sprintf("files/%d-%d-%s", m.ID, at.ID, safeName(at.Filename))
				if err := copyBlob(ctx, zw, blobs, at.SHA256, name); err != nil {
					return err
				}
				a.Files = append(a.Files, File{MessageID: m.ID, Path: name, Type: at.ContentType, SHA256: at.SHA256})
			}
			if m.RawSHA256 != "" {
				name := fmt.Sprintf("originals/%d.eml", m.ID)
				if err := copyBlob(ctx, zw, blobs, m.RawSHA256, name); err != nil {
					return err
				}
				a.Files = append(a.Files, File{MessageID: m.ID, Path: name, Type: "message/rfc822", SHA256: m.RawSHA256})
			}
		}
	}
	f, err := zw.Create("contact.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(a); err != nil {
		return fmt.Errorf("export contact %d: %w", contactID, err)
	}
	return zw.Close()
}

func copyBlob(ctx context.Context, zw *zip.Writer, blobs blob.Store, sha, name string) error {
	r, err := blobs.Open(ctx, sha)
	if err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	defer r.Close()
	f, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return err
}

// safeName keeps a file name to one harmless path element.
func safeName(s string) string {
	s = path.Base(strings.ReplaceAll(s, "\\", "/"))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ':' {
			return '_'
		}
		return r
	}, s)
	if s == "." || s == "/" || s == ".." || s == "" {
		return "file"
	}
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[len(s)-120:], "")
	}
	return s
}
