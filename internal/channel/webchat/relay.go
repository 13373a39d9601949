package webchat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Relay passes committed events to the visitor sockets on this node. It
// listens to the realtime hub (see realtime.Hub.Listen), which hears the
// events of every node, so a reply written on one node reaches a visitor
// connected to another. Each socket follows the tickets of its visitor's
// conversations; a ticket opened for one of them later is adopted when its
// ticket.created event passes.
type Relay struct {
	store   *store.Store
	log     *slog.Logger
	queue   chan domain.Event
	count   atomic.Int64
	adapter atomic.Pointer[Adapter]

	mu        sync.RWMutex
	byTicket  map[int64]map[*conn]struct{}
	byVisitor map[string]map[*conn]struct{}
}

// conn is one visitor socket.
type conn struct {
	channel *domain.Channel
	visitor *store.WebchatVisitor
	key     string
	tickets map[int64]int64 // ticket → conversation; guarded by Relay.mu
	send    chan []byte
	gone    chan struct{}
	once    sync.Once
	waiting atomic.Bool // the visitor waits for a person: status updates are pushed
}

func (c *conn) drop() { c.once.Do(func() { close(c.gone) }) }

// NewRelay returns a relay; Run starts it.
func NewRelay(st *store.Store, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.Default()
	}
	return &Relay{store: st, log: log, queue: make(chan domain.Event, 65536),
		byTicket: map[int64]map[*conn]struct{}{}, byVisitor: map[string]map[*conn]struct{}{}}
}

// Connections returns the number of visitor sockets on this node.
func (r *Relay) Connections() int { return int(r.count.Load()) }

// Publish implements domain.Publisher. It never blocks: events are queued
// for Run, and ignored while no visitor is connected to this node.
func (r *Relay) Publish(events ...domain.Event) {
	if r.count.Load() == 0 {
		return
	}
	for _, ev := range events {
		select {
		case r.queue <- ev:
		default:
			r.log.Warn("webchat relay queue full; visitors catch up when they reconnect", "type", ev.Type, "ticket", ev.TicketID)
		}
	}
}

// Run passes queued events on until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.queue:
			r.process(ctx, ev)
		}
	}
}

// visitorKey groups the sockets that see the same conversations: one
// visitor's, or every device of one signed-in user of a channel.
func visitorKey(v *store.WebchatVisitor) string {
	if v.UserID != "" {
		return fmt.Sprintf("u:%d:%s", v.ChannelID, v.UserID)
	}
	return fmt.Sprintf("v:%d", v.ID)
}

func (r *Relay) register(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range c.tickets {
		addTo(r.byTicket, t, c)
	}
	addTo(r.byVisitor, c.key, c)
	r.count.Add(1)
}

func (r *Relay) unregister(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range c.tickets {
		removeFrom(r.byTicket, t, c)
	}
	removeFrom(r.byVisitor, c.key, c)
	r.count.Add(-1)
}

