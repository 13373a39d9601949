package x

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Send implements channel.Adapter:
//   - a public reply (out.Public) answers the customer's latest mention
//     (out.ReplyTo) with a tweet reply, at most 280 characters;
//   - a message taking a mention private (out.PrivateReplyTo) and any
//     reply on a private ticket go to the customer by direct message.
//
// X takes no idempotency key: a reply whose answer was lost is tried
// again, and X refuses the second identical tweet as duplicate content.
// Attachments are not sent.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	c, err := a.clientFor(out.Channel)
	if err != nil {
		return channel.Sent{}, channel.Permanent(err)
	}
	text := strings.TrimSpace(out.Message.Text)
	if text == "" {
		return channel.Sent{}, channel.Permanent(errors.New("an empty text cannot be posted on X: write a reply"))
	}
	if out.Public {
		return c.reply(ctx, out.ReplyTo, text)
	}
	to, err := recipient(out)
	if err != nil {
		return channel.Sent{}, channel.Permanent(err)
	}
	return c.directMessage(ctx, to, text)
}

// reply posts text as a reply to the tweet id.
func (c *client) reply(ctx context.Context, id, text string) (channel.Sent, error) {
	if !numericID.MatchString(id) {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("a public reply on X answers a post, and %q is no post id", id))
	}
	if n := utf8.RuneCountInString(text); n > MaxTweetLength {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("a public reply on X is at most %d characters and this one has %d: shorten it, or take the conversation private", MaxTweetLength, n))
	}
	var res struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
		Errors []problem `json:"errors"`
	}
	body := map[string]any{"text": text, "reply": map[string]string{"in_reply_to_tweet_id": id}}
	if err := c.call(ctx, "POST", "/2/tweets", nil, body, &res); err != nil {
		return channel.Sent{}, fmt.Errorf("reply to post %s: %w", id, err)
	}
	if !numericID.MatchString(res.Data.ID) {
		return channel.Sent{}, fmt.Errorf("reply to post %s: X answered without the new post's id%s", id, problems(res.Errors))
	}
	return channel.Sent{ExternalID: res.Data.ID, Status: domain.DeliverySent}, nil
}

// directMessage sends text to the X user id in a one-to-one conversation,
// which X opens when there is none.
func (c *client) directMessage(ctx context.Context, to, text string) (channel.Sent, error) {
	if n := utf8.RuneCountInString(text); n > MaxDMLength {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("a direct message on X is at most %d characters and this one has %d", MaxDMLength, n))
	}
	var res struct {
		Data struct {
			ConversationID string `json:"dm_conversation_id"`
			EventID        string `json:"dm_event_id"`
		} `json:"data"`
		Errors []problem `json:"errors"`
	}
	if err := c.call(ctx, "POST", "/2/dm_conversations/with/"+pathID(to)+"/messages", nil, map[string]string{"text": text}, &res); err != nil {
		return channel.Sent{}, fmt.Errorf("direct message to %s: %w", to, err)
	}
	if !numericID.MatchString(res.Data.EventID) {
		return channel.Sent{}, fmt.Errorf("direct message to %s: X answered without the message's id%s", to, problems(res.Errors))
	}
	return channel.Sent{ExternalID: res.Data.EventID, Status: domain.DeliverySent,
		Identity: &domain.Identity{Kind: domain.IdentityX, Value: to}}, nil
}

// recipient is the customer's X user id: the address the core chose, or
// else the contact's X identity (a mention's author is one).
func recipient(out *channel.Outbound) (string, error) {
	if out.To != nil && out.To.Kind == domain.IdentityX && numericID.MatchString(out.To.Value) {
		return out.To.Value, nil
	}
	if out.Contact != nil {
		for _, id := range out.Contact.Identities {
			if id.Kind == domain.IdentityX && numericID.MatchString(id.Value) {
				return id.Value, nil
			}
		}
	}
	return "", errors.New("the contact has no X account to send a direct message to")
}

func problems(list []problem) string {
	if len(list) == 0 {
		return ""
	}
	msg := list[0].Detail
	if msg == "" {
		msg = list[0].Title
	}
	return ": " + msg
}

// Moderate implements channel.Moderator: hide or unhide a reply to one of
// the account's posts (X's hidden replies). X refuses it for posts that
// do not answer the account's own conversation.
func (a *Adapter) Moderate(ctx context.Context, ch *domain.Channel, externalID string, action domain.Moderation) error {
	var hidden bool
	switch action {
	case domain.ModerationHide:
		hidden = true
	case domain.ModerationUnhide:
	default:
		return domain.Invalid("unsupported_moderation", fmt.Sprintf("X lets an account hide and unhide replies to its posts; it cannot %s another's post", action))
	}
	if !numericID.MatchString(externalID) {
		return domain.Invalid("invalid_external_id", fmt.Sprintf("%q is no X post id", externalID))
	}
	c, err := a.clientFor(ch)
	if err != nil {
		return err
	}
	var res struct {
		Data struct {
			Hidden bool `json:"hidden"`
		} `json:"data"`
		Errors []problem `json:"errors"`
	}
	if err := c.call(ctx, "PUT", "/2/tweets/"+pathID(externalID)+"/hidden", nil, map[string]bool{"hidden": hidden}, &res); err != nil {
		if channel.IsPermanent(err) {
			// X's refusal (a post outside the account's conversations, a
			// deleted one) is the agent's to read, not a server fault.
			return domain.Invalid("moderation_refused", fmt.Sprintf("X refused to %s post %s: %v", action, externalID, err))
		}
		return fmt.Errorf("%s post %s: %w", action, externalID, err)
	}
	if res.Data.Hidden != hidden {
		return fmt.Errorf("%s post %s: X answered hidden=%t%s", action, externalID, res.Data.Hidden, problems(res.Errors))
	}
	return nil
}
