package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

const (
	shopOrigin     = "https://shop.example"
	identitySecret = "identity-secret-for-tests"
)

// chatEnv is a server with a website chat channel (id chat) that allows
// shopOrigin, beside the API channel of env.
type chatEnv struct {
	*env
	chat int64
}

// newChatNode starts a server on st wired like `loket serve`: the realtime
// hub, the visitor relay listening to it, the webchat adapter and an outbox
// worker that delivers replies. With setup it creates the admin, tokens,
// team and channels.
func newChatNode(t *testing.T, st *store.Store, setup bool) *chatEnv {
	t.Helper()
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, blobs: &failingBlobs{Dir: dir}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var running []chan struct{}
	run := func(fn func(context.Context)) {
		done := make(chan struct{})
		running = append(running, done)
		go func() { fn(ctx); close(done) }()
	}
	hub := realtime.NewHub(st, log)
	var events domain.Publisher = hub
	if st.Dialect() == store.Postgres {
		bus := realtime.NewPGBus(hub, st, st.URL(), log)
		hub.SetPublisher(bus)
		e.listening = bus.Listening()
		run(bus.Run)
		events = bus
	}
	channels := channel.NewRegistry(api.New())
	d := desk.New(desk.Config{Store: st, Blobs: e.blobs, Channels: channels, Events: events, Region: "NL", Log: log})
	worker := outbox.NewWorker(st, d.Deliver, d.Queued(), log)
	relay := webchat.NewRelay(st, log)
	hub.Listen(relay)
	run(relay.Run)
	channels.Register(webchat.New(webchat.Config{Desk: d, Store: st, Blobs: e.blobs, Relay: relay, Events: events, Log: log}))
	run(worker.Run)
	s := httpapi.New(httpapi.Config{Desk: d, Store: st, Blobs: e.blobs, Hub: hub, Channels: channels, Log: log})
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		relay.CloseAll()
		hub.CloseAll()
		e.srv.Close()
		cancel()
		for _, done := range running {
			<-done
		}
		d.Close()
	})
	ce := &chatEnv{env: e}
	if !setup {
		return ce
	}
	hash, err := secret.HashPassword(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAgent(context.Background(), &domain.Agent{Email: "admin@example.com", Name: "Ada Lovelace", Role: domain.RoleAdmin}, hash); err != nil {
		t.Fatal(err)
	}
	e.token = secret.Token("lkt")
	if err := st.CreateAPIToken(context.Background(), &store.APIToken{Name: "tests", Role: domain.RoleAdmin}, secret.Hash(e.token)); err != nil {
		t.Fatal(err)
	}
	var team domain.Team
	e.do("POST", "/api/v1/teams", e.token, `{"name":"Support"}`, 201, &team)
	e.team = team.ID
	var ch struct {
		ID           int64  `json:"id"`
		InboundToken string `json:"inbound_token"`
	}
	e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"api","name":"Shop","team_id":%d}`, team.ID), 201, &ch)
	e.channel, e.inbound = ch.ID, ch.InboundToken
	var chat struct{ ID int64 }
	e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"webchat","name":"Chat","team_id":%d,
		"settings":{"color":"#0b5fff","title":"Support","greeting":{"en":"Hi!","nl":"Hoi!"},"allowed_origins":[%q],
		"prechat":true,"identity_secret":%q}}`, team.ID, shopOrigin, identitySecret), 201, &chat)
	ce.chat = chat.ID
	return ce
}

// visitorPost posts a visitor request the way the widget does: JSON as
// text/plain from the shop's origin.
func (e *chatEnv) visitorPost(path, origin, body string, want int, out any) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/%s", e.srv.URL, e.chat, path), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return e.send(http.DefaultClient, req, want, out)
}

func (e *chatEnv) start(body string) webchat.Session {
	e.t.Helper()
	var s webchat.Session
	e.visitorPost("session", shopOrigin, body, 200, &s)
	return s
}

func (e *chatEnv) say(token, text string) webchat.Sent {
	e.t.Helper()
	var sent webchat.Sent
	e.visitorPost("messages", shopOrigin, fmt.Sprintf(`{"token":%q,"text":%q}`, token, text), 201, &sent)
	return sent
}

