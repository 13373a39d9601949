package webchat

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// Limits on what a visitor sends.
const (
	MaxTextRunes   = 5000
	MaxUploadBytes = 10 << 20
	// MaxHistory is how many messages a session or catch-up returns at once.
	MaxHistory = 500
)

// UploadTypes are the file types a visitor may send, by sniffed content.
var UploadTypes = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

// A visitor's token lapses when the visitor has not been seen for
// TokenIdle, and is replaced by a new one when the visitor comes back
// after it is TokenRotate old; the widget keeps what Start answers.
const (
	TokenIdle   = 30 * 24 * time.Hour
	TokenRotate = 7 * 24 * time.Hour
)

// ErrVisitor means the visitor token is missing or unknown on the channel.
var ErrVisitor = errors.New("unknown visitor token; start a new chat session")

// ErrIdentity means the site's identity signature does not match.
var ErrIdentity = errors.New("the visitor's identity signature does not match: sign the user id with the channel's identity_secret (HMAC-SHA256, hex)")

// SiteUser is a signed-in user of the site, vouched for by the site with
// HMAC-SHA256(identity_secret, ID) in hex. The signature covers ID only:
// Email and Name are as the browser sent them.
type SiteUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	HMAC  string `json:"hmac"`
}

// SignUserID returns the signature a site puts beside a user id: hex
// HMAC-SHA256 of the id under the channel's identity secret.
func SignUserID(identitySecret, userID string) string {
	mac := hmac.New(sha256.New, []byte(identitySecret))
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// StartRequest opens or resumes a visitor session.
type StartRequest struct {
	Token    string    `json:"token"`
	Language string    `json:"language"`
	User     *SiteUser `json:"user"`
}

// Session is what a widget needs to show the chat.
type Session struct {
	// Token is set when a new visitor was made; the widget keeps it.
	Token         string             `json:"token,omitempty"`
	Visitor       VisitorView        `json:"visitor"`
	Channel       ChannelView        `json:"channel"`
	Conversations []ConversationView `json:"conversations"`
	Messages      []MessageView      `json:"messages"`
	Status        Status             `json:"status"`
}

// VisitorView is what a visitor sees about themselves.
type VisitorView struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Verified bool   `json:"verified"`
	Language string `json:"language,omitempty"`
}

// ChannelView is the widget's look and behaviour.
type ChannelView struct {
	ID        int64             `json:"id"`
	Title     string            `json:"title"`
	Color     string            `json:"color"`
	Greeting  map[string]string `json:"greeting"`
	AvatarURL string            `json:"avatar_url,omitempty"`
	Prechat   bool              `json:"prechat"`
	// Callbacks offers visitors to be called back (the channel names a
	// voice channel for it).
	Callbacks bool `json:"callbacks"`
}

