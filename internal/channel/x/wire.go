package x

// The shapes of X API v2's answers that the adapter reads; a poll's
// payload keeps them (see payload).

// tweet is a post with the fields a poll asks for.
type tweet struct {
	ID               string `json:"id"`
	Text             string `json:"text"`
	AuthorID         string `json:"author_id,omitempty"`
	CreatedAt        string `json:"created_at,omitempty"`
	ConversationID   string `json:"conversation_id,omitempty"`
	InReplyToUserID  string `json:"in_reply_to_user_id,omitempty"`
	ReferencedTweets []struct {
		Type string `json:"type"` // replied_to, quoted, retweeted
		ID   string `json:"id"`
	} `json:"referenced_tweets,omitempty"`
	// NoteTweet holds the whole text of a post longer than 280
	// characters, of which Text is the start.
	NoteTweet *struct {
		Text string `json:"text"`
	} `json:"note_tweet,omitempty"`
}

// user is an X account as the user.fields of a poll describe it.
type user struct {
	ID              string `json:"id"`
	Name            string `json:"name,omitempty"`
	Username        string `json:"username,omitempty"`
	ProfileImageURL string `json:"profile_image_url,omitempty"`
}

// dmEvent is one direct message event.
type dmEvent struct {
	ID               string `json:"id"`
	EventType        string `json:"event_type"`
	Text             string `json:"text,omitempty"`
	SenderID         string `json:"sender_id,omitempty"`
	DMConversationID string `json:"dm_conversation_id,omitempty"`
	CreatedAt        string `json:"created_at,omitempty"`
	Attachments      *struct {
		MediaKeys []string `json:"media_keys,omitempty"`
	} `json:"attachments,omitempty"`
}

// meta is a page's pagination: next_token leads to older items.
type meta struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id,omitempty"`
	OldestID    string `json:"oldest_id,omitempty"`
	NextToken   string `json:"next_token,omitempty"`
}

// tweetPage is an answer of the mention timeline.
type tweetPage struct {
	Data     []tweet `json:"data"`
	Includes struct {
		Users  []user  `json:"users,omitempty"`
		Tweets []tweet `json:"tweets,omitempty"`
	} `json:"includes"`
	Meta meta `json:"meta,omitzero"`
}

// dmPage is an answer of the direct message events lookup.
type dmPage struct {
	Data     []dmEvent `json:"data"`
	Includes struct {
		Users []user `json:"users,omitempty"`
	} `json:"includes"`
	Meta meta `json:"meta,omitzero"`
}

// payload is what one poll hands the core: the new mentions and the new
// direct messages, each in the shape of one of X's pages (all pages read
// merged, newest first), so a stored payload reads like X's answers.
type payload struct {
	Mentions       *tweetPage `json:"mentions,omitempty"`
	DirectMessages *dmPage    `json:"direct_messages,omitempty"`
}

// idAfter reports whether id a is newer than b: X's ids are snowflakes,
// growing with time, compared as numbers.
func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// newestID is the newer of two ids; "" is older than any.
func newestID(a, b string) string {
	if b == "" || (a != "" && idAfter(a, b)) {
		return a
	}
	return b
}