// chatFrame is a frame on the visitor socket.
type chatFrame struct {
	Type           string                     `json:"type"`
	Message        *webchat.MessageView       `json:"message"`
	Messages       []webchat.MessageView      `json:"messages"`
	Conversation   *webchat.ConversationView  `json:"conversation"`
	Conversations  []webchat.ConversationView `json:"conversations"`
	Status         *webchat.Status            `json:"status"`
	ConversationID int64                      `json:"conversation_id"`
	At             int64                      `json:"at"`
	Name           string                     `json:"name"`
}

// visitorSocket connects a visitor's socket and returns its ready frame.
func (e *chatEnv) visitorSocket(token string, after int64) (*websocket.Conn, chatFrame) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := fmt.Sprintf("ws%s/api/v1/webchat/%d/socket", strings.TrimPrefix(e.srv.URL, "http"), e.chat)
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {shopOrigin}}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.CloseNow() })
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": token, "after": after})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		e.t.Fatal(err)
	}
	var ready chatFrame
	readJSON(e.t, c, &ready)
	if ready.Type != "ready" {
		e.t.Fatalf("first frame %+v, want ready", ready)
	}
	return c, ready
}

// nextFrame reads frames until one of type typ passes the check.
func nextFrame(t *testing.T, c *websocket.Conn, typ string, ok func(chatFrame) bool) chatFrame {
	t.Helper()
	for range 30 {
		var f chatFrame
		readJSON(t, c, &f)
		if f.Type == typ && (ok == nil || ok(f)) {
			return f
		}
	}
	t.Fatalf("no %s frame", typ)
	return chatFrame{}
}

func writeFrame(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// agentCookie signs the admin in and returns the cookie header for its socket.
func (e *chatEnv) agentCookie() http.Header {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/api/v1/session", "application/json",
		strings.NewReader(fmt.Sprintf(`{"email":"admin@example.com","password":%q}`, adminPassword)))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return http.Header{"Cookie": resp.Header.Values("Set-Cookie")}
}

func (e *chatEnv) agentSocket() *websocket.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/v1/stream", &websocket.DialOptions{HTTPHeader: e.agentCookie()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.CloseNow() })
	var hello map[string]any
	readJSON(e.t, c, &hello)
	return c
}

