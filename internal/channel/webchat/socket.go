package webchat

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Socket close codes the widget acts on.
const (
	// CloseUnknownVisitor: the token is not valid; start a new session.
	CloseUnknownVisitor websocket.StatusCode = 4001
	// CloseReconnect: the socket fell behind or the node shuts down;
	// reconnect and catch up.
	CloseReconnect websocket.StatusCode = 4002
)

// Timings of a visitor socket.
const (
	helloTimeout = 15 * time.Second
	pingEvery    = 30 * time.Second
	typingEvery  = 2 * time.Second
)

// clientFrame is what a widget sends on its socket:
//
//	{"type":"hello","token":"…","after":123}  first, within 15 s
//	{"type":"typing"}                         the visitor types
//	{"type":"delivered","ids":[…]}            replies arrived
//	{"type":"read","ids":[…]}                 replies were shown
type clientFrame struct {
	Type  string  `json:"type"`
	Token string  `json:"token"`
	After int64   `json:"after"`
	IDs   []int64 `json:"ids"`
}

// ServeSocket upgrades a visitor's request to a WebSocket on which
// replies, typing, read receipts and conversation changes arrive live. A
// request from a site the channel does not allow gets ErrOrigin and no
// upgrade. The first frame must be a hello with the visitor token and the
// id of the last message the widget has; the answer ("ready") carries
// what it missed.
func (a *Adapter) ServeSocket(w http.ResponseWriter, r *http.Request, ch *domain.Channel, s *Settings) error {
	if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, r, s) {
		return ErrOrigin
	}
	// The origin is checked above against the channel's own list.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept has answered the request
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4096)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	hctx, hcancel := context.WithTimeout(ctx, helloTimeout)
	var hello clientFrame
	_, data, err := ws.Read(hctx)
	hcancel()
	if err != nil || json.Unmarshal(data, &hello) != nil || hello.Type != "hello" {
		ws.Close(websocket.StatusPolicyViolation, "send a hello frame first")
		return nil
	}
	v, err := a.visitor(ctx, ch, hello.Token)
	if err != nil {
		ws.Close(CloseUnknownVisitor, "unknown visitor token")
		return nil
	}
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		ws.Close(websocket.StatusInternalError, "try again")
		return nil
	}
	c := &conn{channel: ch, visitor: v, key: visitorKey(v), tickets: map[int64]int64{},
		send: make(chan []byte, 16), gone: make(chan struct{})}
	views := make([]ConversationView, len(convs))
	for i, cv := range convs {
		if cv.TicketID != 0 {
			c.tickets[cv.TicketID] = cv.ID
		}
		views[i] = viewConversation(cv)
	}
	if n := len(views); n > 0 {
		c.waiting.Store(views[n-1].Waiting)
	}
	// Follow first, then read what was missed: an event in between comes
	// twice rather than never, and the widget drops duplicates by id.
	a.relay.register(c)
	defer a.relay.unregister(c)
	msgs, err := a.history(ctx, ch, convs, hello.After)
	if err != nil {
		ws.Close(websocket.StatusInternalError, "try again")
		return nil
	}
	status := a.Status(ctx, ch)
	ready, _ := json.Marshal(frame{Type: "ready", Conversations: views, Messages: msgs, Status: &status})
	if err := ws.Write(ctx, websocket.MessageText, ready); err != nil {
		return nil
	}
	go a.readFrames(ctx, cancel, ws, c)
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case msg := <-c.send:
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := ws.Write(wctx, websocket.MessageText, msg)
			wcancel()
			if err != nil {
				return nil
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			err := ws.Ping(pctx)
			pcancel()
			if err != nil {
				return nil
			}
			if c.waiting.Load() {
				// The expected wait changes as the queue moves.
				st := a.Status(ctx, ch)
				b, _ := json.Marshal(frame{Type: "status", Status: &st})
				if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
					return nil
				}
			}
		case <-c.gone:
			ws.Close(CloseReconnect, "reconnect and catch up")
			return nil
		case <-ctx.Done():
			ws.Close(websocket.StatusNormalClosure, "")
			return nil
		}
	}
}

// readFrames handles what the widget sends until the socket closes. A
// visitor sending more than a few frames a second is ignored beyond that.
func (a *Adapter) readFrames(ctx context.Context, cancel context.CancelFunc, ws *websocket.Conn, c *conn) {
	defer cancel()
	limit := rate.NewLimiter(rate.Every(200*time.Millisecond), 20)
	var lastTyping time.Time
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var f clientFrame
		if !limit.Allow() || json.Unmarshal(data, &f) != nil {
			continue
		}
		if len(f.IDs) > 50 {
			f.IDs = f.IDs[:50]
		}
		switch f.Type {
		case "typing":
			if now := a.now(); now.Sub(lastTyping) >= typingEvery {
				lastTyping = now
				a.visitorTyping(ctx, c)
			}
		case "delivered":
			a.markDelivery(ctx, c.channel, c.visitor, f.IDs, domain.DeliveryDelivered)
		case "read":
			a.markDelivery(ctx, c.channel, c.visitor, f.IDs, domain.DeliveryRead)
		}
	}
}

// visitorTyping tells the agents who can see the visitor's latest ticket
// that the customer is typing.
func (a *Adapter) visitorTyping(ctx context.Context, c *conn) {
	var ticketID, conv int64
	a.relay.mu.RLock()
	for t, cid := range c.tickets {
		if cid > conv {
			ticketID, conv = t, cid
		}
	}
	a.relay.mu.RUnlock()
	if ticketID == 0 {
		return
	}
	t, err := a.store.Ticket(ctx, ticketID)
	if err != nil {
		return
	}
	a.events.Publish(domain.Event{Type: EventContactTyping, TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID,
		Agent: &domain.AgentRef{Name: nameOf(c.visitor)}})
}

func nameOf(v *store.WebchatVisitor) string {
	if v.Name != "" {
		return v.Name
	}
	return "Visitor"
}
