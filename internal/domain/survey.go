package domain

// SurveyKind is what a survey asks.
type SurveyKind string

// Survey kinds: satisfaction with one solved ticket (1–5), and how likely
// the customer is to recommend us (0–10).
const (
	SurveyCSAT SurveyKind = "csat"
	SurveyNPS  SurveyKind = "nps"
)

// Valid reports whether k is a known kind.
func (k SurveyKind) Valid() bool { return k == SurveyCSAT || k == SurveyNPS }

// Scale returns the lowest and highest score of the kind.
func (k SurveyKind) Scale() (lo, hi int) {
	if k == SurveyNPS {
		return 0, 10
	}
	return 1, 5
}

// Low reports whether score is one a team lead should hear of: CSAT 1 or
// 2, an NPS detractor (0 to 6).
func (k SurveyKind) Low(score int) bool {
	if k == SurveyNPS {
		return score <= 6
	}
	return score <= 2
}

// Survey is one survey asked of a contact after a ticket was solved.
// Score is -1 until answered.
type Survey struct {
	ID          int64      `json:"id"`
	TicketID    int64      `json:"ticket_id"`
	ContactID   int64      `json:"contact_id"`
	ChannelID   int64      `json:"channel_id"`
	TeamID      int64      `json:"team_id,omitempty"`
	Kind        SurveyKind `json:"kind"`
	Language    string     `json:"language,omitempty"`
	TokenHash   string     `json:"-"`
	DueAt       int64      `json:"due_at"`
	SentAt      int64      `json:"sent_at,omitempty"`
	Skipped     string     `json:"skipped,omitempty"`
	MessageID   int64      `json:"message_id,omitempty"`
	AnsweredAt  int64      `json:"answered_at,omitempty"`
	Score       int        `json:"score"`
	Comment     string     `json:"comment,omitempty"`
	CommentedAt int64      `json:"commented_at,omitempty"`
	// CommentUntil is when the customer's next message stops being taken
	// as the comment, after a tap on a button.
	CommentUntil int64 `json:"-"`
	CreatedAt    int64 `json:"created_at"`
}

// Answered reports whether the customer gave a score.
func (s *Survey) Answered() bool { return s.AnsweredAt > 0 }
