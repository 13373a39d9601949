package webchat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Relay passes committed events to the visitor sockets on this node. It
// listens to the realtime hub (see realtime.Hub.Listen), which hears the
// events of every node, so a reply written on one node reaches a visitor
// connected to another. Each socket follows the tickets of its visitor's
// conversations; a ticket opened for one of them later is adopted when its
// ticket.created event passes. Run also pings the sockets, a slice of them
// each second, and tells the waiting visitors among them the current wait.
type Relay struct {
	store   *store.Store
	log     *slog.Logger
	queue   chan domain.Event
	count   atomic.Int64
	adapter atomic.Pointer[Adapter]

	mu        sync.RWMutex
	byTicket  map[int64]map[*conn]struct{}
	byVisitor map[string]map[*conn]struct{}
	byAddress map[string]int                 // open sockets per client address, from before the hello
	rounds    [pingRounds]map[*conn]struct{} // sockets by the second they are pinged in
	next      int                            // the round the next socket joins
}

// Pings: every socket is pinged once per pingRounds ticks of pingTick,
// the sockets spread over the ticks so that their pings (and the
// goroutines that send them) do not all come at once.
const (
	pingTick   = time.Second
	pingRounds = 30
)

// Socket limits per node. A visitor's tabs and devices share one set of
// conversations, so a few dozen sockets serve any real visitor; an
// address may hold more, for the many visitors behind one NAT, but not so
// many that one client can exhaust the node's memory or file descriptors.
const (
	MaxSocketsPerVisitor = 20
	MaxSocketsPerAddress = 200
)

// sendQueue is how many frames may wait for a socket; a socket that
// falls further behind is closed and catches up when it reconnects.
const sendQueue = 16

// conn is one visitor socket. It has no writer goroutine while there is
// nothing to send: push starts one, which exits when the queue is empty.
type conn struct {
	ws      *websocket.Conn
	channel *domain.Channel
	visitor *store.WebchatVisitor
	key     string
	address string // the client's network address, counted by Relay.admit
	round   int
	tickets map[int64]int64 // ticket → conversation; guarded by Relay.mu
	waiting atomic.Bool     // the visitor waits for a person: status updates are pushed

	mu      sync.Mutex
	queue   [][]byte             // frames to write, oldest first; nil when none
	writing bool                 // a goroutine runs write
	ping    bool                 // write pings when the queue is empty
	closing websocket.StatusCode // write closes the socket with this code
	closed  bool
}

// push queues a frame and makes sure a writer runs.
func (c *conn) push(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closing != 0 {
		return
	}
	if len(c.queue) >= sendQueue {
		c.queue, c.closing = nil, CloseReconnect // too slow: it reconnects and catches up
	} else {
		c.queue = append(c.queue, b)
	}
	c.wake()
}

// pingNow asks the writer for a ping, which finds dead connections and
// keeps proxies from closing idle ones.
func (c *conn) pingNow() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.ping = true
		c.wake()
	}
}

// drop closes the socket with CloseReconnect once the writer is done with
// the frame at hand.
func (c *conn) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed && c.closing == 0 {
		c.queue, c.closing = nil, CloseReconnect
		c.wake()
	}
}

