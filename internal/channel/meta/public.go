package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Public replies, private replies and moderation of comments, through
// the Graph API with the Page access token:
//
//   - a public reply is a comment under the customer's: Facebook's
//     POST /{comment-id}/comments, Instagram's POST /{comment-id}/replies
//     (Instagram adds a reply to a reply under the top-level comment);
//   - a private reply is one message to the commenter through the Send
//     API with recipient {comment_id}, within 7 days of the comment and
//     once per comment; Meta answers the person's Messenger (or
//     Instagram-scoped) id, which the core adds to the contact so their
//     answer in Messenger joins them;
//   - moderation hides, shows again or deletes a comment: Facebook's
//     POST /{comment-id}?is_hidden=, Instagram's POST /{comment-id}?hide=,
//     and DELETE /{comment-id} for both.
//
// Comments carry text only: a reply with files is refused rather than
// sent without them. Meta takes no idempotency key, so a reply retried
// after an answer that was lost is posted again.

// graphAnswer is what the Graph API answers a write: the new node's id,
// or success.
type graphAnswer struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
}

// commentText is the text of a reply to a comment, refused when it has
// files or nothing to say.
func (a *Adapter) commentText(out *channel.Outbound, what string) (string, error) {
	m := out.Message
	if len(m.Attachments) > 0 {
		return "", channel.Permanent(fmt.Errorf("send %s message %d: a %s carries text only; send the files in a direct message", a.p.kind, m.ID, what))
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		return "", channel.Permanent(fmt.Errorf("send %s message %d: a %s needs text", a.p.kind, m.ID, what))
	}
	return text, nil
}

// sendPublic answers out.ReplyTo, the customer's comment, with a comment.
func (a *Adapter) sendPublic(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	m := out.Message
	if !commentID.MatchString(out.ReplyTo) {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: public reply to %q, which is not a comment id", a.p.kind, m.ID, out.ReplyTo))
	}
	text, err := a.commentText(out, "public reply")
	if err != nil {
		return channel.Sent{}, err
	}
	edge := "/comments"
	if a.p.kind == KindInstagram {
		edge = "/replies"
	}
	form := url.Values{"message": {text}}
	var ans graphAnswer
	if err := a.graph(ctx, out.Channel, "POST", out.ReplyTo+edge, nil, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &ans); err != nil {
		return channel.Sent{}, fmt.Errorf("send %s message %d: public reply to comment %s: %w", a.p.kind, m.ID, out.ReplyTo, classify(err))
	}
	if ans.ID == "" {
		return channel.Sent{}, fmt.Errorf("send %s message %d: the Graph API answered a public reply without its id", a.p.kind, m.ID)
	}
	return channel.Sent{ExternalID: ans.ID}, nil
}

// sendPrivate answers out.PrivateReplyTo, the customer's comment, with
// one message to them, and names the address it reached.
func (a *Adapter) sendPrivate(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	m := out.Message
	if !commentID.MatchString(out.PrivateReplyTo) {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: private reply to %q, which is not a comment id", a.p.kind, m.ID, out.PrivateReplyTo))
	}
	text, err := a.commentText(out, "private reply to a comment")
	if err != nil {
		return channel.Sent{}, err
	}
	s, err := a.settings(out.Channel.Settings)
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send %s message %d: %w", a.p.kind, m.ID, err))
	}
	body, _ := json.Marshal(sendRequest{Recipient: sendRecipient{CommentID: out.PrivateReplyTo}, Message: sendMessage{Text: text}})
	var ans sendAnswer
	if err := a.graph(ctx, out.Channel, "POST", s.PageID+"/messages", nil, "application/json", bytes.NewReader(body), &ans); err != nil {
		return channel.Sent{}, fmt.Errorf("send %s message %d: private reply to comment %s: %w", a.p.kind, m.ID, out.PrivateReplyTo, classify(err))
	}
	if ans.MessageID == "" {
		return channel.Sent{}, fmt.Errorf("send %s message %d: the Send API answered a private reply without a message_id", a.p.kind, m.ID)
	}
	sent := channel.Sent{ExternalID: ans.MessageID}
	if ans.RecipientID != "" && senderID(ans.RecipientID) {
		sent.Identity = &domain.Identity{Kind: a.p.identity, Value: ans.RecipientID}
	}
	return sent, nil
}

// Moderate implements channel.Moderator: it hides, shows again or
// deletes a customer's comment on the Page's post or the Instagram
// account's media. A refusal that a retry cannot change (a comment
// already gone, a missing permission) is permanent; rate limits and
// Meta's own failures are not.
func (a *Adapter) Moderate(ctx context.Context, ch *domain.Channel, externalID string, action domain.Moderation) error {
	if !commentID.MatchString(externalID) {
		return domain.Invalid("invalid_comment_id", fmt.Sprintf("%q is no %s comment id", externalID, a.p.title))
	}
	method, q := "POST", url.Values{}
	switch action {
	case domain.ModerationHide, domain.ModerationUnhide:
		hidden := fmt.Sprint(action == domain.ModerationHide)
		if a.p.kind == KindInstagram {
			q.Set("hide", hidden)
		} else {
			q.Set("is_hidden", hidden)
		}
	case domain.ModerationDelete:
		method = "DELETE"
	default:
		return domain.Invalid("invalid_moderation", fmt.Sprintf("%s comments can be hidden, unhidden or deleted, not %q", a.p.title, action))
	}
	var ans graphAnswer
	if err := a.graph(ctx, ch, method, externalID, q, "", nil, &ans); err != nil {
		return fmt.Errorf("%s %s comment %s: %w", action, a.p.title, externalID, classify(err))
	}
	if !ans.Success {
		return fmt.Errorf("%s %s comment %s: the Graph API did not answer success", action, a.p.title, externalID)
	}
	return nil
}
