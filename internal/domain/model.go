package domain

import "encoding/json"

// Times in these types are Unix milliseconds, UTC; zero means "not yet".

// Agent is a person who works tickets.
type Agent struct {
	ID        int64   `json:"id"`
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	Role      Role    `json:"role"`
	Language  string  `json:"language"`
	Disabled  bool    `json:"disabled"`
	TeamIDs   []int64 `json:"team_ids"`
	CreatedAt int64   `json:"created_at"`
	// Phone is the extension or number the telephone system rings the
	// agent at and names them by.
	Phone string `json:"phone"`
	// TwoFactor: the agent signs in with a code from an authenticator app
	// after the password.
	TwoFactor bool `json:"two_factor"`
	Routing
}

// Routing is how the router sees an agent: whether it takes pushed work,
// what it can handle and how much at once.
type Routing struct {
	Presence   string `json:"presence"` // online, away or offline
	PresenceAt int64  `json:"presence_at,omitempty"`
	// PresenceAuto: Loket set the presence (away when the agent's app was
	// gone for a while); it turns online again when the app reconnects.
	PresenceAuto bool     `json:"presence_auto,omitempty"`
	Skills       []string `json:"skills"`
	// Capacity overrides the team's; nil means the team's.
	Capacity *Capacity `json:"capacity"`
}

// Capacity is an agent's budget of concurrent work in units and the cost
// of one item per channel kind; kinds not listed cost Other.
type Capacity struct {
	Budget int            `json:"budget"`
	Costs  map[string]int `json:"costs"`
	Other  int            `json:"other"`
}

// Viewer returns what decides which tickets a can see.
func (a *Agent) Viewer() Viewer { return Viewer{AgentID: a.ID, Role: a.Role, TeamIDs: a.TeamIDs} }

// Team owns a queue of tickets.
type Team struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	AgentIDs  []int64 `json:"agent_ids"`
	CreatedAt int64   `json:"created_at"`
	// Mode is how the queue hands out work: manual, round_robin or most_free.
	Mode string `json:"mode"`
	// Capacity is the default for members without their own; nil means
	// the built-in default.
	Capacity *Capacity `json:"capacity"`
	// ReassignAfter is how many seconds an agent may be away or offline
	// before its tickets of this team return to the queue; 0 never.
	ReassignAfter int64 `json:"reassign_after_seconds"`
}

