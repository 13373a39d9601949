// Package realtime pushes committed changes to agents' browsers over
// WebSocket, each event only to the agents allowed to see its ticket, and
// carries events between nodes when several share a PostgreSQL database.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/domain"
)

// Loader fetches what an event refers to when it arrived without it (from
// another node). The store satisfies it.
type Loader interface {
	Ticket(ctx context.Context, id int64) (*domain.Ticket, error)
	Message(ctx context.Context, id int64) (*domain.Message, error)
}

// Hub fans events out to connected clients.
type Hub struct {
	load Loader
	log  *slog.Logger

	pub     domain.Publisher
	handler Handler

	mu        sync.RWMutex
	clients   map[*client]struct{}
	listeners []domain.Publisher
}

type client struct {
	viewer domain.Viewer
	agent  domain.AgentRef
	wake   chan struct{} // a frame is queued; capacity 1
	gone   chan struct{}
	once   sync.Once

	mu     sync.Mutex
	queue  [][]byte // frames waiting for the writer
	bytes  int      // their size
	behind bool     // frames were dropped: the client is told to resync
}

// maxQueued is how many bytes of frames may wait for one client. A burst
// of a few thousand events fits; a client further behind gets a resync
// marker instead of the frames, and catches up through the API while
// staying connected.
const maxQueued = 8 << 20

// resyncFrame tells a client that it missed events and must reload what it
// shows, as after a reconnect.
var resyncFrame = []byte(`{"type":"resync"}`)

func (c *client) drop() { c.once.Do(func() { close(c.gone) }) }

// push queues a frame for the writer, or marks the client behind when the
// queue is full.
func (c *client) push(frame []byte) {
	c.mu.Lock()
	if !c.behind {
		if c.bytes+len(frame) > maxQueued {
			c.resyncLocked()
		} else {
			c.queue = append(c.queue, frame)
			c.bytes += len(frame)
		}
	}
	c.mu.Unlock()
	c.signal()
}

// resync drops what is queued and tells the client to reload instead.
func (c *client) resync() {
	c.mu.Lock()
	c.resyncLocked()
	c.mu.Unlock()
	c.signal()
}

func (c *client) resyncLocked() { c.queue, c.bytes, c.behind = nil, 0, true }

func (c *client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take hands the writer what is queued: a resync marker first when frames
// were dropped.
func (c *client) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	frames := c.queue
	if c.behind {
		frames = [][]byte{resyncFrame}
	}
	c.queue, c.bytes, c.behind = nil, 0, false
	return frames
}

// NewHub returns an empty hub.
func NewHub(load Loader, log *slog.Logger) *Hub {
	return &Hub{load: load, log: log, clients: map[*client]struct{}{}}
}

// Clients returns the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// Agents returns the ids of the agents with a stream open on this node.
func (h *Hub) Agents() []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	seen := map[int64]bool{}
	var out []int64
	for c := range h.clients {
		if id := c.agent.ID; id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Publish implements domain.Publisher: it sends each event to every client
// that may see the ticket. Publish never waits for a client: frames queue
// per client, and a client too far behind is told to resync (see
// maxQueued) rather than disconnected.
func (h *Hub) Publish(events ...domain.Event) {
	h.mu.RLock()
	listeners := h.listeners
	h.mu.RUnlock()
	for _, l := range listeners {
		l.Publish(events...)
	}
	// Work on a copy of the client list: encoding may read the database,
	// and connects and disconnects must not wait for that.
	h.mu.RLock()
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.RUnlock()
	if len(clients) == 0 {
		return
	}
	for i := range events {
		ev := &events[i]
		if ev.Internal() {
			continue
		}
		var payload []byte
		for _, c := range clients {
			if !(c.viewer.CanSee(ev.TeamID, ev.AssigneeID) || slices.Contains(ev.To, c.agent.ID)) || (ev.AdminsOnly() && c.viewer.Role != domain.RoleAdmin) {
				continue
			}
			if ev.Agent != nil && ev.Agent.ID == c.agent.ID && ev.Type != domain.EventAgentPresence {
				continue // nobody is warned about themselves
			}
			if payload == nil {
				if payload = h.encode(ev); payload == nil {
					break
				}
			}
			c.push(payload)
		}
	}
}

// Drop disconnects every stream of an agent, for example when the agent is
// disabled or changes teams; the client reconnects with its new rights or
// not at all.
func (h *Hub) Drop(agentID int64) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		if c.viewer.AgentID == agentID {
			c.drop()
		}
	}
}

