package x

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

// The account and keys of the tests' channel.
const (
	accountID      = "1600000000000000001"
	accountHandle  = "AcmeSupport"
	consumerKey    = "ck-acme"
	consumerSecret = "cs-acme+/="
	accessToken    = "1600000000000000001-at"
	accessSecret   = "as-acme&~"
)

// fakeX speaks the parts of X API v2 the adapter uses, checking every
// request's OAuth 1.0a signature as X does, with its own implementation.
type fakeX struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	nextID  int64
	users   map[string]user
	tweets  []tweet // oldest first
	dms     []dmEvent
	hidden  map[string]bool
	nonces  map[string]bool
	calls   map[string]int // "GET /2/dm_events" → count
	limited map[string][]int64
	// Created records our posts and messages, in order.
	posted []posted
}

type posted struct {
	Kind    string // "tweet" or "dm"
	ID      string
	Text    string
	ReplyTo string // tweets
	To      string // direct messages
}

func newFakeX(t testing.TB) *fakeX {
	f := &fakeX{t: t, nextID: 1800000000000000000, users: map[string]user{}, hidden: map[string]bool{}, nonces: map[string]bool{},
		calls: map[string]int{}, limited: map[string][]int64{}}
	f.users[accountID] = user{ID: accountID, Name: "Acme Support", Username: accountHandle}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/users/me", f.me)
	mux.HandleFunc("GET /2/users/{id}/mentions", f.mentions)
	mux.HandleFunc("GET /2/dm_events", f.dmEvents)
	mux.HandleFunc("POST /2/tweets", f.createTweet)
	mux.HandleFunc("POST /2/dm_conversations/with/{id}/messages", f.createDM)
	mux.HandleFunc("PUT /2/tweets/{id}/hidden", f.hide)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r) {
			problemJSON(w, 401, "Unauthorized", "Unauthorized")
			return
		}
		key := r.Method + " " + r.URL.Path
		f.mu.Lock()
		f.calls[key]++
		var reset int64 = -1
		for prefix, list := range f.limited {
			if strings.HasPrefix(key, prefix) && len(list) > 0 {
				reset, f.limited[prefix] = list[0], list[1:]
				break
			}
		}
		f.mu.Unlock()
		if reset >= 0 {
			w.Header().Set("x-rate-limit-limit", "10")
			w.Header().Set("x-rate-limit-remaining", "0")
			w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset, 10))
			problemJSON(w, 429, "Too Many Requests", "Too Many Requests")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func problemJSON(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// enc is RFC 3986 percent-encoding, written apart from the adapter's.
func enc(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), "%7E", "~")
}

// authorized recomputes the request's HMAC-SHA1 signature from the
// Authorization header, the method, the URL and the query, and refuses
// replayed nonces and another app's or account's keys.
func (f *fakeX) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "OAuth ") {
		return false
	}
	params := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(h, "OAuth "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return false
		}
		dv, err := url.PathUnescape(v[1 : len(v)-1])
		if err != nil {
			return false
		}
		params[k] = dv
	}
	if params["oauth_consumer_key"] != consumerKey || params["oauth_token"] != accessToken || params["oauth_signature_method"] != "HMAC-SHA1" ||
		params["oauth_version"] != "1.0" || params["oauth_nonce"] == "" || params["oauth_timestamp"] == "" {
		return false
	}
	var pairs []string
	for k, v := range params {
		if k != "oauth_signature" {
			pairs = append(pairs, enc(k)+"="+enc(v))
		}
	}
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, enc(k)+"="+enc(v))
		}
	}
	sort.Strings(pairs)
	base := r.Method + "&" + enc("http://"+r.Host+r.URL.EscapedPath()) + "&" + enc(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(enc(consumerSecret)+"&"+enc(accessSecret)))
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nonces[params["oauth_nonce"]] {
		return false
	}
	f.nonces[params["oauth_nonce"]] = true
	return hmac.Equal([]byte(want), []byte(params["oauth_signature"]))
}

// settings is the channel's settings JSON for this fake.
func (f *fakeX) settings() string {
	return fmt.Sprintf(`{"user_id":%q,"handle":%q,"api_base_url":%q,"consumer_key":%q,"consumer_secret":%q,"access_token":%q,"access_token_secret":%q}`,
		accountID, accountHandle, f.srv.URL, consumerKey, consumerSecret, accessToken, accessSecret)
}

// channel is the channel as the core hands it to the adapter.
func (f *fakeX) channel() *domain.Channel {
	return &domain.Channel{ID: 7, Kind: Kind, Enabled: true,
		Settings: json.RawMessage(fmt.Sprintf(`{"user_id":%q,"handle":%q,"api_base_url":%q}`, accountID, accountHandle, f.srv.URL)),
		Secrets: map[string]string{SecretConsumerKey: consumerKey, SecretConsumerSecret: consumerSecret,
			SecretAccessToken: accessToken, SecretAccessTokenSecret: accessSecret}}
}

