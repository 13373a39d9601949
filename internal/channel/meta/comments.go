package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// change is one entry of a webhook's "changes": a Page's feed (comments
// under its posts) or an Instagram account's comments.
type change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// feedChange is the value of a Page's "feed" field. Only items of type
// comment are read.
type feedChange struct {
	Item        string   `json:"item"`
	Verb        string   `json:"verb"`
	CommentID   string   `json:"comment_id"`
	PostID      string   `json:"post_id"`
	ParentID    string   `json:"parent_id"`
	From        idName   `json:"from"`
	Message     string   `json:"message"`
	CreatedTime unixTime `json:"created_time"`
	Photo       string   `json:"photo"`
	Video       string   `json:"video"`
	// PermalinkURL is the comment's own link, when Meta gives one.
	PermalinkURL string `json:"permalink_url"`
	Post         *struct {
		ID           string `json:"id"`
		PermalinkURL string `json:"permalink_url"`
		Message      string `json:"message"`
	} `json:"post"`
}

type idName struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// igComment is the value of an Instagram account's "comments" field.
// Instagram reports new comments only: no edits, removals or hiding.
type igComment struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	From     idName `json:"from"`
	ParentID string `json:"parent_id"`
	Media    struct {
		ID               string `json:"id"`
		MediaProductType string `json:"media_product_type"`
	} `json:"media"`
}

// unixTime is a time Meta writes as Unix seconds, as a number or a
// string; anything else is left zero rather than failing the payload.
type unixTime int64

func (u *unixTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		*u = unixTime(n)
	}
	return nil
}

func (u unixTime) time() time.Time {
	if u <= 0 || u > 1<<40 {
		return time.Time{}
	}
	return time.Unix(int64(u), 0)
}

// commentID is a Graph comment id: digits, or a post's and a comment's
// digits joined by an underscore (Facebook).
var commentID = regexp.MustCompile(`^[0-9]{1,40}(_[0-9]{1,40})?$`)

// maxPostText and maxLink keep a post's text and links within what the
// desk stores with a public message (domain.PublicPost.Validate).
const (
	maxPostText = 4000
	maxLink     = 2048
)

// link reports whether s is a web link short enough to keep.
func link(s string) bool { return len(s) <= maxLink && webURL(s) }

// postText is a post's text cut to at most maxPostText bytes, ending
// with an ellipsis when cut.
func postText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxPostText {
		return s
	}
	s = s[:maxPostText-len("…")]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimSpace(s) + "…"
}

// parseChange reads one change of an entry addressed to account (the
// Page, or the Instagram account): comments by others become public
// messages, their edits and removals changes. The account's own comments
// (Loket's public replies among them) are skipped so that they do not
// come back as the customer's, as is everything that is not a comment.
func (a *Adapter) parseChange(b *channel.Batch, account string, c *change) error {
	switch {
	case a.p.kind == KindMessenger && c.Field == "feed":
		// Other items (posts, reactions, shares) are shaped otherwise:
		// only a comment is read in full.
		var item struct {
			Item string `json:"item"`
		}
		if json.Unmarshal(c.Value, &item) != nil || item.Item != "comment" {
			return nil
		}
		var v feedChange
		if err := json.Unmarshal(c.Value, &v); err != nil {
			return domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: feed comment: %v", a.p.kind, err))
		}
		return a.feedComment(b, account, &v)
	case a.p.kind == KindInstagram && (c.Field == "comments" || c.Field == "live_comments"):
		var v igComment
		if err := json.Unmarshal(c.Value, &v); err != nil {
			return domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: comments change: %v", a.p.kind, err))
		}
		return a.instagramComment(b, account, &v)
	}
	return nil
}

// commenter checks a comment's ids and tells whether it is to be read:
// not the account's own and with an author (Meta leaves "from" out when
// the app may not read the Page's user content).
func (a *Adapter) commenter(account, id string, from idName) (bool, error) {
	if from.ID == "" || from.ID == account {
		return false, nil
	}
	if !commentID.MatchString(id) {
		return false, domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: comment id %q is not a Graph id", a.p.kind, id))
	}
	if !senderID(from.ID) {
		return false, domain.Invalid("invalid_payload", fmt.Sprintf("%s webhook: commenter id %q is not a Meta id", a.p.kind, from.ID))
	}
	return true, nil
}

