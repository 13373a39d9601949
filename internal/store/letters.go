package store

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// AddAttachments stores files on an existing message, such as the PDF a
// letter channel printed a reply as; their blobs are already stored.
func (s *Store) AddAttachments(ctx context.Context, messageID int64, atts []domain.Attachment) error {
	for i := range atts {
		a := &atts[i]
		a.MessageID = messageID
		err := s.q.QueryRowContext(ctx,
			`INSERT INTO attachments (message_id, filename, content_type, size, sha256, content_id, inline)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			a.MessageID, a.Filename, a.ContentType, a.Size, a.SHA256, a.ContentID, a.Inline).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("add attachment %s to message %d: %w", a.Filename, messageID, err)
		}
	}
	return nil
}