// Channel is one configured connection to customers.
type Channel struct {
	ID       int64           `json:"id"`
	Kind     string          `json:"kind"`
	Name     string          `json:"name"`
	Settings json.RawMessage `json:"settings"`
	TeamID   int64           `json:"team_id,omitempty"`
	Enabled  bool            `json:"enabled"`
	// Status is the connector's last health report; empty means healthy.
	Status   string `json:"status"`
	StatusAt int64  `json:"status_at,omitempty"`
	// LastInboundAt is when the channel last received a customer's
	// message; zero when never.
	LastInboundAt int64 `json:"last_inbound_at"`
	// RetentionDays is how long the channel's solved tickets keep their
	// content; zero keeps it for ever.
	RetentionDays int `json:"retention_days"`
	// Approval of public replies (comments, reviews): "" a second person
	// approves each one, ApprovalOff none. Approvers are the agents who
	// may; empty means supervisors and admins.
	Approval  string  `json:"approval"`
	Approvers []int64 `json:"approvers"`
	// ToneGuideURL is the team's guide to writing in public, linked from
	// the composer.
	ToneGuideURL string `json:"tone_guide_url"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
	// Secrets holds decrypted secret settings; never serialised.
	Secrets map[string]string `json:"-"`
}

// Contact is a customer, or anyone else the team talks to.
type Contact struct {
	ID       int64  `json:"id"`
	Number   string `json:"number"`
	Name     string `json:"name"`
	Language string `json:"language"`
	// Address is the postal address, one line per line, where letters go.
	Address    string          `json:"address"`
	Attributes json.RawMessage `json:"attributes"`
	Verified   bool            `json:"verified"`
	MergedInto int64           `json:"merged_into,omitempty"`
	Identities []Identity      `json:"identities"`
	// OptOuts are the channel kinds the contact asked not to be messaged
	// on (an SMS "STOP"); every send respects them.
	OptOuts   []string `json:"opt_outs"`
	CreatedAt int64    `json:"created_at"`
	UpdatedAt int64    `json:"updated_at"`
}

// Ticket is one case of one contact, spanning any channels.
type Ticket struct {
	ID              int64        `json:"id"`
	Number          int64        `json:"number"`
	ContactID       int64        `json:"contact_id"`
	Subject         string       `json:"subject"`
	Status          TicketStatus `json:"status"`
	Priority        Priority     `json:"priority"`
	TeamID          int64        `json:"team_id,omitempty"`
	AssigneeID      int64        `json:"assignee_id,omitempty"`
	ChannelID       int64        `json:"channel_id,omitempty"`
	FollowUpOf      int64        `json:"follow_up_of,omitempty"`
	Tags            []string     `json:"tags"`
	FirstCustomerAt int64        `json:"first_customer_at,omitempty"`
	FirstResponseAt int64        `json:"first_response_at,omitempty"`
	LastCustomerAt  int64        `json:"last_customer_at,omitempty"`
	SolvedAt        int64        `json:"solved_at,omitempty"`
	LastAgentAt     int64        `json:"last_agent_at,omitempty"`
	CreatedAt       int64        `json:"created_at"`
	UpdatedAt       int64        `json:"updated_at"`
	// Skills an agent must all have to get the ticket pushed.
	Skills []string `json:"skills"`
	// BotState is the FAQ bot's hold: "" none, "active" (routing leaves
	// the ticket to the bot), "handed_over" or "resolved" (by the bot).
	BotState string `json:"bot_state,omitempty"`
	// Public: the conversation is a public post's (a comment, a mention,
	// a review), so replies on its channel are seen by anyone.
	Public bool `json:"public,omitempty"`
	// The customer's rating (1-5) and comment after the ticket was solved.
	CSATScore   int    `json:"csat_score,omitempty"`
	CSATComment string `json:"csat_comment,omitempty"`
	CSATAt      int64  `json:"csat_at,omitempty"`
	SLA
	// Filled in ticket lists only, so an agent sees who asked and what was
	// said last without opening the ticket: the contact's name (or number)
	// and the start of the newest customer or agent message.
	Requester   string `json:"requester,omitempty"`
	LastMessage string `json:"last_message,omitempty"`
}

// SLA is a ticket's service-level state: the policy that applies, the
// running due times (zero: not running) and whether a target was missed.
type SLA struct {
	SLAPolicy        string `json:"sla_policy,omitempty"`
	FirstResponseDue int64  `json:"first_response_due,omitempty"`
	NextResponseDue  int64  `json:"next_response_due,omitempty"`
	ResolutionDue    int64  `json:"resolution_due,omitempty"`
	SLADue           int64  `json:"sla_due,omitempty"` // the earliest running due time
	SLABreached      bool   `json:"sla_breached"`
	// Bookkeeping of the SLA clock, not shown.
	SLAFlags     int64 `json:"-"` // warned/breached bits per target
	SLAPausedAt  int64 `json:"-"`
	SLAPausedMs  int64 `json:"-"`
	SLANextCheck int64 `json:"-"`
}

// Message is one entry on a ticket's timeline.
type Message struct {
	ID             int64          `json:"id"`
	TicketID       int64          `json:"ticket_id"`
	ChannelID      int64          `json:"channel_id,omitempty"`
	Kind           MessageKind    `json:"kind"`
	Direction      Direction      `json:"direction,omitempty"`
	AuthorType     AuthorType     `json:"author_type"`
	AuthorID       int64          `json:"author_id,omitempty"`
	Address        *Identity      `json:"address,omitempty"` // the customer's address this came from or went to
	Subject        string         `json:"subject,omitempty"`
	Text           string         `json:"text"`
	HTML           string         `json:"html,omitempty"`
	ExternalID     string         `json:"external_id,omitempty"`
	DeliveryStatus DeliveryStatus `json:"delivery_status,omitempty"`
	DeliveryError  string         `json:"delivery_error,omitempty"`
	RawSHA256      string         `json:"-"`
	// HasRaw says the provider's original (an e-mail's .eml) is kept and
	// can be downloaded.
	HasRaw bool            `json:"has_raw,omitempty"`
	Meta   json.RawMessage `json:"meta,omitempty"`
	// Public holds a customer's public post's details; nil for private
	// messages and for replies.
	Public      *PublicPost  `json:"public,omitempty"`
	Attachments []Attachment `json:"attachments"`
	ProviderAt  int64        `json:"provider_at,omitempty"`
	// SendAt is when a scheduled reply is to go out (Unix ms).
	SendAt    int64 `json:"send_at,omitempty"`
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// Attachment is a file on a message, stored once by content hash.
type Attachment struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"message_id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentID   string `json:"content_id,omitempty"`
	Inline      bool   `json:"inline,omitempty"`
}