// feedComment reads a comment under a Page's post. Hiding and unhiding
// are the Page's own moderation (only the Page can hide comments on its
// posts): Loket records what its team did when it does it, so those
// verbs are ignored, as is a comment Meta names no author for.
func (a *Adapter) feedComment(b *channel.Batch, account string, v *feedChange) error {
	ok, err := a.commenter(account, v.CommentID, v.From)
	if !ok || err != nil {
		return err
	}
	from := domain.Identity{Kind: domain.IdentityFacebook, Value: v.From.ID}
	// created_time is when the comment was written, also on its edit and
	// removal, which are then dated when they arrive.
	switch v.Verb {
	case "edited":
		b.Changes = append(b.Changes, channel.Change{ExternalID: v.CommentID, Kind: channel.ChangeEdit, From: from, Text: v.Message})
		return nil
	case "remove":
		b.Changes = append(b.Changes, channel.Change{ExternalID: v.CommentID, Kind: channel.ChangeDelete, From: from})
		return nil
	case "add":
	default:
		return nil
	}
	// A top-level comment's parent is the post; a reply's is the comment
	// it answers, whose conversation it joins.
	parent := v.ParentID
	if parent == v.PostID || !commentID.MatchString(parent) {
		parent = ""
	}
	pub := &domain.PublicPost{URL: v.PermalinkURL, PostID: v.PostID}
	if !link(pub.URL) {
		pub.URL = "https://www.facebook.com/" + v.CommentID
	}
	if v.Post != nil {
		if link(v.Post.PermalinkURL) {
			pub.PostURL = v.Post.PermalinkURL
		}
		pub.PostText = postText(v.Post.Message)
		if pub.PostID == "" {
			pub.PostID = v.Post.ID
		}
	}
	if len(pub.PostID) > maxID {
		pub.PostID = ""
	}
	in := &channel.Inbound{ExternalID: v.CommentID, From: from, Name: strings.TrimSpace(v.From.Name), ProviderAt: v.CreatedTime.time(),
		Thread: orSelf(parent, v.CommentID), Public: pub}
	if parent != "" {
		in.ReplyTo = []string{parent}
	}
	lines := []string{}
	if strings.TrimSpace(v.Message) != "" {
		lines = append(lines, v.Message)
	}
	if webURL(v.Photo) {
		in.Attachments = append(in.Attachments, channel.Attachment{Ref: v.Photo, Filename: fileName(v.Photo, "image")})
	}
	if webURL(v.Video) {
		lines = append(lines, "[video] "+v.Video)
	}
	if len(lines) == 0 && len(in.Attachments) == 0 {
		lines = append(lines, "[a comment Loket cannot show, such as a sticker; see it on Facebook]")
	}
	in.Text = strings.Join(lines, "\n")
	b.Messages = append(b.Messages, in)
	return nil
}

// instagramComment reads a comment on the account's media. Its author's
// id is the Instagram-scoped id (IGSID) that direct messages come from,
// so a commenter who also writes privately is one contact.
func (a *Adapter) instagramComment(b *channel.Batch, account string, v *igComment) error {
	ok, err := a.commenter(account, v.ID, v.From)
	if !ok || err != nil {
		return err
	}
	parent := v.ParentID
	if !commentID.MatchString(parent) {
		parent = ""
	}
	pub := &domain.PublicPost{}
	if len(v.Media.ID) <= maxID {
		pub.PostID = v.Media.ID
	}
	name := ""
	if u := v.From.Username; instagramUsername.MatchString(u) {
		name = "@" + u
		pub.AuthorURL = "https://www.instagram.com/" + u + "/"
	}
	text := v.Text
	if strings.TrimSpace(text) == "" {
		text = "[a comment without text; see it on Instagram]"
	}
	in := &channel.Inbound{ExternalID: v.ID, From: domain.Identity{Kind: domain.IdentityInstagram, Value: v.From.ID}, Name: name,
		Text: text, Thread: orSelf(parent, v.ID), Public: pub}
	if parent != "" {
		in.ReplyTo = []string{parent}
	}
	b.Messages = append(b.Messages, in)
	return nil
}

// instagramUsername is what Instagram allows in a username.
var instagramUsername = regexp.MustCompile(`^[A-Za-z0-9._]{1,30}$`)

func orSelf(parent, self string) string {
	if parent != "" {
		return parent
	}
	return self
}