func (f *fakeX) id() string {
	f.nextID += 1 << 22
	return strconv.FormatInt(f.nextID, 10)
}

// addUser makes a customer known to X.
func (f *fakeX) addUser(id, username, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = user{ID: id, Username: username, Name: name, ProfileImageURL: "https://pbs.twimg.com/profile_images/" + id + "/a_normal.jpg"}
}

// mention posts a tweet by author mentioning the account, at time at,
// replying to replyTo when set, and returns its id.
func (f *fakeX) mention(author, text, replyTo string, at time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := tweet{ID: f.id(), Text: text, AuthorID: author, CreatedAt: at.UTC().Format("2006-01-02T15:04:05.000Z")}
	t.ConversationID = t.ID
	if replyTo != "" {
		for _, p := range f.tweets {
			if p.ID == replyTo {
				t.ConversationID = p.ConversationID
				t.InReplyToUserID = p.AuthorID
			}
		}
		t.ReferencedTweets = append(t.ReferencedTweets, struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}{"replied_to", replyTo})
	}
	f.tweets = append(f.tweets, t)
	return t.ID
}

// dm has from send text to the account at time at.
func (f *fakeX) dm(from, text string, at time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := dmEvent{ID: f.id(), EventType: "MessageCreate", Text: text, SenderID: from, DMConversationID: conversation(from, accountID),
		CreatedAt: at.UTC().Format("2006-01-02T15:04:05.000Z")}
	f.dms = append(f.dms, ev)
	return ev.ID
}

func conversation(a, b string) string {
	if idAfter(a, b) {
		a, b = b, a
	}
	return a + "-" + b
}

// limit answers the next requests whose "METHOD /path" starts with prefix
// with 429, one per reset time given.
func (f *fakeX) limit(prefix string, resets ...int64) { f.limitAfter(prefix, 0, resets...) }

// limitAfter lets n such requests through first.
func (f *fakeX) limitAfter(prefix string, n int, resets ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.limited[prefix] = append(f.limited[prefix], -1)
	}
	f.limited[prefix] = append(f.limited[prefix], resets...)
}

func (f *fakeX) Calls(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeX) Posted() []posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posted)
}

func (f *fakeX) Hidden(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hidden[id]
}

func (f *fakeX) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"data": f.users[accountID]})
}

// page cuts items (newest first) at a pagination token, which names the
// first id of the page, and returns the page and the next token.
func page[T any](items []T, id func(T) string, token string, size int) ([]T, string, bool) {
	start := 0
	if token != "" {
		start = -1
		for i, it := range items {
			if "tok-"+id(it) == token {
				start = i
			}
		}
		if start < 0 {
			return nil, "", false
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = "tok-" + id(items[end])
	}
	return items[start:end], next, true
}

func pageSizeOf(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("max_results"))
	if err != nil {
		return 10
	}
	return n
}

func (f *fakeX) mentions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.PathValue("id") != accountID {
		problemJSON(w, 403, "Forbidden", "You can only read your own mentions with this token.")
		return
	}
	if q.Get("expansions") != "author_id,referenced_tweets.id" || !strings.Contains(q.Get("tweet.fields"), "conversation_id") ||
		!strings.Contains(q.Get("user.fields"), "username") {
		problemJSON(w, 400, "Invalid Request", "the adapter must ask for authors, referenced posts and conversations")
		return
	}
	since, start := q.Get("since_id"), q.Get("start_time")
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []tweet
	for i := len(f.tweets) - 1; i >= 0; i-- {
		t := f.tweets[i]
		if t.AuthorID == accountID && !strings.Contains(t.Text, "@"+accountHandle) {
			continue
		}
		if since != "" && !idAfter(t.ID, since) || start != "" && when(t.CreatedAt).Before(when(start)) {
			continue
		}
		all = append(all, t)
	}
	data, next, ok := page(all, func(t tweet) string { return t.ID }, q.Get("pagination_token"), pageSizeOf(r))
	if !ok {
		problemJSON(w, 400, "Invalid Request", "The `pagination_token` query parameter value is not valid.")
		return
	}
	res := tweetPage{Data: data, Meta: meta{ResultCount: len(data), NextToken: next}}
	if len(data) > 0 {
		res.Meta.NewestID, res.Meta.OldestID = data[0].ID, data[len(data)-1].ID
	}
	seen := map[string]bool{}
	for _, t := range data {
		if !seen[t.AuthorID] {
			seen[t.AuthorID] = true
			res.Includes.Users = append(res.Includes.Users, f.users[t.AuthorID])
		}
		for _, ref := range t.ReferencedTweets {
			for _, p := range f.tweets {
				if p.ID == ref.ID {
					res.Includes.Tweets = append(res.Includes.Tweets, p)
				}
			}
		}
	}
	if len(data) == 0 {
		writeJSON(w, 200, map[string]any{"meta": map[string]int{"result_count": 0}})
		return
	}
	writeJSON(w, 200, res)
}