// wake starts a writer unless one runs; c.mu is held.
func (c *conn) wake() {
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// shut marks the socket closed and closes it at once.
func (c *conn) shut() {
	c.mu.Lock()
	c.closed, c.queue = true, nil
	c.mu.Unlock()
	c.ws.CloseNow()
}

// write sends the queued frames, then a ping when one is due, and
// returns when there is nothing left to do.
func (c *conn) write() {
	for {
		c.mu.Lock()
		var msg []byte
		ping, code := false, websocket.StatusCode(0)
		switch {
		case c.closed:
		case c.closing != 0:
			code, c.closed = c.closing, true
		case len(c.queue) > 0:
			msg = c.queue[0]
			c.queue[0] = nil // the frame is not kept alive by the queue
			c.queue = c.queue[1:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
		case c.ping:
			ping, c.ping = true, false
		}
		if msg == nil && !ping && code == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if code != 0 {
			c.ws.Close(code, "reconnect and catch up")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		var err error
		if ping {
			err = c.ws.Ping(ctx)
		} else {
			err = c.ws.Write(ctx, websocket.MessageText, msg)
		}
		cancel()
		if err != nil {
			c.shut()
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
	}
}

// NewRelay returns a relay; Run starts it.
func NewRelay(st *store.Store, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.Default()
	}
	r := &Relay{store: st, log: log, queue: make(chan domain.Event, 65536),
		byTicket: map[int64]map[*conn]struct{}{}, byVisitor: map[string]map[*conn]struct{}{}, byAddress: map[string]int{}}
	for i := range r.rounds {
		r.rounds[i] = map[*conn]struct{}{}
	}
	return r
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

// Run passes queued events on and pings the sockets until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	tick := time.NewTicker(pingTick)
	defer tick.Stop()
	round := 0
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.queue:
			r.process(ctx, ev)
		case <-tick.C:
			round = (round + 1) % pingRounds
			r.ping(ctx, round)
		}
	}
}

// ping pings the sockets of a round and sends the waiting visitors among
// them the current status, since the expected wait changes as the queue
// moves.
func (r *Relay) ping(ctx context.Context, round int) {
	r.mu.RLock()
	conns := make([]*conn, 0, len(r.rounds[round]))
	for c := range r.rounds[round] {
		conns = append(conns, c)
	}
	r.mu.RUnlock()
	a := r.adapter.Load()
	statuses := map[int64][]byte{}
	for _, c := range conns {
		c.pingNow()
		if a == nil || !c.waiting.Load() {
			continue
		}
		b, ok := statuses[c.channel.ID]
		if !ok {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			st := a.Status(sctx, c.channel)
			cancel()
			b, _ = json.Marshal(frame{Type: "status", Status: &st})
			statuses[c.channel.ID] = b
		}
		c.push(b)
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

// admit counts a new socket from address, or reports false when the
// address holds MaxSocketsPerAddress already. Every admitted socket is
// released once, when it closes.
func (r *Relay) admit(address string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byAddress[address] >= MaxSocketsPerAddress {
		return false
	}
	r.byAddress[address]++
	return true
}

// release forgets a socket admit counted; an address without sockets
// leaves the map, so it does not grow with every address ever seen.
func (r *Relay) release(address string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byAddress[address] <= 1 {
		delete(r.byAddress, address)
	} else {
		r.byAddress[address]--
	}
}

// register makes c follow its visitor's tickets, or reports false when
// the visitor holds MaxSocketsPerVisitor sockets already.
func (r *Relay) register(c *conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byVisitor[c.key]) >= MaxSocketsPerVisitor {
		return false
	}
	for t := range c.tickets {
		addTo(r.byTicket, t, c)
	}
	addTo(r.byVisitor, c.key, c)
	c.round = r.next
	r.next = (r.next + 1) % pingRounds
	r.rounds[c.round][c] = struct{}{}
	r.count.Add(1)
	return true
}

func (r *Relay) unregister(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range c.tickets {
		removeFrom(r.byTicket, t, c)
	}
	removeFrom(r.byVisitor, c.key, c)
	delete(r.rounds[c.round], c)
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
	// Conversations come with "ready"; Status with "ready", "status"
	// and a "conversation" whose visitor waits for a person.
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
		c.push(b)
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
		r.deliver(conns, frame{Type: "conversation", Conversation: &v, Status: a.waitStatus(lctx, conns[0].channel, v)})
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
	for _, c := range conns {
		c.waiting.Store(cv.Waiting)
	}
	r.deliver(conns, frame{Type: "conversation", Conversation: &cv, Messages: views, Status: a.waitStatus(lctx, conns[0].channel, cv)})
}

// waitStatus is the channel's status now for a conversation whose visitor
// waits for a person, so that the widget tells the wait of this moment
// rather than of when it connected; nil otherwise.
func (a *Adapter) waitStatus(ctx context.Context, ch *domain.Channel, v ConversationView) *Status {
	if !v.Waiting {
		return nil
	}
	st := a.Status(ctx, ch)
	return &st
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
