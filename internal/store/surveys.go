package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"loket.dev/loket/internal/domain"
)

const surveyColumns = `id, ticket_id, contact_id, channel_id, team_id, kind, language, token_hash, due_at, sent_at, skipped,
	message_id, answered_at, score, comment, commented_at, comment_until, created_at`

func scanSurvey(row interface{ Scan(...any) error }) (*domain.Survey, error) {
	var v domain.Survey
	err := row.Scan(&v.ID, &v.TicketID, &v.ContactID, &v.ChannelID, &v.TeamID, &v.Kind, &v.Language, &v.TokenHash, &v.DueAt,
		&v.SentAt, &v.Skipped, &v.MessageID, &v.AnsweredAt, &v.Score, &v.Comment, &v.CommentedAt, &v.CommentUntil, &v.CreatedAt)
	return &v, err
}

// ScheduleSurvey stores a survey to be sent at v.DueAt. A ticket is asked
// each kind once: when it was already, nothing is stored and false is
// returned.
func (s *Store) ScheduleSurvey(ctx context.Context, v *domain.Survey) (bool, error) {
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO surveys (ticket_id, contact_id, channel_id, team_id, kind, language, due_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id, kind) DO NOTHING RETURNING id`,
		v.TicketID, v.ContactID, v.ChannelID, v.TeamID, v.Kind, v.Language, v.DueAt, v.CreatedAt).Scan(&v.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("schedule %s survey for ticket %d: %w", v.Kind, v.TicketID, err)
	}
	v.Score = -1
	return true, nil
}

// Survey returns one survey.
func (s *Store) Survey(ctx context.Context, id int64) (*domain.Survey, error) {
	v, err := scanSurvey(s.rq.QueryRowContext(ctx, "SELECT "+surveyColumns+" FROM surveys WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("survey %d", id), err)
	}
	return v, nil
}

// DueSurveys lists surveys due at now that were neither sent nor skipped,
// oldest first.
func (s *Store) DueSurveys(ctx context.Context, now int64, limit int) ([]*domain.Survey, error) {
	return s.surveys(ctx, "due surveys", "sent_at = 0 AND skipped = '' AND due_at <= $1 ORDER BY due_at, id LIMIT $2", now, limit)
}

// ClaimSurvey marks a due survey as sent at at, with the hash of its
// link's token, before it is queued: a crash in between loses the survey
// rather than asking twice. False when it was claimed or skipped already.
func (s *Store) ClaimSurvey(ctx context.Context, id int64, tokenHash string, at int64) (bool, error) {
	res, err := s.q.ExecContext(ctx,
		"UPDATE surveys SET sent_at = $2, token_hash = $3 WHERE id = $1 AND sent_at = 0 AND skipped = ''", id, at, tokenHash)
	if err != nil {
		return false, fmt.Errorf("claim survey %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseSurvey undoes a claim after the survey could not be queued, so
// the next sweep tries it again.
func (s *Store) ReleaseSurvey(ctx context.Context, id int64) error {
	if _, err := s.q.ExecContext(ctx, "UPDATE surveys SET sent_at = 0, token_hash = '' WHERE id = $1", id); err != nil {
		return fmt.Errorf("release survey %d: %w", id, err)
	}
	return nil
}

// SurveyMessage records the message a survey went out as.
func (s *Store) SurveyMessage(ctx context.Context, id, messageID int64) error {
	res, err := s.q.ExecContext(ctx, "UPDATE surveys SET message_id = $2 WHERE id = $1", id, messageID)
	if err != nil {
		return fmt.Errorf("record message of survey %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("survey %d", id))
}

// SkipSurvey records why a due survey was not sent, undoing a claim; it
// is not tried again.
func (s *Store) SkipSurvey(ctx context.Context, id int64, reason string) error {
	res, err := s.q.ExecContext(ctx, "UPDATE surveys SET skipped = $2, sent_at = 0, token_hash = '' WHERE id = $1", id, reason)
	if err != nil {
		return fmt.Errorf("skip survey %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("survey %d", id))
}

// AnswerSurvey stores a survey's score, and its comment when comment is
// not nil.
func (s *Store) AnswerSurvey(ctx context.Context, v *domain.Survey) error {
	res, err := s.q.ExecContext(ctx,
		"UPDATE surveys SET answered_at = $2, score = $3, comment = $4, commented_at = $5, comment_until = $6 WHERE id = $1",
		v.ID, v.AnsweredAt, v.Score, v.Comment, v.CommentedAt, v.CommentUntil)
	if err != nil {
		return fmt.Errorf("answer survey %d: %w", v.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("survey %d", v.ID))
}

// OpenSurvey reports whether the contact has a survey that was sent after
// since and is not answered yet.
func (s *Store) OpenSurvey(ctx context.Context, contactID, since int64) (bool, error) {
	var n int
	err := s.rq.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM surveys WHERE contact_id = $1 AND sent_at > $2 AND answered_at = 0", contactID, since).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("open surveys of contact %d: %w", contactID, err)
	}
	return n > 0, nil
}

// LastSurveyAt returns when the contact was last scheduled a survey of
// the kind that was not skipped; zero when never.
func (s *Store) LastSurveyAt(ctx context.Context, contactID int64, kind domain.SurveyKind) (int64, error) {
	var at sql.NullInt64
	err := s.rq.QueryRowContext(ctx,
		"SELECT MAX(created_at) FROM surveys WHERE contact_id = $1 AND kind = $2 AND skipped = ''", contactID, kind).Scan(&at)
	if err != nil {
		return 0, fmt.Errorf("last %s survey of contact %d: %w", kind, contactID, err)
	}
	return at.Int64, nil
}

// LatestSentSurvey returns the survey of the kind most recently sent to
// the contact on the channel after since.
func (s *Store) LatestSentSurvey(ctx context.Context, contactID, channelID int64, kind domain.SurveyKind, since int64) (*domain.Survey, error) {
	v, err := scanSurvey(s.rq.QueryRowContext(ctx, "SELECT "+surveyColumns+
		` FROM surveys WHERE contact_id = $1 AND channel_id = $2 AND kind = $3 AND sent_at > $4 ORDER BY sent_at DESC, id DESC LIMIT 1`,
		contactID, channelID, kind, since))
	if err != nil {
		return nil, notFound("survey", err)
	}
	return v, nil
}

// AwaitingComment returns the survey whose comment the contact's next
// message on the channel at now is (see domain.Survey.CommentUntil), or
// ErrNotFound.
func (s *Store) AwaitingComment(ctx context.Context, contactID, channelID, now int64) (*domain.Survey, error) {
	v, err := scanSurvey(s.rq.QueryRowContext(ctx, "SELECT "+surveyColumns+
		` FROM surveys WHERE contact_id = $1 AND channel_id = $2 AND comment_until > $3 AND commented_at = 0
		  ORDER BY answered_at DESC, id DESC LIMIT 1`, contactID, channelID, now))
	if err != nil {
		return nil, notFound("survey", err)
	}
	return v, nil
}

// SurveyFilter selects answered surveys; zero fields do not filter. From
// and To bound answered_at (Unix milliseconds, To exclusive).
type SurveyFilter struct {
	Kind      domain.SurveyKind
	From, To  int64
	ChannelID int64
	TeamID    int64
	Limit     int
}

// AnsweredSurveys lists answered surveys, newest first.
func (s *Store) AnsweredSurveys(ctx context.Context, f SurveyFilter) ([]*domain.Survey, error) {
	where := []string{"answered_at > 0"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Kind != "" {
		add("kind = $%d", string(f.Kind))
	}
	if f.From > 0 {
		add("answered_at >= $%d", f.From)
	}
	if f.To > 0 {
		add("answered_at < $%d", f.To)
	}
	if f.ChannelID > 0 {
		add("channel_id = $%d", f.ChannelID)
	}
	if f.TeamID > 0 {
		add("team_id = $%d", f.TeamID)
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	args = append(args, f.Limit)
	q := fmt.Sprintf("%s ORDER BY answered_at DESC, id DESC LIMIT $%d", strings.Join(where, " AND "), len(args))
	return s.surveys(ctx, "answered surveys", q, args...)
}

func (s *Store) surveys(ctx context.Context, what, where string, args ...any) ([]*domain.Survey, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+surveyColumns+" FROM surveys WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	out := []*domain.Survey{}
	for rows.Next() {
		v, err := scanSurvey(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TicketSurveys lists the surveys of a ticket, oldest first.
func (s *Store) TicketSurveys(ctx context.Context, ticketID int64) ([]*domain.Survey, error) {
	return s.surveys(ctx, "surveys of a ticket", "ticket_id = $1 ORDER BY id", ticketID)
}
