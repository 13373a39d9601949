package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb"
	"loket.dev/loket/internal/lang"
	"loket.dev/loket/internal/sanitize"
)

// Conversation limits.
const (
	maxOffers     = 3   // articles offered at once
	maxBrowse     = 8   // categories and articles listed while browsing
	shortArticle  = 600 // bodies up to this many characters are sent whole
	handoverAfter = 2   // "did not help" answers before a person takes over
	offerScore    = 0.35
)

// Quick-reply ids.
const (
	replyPerson = "person"
	replyBrowse = "browse"
	replyYes    = "yes"
	replyNo     = "no"
	// replyCallback asks to be called back; "callback:" plus a
	// callbackTimes key picks the time.
	replyCallback = "callback"
)

// Steps: what a bot message did, kept in its state.
const (
	stepAsk      = "ask"
	stepOffer    = "offer"
	stepArticle  = "article"
	stepBrowse   = "browse"
	stepResolved = "resolved"
	stepHandover = "handover"
	// After a handover, while the customer asks to be called back.
	stepCallbackNumber = "callback_number"
	stepCallbackTime   = "callback_time"
	stepCallbackDone   = "callback_done"
)

// Handover reasons, for the agent's summary.
const (
	reasonAsked     = "asked"
	reasonNotHelped = "not_helped"
	reasonNoAnswer  = "no_answer"
)

// conversation is one customer message being answered.
type conversation struct {
	b       *Bot
	d       Desk
	waits   Waits
	t       *domain.Ticket
	ch      *domain.Channel
	lang    string
	history []*domain.Message
	st      state // from the bot's latest message; the next one carries it on
	replies []QuickReply
	started bool // the bot has spoken before
	agent   bool // an agent wrote since the bot's latest message
}

// historySize is how much of a ticket's timeline the bot reads: its own
// latest state and what the customer wrote since.
const historySize = 200

// Handle answers the customer message m when the bot holds its ticket, or
// when it handed the ticket over and the customer is asking to be called
// back. Other messages on tickets the bot does not hold are left alone, and
// so are messages it has answered already. Customer messages that arrived
// together (typed in quick succession, or waiting since a restart) get
// one answer together.
func (b *Bot) Handle(ctx context.Context, env Env, m *domain.Message) error {
	if err := b.handle(ctx, env, m); err != nil {
		return fmt.Errorf("answer message %d on ticket %d: %w", m.ID, m.TicketID, err)
	}
	return nil
}

func (b *Bot) handle(ctx context.Context, env Env, m *domain.Message) error {
	t, err := b.store.Ticket(ctx, m.TicketID)
	if err != nil {
		return err
	}
	if t.BotState != domain.BotActive && t.BotState != domain.BotHandedOver {
		return nil
	}
	chID := m.ChannelID
	if chID == 0 {
		chID = t.ChannelID
	}
	ch, err := b.store.Channel(ctx, chID)
	if err != nil {
		return err
	}
	if t.BotState == domain.BotHandedOver && callbackChannel(ch) == 0 {
		return nil // handed over for good: nothing more for the bot to take
	}
	history, _, err := b.store.LastMessages(ctx, t.ID, historySize)
	if err != nil {
		return err
	}
	c := &conversation{b: b, d: env.Desk, waits: env.Waits, t: t, ch: ch, history: history}
	pending := c.resume()
	if !slices.ContainsFunc(pending, func(p *domain.Message) bool { return p.ID == m.ID }) {
		return nil
	}
	if t.BotState == domain.BotHandedOver {
		if !c.callingBack(pending) {
			return nil
		}
		return c.callback(ctx, pending[len(pending)-1])
	}
	if err := c.language(ctx, pending); err != nil {
		return err
	}
	return c.answer(ctx, pending)
}

