package x

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Parse implements channel.Parser for a poll's payload (application/json,
// see payload). Mentions become public messages threaded by their X
// conversation, so a customer's replies and ours stay on one public
// ticket; direct messages become private ones, which join the contact's
// private ticket. Skipped: the account's own posts and messages (our
// replies, read back), retweets (not written to us), direct messages in
// group conversations (Loket answers one person), items without an id
// or author, and empty texts.
func (a *Adapter) Parse(ch *domain.Channel, contentType string, body []byte, _ string) (*channel.Batch, error) {
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return nil, domain.Invalid("unsupported_media_type", "an X poll's payload is application/json")
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return nil, domain.Invalid("invalid_json", fmt.Sprintf("x payload: %v", err))
	}
	if dec.More() {
		return nil, domain.Invalid("invalid_json", "x payload: more than one JSON value")
	}
	var account string
	if s, err := settings(ch.Settings); err == nil {
		account = s.UserID
	}
	b := &channel.Batch{}
	if m := p.Mentions; m != nil {
		users := usersByID(m.Includes.Users)
		refs := map[string]tweet{}
		for _, t := range m.Includes.Tweets {
			refs[t.ID] = t
		}
		for _, t := range m.Data {
			if in := mention(t, account, users, refs); in != nil {
				in.ChannelID = ch.ID
				b.Messages = append(b.Messages, in)
			}
		}
	}
	if d := p.DirectMessages; d != nil {
		users := usersByID(d.Includes.Users)
		for _, ev := range d.Data {
			if in := directMessage(ev, account, users); in != nil {
				in.ChannelID = ch.ID
				b.Messages = append(b.Messages, in)
			}
		}
	}
	return b, nil
}

// usersByID indexes the users a page includes, keeping only usable
// usernames (they are put into links).
func usersByID(list []user) map[string]user {
	out := make(map[string]user, len(list))
	for _, u := range list {
		if !handleRE.MatchString(u.Username) {
			u.Username = ""
		}
		out[u.ID] = u
	}
	return out
}

// Longest texts kept from a payload, in bytes: an X post is at most
// 25,000 characters (a long post), a direct message 10,000.
const (
	maxText     = 100_000
	maxPostText = 4096
	maxName     = 255
)

func mention(t tweet, account string, users map[string]user, refs map[string]tweet) *channel.Inbound {
	if !numericID.MatchString(t.ID) || !numericID.MatchString(t.AuthorID) || t.AuthorID == account {
		return nil
	}
	var parent *tweet
	for _, r := range t.ReferencedTweets {
		switch {
		case r.Type == "retweeted":
			return nil
		case !numericID.MatchString(r.ID):
		case r.Type == "replied_to", r.Type == "quoted" && parent == nil:
			p := refs[r.ID]
			p.ID = r.ID
			parent = &p
		}
	}
	text := t.Text
	if t.NoteTweet != nil && len(t.NoteTweet.Text) > len(text) {
		text = t.NoteTweet.Text
	}
	text = clean(html.UnescapeString(text), maxText)
	if text == "" {
		return nil
	}
	author := users[t.AuthorID]
	thread := t.ConversationID
	if !numericID.MatchString(thread) {
		thread = t.ID
	}
	post := &domain.PublicPost{URL: statusURL(author.Username, t.ID), AuthorURL: profileURL(author.Username, t.AuthorID)}
	if parent != nil {
		post.PostID = parent.ID
		post.PostText = clean(html.UnescapeString(parent.Text), maxPostText)
		post.PostURL = statusURL(users[parent.AuthorID].Username, parent.ID)
	}
	return &channel.Inbound{
		ExternalID: t.ID,
		From:       domain.Identity{Kind: domain.IdentityX, Value: t.AuthorID},
		Name:       displayName(author),
		Text:       text,
		Thread:     thread,
		Public:     post,
		ProviderAt: when(t.CreatedAt),
	}
}

func directMessage(ev dmEvent, account string, users map[string]user) *channel.Inbound {
	if ev.EventType != "" && ev.EventType != "MessageCreate" {
		return nil
	}
	if !numericID.MatchString(ev.ID) || !numericID.MatchString(ev.SenderID) || ev.SenderID == account {
		return nil
	}
	// One-to-one conversations are named "{smaller id}-{larger id}";
	// a group conversation has an id of its own.
	if ev.DMConversationID != "" && !strings.Contains(ev.DMConversationID, "-") {
		return nil
	}
	text := clean(ev.Text, maxText)
	if text == "" && ev.Attachments != nil && len(ev.Attachments.MediaKeys) > 0 {
		text = "[The customer sent an attachment, which Loket does not download from X: open the conversation on X to see it.]"
	}
	if text == "" {
		return nil
	}
	return &channel.Inbound{
		ExternalID: ev.ID,
		From:       domain.Identity{Kind: domain.IdentityX, Value: ev.SenderID},
		Name:       displayName(users[ev.SenderID]),
		Text:       text,
		ProviderAt: when(ev.CreatedAt),
	}
}

// clean makes s valid UTF-8 without surrounding space, at most n bytes.
func clean(s string, n int) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func displayName(u user) string {
	if name := clean(u.Name, maxName); name != "" {
		return name
	}
	if u.Username != "" {
		return "@" + u.Username
	}
	return ""
}

// statusURL links a post; X redirects /i/status/{id} to its author's.
func statusURL(username, id string) string {
	if username == "" {
		return "https://x.com/i/status/" + id
	}
	return "https://x.com/" + username + "/status/" + id
}

func profileURL(username, id string) string {
	if username == "" {
		return "https://x.com/i/user/" + id
	}
	return "https://x.com/" + username
}

// when reads X's ISO 8601 times; zero when absent or unreadable.
func when(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