func TestWebchat_VisitorMessageOpensTicketAndRepliesTypingAndReadsTravelLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		sess := e.start(`{"language":"nl-NL"}`)
		if sess.Token == "" || sess.Channel.Title != "Support" || sess.Channel.Color != "#0b5fff" || !sess.Channel.Prechat ||
			sess.Visitor.Language != "nl" || len(sess.Messages) != 0 || !sess.Status.Open {
			t.Fatalf("new session %+v", sess)
		}
		sock, ready := e.visitorSocket(sess.Token, 0)
		if len(ready.Messages) != 0 || ready.Status == nil {
			t.Fatalf("ready %+v", ready)
		}
		agent := e.agentSocket()

		sent := e.say(sess.Token, "Where is my order?")
		if sent.Message.Author != "visitor" || sent.Message.Text != "Where is my order?" || !sent.Conversation.Waiting {
			t.Fatalf("sent %+v", sent)
		}
		// The socket follows the new ticket and sends what is on it.
		nextFrame(t, sock, "conversation", func(f chatFrame) bool {
			return f.Conversation.ID == sent.Conversation.ID && len(f.Messages) == 1 && f.Messages[0].ID == sent.Message.ID
		})
		created := waitFor(t, agent, domain.EventTicketCreated)
		tk := created.Ticket
		if tk.ChannelID != e.chat || tk.TeamID != e.team || tk.Subject != "Where is my order?" {
			t.Fatalf("ticket %+v", tk)
		}
		var contact domain.Contact
		e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", tk.ContactID), e.token, "", 200, &contact)
		if len(contact.Identities) != 1 || contact.Identities[0].Kind != domain.IdentityWeb {
			t.Fatalf("contact identities %+v", contact.Identities)
		}

		// Agent typing reaches the visitor; visitor typing reaches the agent.
		writeFrame(t, agent, map[string]any{"type": "typing", "ticket_id": tk.ID})
		if f := nextFrame(t, sock, "typing", nil); f.Name != "Ada" {
			t.Fatalf("typing frame %+v", f)
		}
		writeFrame(t, sock, map[string]any{"type": "typing"})
		if ev := waitFor(t, agent, domain.EventContactTyping); ev.TicketID != tk.ID || ev.Agent == nil || ev.Agent.ID != 0 {
			t.Fatalf("contact typing %+v", ev)
		}
		// The agent opening the ticket reads the visitor's messages.
		writeFrame(t, agent, map[string]any{"type": "viewing", "ticket_id": tk.ID})
		if f := nextFrame(t, sock, "read", nil); f.ConversationID != sent.Conversation.ID || f.At == 0 {
			t.Fatalf("read frame %+v", f)
		}

		var reply domain.Message
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), e.token, `{"text":"It ships <b>today</b>."}`, 201, &reply)
		got := nextFrame(t, sock, "message", func(f chatFrame) bool { return f.Message.ID == reply.ID })
		if got.Message.Author != "agent" || got.Message.Text != "It ships <b>today</b>." || got.Message.Status != "sent" ||
			got.Message.Direction != "out" {
			t.Fatalf("reply frame %+v", got.Message)
		}
		writeFrame(t, sock, map[string]any{"type": "read", "ids": []int64{reply.ID}})
		eventually.True(t, "read receipt", func() bool {
			m, err := st.Message(context.Background(), reply.ID)
			return err == nil && m.DeliveryStatus == domain.DeliveryRead
		})
		nextFrame(t, sock, "message", func(f chatFrame) bool { return f.Message.ID == reply.ID && f.Message.Status == "read" })

		// An internal note never reaches the visitor; a reload shows the history.
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), e.token, `{"text":"VIP customer","note":true}`, 201, nil)
		again := e.start(fmt.Sprintf(`{"token":%q}`, sess.Token))
		if again.Token != "" || len(again.Messages) != 2 || again.Messages[0].ID != sent.Message.ID || again.Messages[1].ID != reply.ID {
			t.Fatalf("history after reload %+v", again.Messages)
		}
		// Reconnecting with the last id catches up on what came after it only.
		_, caught := e.visitorSocket(sess.Token, sent.Message.ID)
		if len(caught.Messages) != 1 || caught.Messages[0].ID != reply.ID {
			t.Fatalf("catch-up %+v", caught.Messages)
		}
		// Nor did the note pass the live socket: every frame up to the next
		// reply is free of it, and so is the history endpoint.
		var next domain.Message
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), e.token, `{"text":"Anything else?"}`, 201, &next)
		for i := 0; ; i++ {
			if i == 30 {
				t.Fatal("no frame with the second reply")
			}
			var b json.RawMessage
			readJSON(t, sock, &b)
			if strings.Contains(string(b), "VIP customer") {
				t.Fatalf("the internal note reached the visitor's socket: %s", b)
			}
			var f chatFrame
			json.Unmarshal(b, &f)
			if f.Type == "message" && f.Message.ID == next.ID {
				break
			}
		}
		var hist struct{ Messages []webchat.MessageView }
		e.visitorPost("history", shopOrigin, fmt.Sprintf(`{"token":%q}`, sess.Token), 200, &hist)
		if len(hist.Messages) != 3 || hist.Messages[1].ID != reply.ID || hist.Messages[2].ID != next.ID {
			t.Fatalf("history %+v", hist.Messages)
		}
	})
}