func (f *fakeX) dmEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("event_types") != "MessageCreate" || !strings.Contains(q.Get("dm_event.fields"), "sender_id") {
		problemJSON(w, 400, "Invalid Request", "the adapter must ask for messages with their senders")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []dmEvent
	for i := len(f.dms) - 1; i >= 0; i-- {
		all = append(all, f.dms[i])
	}
	data, next, ok := page(all, func(e dmEvent) string { return e.ID }, q.Get("pagination_token"), pageSizeOf(r))
	if !ok {
		problemJSON(w, 400, "Invalid Request", "The `pagination_token` query parameter value is not valid.")
		return
	}
	res := dmPage{Data: data, Meta: meta{ResultCount: len(data), NextToken: next}}
	seen := map[string]bool{}
	for _, e := range data {
		if !seen[e.SenderID] {
			seen[e.SenderID] = true
			res.Includes.Users = append(res.Includes.Users, f.users[e.SenderID])
		}
	}
	writeJSON(w, 200, res)
}

func (f *fakeX) createTweet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text  string `json:"text"`
		Reply *struct {
			InReplyToTweetID string `json:"in_reply_to_tweet_id"`
		} `json:"reply"`
	}
	b, _ := io.ReadAll(r.Body)
	if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &in) != nil || in.Text == "" {
		problemJSON(w, 400, "Invalid Request", "One or more parameters to your request was invalid.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.posted {
		if p.Kind == "tweet" && p.Text == in.Text {
			problemJSON(w, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
			return
		}
	}
	t := tweet{ID: f.id(), Text: in.Text, AuthorID: accountID}
	t.ConversationID = t.ID
	p := posted{Kind: "tweet", ID: t.ID, Text: in.Text}
	if in.Reply != nil {
		p.ReplyTo = in.Reply.InReplyToTweetID
		for _, parent := range f.tweets {
			if parent.ID == p.ReplyTo {
				t.ConversationID = parent.ConversationID
			}
		}
	}
	f.tweets = append(f.tweets, t)
	f.posted = append(f.posted, p)
	writeJSON(w, 201, map[string]any{"data": map[string]any{"id": t.ID, "text": t.Text, "edit_history_tweet_ids": []string{t.ID}}})
}

func (f *fakeX) createDM(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text string `json:"text"`
	}
	b, _ := io.ReadAll(r.Body)
	if json.Unmarshal(b, &in) != nil || in.Text == "" {
		problemJSON(w, 400, "Invalid Request", "One or more parameters to your request was invalid.")
		return
	}
	to := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[to]; !ok {
		problemJSON(w, 403, "Forbidden", "You cannot send messages to this user.")
		return
	}
	ev := dmEvent{ID: f.id(), EventType: "MessageCreate", Text: in.Text, SenderID: accountID, DMConversationID: conversation(to, accountID),
		CreatedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	f.dms = append(f.dms, ev)
	f.posted = append(f.posted, posted{Kind: "dm", ID: ev.ID, Text: in.Text, To: to})
	writeJSON(w, 201, map[string]any{"data": map[string]string{"dm_conversation_id": ev.DMConversationID, "dm_event_id": ev.ID}})
}

func (f *fakeX) hide(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Hidden *bool `json:"hidden"`
	}
	b, _ := io.ReadAll(r.Body)
	if json.Unmarshal(b, &in) != nil || in.Hidden == nil {
		problemJSON(w, 400, "Invalid Request", "hidden is required")
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tweets {
		if t.ID != id {
			continue
		}
		// X hides only replies in a conversation the account started.
		ours := false
		for _, root := range f.tweets {
			if root.ID == t.ConversationID && root.AuthorID == accountID {
				ours = true
			}
		}
		if !ours {
			problemJSON(w, 403, "Forbidden", "You cannot hide or unhide replies to conversations you did not start.")
			return
		}
		f.hidden[id] = *in.Hidden
		writeJSON(w, 200, map[string]any{"data": map[string]bool{"hidden": *in.Hidden}})
		return
	}
	problemJSON(w, 404, "Not Found Error", "Could not find tweet with id: ["+id+"].")
}