func addTo[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	set := m[k]
	if set == nil {
		set = map[*conn]struct{}{}
		m[k] = set
	}
	set[c] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	if set := m[k]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// following returns the sockets following a ticket and the ticket's
// conversation.
func (r *Relay) following(ticketID int64) ([]*conn, int64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	set := r.byTicket[ticketID]
	out := make([]*conn, 0, len(set))
	var conv int64
	for c := range set {
		out = append(out, c)
		conv = c.tickets[ticketID]
	}
	return out, conv
}

// frame is a message to a visitor socket.
type frame struct {
	Type         string            `json:"type"`
	Message      *MessageView      `json:"message,omitempty"`
	Messages     []MessageView     `json:"messages,omitempty"`
	Conversation *ConversationView `json:"conversation,omitempty"`
	// Conversations and Status come with "ready".
	Conversations []ConversationView `json:"conversations,omitempty"`
	Status        *Status            `json:"status,omitempty"`
	// ConversationID and At name a conversation an agent read ("read"),
	// Name who is typing ("typing").
	ConversationID int64  `json:"conversation_id,omitempty"`
	At             int64  `json:"at,omitempty"`
	Name           string `json:"name,omitempty"`
}

func (r *Relay) deliver(conns []*conn, f frame) {
	b, _ := json.Marshal(f)
	for _, c := range conns {
		select {
		case c.send <- b:
		default:
			c.drop() // too slow: it reconnects and catches up
		}
	}
}

func (r *Relay) process(ctx context.Context, ev domain.Event) {
	a := r.adapter.Load()
	if a == nil {
		return
	}
	if ev.Type == domain.EventTicketCreated {
		r.adopt(ctx, a, ev.TicketID)
		return
	}
	conns, conv := r.following(ev.TicketID)
	if len(conns) == 0 {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch ev.Type {
	case domain.EventMessageCreated, domain.EventMessageUpdated:
		m := ev.Message
		if m == nil {
			var err error
			if m, err = r.store.Message(lctx, ev.MessageID); err != nil {
				r.log.Warn("webchat relay: load message", "message", ev.MessageID, "err", err)
				return
			}
		}
		if !visible(m, conns[0].channel.ID) {
			return
		}
		v := a.view(lctx, m, conv)
		if m.Direction == domain.DirectionOut && m.AuthorType == domain.AuthorAgent {
			for _, c := range conns {
				c.waiting.Store(false)
			}
		}
		r.deliver(conns, frame{Type: "message", Message: &v})
	case domain.EventTicketUpdated:
		c, _, err := r.store.WebchatConversationByTicket(lctx, ev.TicketID)
		if err != nil {
			r.log.Warn("webchat relay: load conversation", "ticket", ev.TicketID, "err", err)
			return
		}
		v := viewConversation(c)
		for _, c := range conns {
			c.waiting.Store(v.Waiting)
		}
		r.deliver(conns, frame{Type: "conversation", Conversation: &v})
	case domain.EventTicketTyping:
		if ev.Agent != nil {
			r.deliver(conns, frame{Type: "typing", ConversationID: conv, Name: firstName(ev.Agent.Name)})
		}
	case domain.EventTicketViewing:
		now := a.now().UnixMilli()
		if err := r.store.MarkWebchatAgentRead(lctx, ev.TicketID, now); err != nil {
			r.log.Warn("webchat relay: mark read", "ticket", ev.TicketID, "err", err)
		}
		r.deliver(conns, frame{Type: "read", ConversationID: conv, At: now})
	}
}

// adopt makes the sockets of a visitor follow a ticket just opened for
// one of its conversations, and sends them what is on it so far.
func (r *Relay) adopt(ctx context.Context, a *Adapter, ticketID int64) {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conv, v, err := r.store.WebchatConversationByTicket(lctx, ticketID)
	if err != nil {
		return // not a chat: most tickets are not
	}
	key := visitorKey(v)
	r.mu.Lock()
	var conns []*conn
	for c := range r.byVisitor[key] {
		if _, ok := c.tickets[ticketID]; !ok {
			c.tickets[ticketID] = conv.ID
			addTo(r.byTicket, ticketID, c)
		}
		conns = append(conns, c)
	}
	r.mu.Unlock()
	if len(conns) == 0 {
		return
	}
	msgs, err := r.store.WebchatMessages(lctx, conv.ChannelID, []int64{ticketID}, 0, MaxHistory)
	if err != nil {
		r.log.Warn("webchat relay: load messages", "ticket", ticketID, "err", err)
		return
	}
	views := make([]MessageView, len(msgs))
	for i, m := range msgs {
		views[i] = a.view(lctx, m, conv.ID)
	}
	cv := viewConversation(conv)
	r.deliver(conns, frame{Type: "conversation", Conversation: &cv, Messages: views})
}

// CloseAll disconnects every visitor socket, for shutdown: hijacked
// WebSocket connections are not closed by http.Server.Shutdown. Widgets
// reconnect to another node and catch up.
func (r *Relay) CloseAll() {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, set := range r.byVisitor {
		for c := range set {
			c.drop()
		}
	}
}
