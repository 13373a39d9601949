package webchat

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sanitize"
	"loket.dev/loket/internal/store"
)

// MessageView is a message as a visitor sees it: text only (the widget
// never renders HTML), who wrote it and, for replies, how far it got.
type MessageView struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	Direction      string `json:"direction"` // "in" from the visitor, "out" to the visitor
	Author         string `json:"author"`    // visitor, agent, bot or system
	AuthorName     string `json:"author_name,omitempty"`
	Text           string `json:"text"`
	// HTML is the sanitised formatted version of a bot's answer (an
	// article with its links), when it has one.
	HTML        string           `json:"html,omitempty"`
	Attachments []AttachmentView `json:"attachments"`
	// QuickReplies are the choices a bot offers as buttons.
	QuickReplies []QuickReply `json:"quick_replies,omitempty"`
	// QuickReply is the choice a visitor's message answered with.
	QuickReply string `json:"quick_reply,omitempty"`
	Status     string `json:"status,omitempty"`
	CreatedAt  int64  `json:"created_at"`
}

// AttachmentView names a file on a message; the widget downloads it with
// the visitor's token.
type AttachmentView struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// QuickReply is one button a bot offers.
type QuickReply struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// ConversationView is the state of one conversation for the widget.
type ConversationView struct {
	ID int64 `json:"id"`
	// Status is the ticket's status, "new" before the first message.
	Status string `json:"status"`
	// Waiting is true while the visitor waits for a person to answer.
	Waiting bool `json:"waiting"`
	// Bot is true while the FAQ bot handles the conversation.
	Bot         bool  `json:"bot"`
	Rated       bool  `json:"rated"`
	AgentReadAt int64 `json:"agent_read_at,omitempty"`
	CreatedAt   int64 `json:"created_at"`
}

func viewConversation(c *store.WebchatConversation) ConversationView {
	v := ConversationView{ID: c.ID, Status: string(c.Status), Bot: c.BotState == "active", Rated: c.CSATScore > 0,
		AgentReadAt: c.AgentReadAt, CreatedAt: c.CreatedAt}
	if c.TicketID == 0 {
		v.Status = string(domain.StatusNew)
	}
	active := c.Status == domain.StatusNew || c.Status == domain.StatusOpen
	v.Waiting = c.TicketID != 0 && active && !v.Bot && c.LastCustomerAt > c.LastAgentAt
	return v
}

// visible reports whether a visitor of channel may see m at all: chat
// messages of the channel, replies once the channel delivered them.
func visible(m *domain.Message, channelID int64) bool {
	if m.ChannelID != channelID || m.Kind != domain.KindMessage {
		return false
	}
	if m.Direction == domain.DirectionIn {
		return true
	}
	switch m.DeliveryStatus {
	case domain.DeliverySent, domain.DeliveryDelivered, domain.DeliveryRead:
		return true
	}
	return false
}

// agentNames caches agents' display names for replies.
type agentNames struct {
	names  map[int64]string
	loaded time.Time
}

// view turns a message into what the visitor sees.
func (a *Adapter) view(ctx context.Context, m *domain.Message, conversationID int64) MessageView {
	v := MessageView{ID: m.ID, ConversationID: conversationID, Direction: string(m.Direction), Text: m.Text,
		Status: string(m.DeliveryStatus), CreatedAt: m.CreatedAt, Attachments: []AttachmentView{}}
	if v.Text == "" && m.HTML != "" {
		v.Text = sanitize.Text(m.HTML)
	}
	switch {
	case m.Direction == domain.DirectionIn:
		v.Author, v.Status = "visitor", ""
	case m.AuthorType == domain.AuthorBot:
		v.Author, v.HTML = "bot", m.HTML
	case m.AuthorType == domain.AuthorAgent:
		v.Author, v.AuthorName = "agent", a.agentName(ctx, m.AuthorID)
	default:
		v.Author = "system"
	}
	for _, at := range m.Attachments {
		v.Attachments = append(v.Attachments, AttachmentView{ID: at.ID, Filename: at.Filename, ContentType: at.ContentType, Size: at.Size})
	}
	if len(m.Meta) > 0 {
		var meta struct {
			QuickReplies []QuickReply `json:"quick_replies"`
			QuickReply   string       `json:"quick_reply"`
		}
		if json.Unmarshal(m.Meta, &meta) == nil {
			v.QuickReply = meta.QuickReply
			if m.Direction == domain.DirectionOut {
				v.QuickReplies = meta.QuickReplies
			}
		}
	}
	return v
}

// agentName is the first name of an agent: enough for a visitor to know
// who answers, without the full name.
func (a *Adapter) agentName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	a.mu.Lock()
	name, ok := a.agents.names[id]
	fresh := a.now().Sub(a.agents.loaded) < time.Minute
	a.mu.Unlock()
	if ok && fresh {
		return name
	}
	ag, err := a.store.Agent(ctx, id)
	if err != nil {
		return ""
	}
	name = firstName(ag.Name)
	a.mu.Lock()
	if !fresh || a.agents.names == nil {
		a.agents = agentNames{names: map[int64]string{}, loaded: a.now()}
	}
	a.agents.names[id] = name
	a.mu.Unlock()
	return name
}

func firstName(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