// resume picks up the state of the bot's latest message and returns the
// customer messages that came after it, which the bot has yet to answer.
func (c *conversation) resume() []*domain.Message {
	var pending []*domain.Message
	for i := len(c.history) - 1; i >= 0; i-- {
		h := c.history[i]
		if h.AuthorType == domain.AuthorBot && h.Direction == domain.DirectionOut {
			if bm := metaOf(h); bm.Bot != nil {
				c.st, c.replies, c.started = *bm.Bot, bm.QuickReplies, true
				break
			}
		}
		c.agent = c.agent || (h.AuthorType == domain.AuthorAgent && h.Kind == domain.KindMessage && h.Direction == domain.DirectionOut)
		if h.Kind == domain.KindMessage && h.Direction == domain.DirectionIn && h.AuthorType == domain.AuthorContact {
			pending = append(pending, h)
		}
	}
	slices.Reverse(pending)
	return pending
}

// language settles the conversation's language: the one the customer
// clearly writes in now, else the one it started in, else the contact's
// (which may be only the language of the page the chat is on), else a
// guess from the text.
func (c *conversation) language(ctx context.Context, pending []*domain.Message) error {
	if c.lang = kb.Language(lang.Detect(texts(pending))); c.lang != "" {
		c.st.Lang = c.lang
		return nil
	}
	if c.lang = c.st.Lang; c.lang != "" {
		return nil
	}
	contact, err := c.b.store.Contact(ctx, c.t.ContactID)
	if err != nil {
		return err
	}
	if c.lang = kb.Language(contact.Language); c.lang == "" {
		c.lang = kb.DetectLanguage(texts(pending), "en")
	}
	c.st.Lang = c.lang
	return nil
}

// texts joins the messages' texts, one a line.
func texts(msgs []*domain.Message) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return strings.Join(out, "\n")
}

