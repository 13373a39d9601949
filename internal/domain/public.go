package domain

import (
	"fmt"
	"slices"
)

// PublicPost holds what a customer's public message (a comment under a
// page's post, a mention, a review) carries besides its text: where anyone
// can see it, who wrote it, a review's stars and the post it answers.
type PublicPost struct {
	// URL shows the message in place on the site.
	URL string `json:"url,omitempty"`
	// AuthorURL is the author's public profile.
	AuthorURL string `json:"author_url,omitempty"`
	// Rating is a review's stars, 1 to 5; zero for anything else.
	Rating int `json:"rating,omitempty"`
	// PostID, PostText and PostURL name the post or page the comment is
	// under, such as the company's own post on its Facebook page.
	PostID   string `json:"post_id,omitempty"`
	PostText string `json:"post_text,omitempty"`
	PostURL  string `json:"post_url,omitempty"`
	// Hidden is set once the team hid the comment on the site.
	Hidden bool `json:"hidden,omitempty"`
	// Deleted is set once the team removed it from the site.
	Deleted bool `json:"deleted,omitempty"`
}

// Validate checks a post's fields.
func (p *PublicPost) Validate() error {
	if p.Rating < 0 || p.Rating > 5 {
		return Invalid("bad_rating", fmt.Sprintf("a rating is 1 to 5 stars, not %d", p.Rating))
	}
	for _, u := range []string{p.URL, p.AuthorURL, p.PostURL} {
		if len(u) > 2048 {
			return Invalid("too_large", "a public post's link is longer than 2048 bytes")
		}
	}
	if len(p.PostText) > 4096 || len(p.PostID) > 255 {
		return Invalid("too_large", "a public post's parent post is too large")
	}
	return nil
}

// Moderation is what a team may do to a customer's public message on the
// site it was posted on.
type Moderation string

// Moderation actions; a channel kind supports those its adapter lists.
const (
	ModerationHide   Moderation = "hide"
	ModerationUnhide Moderation = "unhide"
	ModerationDelete Moderation = "delete"
)

// Valid reports whether m is a known action.
func (m Moderation) Valid() bool {
	return slices.Contains([]Moderation{ModerationHide, ModerationUnhide, ModerationDelete}, m)
}

// ApprovalOff turns off the approval of public replies on a channel
// (Channel.Approval); by default a public reply needs a second person.
const ApprovalOff = "off"