// Start authenticates a visitor by token, or makes a new one. A site user
// with a valid signature gets a visitor of their own, which sees the
// conversations of the same user on other devices; a visitor that was
// signed in and no longer is starts afresh, so a shared computer never
// shows one user's chats to the next.
func (a *Adapter) Start(ctx context.Context, ch *domain.Channel, s *Settings, req *StartRequest) (*Session, error) {
	lang := language(req.Language)
	var user *SiteUser
	if req.User != nil && req.User.ID != "" {
		u, err := verifyUser(ch, req.User)
		if err != nil {
			return nil, err
		}
		user = u
	}
	var v *store.WebchatVisitor
	if req.Token != "" {
		found, err := a.visitor(ctx, ch, req.Token)
		if err != nil && !errors.Is(err, ErrVisitor) {
			return nil, err
		}
		v = found
	}
	if v != nil && ((user == nil) != (v.UserID == "") || (user != nil && v.UserID != user.ID)) {
		v = nil // signed in, signed out or another user since the token was made
	}
	sess := &Session{}
	if v == nil {
		v = &store.WebchatVisitor{ChannelID: ch.ID, PublicID: secret.Token("v")[2:34], Language: lang}
		if user != nil {
			v.UserID, v.Name, v.Email = user.ID, user.Name, user.Email
		}
		sess.Token = secret.Token("wcv")
		if err := a.store.CreateWebchatVisitor(ctx, v, secret.Hash(sess.Token)); err != nil {
			return nil, err
		}
	} else {
		if user != nil {
			v.Name, v.Email = user.Name, user.Email
		}
		if lang != "" {
			v.Language = lang
		}
		v.SeenAt = a.now().UnixMilli()
		if err := a.store.UpdateWebchatVisitor(ctx, v); err != nil {
			return nil, err
		}
		if v.SeenAt-v.TokenAt >= TokenRotate.Milliseconds() {
			sess.Token = secret.Token("wcv")
			if err := a.store.RotateWebchatToken(ctx, v.ID, secret.Hash(sess.Token), v.SeenAt); err != nil {
				return nil, err
			}
		}
	}
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		return nil, err
	}
	msgs, err := a.history(ctx, ch, convs, 0)
	if err != nil {
		return nil, err
	}
	sess.Visitor = VisitorView{Name: v.Name, Email: v.Email, Verified: v.UserID != "", Language: v.Language}
	sess.Channel = ChannelView{ID: ch.ID, Title: s.Title, Color: s.Color, Greeting: s.Greeting, AvatarURL: s.AvatarURL, Prechat: s.Prechat,
		Callbacks: s.CallbackChannelID != 0}
	if sess.Channel.Title == "" {
		sess.Channel.Title = ch.Name
	}
	if sess.Channel.Greeting == nil {
		sess.Channel.Greeting = map[string]string{}
	}
	sess.Conversations = make([]ConversationView, len(convs))
	for i, c := range convs {
		sess.Conversations[i] = viewConversation(c)
	}
	sess.Messages = msgs
	sess.Status = a.Status(ctx, ch)
	return sess, nil
}

// verifyUser checks the site's signature and normalises the user's fields.
func verifyUser(ch *domain.Channel, u *SiteUser) (*SiteUser, error) {
	key := ch.Secrets[SecretIdentity]
	if key == "" {
		return nil, domain.Invalid("identity_not_configured", "this channel has no identity_secret, so signed-in users cannot be verified; set one or leave out user")
	}
	id := strings.TrimSpace(u.ID)
	if len(id) > 255 || !utf8.ValidString(id) {
		return nil, domain.Invalid("invalid_user", "user.id must be at most 255 characters")
	}
	want := SignUserID(key, id)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(u.HMAC)))) {
		return nil, ErrIdentity
	}
	out := &SiteUser{ID: id, Name: cleanName(u.Name)}
	if strings.TrimSpace(u.Email) != "" {
		addr, err := domain.NormalizeEmail(u.Email)
		if err != nil {
			return nil, err
		}
		out.Email = addr
	}
	return out, nil
}

func language(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) >= 2 && contains(languages, s[:2]) {
		return s[:2]
	}
	return ""
}

// cleanName trims a display name to one line of at most 100 characters.
func cleanName(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }

// visitor returns the visitor holding token on ch.
func (a *Adapter) visitor(ctx context.Context, ch *domain.Channel, token string) (*store.WebchatVisitor, error) {
	if token == "" {
		return nil, ErrVisitor
	}
	v, err := a.store.WebchatVisitorByToken(ctx, ch.ID, secret.Hash(token))
	if isNotFound(err) || err == nil && a.now().UnixMilli()-v.SeenAt > TokenIdle.Milliseconds() {
		return nil, ErrVisitor
	}
	return v, err
}

// history returns the visible messages of conversations after message id
// after, oldest first.
func (a *Adapter) history(ctx context.Context, ch *domain.Channel, convs []*store.WebchatConversation, after int64) ([]MessageView, error) {
	byTicket := map[int64]int64{}
	var tickets []int64
	for _, c := range convs {
		if c.TicketID != 0 {
			byTicket[c.TicketID] = c.ID
			tickets = append(tickets, c.TicketID)
		}
	}
	msgs, err := a.store.WebchatMessages(ctx, ch.ID, tickets, after, MaxHistory)
	if err != nil {
		return nil, err
	}
	out := make([]MessageView, len(msgs))
	for i, m := range msgs {
		out[i] = a.view(ctx, m, byTicket[m.TicketID])
	}
	return out, nil
}