// answer decides what the customer's unanswered messages ask for: a
// person when any of them does, else the choice the latest one makes,
// else what their free text asks.
func (c *conversation) answer(ctx context.Context, pending []*domain.Message) error {
	var free []*domain.Message
	latest := ""
	for _, m := range pending {
		choice := c.choice(m)
		if choice == replyPerson || (choice == "" && wantsPerson(m.Text)) {
			return c.handover(ctx, reasonAsked)
		}
		if choice == "" {
			free = append(free, m)
		}
		latest = choice
	}
	switch {
	case latest == replyYes:
		return c.resolve(ctx)
	case latest == replyNo:
		return c.notHelped(ctx)
	case latest == replyBrowse:
		return c.browse(ctx, 0)
	case strings.HasPrefix(latest, "category:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(latest, "category:"), 10, 64)
		return c.browse(ctx, id)
	case strings.HasPrefix(latest, "article:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(latest, "article:"), 10, 64)
		return c.showArticle(ctx, id)
	}
	return c.question(ctx, texts(free))
}

// choice is the quick reply the customer picked: a button's id, the
// number of a listed choice, or a label typed out; "" for free text.
func (c *conversation) choice(m *domain.Message) string {
	var in struct {
		QuickReply string `json:"quick_reply"`
	}
	if len(m.Meta) > 0 && json.Unmarshal(m.Meta, &in) == nil && in.QuickReply != "" {
		return in.QuickReply
	}
	text := strings.TrimRight(strings.TrimSpace(m.Text), ".)")
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(c.replies) {
		return c.replies[n-1].ID
	}
	for _, r := range c.replies {
		if kb.Fold(strings.TrimSpace(m.Text)) == kb.Fold(r.Label) {
			return r.ID
		}
	}
	return ""
}

// question searches for what the customer wrote and offers the best
// articles, or hands over when nothing answers well.
func (c *conversation) question(ctx context.Context, text string) error {
	if len(kb.QueryTerms(c.lang, text)) == 0 && c.st.Step != stepAsk {
		return c.ask(ctx)
	}
	hits, err := c.b.answerer.Answer(ctx, Question{TicketID: c.t.ID, Language: c.lang, Text: text})
	if err != nil {
		return err
	}
	if kb.Weak(hits) {
		return c.handover(ctx, reasonNoAnswer)
	}
	c.st.Question = text
	return c.offer(ctx, c.greeted(c.say("offer")), hits)
}

// ask answers a message without a question in it ("hello", "?") by asking
// for the question once; a second such message goes to a person.
func (c *conversation) ask(ctx context.Context) error {
	c.st.Step = stepAsk
	return c.send(ctx, c.greeted(c.say("ask")), []QuickReply{{ID: replyBrowse, Label: c.say("browse")}})
}

// greeted puts the greeting before text when the bot has not spoken yet.
func (c *conversation) greeted(text string) string {
	if c.started {
		return text
	}
	return c.say("greeting") + "\n\n" + text
}

// offer sends articles as choices, with browsing and a person.
func (c *conversation) offer(ctx context.Context, text string, hits []domain.ArticleHit) error {
	var replies []QuickReply
	for _, h := range hits {
		if len(replies) == maxOffers || h.Score < offerScore {
			break
		}
		replies = append(replies, QuickReply{ID: fmt.Sprintf("article:%d", h.Article.ID), Label: h.Article.Title})
		if !slices.Contains(c.st.Offered, h.Article.ID) {
			c.st.Offered = append(c.st.Offered, h.Article.ID)
		}
	}
	replies = append(replies, QuickReply{ID: replyBrowse, Label: c.say("browse")})
	c.st.Step = stepOffer
	return c.send(ctx, text, replies)
}

// showArticle sends an article's summary and link (the whole text when it
// is short) and asks whether it helped.
func (c *conversation) showArticle(ctx context.Context, id int64) error {
	a, err := c.b.store.Article(ctx, id)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && a.Status != domain.ArticlePublished) {
		// An article deleted or unpublished since it was offered: show
		// the topics.
		return c.browse(ctx, 0)
	}
	if err != nil {
		return err
	}
	// The text is plain for channels without markup; the HTML keeps the
	// article's formatting and makes "Read more" a link.
	var b, h strings.Builder
	url := c.b.base + a.Path()
	b.WriteString(a.Title)
	h.WriteString("<p><strong>" + html.EscapeString(a.Title) + "</strong></p>")
	if a.Summary != "" {
		b.WriteString("\n\n" + kb.PlainText(a.Summary))
		h.WriteString(kb.RenderHTML(a.Summary))
	}
	if body := kb.PlainText(a.Body); body != "" && utf8.RuneCountInString(body) <= shortArticle {
		b.WriteString("\n\n" + body)
		h.WriteString(kb.RenderHTML(a.Body))
	}
	b.WriteString("\n\n" + c.say("read_more") + " " + url)
	fmt.Fprintf(&h, `<p><a href="%s">%s</a></p>`, html.EscapeString(url), html.EscapeString(strings.TrimSuffix(c.say("read_more"), ":")))
	b.WriteString("\n\n" + c.say("helped?"))
	h.WriteString("<p>" + html.EscapeString(c.say("helped?")) + "</p>")
	c.st.Step, c.st.Article = stepArticle, a.ID
	if !slices.Contains(c.st.Shown, a.ID) {
		c.st.Shown = append(c.st.Shown, a.ID)
	}
	replies := []QuickReply{{ID: replyYes, Label: c.say("yes")}, {ID: replyNo, Label: c.say("no")}, {ID: replyPerson, Label: c.say("person")}}
	return c.sendHTML(ctx, b.String(), h.String(), replies)
}

// browse lists the subcategories and articles of a category (0: the top
// of the tree) so the customer can click down to their question.
func (c *conversation) browse(ctx context.Context, categoryID int64) error {
	cats, err := c.b.store.KBCategories(ctx)
	if err != nil {
		return err
	}
	var replies []QuickReply
	title := ""
	for _, cat := range cats {
		if cat.ID == categoryID {
			title = cat.Name(c.lang)
		}
		if cat.ParentID == categoryID && len(replies) < maxBrowse {
			replies = append(replies, QuickReply{ID: fmt.Sprintf("category:%d", cat.ID), Label: cat.Name(c.lang)})
		}
	}
	if categoryID != 0 {
		articles, err := c.b.store.Articles(ctx, domain.ArticleFilter{Language: c.lang, CategoryID: categoryID, Status: domain.ArticlePublished, Limit: maxBrowse})
		if err != nil {
			return err
		}
		for _, a := range articles {
			if len(replies) < maxBrowse {
				replies = append(replies, QuickReply{ID: fmt.Sprintf("article:%d", a.ID), Label: a.Title})
			}
		}
		replies = append(replies, QuickReply{ID: replyBrowse, Label: c.say("all_topics")})
	}
	text := c.say("choose_topic")
	if title != "" {
		text = title + ": " + c.say("choose_in_topic")
	}
	if len(replies) == 0 {
		text = c.say("no_topics")
	}
	c.st.Step = stepBrowse
	return c.send(ctx, text, replies)
}

// notHelped answers "no": other articles for the same question, or a
// person after the second time.
func (c *conversation) notHelped(ctx context.Context) error {
	c.st.NotHelped++
	if c.st.NotHelped >= handoverAfter {
		return c.handover(ctx, reasonNotHelped)
	}
	var others []domain.ArticleHit
	if c.st.Question != "" {
		hits, err := c.b.answerer.Answer(ctx, Question{TicketID: c.t.ID, Language: c.lang, Text: c.st.Question})
		if err != nil {
			return err
		}
		for _, h := range hits {
			if !slices.Contains(c.st.Shown, h.Article.ID) {
				others = append(others, h)
			}
		}
	}
	return c.offer(ctx, c.say("sorry"), others)
}

// resolve thanks the customer and marks the ticket solved by the bot.
func (c *conversation) resolve(ctx context.Context) error {
	c.st.Step = stepResolved
	if err := c.send(ctx, c.say("glad"), nil); err != nil {
		return err
	}
	state, status := domain.BotResolved, domain.StatusSolved
	_, err := c.d.UpdateTicket(ctx, c.t.ID, 0, desk.TicketChange{BotState: &state, Status: &status})
	return err
}

// handover gives the conversation to the team's queue with a summary for
// the agent, and tells the customer what to expect.
func (c *conversation) handover(ctx context.Context, reason string) error {
	state, status := domain.BotHandedOver, domain.StatusOpen
	if _, err := c.d.UpdateTicket(ctx, c.t.ID, 0, desk.TicketChange{BotState: &state, Status: &status}); err != nil {
		return err
	}
	summary := c.summary(ctx, reason)
	if _, err := c.d.Send(ctx, &desk.Outgoing{TicketID: c.t.ID, Note: true, Text: summary, AuthorType: domain.AuthorBot}); err != nil {
		return err
	}
	c.st.Step = stepHandover
	var replies []QuickReply
	if callbackChannel(c.ch) != 0 {
		replies = []QuickReply{{ID: replyCallback, Label: c.say("callback")}}
	}
	return c.sendOnly(ctx, c.say("handover")+" "+c.waitText(), replies)
}

// summary is one line for the agent: why the bot handed over, what the
// customer asked and what the bot showed.
func (c *conversation) summary(ctx context.Context, reason string) string {
	var b strings.Builder
	b.WriteString("FAQ bot handover: ")
	switch reason {
	case reasonAsked:
		b.WriteString("the customer asked for a person.")
	case reasonNotHelped:
		fmt.Fprintf(&b, "the answers did not help (%d×).", c.st.NotHelped)
	default:
		b.WriteString("no good answer in the knowledge base.")
	}
	question := c.st.Question
	if question == "" {
		for _, m := range c.history {
			if m.Direction == domain.DirectionIn && m.Kind == domain.KindMessage && c.choice(m) == "" {
				question = m.Text
				break
			}
		}
	}
	if question != "" {
		fmt.Fprintf(&b, " Question: “%s”.", kb.Truncate(strings.Join(strings.Fields(question), " "), 160))
	}
	titles := func(ids []int64) string {
		var out []string
		for _, id := range ids {
			if a, err := c.b.store.Article(ctx, id); err == nil {
				out = append(out, a.Title)
			} else {
				out = append(out, fmt.Sprintf("#%d", id))
			}
		}
		return strings.Join(out, "; ")
	}
	if len(c.st.Offered) > 0 {
		b.WriteString(" Offered: " + titles(c.st.Offered) + ".")
	}
	if len(c.st.Shown) > 0 {
		b.WriteString(" Read: " + titles(c.st.Shown) + ".")
	}
	fmt.Fprintf(&b, " Language: %s.", c.lang)
	return b.String()
}

// waitText tells the customer how long a person takes: the estimate
// while the team is staffed, when the team is back when it is closed.
func (c *conversation) waitText() string {
	if c.waits != nil {
		if wait, staffed := c.waits.EstimatedWait(c.t.TeamID, c.ch.Kind); staffed {
			minutes := int(math.Ceil(wait.Minutes()))
			if minutes <= 1 {
				return c.say("wait_short")
			}
			return fmt.Sprintf(c.say("wait_minutes"), minutes)
		}
	}
	now := c.b.now()
	if cal := c.b.calendar(c.ch); cal != nil && !cal.IsOpen(now) {
		if next := cal.NextOpen(now); !next.IsZero() {
			return fmt.Sprintf(c.say("back_at"), formatWhen(c.lang, next.In(cal.Location()), now.In(cal.Location())))
		}
	}
	return c.say("wait_unknown")
}

// send sends a bot message that also offers a person.
func (c *conversation) send(ctx context.Context, text string, replies []QuickReply) error {
	return c.sendOnly(ctx, text, append(replies, QuickReply{ID: replyPerson, Label: c.say("person")}))
}

// sendOnly sends a bot message with exactly these choices.
func (c *conversation) sendOnly(ctx context.Context, text string, replies []QuickReply) error {
	return c.sendHTML(ctx, text, "", replies)
}

// sendHTML sends a bot message with exactly these choices and, when
// htmlBody is set, its formatted version (sanitised here). Channels
// without buttons get the choices as a numbered list.
func (c *conversation) sendHTML(ctx context.Context, text, htmlBody string, replies []QuickReply) error {
	if len(replies) > 0 && !c.b.buttons(c.ch.Kind) {
		var b strings.Builder
		b.WriteString(text + "\n")
		for i, r := range replies {
			fmt.Fprintf(&b, "\n%d. %s", i+1, r.Label)
		}
		b.WriteString("\n\n" + c.say("reply_number"))
		text = b.String()
		if htmlBody != "" {
			var h strings.Builder
			h.WriteString(htmlBody + "<ol>")
			for _, r := range replies {
				h.WriteString("<li>" + html.EscapeString(r.Label) + "</li>")
			}
			h.WriteString("</ol><p>" + html.EscapeString(c.say("reply_number")) + "</p>")
			htmlBody = h.String()
		}
	}
	st := c.st
	meta, err := json.Marshal(botMeta{QuickReplies: replies, Bot: &st})
	if err != nil {
		return err
	}
	_, err = c.d.Send(ctx, &desk.Outgoing{TicketID: c.t.ID, Text: text, HTML: sanitize.HTML(htmlBody), Meta: meta, AuthorType: domain.AuthorBot})
	return err
}

// say returns the bot's words for key in the conversation's language.
func (c *conversation) say(key string) string { return sayIn(c.lang, key) }

// sayIn returns the bot's words for key in lang, or else in English.
func sayIn(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	return messages["en"][key]
}

// wantsPerson recognises a customer asking for a person in English,
// Dutch or German.
func wantsPerson(text string) bool {
	words := kb.Words(text)
	for _, w := range words {
		if personWords[w] {
			return true
		}
	}
	joined := " " + strings.Join(words, " ") + " "
	for _, p := range personPhrases {
		if strings.Contains(joined, " "+p+" ") {
			return true
		}
	}
	return false
}

var personWords = map[string]bool{
	"human": true, "person": true, "agent": true, "representative": true, "operator": true, "someone": true, "somebody": true,
	"medewerker": true, "mens": true, "persoon": true, "iemand": true, "klantenservicemedewerker": true,
	"mitarbeiter": true, "mitarbeiterin": true, "mensch": true, "berater": true, "beraterin": true, "jemand": true, "jemanden": true,
	"kundenberater": true,
}

var personPhrases = []string{"real person", "talk to a", "speak to a", "live chat", "echt iemand", "met iemand", "echten menschen"}
