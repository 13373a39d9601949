package webchat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// ErrTooManySockets means the client's address holds as many visitor
// sockets as a node allows one address.
var ErrTooManySockets = errors.New("too many chat connections from this address; close some chat windows or try again later")

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
	writeTimeout = 10 * time.Second
	// frameTimeout bounds the work one frame from the widget asks for.
	frameTimeout = 10 * time.Second
	typingEvery  = 2 * time.Second
)

// socketBuffer is the size of a visitor socket's read and write buffers.
// Visitors send frames of a few dozen bytes and larger writes bypass the
// buffer, so net/http's 4 KB pair, held for the socket's whole life,
// would be mostly idle memory.
const socketBuffer = 512

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
//
// ServeSocket returns once the socket is ready; the socket lives on with
// a single goroutine that reads the widget's frames (see readFrames).
// Writes run on a goroutine started when there is something to send, and
// pings come from the relay's sweep, so an idle socket costs one small
// goroutine and its buffers.
//
// address is the client's network address: it may hold at most
// MaxSocketsPerAddress sockets on this node (ErrTooManySockets), and each
// visitor at most MaxSocketsPerVisitor.
func (a *Adapter) ServeSocket(w http.ResponseWriter, r *http.Request, ch *domain.Channel, s *Settings, address string) error {
	if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, r, s) {
		return ErrOrigin
	}
	if !a.relay.admit(address) {
		return ErrTooManySockets
	}
	// The origin is checked above against the channel's own list.
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		a.relay.release(address)
		return nil // Accept has answered the request
	}
	ws.SetReadLimit(4096)
	c, code, reason := a.open(r.Context(), ws, ch, address)
	if c == nil {
		a.relay.release(address)
		ws.Close(code, reason)
		return nil
	}
	go a.readFrames(c)
	return nil
}

// open reads the hello, follows the visitor's conversations and sends
// the ready frame. It returns nil and how to close the socket when that
// fails.
func (a *Adapter) open(ctx context.Context, ws *websocket.Conn, ch *domain.Channel, address string) (*conn, websocket.StatusCode, string) {
	hctx, hcancel := context.WithTimeout(ctx, helloTimeout)
	var hello clientFrame
	_, data, err := ws.Read(hctx)
	hcancel()
	if err != nil || json.Unmarshal(data, &hello) != nil || hello.Type != "hello" {
		return nil, websocket.StatusPolicyViolation, "send a hello frame first"
	}
	v, err := a.visitor(ctx, ch, hello.Token)
	if err != nil {
		return nil, CloseUnknownVisitor, "unknown visitor token"
	}
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		return nil, websocket.StatusInternalError, "try again"
	}
	c := &conn{ws: ws, channel: ch, visitor: v, key: visitorKey(v), address: address, tickets: map[int64]int64{}}
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
	// Frames the relay sends meanwhile wait in the queue, behind ready.
	c.mu.Lock()
	c.writing = true
	c.mu.Unlock()
	if !a.relay.register(c) {
		return nil, websocket.StatusPolicyViolation, "too many chat windows are open"
	}
	msgs, err := a.history(ctx, ch, convs, hello.After)
	if err != nil {
		a.relay.unregister(c)
		return nil, websocket.StatusInternalError, "try again"
	}
	status := a.Status(ctx, ch)
	ready, _ := json.Marshal(frame{Type: "ready", Conversations: views, Messages: msgs, Status: &status})
	wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
	err = ws.Write(wctx, websocket.MessageText, ready)
	wcancel()
	if err != nil {
		a.relay.unregister(c)
		return nil, websocket.StatusGoingAway, ""
	}
	// Now the writer may run for what queued up behind ready.
	go c.write()
	return c, 0, ""
}

// readFrames handles what the widget sends until the socket closes, then
// forgets the socket. It is the socket's only long-lived goroutine; the
// work a frame asks for (database reads, events) runs on a goroutine of
// its own, so this one's stack stays small while it waits. A visitor
// sending more than a few frames a second is ignored beyond that.
func (a *Adapter) readFrames(c *conn) {
	defer a.relay.release(c.address)
	defer a.relay.unregister(c)
	defer c.shut()
	limit := rate.NewLimiter(rate.Every(200*time.Millisecond), 20)
	var lastTyping time.Time
	for {
		// A context that is never done: the read ends when the socket
		// closes, and no timer is armed while the visitor is idle.
		_, data, err := c.ws.Read(context.Background())
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
				go a.visitorTyping(c)
			}
		case "delivered":
			go a.markDeliveryOf(c, f.IDs, domain.DeliveryDelivered)
		case "read":
			go a.markDeliveryOf(c, f.IDs, domain.DeliveryRead)
		}
	}
}

func (a *Adapter) markDeliveryOf(c *conn, ids []int64, status domain.DeliveryStatus) {
	ctx, cancel := context.WithTimeout(context.Background(), frameTimeout)
	defer cancel()
	a.markDelivery(ctx, c.channel, c.visitor, ids, status)
}

// visitorTyping tells the agents who can see the visitor's latest ticket
// that the customer is typing.
func (a *Adapter) visitorTyping(c *conn) {
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
	ctx, cancel := context.WithTimeout(context.Background(), frameTimeout)
	defer cancel()
	t, err := a.store.Ticket(ctx, ticketID)
	if err != nil {
		return
	}
	a.events.Publish(domain.Event{Type: domain.EventContactTyping, TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID,
		Agent: &domain.AgentRef{Name: nameOf(c.visitor)}})
}

func nameOf(v *store.WebchatVisitor) string {
	if v.Name != "" {
		return v.Name
	}
	return "Visitor"
}

// smallBuffers hands the WebSocket library the hijacked connection with
// buffers of socketBuffer bytes instead of net/http's.
type smallBuffers struct{ http.ResponseWriter }

// Unwrap gives http.ResponseController the wrapped writer.
func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// What the client sent after the handshake may sit in net/http's
	// buffer already. It must sit in the new buffer too: the WebSocket
	// library keeps what is buffered and reads the rest from nc.
	br := bufio.NewReaderSize(nc, socketBuffer)
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), nc), max(n, socketBuffer))
		if _, err := br.Peek(n); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	// net/http flushed the handshake's answer before handing over, so
	// nothing is lost with its writer.
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(nc, socketBuffer)), nil
}