// encode fills what the event lacks and returns its JSON, or nil when the
// thing it refers to is gone.
func (h *Hub) encode(ev *domain.Event) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	switch {
	case ev.Agent != nil || ev.TicketID == 0: // presence and agent events carry all they need
	case ev.MessageID != 0 && ev.Message == nil:
		ev.Message, err = h.load.Message(ctx, ev.MessageID)
	case ev.MessageID == 0 && ev.Ticket == nil:
		ev.Ticket, err = h.load.Ticket(ctx, ev.TicketID)
	}
	if err != nil {
		h.log.Warn("realtime event dropped", "type", ev.Type, "ticket", ev.TicketID, "err", err)
		return nil
	}
	b, _ := json.Marshal(ev)
	return b
}

// Listen makes l receive every event this hub publishes, from this node
// and (over the bus) from the others, before any client does. Listeners
// run in the publisher's goroutine and must not block.
func (h *Hub) Listen(l domain.Publisher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.listeners = append(h.listeners, l)
}

// Lost tells the hub's listeners that events may have been missed (the
// bus dropped some or was disconnected), so that those that keep state
// from events reload it; a listener hears of it by having a Lost method.
// Every client is told to resync: it catches up through the API, instead
// of showing an inbox with holes.
func (h *Hub) Lost() {
	h.mu.RLock()
	listeners := h.listeners
	for c := range h.clients {
		c.resync()
	}
	h.mu.RUnlock()
	for _, l := range listeners {
		if l, ok := l.(interface{ Lost() }); ok {
			l.Lost()
		}
	}
}

// Handler hears which tickets agents have open, for handling time.
type Handler interface {
	Seen(agentID, ticketID int64, at time.Time)
	Left(agentID, ticketID int64, at time.Time)
}

// SetHandler makes the hub tell h of the tickets agents have open and
// close; set it before serving.
func (h *Hub) SetHandler(x Handler) { h.handler = x }

// SetPublisher makes presence frames from clients travel through p (the
// cross-node bus on PostgreSQL); by default they go to this hub only.
func (h *Hub) SetPublisher(p domain.Publisher) { h.pub = p }

// presence is a frame a client sends while it has a ticket open.
type presence struct {
	Type     string `json:"type"`
	TicketID int64  `json:"ticket_id"`
}

var presenceEvents = map[string]string{
	"viewing": domain.EventTicketViewing,
	"typing":  domain.EventTicketTyping,
	"left":    domain.EventTicketLeft,
}

// Serve upgrades the request to a WebSocket and streams events the viewer
// may see until the client goes away. The client may send presence frames
// ({"type":"viewing"|"typing"|"left","ticket_id":N}), which are passed on
// to the other agents who may see that ticket.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, viewer domain.Viewer, agent domain.AgentRef) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered the request
	}
	conn.SetReadLimit(1024)
	c := &client{viewer: viewer, agent: agent, wake: make(chan struct{}, 1), gone: make(chan struct{})}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		defer cancel()
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			h.presence(ctx, c, data)
		}
	}()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "time": time.Now().UnixMilli()})
	if err := conn.Write(ctx, websocket.MessageText, hello); err != nil {
		return
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			for _, msg := range c.take() {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := conn.Write(wctx, websocket.MessageText, msg)
				cancel()
				if err != nil {
					return
				}
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		case <-c.gone:
			conn.Close(websocket.StatusPolicyViolation, "reconnect and catch up")
			return
		case <-ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

// presence passes on a client's presence frame if it is well formed and
// the client may see the ticket; anything else is ignored.
func (h *Hub) presence(ctx context.Context, c *client, data []byte) {
	var p presence
	typ, ok := "", false
	if json.Unmarshal(data, &p) == nil {
		typ, ok = presenceEvents[p.Type]
	}
	if !ok || p.TicketID <= 0 || c.agent.ID == 0 {
		return
	}
	t, err := h.load.Ticket(ctx, p.TicketID)
	if err != nil || !c.viewer.CanSee(t.TeamID, t.AssigneeID) {
		return
	}
	if h.handler != nil {
		if typ == domain.EventTicketLeft {
			h.handler.Left(c.agent.ID, t.ID, time.Now())
		} else {
			h.handler.Seen(c.agent.ID, t.ID, time.Now())
		}
	}
	agent := c.agent
	ev := domain.Event{Type: typ, TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID, Agent: &agent}
	if h.pub != nil {
		h.pub.Publish(ev)
	} else {
		h.Publish(ev)
	}
}

// CloseAll disconnects every client, for shutdown: hijacked WebSocket
// connections are not closed by http.Server.Shutdown.
func (h *Hub) CloseAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		c.drop()
	}
}
