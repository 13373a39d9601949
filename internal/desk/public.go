package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/pii"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// Timeline events of public conversations.
const (
	EventMessageModerated = "message.moderated"
	EventTakenPrivate     = "ticket.taken_private"
)

// publicReply reports whether a reply on t by ch is seen by anyone: the
// ticket is a public post's and the reply goes by that post's channel.
func publicReply(t *domain.Ticket, ch *domain.Channel, caps channel.Capabilities) bool {
	return t.Public && caps.Public && ch.ID == t.ChannelID
}

// approvalOn reports whether public replies on ch wait for a second
// person: they do unless the channel turned that off.
func approvalOn(ch *domain.Channel) bool { return ch.Approval != domain.ApprovalOff }

// MayApprove reports whether an agent may approve replies on ch: the
// channel's named approvers, or with none named, supervisors; admins
// always may.
func MayApprove(ch *domain.Channel, agentID int64, role domain.Role) bool {
	if role == domain.RoleAdmin {
		return true
	}
	if ch != nil && len(ch.Approvers) > 0 {
		return slices.Contains(ch.Approvers, agentID)
	}
	return role == domain.RoleSupervisor
}

// personalData refuses an agent's public reply that holds personal data
// the agent has not confirmed (Outgoing.Checked).
func personalData(out *Outgoing) error {
	if out.Checked || out.AuthorType != domain.AuthorAgent {
		return nil
	}
	found := pii.Find(out.Text)
	if len(found) == 0 {
		return nil
	}
	kinds := make([]string, 0, len(found))
	for _, f := range found {
		k := strings.ReplaceAll(string(f.Kind), "_", " ")
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return domain.Invalid("personal_data", fmt.Sprintf("this reply is public and seems to hold personal data (%s); remove it, or confirm with checked", strings.Join(kinds, ", ")))
}

// PublicCheck is what the composer shows before a reply: whether it is
// public and needs approval, the personal data it seems to hold, its
// length against the channel's limit and the team's tone guide.
type PublicCheck struct {
	Public       bool          `json:"public"`
	Approval     bool          `json:"approval"`
	Findings     []pii.Finding `json:"findings"`
	Length       int           `json:"length"`
	MaxLength    int           `json:"max_length"`
	ToneGuideURL string        `json:"tone_guide_url"`
}

// CheckReply checks a reply's text on t by channelID (0: the ticket's
// channel) before it is sent.
func (d *Desk) CheckReply(ctx context.Context, t *domain.Ticket, channelID int64, text string) (*PublicCheck, error) {
	if channelID == 0 {
		channelID = t.ChannelID
	}
	res := &PublicCheck{Findings: []pii.Finding{}, Length: len([]rune(text))}
	if channelID == 0 {
		return res, nil
	}
	ch, err := d.store.Channel(ctx, channelID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Invalid("unknown_channel", fmt.Sprintf("channel %d does not exist", channelID))
	} else if err != nil {
		return nil, err
	}
	caps := d.channels.Capabilities(ch.Kind)
	res.MaxLength = caps.MaxLength
	res.Public = publicReply(t, ch, caps)
	if res.Public {
		res.Approval = approvalOn(ch)
		res.Findings = append(res.Findings, pii.Find(text)...)
		res.ToneGuideURL = ch.ToneGuideURL
	}
	return res, nil
}

// privateReplyTo is the public post a message answers privately.
func privateReplyTo(m *domain.Message) string {
	if len(m.Meta) == 0 {
		return ""
	}
	var meta struct {
		PrivateReplyTo string `json:"private_reply_to"`
	}
	if json.Unmarshal(m.Meta, &meta) != nil {
		return ""
	}
	return meta.PrivateReplyTo
}

// Moderate hides, shows again or deletes a customer's public post on its
// site, through the channel's adapter, and records it on the timeline.
func (d *Desk) Moderate(ctx context.Context, messageID, agentID int64, agent string, action domain.Moderation) (*domain.Message, error) {
	if !action.Valid() {
		return nil, domain.Invalid("invalid_action", fmt.Sprintf("unknown moderation %q: hide, unhide or delete", action))
	}
	m, err := d.store.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if m.Public == nil || m.Direction != domain.DirectionIn || m.ExternalID == "" {
		return nil, domain.Invalid("not_public", "only a customer's public post can be moderated")
	}
	if m.Public.Deleted {
		return nil, domain.Invalid("deleted", "this post was deleted from the site")
	}
	ch, err := d.store.Channel(ctx, m.ChannelID)
	if err != nil {
		return nil, err
	}
	a, err := d.channels.Adapter(ch.Kind)
	if err != nil {
		return nil, err
	}
	mod, ok := a.(channel.Moderator)
	if !ok || !slices.Contains(d.channels.Capabilities(ch.Kind).Moderation, action) {
		return nil, domain.Invalid("moderation_unsupported", fmt.Sprintf("%s channels cannot %s posts", ch.Kind, action))
	}
	if err := mod.Moderate(ctx, ch, m.ExternalID, action); err != nil {
		return nil, fmt.Errorf("%s post %s on channel %d: %w", action, m.ExternalID, ch.ID, err)
	}
	var events []domain.Event
	err = d.store.Tx(ctx, func(tx *store.Store) error {
		if m, err = tx.Message(ctx, messageID); err != nil {
			return err
		}
		switch action {
		case domain.ModerationHide:
			m.Public.Hidden = true
		case domain.ModerationUnhide:
			m.Public.Hidden = false
		case domain.ModerationDelete:
			m.Public.Deleted = true
		}
		if err := tx.SetMessagePublic(ctx, m.ID, m.Public); err != nil {
			return err
		}
		t, err := tx.Ticket(ctx, m.TicketID)
		if err != nil {
			return err
		}
		text := map[domain.Moderation]string{
			domain.ModerationHide:   "Post hidden on the site by ",
			domain.ModerationUnhide: "Post shown again on the site by ",
			domain.ModerationDelete: "Post deleted from the site by ",
		}[action] + agent
		entry, err := timelineEvent(ctx, tx, t, agentID, text, EventMessageModerated,
			map[string]any{"message_id": m.ID, "action": string(action), "agent": agent}, d.now())
		if err != nil {
			return err
		}
		events = []domain.Event{with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageUpdated, nil, m), entry}
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("record %s of message %d: %w", action, messageID, err)
	}
	d.publish(ctx, events)
	return m, nil
}

// TakePrivate is an agent's move of a public conversation into private:
// a short public answer, and the private message to the post's author.
type TakePrivate struct {
	TicketID int64
	AgentID  int64
	Agent    string
	// PublicText is the public answer; empty: a short one in the
	// ticket's language.
	PublicText string
	// Text is the private message, sent where the channel answers public
	// posts privately.
	Text string
	// IdentifyURL makes the link a customer identifies at, where the
	// channel cannot answer privately; it gets the request's token.
	IdentifyURL func(token string) string
}

// TakenPrivate is what TakePrivate did: the public answer (awaiting
// approval like any public reply), and either the new private ticket or
// the link the customer was asked to identify at.
type TakenPrivate struct {
	Public      *domain.Message `json:"public_message"`
	Ticket      *domain.Ticket  `json:"ticket"`
	IdentifyURL string          `json:"identify_url"`
}

// TakePrivate answers a public post briefly in public and goes on in
// private: by the channel's private reply on a new private ticket of the
// same contact, or, where the site has none (reviews), by a link at which
// the author identifies by e-mail (see Identify). The public answer waits
// for approval like any public reply.
func (d *Desk) TakePrivate(ctx context.Context, tp TakePrivate) (*TakenPrivate, error) {
	t, err := d.store.Ticket(ctx, tp.TicketID)
	if err != nil {
		return nil, err
	}
	if !t.Public {
		return nil, domain.Invalid("not_public", "this conversation is private already")
	}
	ch, err := d.store.Channel(ctx, t.ChannelID)
	if err != nil {
		return nil, err
	}
	post, err := d.store.LatestPublicInbound(ctx, t.ID, ch.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Invalid("no_public_post", "this ticket has no public post to answer")
	} else if err != nil {
		return nil, err
	}
	c, err := d.store.Contact(ctx, t.ContactID)
	if err != nil {
		return nil, err
	}
	lang := textLang(c.Language)
	res := &TakenPrivate{}
	caps := d.channels.Capabilities(ch.Kind)
	publicText := strings.TrimSpace(tp.PublicText)
	if caps.PrivateReplies {
		if strings.TrimSpace(tp.Text) == "" {
			return nil, domain.Invalid("empty_message", "write the private message")
		}
		if post.Address == nil {
			return nil, domain.Invalid("no_address", "the public post names no author to answer privately")
		}
		if publicText == "" {
			publicText = privateTexts[lang].sent
		}
		if res.Ticket, err = d.OpenTicket(ctx, NewTicket{ContactID: t.ContactID, ChannelID: ch.ID, TeamID: t.TeamID,
			Subject: t.Subject, Status: domain.StatusOpen, Priority: t.Priority,
			Reason: fmt.Sprintf("Taken private from public ticket #%d by %s", t.Number, tp.Agent)}); err != nil {
			return nil, err
		}
		if _, err := d.Send(ctx, &Outgoing{TicketID: res.Ticket.ID, Text: tp.Text, AuthorType: domain.AuthorAgent, AuthorID: tp.AgentID,
			To: post.Address, PrivateReplyTo: post.ExternalID}); err != nil {
			return nil, err
		}
	} else {
		if tp.IdentifyURL == nil {
			return nil, domain.Invalid("no_base_url", "set Loket's public URL (LOKET_BASE_URL) so customers can open the link")
		}
		token := secret.Token("idf")
		if err := d.store.CreateIdentifyRequest(ctx, secret.Hash(token), t.ID, t.ContactID, d.now()); err != nil {
			return nil, err
		}
		res.IdentifyURL = tp.IdentifyURL(token)
		if publicText == "" {
			publicText = privateTexts[lang].identify
		}
		publicText += " " + res.IdentifyURL
	}
	if res.Public, err = d.Send(ctx, &Outgoing{TicketID: t.ID, Text: publicText, AuthorType: domain.AuthorAgent, AuthorID: tp.AgentID, Checked: true}); err != nil {
		return nil, err
	}
	if err := d.AddTimelineEvent(ctx, t.ID, "Taken private by "+tp.Agent, EventTakenPrivate,
		map[string]any{"agent": tp.Agent, "agent_id": tp.AgentID, "ticket_id": idOf(res.Ticket), "identify": res.IdentifyURL != ""}); err != nil {
		return nil, err
	}
	return res, nil
}

func idOf(t *domain.Ticket) int64 {
	if t == nil {
		return 0
	}
	return t.ID
}

// privateTexts are the default public answers of TakePrivate.
var privateTexts = map[string]struct{ sent, identify string }{
	"en": {"Thank you. We have sent you a private message to help you further.",
		"We would like to help you personally. Please let us know who you are here:"},
	"nl": {"Dank je wel. We hebben je een privébericht gestuurd om je verder te helpen.",
		"We helpen je graag persoonlijk verder. Laat hier weten wie je bent:"},
	"de": {"Vielen Dank. Wir haben Ihnen eine private Nachricht geschickt, um Ihnen weiterzuhelfen.",
		"Wir helfen Ihnen gern persönlich weiter. Bitte teilen Sie uns hier mit, wer Sie sind:"},
}

// textLang picks the language of privateTexts for a contact's language.
func textLang(l string) string {
	if _, ok := privateTexts[l]; ok {
		return l
	}
	return "en"
}

// maxIdentifyAttempts bounds the addresses one link can be given, so a
// link cannot be used to mail many people.
const maxIdentifyAttempts = 3

// EventIdentified: a public post's author confirmed an e-mail address and
// the conversation joined that customer (email, contact_id).
const EventIdentified = "contact.identified"

// RequestIdentify takes the e-mail address a public post's author gave at
// their link and sends a confirmation there, by the team's first e-mail
// channel, on the public ticket's timeline (privately). confirmURL makes
// the link in that mail from the request's code. Nothing is linked until
// the author confirms (Identify): an address typed is never trusted.
func (d *Desk) RequestIdentify(ctx context.Context, token, email string, confirmURL func(code string) string) error {
	r, err := d.store.IdentifyRequestByToken(ctx, secret.Hash(token))
	if err != nil {
		return err
	}
	if r.ConfirmedAt != 0 {
		return domain.Invalid("confirmed", "this link was used already")
	}
	if r.Attempts >= maxIdentifyAttempts {
		return domain.Invalid("too_many_attempts", "this link was given too many addresses")
	}
	addr, err := domain.NormalizeEmail(email)
	if err != nil {
		return err
	}
	chs, err := d.store.Channels(ctx, "")
	if err != nil {
		return err
	}
	var mail *domain.Channel
	for _, ch := range chs {
		caps := d.channels.Capabilities(ch.Kind)
		if ch.Enabled && !caps.Manual && !caps.NoReplies && slices.Equal(caps.Identities, []domain.IdentityKind{domain.IdentityEmail}) {
			mail = ch
			break
		}
	}
	if mail == nil {
		return domain.Invalid("no_email_channel", "the team has no e-mail channel to confirm the address by")
	}
	code := secret.Token("idc")
	if err := d.store.SetIdentifyEmail(ctx, r.ID, addr, secret.Hash(code)); err != nil {
		return err
	}
	text := fmt.Sprintf("Hello,\n\nSomeone asked to link their public post to this e-mail address, so that our team can help them personally. "+
		"If that was you, confirm it here:\n%s\n\nIf it was not you, please ignore this e-mail.", confirmURL(code))
	_, err = d.Send(ctx, &Outgoing{TicketID: r.TicketID, ChannelID: mail.ID, Text: text, AuthorType: domain.AuthorSystem,
		To: &domain.Identity{Kind: domain.IdentityEmail, Value: addr}})
	return err
}

// Identify confirms a public post's author's address with the code mailed
// there: the public conversation joins the customer who has that address
// (their contacts are merged), or the address is added to the author's
// contact. It returns the address confirmed.
func (d *Desk) Identify(ctx context.Context, token, code string) (string, error) {
	r, err := d.store.IdentifyRequestByToken(ctx, secret.Hash(token))
	if err != nil {
		return "", err
	}
	if r.CodeHash == "" || secret.Hash(code) != r.CodeHash {
		return "", domain.Invalid("wrong_code", "this confirmation link is not valid (anymore)")
	}
	ok, err := d.store.ConfirmIdentify(ctx, r.ID, d.now())
	if err != nil || !ok {
		return r.Email, err
	}
	// The address joins the author's contact, unless a customer has it:
	// then the author's contact is merged into theirs.
	survivor, err := d.store.AddIdentity(ctx, r.ContactID, domain.Identity{Kind: domain.IdentityEmail, Value: r.Email})
	if err != nil {
		return "", err
	}
	if survivor != r.ContactID {
		if _, err := d.MergeContacts(ctx, survivor, r.ContactID, 0); err != nil {
			return "", err
		}
	}
	text := fmt.Sprintf("The author confirmed they are %s; this conversation is now on their history", r.Email)
	if err := d.AddTimelineEvent(ctx, r.TicketID, text, EventIdentified, map[string]any{"email": r.Email, "contact_id": survivor}); err != nil {
		return "", err
	}
	return r.Email, nil
}