func TestWebchat_AVisitorSeesOnlyTheirOwnConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		a, b := e.start(`{}`), e.start(`{}`)
		sentA := e.say(a.Token, "private question of A")
		sockB, _ := e.visitorSocket(b.Token, 0)
		convA, _, err := st.WebchatConversationByTicket(context.Background(), ticketOf(t, e, sentA))
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", convA.TicketID), e.token, `{"text":"answer for A"}`, 201, nil)

		var hist struct {
			Messages      []webchat.MessageView      `json:"messages"`
			Conversations []webchat.ConversationView `json:"conversations"`
		}
		e.visitorPost("history", shopOrigin, fmt.Sprintf(`{"token":%q}`, b.Token), 200, &hist)
		if len(hist.Messages) != 0 || len(hist.Conversations) != 0 {
			t.Fatalf("B sees %+v", hist)
		}
		e.visitorPost("rating", shopOrigin, fmt.Sprintf(`{"token":%q,"conversation_id":%d,"score":1}`, b.Token, sentA.Conversation.ID), 404, nil)
		e.visitorPost("history", shopOrigin, `{"token":"wcv_guessed"}`, 401, nil)
		e.visitorPost("messages", shopOrigin, `{"text":"no token"}`, 401, nil)
		// B's socket hears nothing of A's conversation.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if _, frame, err := sockB.Read(ctx); err == nil {
			t.Fatalf("visitor B received %s", frame)
		}
		// A's token is not valid on another chat channel.
		var other struct{ ID int64 }
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"webchat","name":"Other site","settings":{"allowed_origins":["*"]}}`, 201, &other)
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/history", e.srv.URL, other.ID), strings.NewReader(fmt.Sprintf(`{"token":%q}`, a.Token)))
		e.send(http.DefaultClient, req, 401, nil)
	})
}

func ticketOf(t *testing.T, e *chatEnv, s webchat.Sent) int64 {
	t.Helper()
	m, err := e.st.Message(context.Background(), s.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m.TicketID
}

func TestWebchat_VerifiedVisitorLandsOnTheExistingCustomerAnUnverifiedOneDoesNot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		known := e.post(`{"external_id":"m1","from":{"email":"jan@example.nl","id":"cust-9","name":"Jan"},"text":"order 1"}`, 201)

		// The pre-chat form's address is kept, unverified, on a new contact.
		anon := e.start(`{}`)
		e.visitorPost("profile", shopOrigin, fmt.Sprintf(`{"token":%q,"name":"Jan?","email":"Jan@Example.nl"}`, anon.Token), 200, nil)
		s := e.say(anon.Token, "I am Jan, honestly")
		var c domain.Contact
		e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", contactOf(t, e, s)), e.token, "", 200, &c)
		if c.ID == known.Contact.ID || c.Name != "Jan?" || len(c.Identities) != 1 || !strings.Contains(string(c.Attributes), `"unverified_email":"jan@example.nl"`) {
			t.Fatalf("unverified visitor's contact %+v attrs %s", c, c.Attributes)
		}

		tests := []struct {
			name string
			hmac string
			want int
			code string
		}{
			{"wrong signature", webchat.SignUserID("another secret!!", "cust-9"), 401, "invalid_identity"},
			{"signature of another id", webchat.SignUserID(identitySecret, "cust-10"), 401, "invalid_identity"},
			{"valid signature", webchat.SignUserID(identitySecret, "cust-9"), 200, ""},
		}
		for _, tt := range tests {
			body := fmt.Sprintf(`{"token":%q,"user":{"id":"cust-9","email":"jan@example.nl","name":"Jan Jansen","hmac":%q}}`, anon.Token, tt.hmac)
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/session", e.srv.URL, e.chat), strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || (tt.code != "" && errCode(t, resp, b) != tt.code) {
				t.Fatalf("%s: %d %s", tt.name, resp.StatusCode, b)
			}
			if tt.want != 200 {
				continue
			}
			var verified webchat.Session
			json.Unmarshal(b, &verified)
			// Signing in gives a visitor of its own: the anonymous chat stays with the anonymous visitor.
			if verified.Token == "" || verified.Token == anon.Token || !verified.Visitor.Verified || len(verified.Messages) != 0 {
				t.Fatalf("verified session %+v", verified)
			}
			vs := e.say(verified.Token, "where is order 1?")
			if got := contactOf(t, e, vs); got != known.Contact.ID {
				t.Fatalf("verified visitor landed on contact %d, want %d", got, known.Contact.ID)
			}
			// Another device of the same user sees the conversation; signing out hides it.
			other := e.start(fmt.Sprintf(`{"user":{"id":"cust-9","email":"jan@example.nl","hmac":%q}}`, tt.hmac))
			if len(other.Messages) != 1 || other.Messages[0].ID != vs.Message.ID {
				t.Fatalf("second device sees %+v", other.Messages)
			}
			out := e.start(fmt.Sprintf(`{"token":%q}`, verified.Token))
			if out.Token == "" || out.Visitor.Verified || len(out.Messages) != 0 {
				t.Fatalf("signed-out session %+v", out)
			}
		}

		// The signature covers the user id only: a signed-in user who puts
		// someone else's address beside their own id stays apart, the
		// address kept as unverified. A site whose user ids are addresses
		// signs the address itself.
		claims := []struct {
			name, id, email string
			joins           bool
		}{
			{"another user's address beside a signed id", "cust-10", "jan@example.nl", false},
			{"another user's address beside a signed id, other case", "cust-11", "JAN@example.NL", false},
			{"the signed id is the address", "Jan@Example.nl", "jan@example.nl", true},
		}
		for _, tt := range claims {
			sess := e.start(fmt.Sprintf(`{"user":{"id":%q,"email":%q,"hmac":%q}}`, tt.id, tt.email, webchat.SignUserID(identitySecret, tt.id)))
			got := contactOf(t, e, e.say(sess.Token, "what did I order?"))
			if (got == known.Contact.ID) != tt.joins {
				t.Fatalf("%s: landed on contact %d, known customer is %d", tt.name, got, known.Contact.ID)
			}
			if tt.joins {
				continue
			}
			var c domain.Contact
			e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", got), e.token, "", 200, &c)
			if !strings.Contains(string(c.Attributes), `"unverified_email":"jan@example.nl"`) {
				t.Fatalf("%s: contact attributes %s", tt.name, c.Attributes)
			}
			for _, id := range c.Identities {
				if id.Kind == domain.IdentityEmail {
					t.Fatalf("%s: contact got the claimed address as identity %+v", tt.name, c.Identities)
				}
			}
		}
	})
}

func contactOf(t *testing.T, e *chatEnv, s webchat.Sent) int64 {
	t.Helper()
	tk, err := e.st.Ticket(context.Background(), ticketOf(t, e, s))
	if err != nil {
		t.Fatal(err)
	}
	return tk.ContactID
}

func TestWebchat_OnlyAllowedOriginsMayUseTheChannel(t *testing.T) {
	e := newChatNode(t, storetest.Open(t, store.SQLite), true)
	tests := []struct {
		origin string
		want   int
	}{
		{shopOrigin, 200},
		{"https://SHOP.example", 200},
		{"", 200}, // not a browser
		{e.srv.URL, 200},
		{"https://evil.example", 403},
		{"http://shop.example", 403},
		{"null", 403},
	}
	for _, tt := range tests {
		resp := e.visitorPost("session", tt.origin, `{}`, tt.want, nil)
		acao := resp.Header.Get("Access-Control-Allow-Origin")
		if (tt.want == 200 && tt.origin != "" && acao != tt.origin) || (tt.want != 200 && acao != "") {
			t.Errorf("origin %q: Access-Control-Allow-Origin %q", tt.origin, acao)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := fmt.Sprintf("ws%s/api/v1/webchat/%d/socket", strings.TrimPrefix(e.srv.URL, "http"), e.chat)
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("socket from another site: %v %v", resp, err)
	}
	// An unknown channel, or a channel of another kind, has no chat.
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/session", e.srv.URL, e.channel), strings.NewReader(`{}`))
	e.send(http.DefaultClient, req, 404, nil)
}

func TestWebchat_MessagesAreRateLimitedPerVisitor(t *testing.T) {
	e := newChatNode(t, storetest.Open(t, store.SQLite), true)
	a, b := e.start(`{}`), e.start(`{}`)
	for i := range 30 {
		e.visitorPost("messages", shopOrigin, fmt.Sprintf(`{"token":%q,"text":"message %d"}`, a.Token, i), 201, nil)
	}
	resp := e.visitorPost("messages", shopOrigin, fmt.Sprintf(`{"token":%q,"text":"one too many"}`, a.Token), 429, nil)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.say(b.Token, "another visitor is not held up")
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *chatEnv) upload(token, name string, data []byte, want int) (webchat.Sent, string) {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("token", token)
	w.WriteField("text", "see attached")
	f, _ := w.CreateFormFile("file", name)
	f.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/uploads", e.srv.URL, e.chat), &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", shopOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	var sent webchat.Sent
	json.Unmarshal(b, &sent)
	return sent, errCode(e.t, resp, b)
}

func TestWebchat_UploadsAreLimitedInSizeAndTypeAndDownloadOnlyForTheirVisitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		v, other := e.start(`{}`), e.start(`{}`)
		img := pngBytes(t)
		sent, _ := e.upload(v.Token, "../../etc/photo.png", img, 201)
		if len(sent.Message.Attachments) != 1 || sent.Message.Text != "see attached" {
			t.Fatalf("upload %+v", sent.Message)
		}
		att := sent.Message.Attachments[0]
		if att.Filename != "photo.png" || att.ContentType != "image/png" || att.Size != int64(len(img)) {
			t.Fatalf("attachment %+v", att)
		}
		tests := []struct {
			name string
			data []byte
			want int
			code string
		}{
			{"program", append([]byte("MZ\x90\x00"), make([]byte, 600)...), 422, "file_type"},
			{"html posing as an image", []byte("<html><script>alert(1)</script></html>"), 422, "file_type"},
			{"just over 10 MB", append(append([]byte{}, img...), make([]byte, webchat.MaxUploadBytes)...), 422, "file_too_large"},
			{"far over 10 MB", append(append([]byte{}, img...), make([]byte, webchat.MaxUploadBytes+1<<20)...), 413, "file_too_large"},
		}
		for _, tt := range tests {
			if _, code := e.upload(v.Token, "x.png", tt.data, tt.want); code != tt.code {
				t.Errorf("%s: code %q, want %q", tt.name, code, tt.code)
			}
		}
		path := fmt.Sprintf("attachments/%d", att.ID)
		resp := e.visitorPost(path, shopOrigin, fmt.Sprintf(`{"token":%q}`, v.Token), 200, nil)
		if resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("download headers %v", resp.Header)
		}
		e.visitorPost(path, shopOrigin, fmt.Sprintf(`{"token":%q}`, other.Token), 404, nil)
	})
}

func TestWebchat_SolvedConversationIsRatedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		v := e.start(`{}`)
		sent := e.say(v.Token, "help")
		sock, _ := e.visitorSocket(v.Token, 0)
		rate := fmt.Sprintf(`{"token":%q,"conversation_id":%d,"score":5,"comment":"Great help"}`, v.Token, sent.Conversation.ID)
		var r *http.Response
		var body []byte
		{
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/webchat/%d/rating", e.srv.URL, e.chat), strings.NewReader(rate))
			var err error
			if r, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(r.Body)
			r.Body.Close()
		}
		if r.StatusCode != 422 || errCode(t, r, body) != "not_solved" {
			t.Fatalf("rating an open chat: %d %s", r.StatusCode, body)
		}
		tk := ticketOf(t, e, sent)
		e.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk), e.token, `{"status":"solved"}`, 200, nil)
		nextFrame(t, sock, "conversation", func(f chatFrame) bool { return f.Conversation.Status == "solved" && !f.Conversation.Rated })
		var rated struct{ Conversation webchat.ConversationView }
		e.visitorPost("rating", shopOrigin, rate, 200, &rated)
		if !rated.Conversation.Rated {
			t.Fatalf("rated %+v", rated)
		}
		e.visitorPost("rating", shopOrigin, rate, 422, nil)
		var got domain.Ticket
		e.do("GET", fmt.Sprintf("/api/v1/tickets/%d", tk), e.token, "", 200, &got)
		if got.CSATScore != 5 || got.CSATComment != "Great help" || got.CSATAt == 0 {
			t.Fatalf("ticket csat %d %q %d", got.CSATScore, got.CSATComment, got.CSATAt)
		}
		// A new message after the rating starts a new conversation when asked.
		var next webchat.Sent
		e.visitorPost("messages", shopOrigin, fmt.Sprintf(`{"token":%q,"text":"one more thing","new_conversation":true}`, v.Token), 201, &next)
		if next.Conversation.ID == sent.Conversation.ID || ticketOf(t, e, next) == tk {
			t.Fatalf("new conversation %+v on ticket %d", next.Conversation, ticketOf(t, e, next))
		}
	})
}

func TestWebchat_QuickReplyClicksCarryTheChoice(t *testing.T) {
	e := newChatNode(t, storetest.Open(t, store.SQLite), true)
	v := e.start(`{}`)
	sent := e.say(v.Token, "returns?")
	tk := ticketOf(t, e, sent)
	ch, err := e.st.Channel(context.Background(), e.chat)
	if err != nil {
		t.Fatal(err)
	}
	meta := json.RawMessage(`{"quick_replies":[{"id":"article:12","label":"How do I return an item?"},{"id":"person","label":"Talk to a person"}]}`)
	bot := &domain.Message{TicketID: tk, ChannelID: ch.ID, Kind: domain.KindMessage, Direction: domain.DirectionOut, AuthorType: domain.AuthorBot,
		Text: "Is this what you are looking for?", DeliveryStatus: domain.DeliverySent, Meta: meta}
	if _, err := e.st.InsertMessage(context.Background(), bot); err != nil {
		t.Fatal(err)
	}
	var hist struct{ Messages []webchat.MessageView }
	e.visitorPost("history", shopOrigin, fmt.Sprintf(`{"token":%q,"after":%d}`, v.Token, sent.Message.ID), 200, &hist)
	if len(hist.Messages) != 1 || hist.Messages[0].Author != "bot" || len(hist.Messages[0].QuickReplies) != 2 {
		t.Fatalf("bot message %+v", hist.Messages)
	}
	var click webchat.Sent
	e.visitorPost("messages", shopOrigin, fmt.Sprintf(`{"token":%q,"text":"Talk to a person","quick_reply":"person"}`, v.Token), 201, &click)
	m, err := e.st.Message(context.Background(), click.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Talk to a person" || string(m.Meta) != `{"quick_reply":"person"}` || click.Message.QuickReply != "person" {
		t.Fatalf("click stored as %q %s", m.Text, m.Meta)
	}
}

func TestWebchat_SnippetForAdmins(t *testing.T) {
	e := newChatNode(t, storetest.Open(t, store.SQLite), true)
	var snip struct{ HTML string }
	e.do("GET", fmt.Sprintf("/api/v1/channels/%d/snippet", e.chat), e.token, "", 200, &snip)
	want := fmt.Sprintf(`<script src="%s/widget/loader.js" data-loket-channel="%d" async></script>`, e.srv.URL, e.chat)
	if snip.HTML != want {
		t.Fatalf("snippet %s, want %s", snip.HTML, want)
	}
	e.do("GET", fmt.Sprintf("/api/v1/channels/%d/snippet", e.channel), e.token, "", 409, nil)
	e.do("GET", fmt.Sprintf("/api/v1/channels/%d/snippet", e.chat), e.agentToken(), "", 403, nil)
}

func TestWebchat_ReplyOnOneNodeReachesAVisitorOnAnother(t *testing.T) {
	a := newChatNode(t, storetest.Open(t, store.Postgres), true)
	stB, err := store.Open(context.Background(), a.st.URL(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stB.Close() })
	b := newChatNode(t, stB, false)
	// Node B has no key for sealed secrets here, so its channel has none.
	var ch struct{ ID int64 }
	a.do("POST", "/api/v1/channels", a.token, fmt.Sprintf(`{"kind":"webchat","name":"Plain","team_id":%d,"settings":{"allowed_origins":[%q]}}`, a.team, shopOrigin), 201, &ch)
	a.chat, b.chat = ch.ID, ch.ID
	v := b.start(`{}`)
	sock, _ := b.visitorSocket(v.Token, 0)
	a.waitListening()
	b.waitListening()
	sent := a.say(v.Token, "asked on node A")
	nextFrame(t, sock, "conversation", func(f chatFrame) bool { return len(f.Messages) == 1 && f.Messages[0].ID == sent.Message.ID })
	var reply domain.Message
	a.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticketOf(t, a, sent)), a.token, `{"text":"answered on node A"}`, 201, &reply)
	nextFrame(t, sock, "message", func(f chatFrame) bool { return f.Message.ID == reply.ID && f.Message.Status == "sent" })
}

func TestWebchat_SocketsArePerVisitorLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatNode(t, st, true)
		sess := e.start(`{}`)
		socks := make([]*websocket.Conn, webchat.MaxSocketsPerVisitor)
		for i := range socks {
			socks[i], _ = e.visitorSocket(sess.Token, 0)
		}
		// One more is closed after its hello, with a code the widget backs off on.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		url := fmt.Sprintf("ws%s/api/v1/webchat/%d/socket", strings.TrimPrefix(e.srv.URL, "http"), e.chat)
		extra, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {shopOrigin}}})
		if err != nil {
			t.Fatal(err)
		}
		defer extra.CloseNow()
		writeFrame(t, extra, map[string]any{"type": "hello", "token": sess.Token})
		if _, _, err := extra.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Fatalf("socket over the limit: %v", err)
		}
		// Another visitor is not affected, and a closed socket frees its place.
		e.visitorSocket(e.start(`{}`).Token, 0)
		socks[0].Close(websocket.StatusNormalClosure, "")
		eventually.True(t, "a free place", func() bool {
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {shopOrigin}}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			writeFrame(t, c, map[string]any{"type": "hello", "token": sess.Token})
			var f chatFrame
			_, b, err := c.Read(ctx)
			return err == nil && json.Unmarshal(b, &f) == nil && f.Type == "ready"
		})
	})
}
