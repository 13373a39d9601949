// Package bot is the FAQ bot: on channels where it is switched on it
// answers a new conversation's customer with knowledge-base articles
// (search first, then guided browsing through the category tree), asks
// whether an answer helped, and hands the conversation to the team's queue
// with a summary when the customer asks for a person, when its answers do
// not help twice, or when it has no good answer. Where the channel names a
// telephone channel for callbacks (callback_channel_id), its handover also
// offers to have the customer called back, and it takes the number and a
// preferred time. It acts only through the desk (Send, UpdateTicket,
// RequestCallback), like an agent would, on any channel; it never pretends
// to be a person and always offers one.
//
// The conversation's state lives in the bot's own messages (their meta),
// so the bot keeps nothing in memory between messages and any node can
// answer the next one.
package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/store"
)

// Desk is what the bot does to tickets: send messages and notes (with
// author type bot and the meta that carries the quick replies and the
// conversation's state), change the ticket and record a customer's
// request to be called back. *desk.Desk is one.
type Desk interface {
	Send(ctx context.Context, out *desk.Outgoing) (*domain.Message, error)
	UpdateTicket(ctx context.Context, ticketID, actorID int64, ch desk.TicketChange) (*domain.Ticket, error)
	RequestCallback(ctx context.Context, channelID int64, r channel.CallbackRequest) (*domain.Call, error)
}

// Waits estimates how long a handed-over conversation waits for a person;
// the routing dispatcher provides it. Staffed is false when no online
// agent of the team can take that kind of work.
type Waits interface {
	EstimatedWait(teamID int64, kind string) (wait time.Duration, staffed bool)
}

// Question is what a customer asked, in their language.
type Question struct {
	TicketID int64
	Language string
	Text     string
}

// Answerer finds what may answer a question, best first. The knowledge
// base search is one; an answerer backed by a language model can take its
// place.
type Answerer interface {
	Answer(ctx context.Context, q Question) ([]domain.ArticleHit, error)
}

// KBAnswerer answers from the published knowledge-base articles.
type KBAnswerer struct{ Store *store.Store }

// Answer searches the articles in the question's language.
func (a KBAnswerer) Answer(ctx context.Context, q Question) ([]domain.ArticleHit, error) {
	return a.Store.SearchArticles(ctx, domain.ArticleQuery{Text: q.Text, Language: q.Language, Limit: maxOffers + 3})
}

// Config wires a Bot.
type Config struct {
	Store *store.Store
	// Answerer finds articles; nil searches the knowledge base in Store.
	Answerer Answerer
	// BaseURL is the public address that article links start with.
	BaseURL string
	Log     *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Channels tell what each channel kind can carry: quick replies go
	// out as buttons where the kind has them (channel.Capabilities),
	// elsewhere as a numbered list in the text. Nil: lists everywhere.
	Channels *channel.Registry
	// Hours serves business hours; nil makes one of the Bot's own that
	// hears of no changes (they reach it within hours.DefaultTTL).
	Hours *hours.Service
}

// queueSize bounds the events waiting for the bot; beyond it events are
// dropped with a warning rather than slowing the desk down, and the sweep
// answers them later.
const queueSize = 4096

// The sweep: every sweepEvery, and when Run starts, the bot answers the
// customers on its tickets whose latest message has waited longer than
// sweepAfter (dropped from a full queue, queued on a node that stopped,
// or failed). The wait leaves messages that another node is answering
// right now to that node.
const (
	sweepEvery = time.Minute
	sweepAfter = 30 * time.Second
	sweepBatch = 100
)

// Bot answers customers. Publish feeds it events; Run works them off.
type Bot struct {
	store    *store.Store
	answerer Answerer
	base     string
	log      *slog.Logger
	now      func() time.Time
	channels *channel.Registry

	queue    chan domain.Event
	stop     chan struct{}
	stopOnce sync.Once
	running  sync.Mutex // held by Run
	hours    *hours.Service
}