// History returns the visitor's messages after message id after, for a
// widget catching up without its socket.
func (a *Adapter) History(ctx context.Context, ch *domain.Channel, token string, after int64) ([]MessageView, []ConversationView, error) {
	v, err := a.visitor(ctx, ch, token)
	if err != nil {
		return nil, nil, err
	}
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := a.history(ctx, ch, convs, after)
	if err != nil {
		return nil, nil, err
	}
	views := make([]ConversationView, len(convs))
	for i, c := range convs {
		views[i] = viewConversation(c)
	}
	return msgs, views, nil
}

// ProfileRequest is the pre-chat form.
type ProfileRequest struct {
	Token string `json:"token"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// SetProfile stores the name and e-mail address a visitor typed. They are
// unverified: the name names a new contact, the address is kept on the
// contact as an attribute and never used to recognise a customer. Signed-in
// visitors keep what their site vouched for.
func (a *Adapter) SetProfile(ctx context.Context, ch *domain.Channel, req *ProfileRequest) (VisitorView, error) {
	v, err := a.visitor(ctx, ch, req.Token)
	if err != nil {
		return VisitorView{}, err
	}
	if v.UserID == "" {
		v.Name = cleanName(req.Name)
		v.Email = ""
		if strings.TrimSpace(req.Email) != "" {
			if v.Email, err = domain.NormalizeEmail(req.Email); err != nil {
				return VisitorView{}, err
			}
		}
	}
	v.SeenAt = a.now().UnixMilli()
	if err := a.store.UpdateWebchatVisitor(ctx, v); err != nil {
		return VisitorView{}, err
	}
	return VisitorView{Name: v.Name, Email: v.Email, Verified: v.UserID != "", Language: v.Language}, nil
}

// SendRequest is a visitor's message.
type SendRequest struct {
	Token string `json:"token"`
	// ClientID is the widget's id for this message, so that a retry after
	// a lost answer is not stored twice.
	ClientID string `json:"client_id"`
	Text     string `json:"text"`
	// QuickReply is the id of the bot's button the visitor clicked; Text
	// is then its label.
	QuickReply string `json:"quick_reply"`
	// NewConversation starts a new conversation instead of continuing the
	// latest one.
	NewConversation bool `json:"new_conversation"`
	// Page is the path of the site's page the visitor writes from; it
	// names an anonymous visitor for agents ("Visitor 4821 · /pricing").
	Page string `json:"page"`
	// Upload is a file sent with the message (multipart uploads).
	Upload *Upload `json:"-"`
}

// Upload is a file a visitor sends.
type Upload struct {
	Filename string
	Data     []byte
}

// Sent is the stored message and its conversation.
type Sent struct {
	Message      MessageView      `json:"message"`
	Conversation ConversationView `json:"conversation"`
}

// SendMessage stores a visitor's message through desk.Receive on the
// conversation's thread. Its sender is the visitor (web:<public id>); a
// signed-in visitor's site user id comes along as external:<id>, and its
// e-mail address when that is the signed id (see emailSigned), so the
// message lands on the existing customer.
func (a *Adapter) SendMessage(ctx context.Context, ch *domain.Channel, req *SendRequest) (*Sent, error) {
	v, err := a.visitor(ctx, ch, req.Token)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(req.Text)
	if utf8.RuneCountInString(text) > MaxTextRunes {
		return nil, domain.Invalid("too_long", fmt.Sprintf("a chat message is at most %d characters", MaxTextRunes))
	}
	if text == "" && req.Upload == nil {
		return nil, domain.Invalid("empty_message", "write a message or attach a file")
	}
	clientID := req.ClientID
	if clientID == "" {
		clientID = secret.Token("m")[2:26]
	}
	if len(clientID) > 64 || strings.IndexFunc(clientID, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return nil, domain.Invalid("invalid_client_id", "client_id must be at most 64 letters, digits, '-' or '_'")
	}
	in := &channel.Inbound{
		ChannelID:  ch.ID,
		ExternalID: "in-" + v.PublicID + "-" + clientID,
		From:       domain.Identity{Kind: domain.IdentityWeb, Value: v.PublicID},
		Name:       cmp.Or(v.Name, VisitorName(v.PublicID, req.Page)),
		Language:   v.Language,
		Text:       text,
	}
	if v.UserID != "" {
		in.Also = append(in.Also, domain.Identity{Kind: domain.IdentityExternal, Value: v.UserID})
		if emailSigned(v) {
			in.Also = append(in.Also, domain.Identity{Kind: domain.IdentityEmail, Value: v.Email})
		}
	}
	if req.QuickReply != "" {
		if len(req.QuickReply) > 100 || !utf8.ValidString(req.QuickReply) {
			return nil, domain.Invalid("invalid_quick_reply", "quick_reply must be at most 100 characters")
		}
		in.Meta, _ = json.Marshal(map[string]string{"quick_reply": req.QuickReply})
	}
	if req.Upload != nil {
		att, err := checkUpload(req.Upload)
		if err != nil {
			return nil, err
		}
		in.Attachments = []channel.Attachment{att}
	}
	conv, err := a.conversationFor(ctx, v, req.NewConversation)
	if err != nil {
		return nil, err
	}
	// A conversation is its thread: it never joins another ticket.
	in.Thread, in.Standalone = conv.ThreadKey, true
	r, err := a.desk.Receive(ctx, in)
	if err != nil {
		return nil, err
	}
	if v.Email != "" && !emailSigned(v) {
		if err := a.noteUnverifiedEmail(ctx, r.Contact.ID, v.Email); err != nil {
			a.log.Warn("webchat: keep unverified e-mail", "contact", r.Contact.ID, "err", err)
		}
	}
	conv.TicketID, conv.Status, conv.BotState = r.Ticket.ID, r.Ticket.Status, r.Ticket.BotState
	conv.LastCustomerAt, conv.LastAgentAt, conv.CSATScore = r.Ticket.LastCustomerAt, r.Ticket.LastAgentAt, r.Ticket.CSATScore
	return &Sent{Message: a.view(ctx, r.Message, conv.ID), Conversation: viewConversation(conv)}, nil
}

// emailSigned reports whether the visitor's e-mail address is vouched
// for. The site signs the user id only, so the address beside it is
// whatever the browser sent: a signed-in user could put anyone's address
// there. It identifies the customer only when the signed user id is that
// address; otherwise it is kept as unverified_email, like the pre-chat
// form's.
func emailSigned(v *store.WebchatVisitor) bool {
	if v.UserID == "" || v.Email == "" {
		return false
	}
	id, err := domain.NormalizeEmail(v.UserID)
	return err == nil && id == v.Email
}

// conversationFor returns the conversation a new message belongs to: the
// latest one, or a new one when asked, when there is none yet or when the
// latest ticket is closed.
func (a *Adapter) conversationFor(ctx context.Context, v *store.WebchatVisitor, fresh bool) (*store.WebchatConversation, error) {
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		return nil, err
	}
	if n := len(convs); n > 0 && !fresh {
		last := convs[n-1]
		// A conversation that never got a message is reused even when a
		// new one is asked for.
		if last.Status != domain.StatusClosed {
			return last, nil
		}
	} else if n > 0 && convs[n-1].TicketID == 0 {
		return convs[n-1], nil
	}
	c := &store.WebchatConversation{VisitorID: v.ID, ChannelID: v.ChannelID, ThreadKey: "wc-" + secret.Token("c")[2:34]}
	if err := a.store.CreateWebchatConversation(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// noteUnverifiedEmail keeps an address nobody vouched for (from the
// pre-chat form, or beside a signed user id) on the contact as the
// attribute unverified_email: agents see it and may write to it, but it
// never joins this contact to another one.
func (a *Adapter) noteUnverifiedEmail(ctx context.Context, contactID int64, email string) error {
	return a.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.Contact(ctx, contactID)
		if err != nil {
			return err
		}
		attrs := map[string]any{}
		if len(c.Attributes) > 0 {
			if err := json.Unmarshal(c.Attributes, &attrs); err != nil || attrs == nil {
				attrs = map[string]any{}
			}
		}
		if attrs["unverified_email"] == email {
			return nil
		}
		attrs["unverified_email"] = email
		c.Attributes, _ = json.Marshal(attrs)
		return tx.UpdateContact(ctx, c)
	})
}

// checkUpload enforces the size limit and the allowed types, judging the
// type by the content rather than by what the browser claims.
func checkUpload(u *Upload) (channel.Attachment, error) {
	if len(u.Data) == 0 {
		return channel.Attachment{}, domain.Invalid("empty_file", "the file is empty")
	}
	if len(u.Data) > MaxUploadBytes {
		return channel.Attachment{}, domain.Invalid("file_too_large", fmt.Sprintf("files can be at most %d MB", MaxUploadBytes>>20))
	}
	ct, _, _ := strings.Cut(http.DetectContentType(u.Data), ";")
	ext, ok := UploadTypes[ct]
	if !ok {
		return channel.Attachment{}, domain.Invalid("file_type", "send an image (PNG, JPEG, GIF, WebP), a PDF or a text file")
	}
	if ct == "text/plain" && !utf8.Valid(u.Data) {
		return channel.Attachment{}, domain.Invalid("file_type", "text files must be UTF-8")
	}
	name := cleanName(path.Base(strings.ReplaceAll(u.Filename, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "file" + ext
	}
	return channel.Attachment{Filename: name, ContentType: ct, Data: u.Data}, nil
}

// visibleMessage returns a message the visitor may see, with its
// conversation, or ErrNotFound.
func (a *Adapter) visibleMessage(ctx context.Context, ch *domain.Channel, v *store.WebchatVisitor, id int64) (*domain.Message, *store.WebchatConversation, error) {
	m, err := a.store.Message(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if visible(m, ch.ID) {
		convs, err := a.store.WebchatConversations(ctx, v)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range convs {
			if c.TicketID == m.TicketID {
				return m, c, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("message %d: %w", id, domain.ErrNotFound)
}

// Attachment opens a file of a message the visitor may see.
func (a *Adapter) Attachment(ctx context.Context, ch *domain.Channel, token string, id int64) (*domain.Attachment, io.ReadSeekCloser, int64, error) {
	v, err := a.visitor(ctx, ch, token)
	if err != nil {
		return nil, nil, 0, err
	}
	att, err := a.store.Attachment(ctx, id)
	if err != nil {
		return nil, nil, 0, err
	}
	m, _, err := a.visibleMessage(ctx, ch, v, att.MessageID)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("attachment %d: %w", id, domain.ErrNotFound)
	}
	f, err := a.blobs.Open(ctx, att.SHA256)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("attachment %d: %w", id, err)
	}
	return att, f, m.CreatedAt, nil
}

// RateRequest is a visitor's rating of a solved conversation.
type RateRequest struct {
	Token          string `json:"token"`
	ConversationID int64  `json:"conversation_id"`
	Score          int    `json:"score"`
	Comment        string `json:"comment"`
}

// Rate records the visitor's satisfaction with one of their conversations.
func (a *Adapter) Rate(ctx context.Context, ch *domain.Channel, req *RateRequest) (ConversationView, error) {
	v, err := a.visitor(ctx, ch, req.Token)
	if err != nil {
		return ConversationView{}, err
	}
	convs, err := a.store.WebchatConversations(ctx, v)
	if err != nil {
		return ConversationView{}, err
	}
	for _, c := range convs {
		if c.ID != req.ConversationID || c.TicketID == 0 {
			continue
		}
		t, err := a.desk.RateTicket(ctx, c.TicketID, req.Score, req.Comment)
		if err != nil {
			return ConversationView{}, err
		}
		c.CSATScore, c.Status = t.CSATScore, t.Status
		return viewConversation(c), nil
	}
	return ConversationView{}, fmt.Errorf("conversation %d: %w", req.ConversationID, domain.ErrNotFound)
}

// markDelivery records that the visitor's widget received (delivered) or
// showed (read) replies.
func (a *Adapter) markDelivery(ctx context.Context, ch *domain.Channel, v *store.WebchatVisitor, ids []int64, status domain.DeliveryStatus) {
	for _, id := range ids {
		m, _, err := a.visibleMessage(ctx, ch, v, id)
		if err != nil || m.Direction != domain.DirectionOut || m.ExternalID == "" || m.DeliveryStatus.Merge(status) == m.DeliveryStatus {
			continue
		}
		if err := a.desk.UpdateDelivery(ctx, ch.ID, m.ExternalID, status, ""); err != nil {
			a.log.Warn("webchat: delivery report", "message", id, "err", err)
		}
	}
}