// New returns a Bot; start it with Run.
func New(cfg Config) *Bot {
	b := &Bot{store: cfg.Store, answerer: cfg.Answerer, base: cfg.BaseURL, log: cfg.Log, now: cfg.Now, channels: cfg.Channels,
		hours: cfg.Hours, queue: make(chan domain.Event, queueSize), stop: make(chan struct{})}
	if b.answerer == nil {
		b.answerer = KBAnswerer{Store: cfg.Store}
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.hours == nil {
		b.hours = hours.New(hours.Config{Store: cfg.Store})
	}
	return b
}

// buttons reports whether channels of kind show quick replies as buttons.
func (b *Bot) buttons(kind string) bool {
	return b.channels != nil && b.channels.Capabilities(kind).Buttons
}

// Publish takes the desk's events after they are committed and queues the
// customers' messages for Run, without ever blocking the desk.
func (b *Bot) Publish(events ...domain.Event) {
	for _, ev := range events {
		if !isCustomerMessage(ev) {
			continue
		}
		select {
		case b.queue <- ev:
		default:
			b.log.Warn("bot queue full; the sweep answers the message later", "ticket", ev.TicketID, "message", ev.MessageID)
		}
	}
}

func isCustomerMessage(ev domain.Event) bool {
	m := ev.Message
	return ev.Type == domain.EventMessageCreated && m != nil && m.Kind == domain.KindMessage &&
		m.Direction == domain.DirectionIn && m.AuthorType == domain.AuthorContact
}

// Env is what the bot acts through; it exists only once the desk and the
// router run, which in turn take the bot's Publish and Active.
type Env struct {
	Desk Desk
	// Waits tells the expected wait at handover; nil says none.
	Waits Waits
	// Sweeps reports whether this node sweeps for unanswered customers;
	// with several nodes only one should (the routing leader), or a
	// customer may be answered twice. Nil: this node always does.
	Sweeps func() bool
}

// Run answers queued messages through env until ctx ends or Close is
// called; Close lets it finish what is queued first. It sweeps for
// unanswered customers when it starts and every sweepEvery.
func (b *Bot) Run(ctx context.Context, env Env) {
	b.running.Lock()
	defer b.running.Unlock()
	b.sweep(ctx, env)
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-b.queue:
			b.handleLogged(ctx, env, ev.Message)
		case <-tick.C:
			b.sweep(ctx, env)
		case <-b.stop:
			for {
				select {
				case ev := <-b.queue:
					b.handleLogged(ctx, env, ev.Message)
				default:
					return
				}
			}
		}
	}
}

// sweep answers the customer messages on the bot's tickets that are
// still unanswered sweepAfter after they arrived.
func (b *Bot) sweep(ctx context.Context, env Env) {
	if env.Sweeps != nil && !env.Sweeps() {
		return
	}
	pending, err := b.store.BotPendingMessages(ctx, b.now().Add(-sweepAfter).UnixMilli(), sweepBatch)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("bot sweep", "err", err)
		}
		return
	}
	for _, m := range pending {
		b.handleLogged(ctx, env, m)
	}
}

// Close stops Run after the queued messages are answered. A Run that
// starts after Close answers what is queued and returns at once.
func (b *Bot) Close() {
	b.stopOnce.Do(func() { close(b.stop) })
	b.running.Lock()
	defer b.running.Unlock()
}

func (b *Bot) handleLogged(ctx context.Context, env Env, m *domain.Message) {
	if err := b.Handle(ctx, env, m); err != nil && ctx.Err() == nil {
		b.log.Error("bot", "ticket", m.TicketID, "message", m.ID, "err", err)
	}
}

// QuickReply is one choice the bot offers.
type QuickReply struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// state is what the bot remembers of a conversation, kept in the meta of
// its messages next to the quick replies.
type state struct {
	Step      string  `json:"step"`               // what the message did: one of the step constants
	Lang      string  `json:"lang"`               // the conversation's language
	Question  string  `json:"question,omitempty"` // the customer's question being answered
	Article   int64   `json:"article,omitempty"`  // the article shown (step article)
	Shown     []int64 `json:"shown,omitempty"`    // articles shown so far
	Offered   []int64 `json:"offered,omitempty"`  // articles offered so far
	NotHelped int     `json:"not_helped,omitempty"`
	Number    string  `json:"number,omitempty"` // the number to call back (step callback_time)
}

type botMeta struct {
	QuickReplies []QuickReply `json:"quick_replies,omitempty"`
	Bot          *state       `json:"bot,omitempty"`
}

func metaOf(m *domain.Message) botMeta {
	var bm botMeta
	if len(m.Meta) > 0 {
		json.Unmarshal(m.Meta, &bm)
	}
	return bm
}
