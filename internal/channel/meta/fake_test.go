package meta

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	pageToken = "EAAGtestpagetoken"
	appSecret = "0123456789abcdef0123456789abcdef"
	verify    = "loket-verify-me"
	// jpeg is what the fake CDN serves for every image.
	jpeg = "\xff\xd8\xff\xe0 a label photo"
)

// sent is one Send API call the fake Graph API received.
type sent struct {
	Path          string
	Auth          string
	Recipient     sendRecipient
	MessagingType string
	Message       json.RawMessage
	// File and FileType are a multipart upload's filedata.
	File     string
	FileType string
	FileName string
}

// graphReply is a canned answer of the fake Send API.
type graphReply struct {
	status int
	body   string
}

// fakeGraph speaks the Graph API's Send API (private replies to comments
// included), User Profile API, node reads, comment replies and comment
// moderation as documented, plus a CDN for media, on a local server.
type fakeGraph struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	sends    []sent
	profiles map[string]int // lookups per id
	replies  []graphReply   // answered before any success, in order
	media    int            // media downloads
	attempts int            // Send API calls, refused ones included
	next     int
	// writes are the comment replies and moderation calls, in order.
	writes []graphWrite
	// commenters maps a comment to the Messenger or Instagram-scoped id
	// of its author, which a private reply's answer names.
	commenters map[string]string
	// privately are the comments answered privately (once each).
	privately map[string]bool
}

// graphWrite is one call on a comment: a public reply or moderation.
type graphWrite struct {
	Method string
	Node   string // the comment, with the edge for a reply
	Params url.Values
}

func newFakeGraph(t testing.TB) *fakeGraph {
	g := &fakeGraph{t: t, profiles: map[string]int{}, commenters: map[string]string{}, privately: map[string]bool{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func graphErr(status, code, subcode int, msg string) graphReply {
	return graphReply{status, fmt.Sprintf(`{"error":{"message":%q,"type":"OAuthException","code":%d,"error_subcode":%d,"fbtrace_id":"AbCdEf"}}`, msg, code, subcode)}
}

func (g *fakeGraph) fail(r ...graphReply) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.replies = append(g.replies, r...)
}

func (g *fakeGraph) Sends() []sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]sent(nil), g.sends...)
}

func (g *fakeGraph) Profiles(id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.profiles[id]
}

func (g *fakeGraph) Writes() []graphWrite {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]graphWrite(nil), g.writes...)
}

// commentBy makes the fake know who wrote a comment.
func (g *fakeGraph) commentBy(comment, recipient string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.commenters[comment] = recipient
}

func (g *fakeGraph) Attempts() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.attempts
}

func (g *fakeGraph) Media() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.media
}

func (g *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	answer := func(status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	if strings.HasPrefix(r.URL.Path, "/cdn/") {
		g.media++
		if strings.Contains(r.URL.Path, "gone") {
			http.Error(w, "URL signature expired", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		if strings.Contains(r.URL.Path, "huge") {
			io.WriteString(w, strings.Repeat("x", 2048))
			return
		}
		io.WriteString(w, jpeg)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+pageToken {
		answer(400, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"x"}}`)
		return
	}
	node, ok := strings.CutPrefix(r.URL.Path, "/"+DefaultAPIVersion+"/")
	if !ok {
		answer(400, `{"error":{"message":"Unknown path components","type":"OAuthException","code":2500}}`)
		return
	}
	if page, ok := strings.CutSuffix(node, "/messages"); ok && r.Method == "POST" {
		s := sent{Path: page, Auth: r.Header.Get("Authorization")}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch mt {
		case "application/json":
			var req struct {
				Recipient     sendRecipient   `json:"recipient"`
				MessagingType string          `json:"messaging_type"`
				Message       json.RawMessage `json:"message"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				answer(400, `{"error":{"message":"(#100) Invalid JSON","code":100}}`)
				return
			}
			s.Recipient, s.MessagingType, s.Message = req.Recipient, req.MessagingType, req.Message
		case "multipart/form-data":
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				switch p.FormName() {
				case "recipient":
					json.Unmarshal(b, &s.Recipient)
				case "messaging_type":
					s.MessagingType = string(b)
				case "message":
					s.Message = b
				case "filedata":
					s.File, s.FileType, s.FileName = string(b), p.Header.Get("Content-Type"), p.FileName()
				}
			}
		default:
			answer(400, `{"error":{"message":"(#100) Unsupported content type","code":100}}`)
			return
		}
		g.attempts++
		if len(g.replies) > 0 {
			rep := g.replies[0]
			g.replies = g.replies[1:]
			answer(rep.status, rep.body)
			return
		}
		recipient := s.Recipient.ID
		if c := s.Recipient.CommentID; c != "" {
			// A private reply: once per comment, to its author.
			if g.privately[c] {
				answer(400, `{"error":{"message":"(#10900) Activity already replied to","type":"OAuthException","code":10900,"fbtrace_id":"x"}}`)
				return
			}
			if recipient = g.commenters[c]; recipient == "" {
				answer(400, `{"error":{"message":"(#100) Invalid comment_id","type":"OAuthException","code":100,"fbtrace_id":"x"}}`)
				return
			}
			g.privately[c] = true
		}
		g.next++
		g.sends = append(g.sends, s)
		answer(200, fmt.Sprintf(`{"recipient_id":%q,"message_id":"m_sent-%d"}`, recipient, g.next))
		return
	}
	if comment, edge, _ := strings.Cut(node, "/"); r.Method == "DELETE" || (r.Method == "POST" && (edge == "comments" || edge == "replies" || edge == "")) {
		if err := r.ParseForm(); err != nil {
			answer(400, `{"error":{"message":"(#100) Invalid parameter","code":100}}`)
			return
		}
		fb := strings.Contains(comment, "_") // Facebook's comment ids name their post
		var ok string
		switch {
		case r.Method == "DELETE" && edge == "":
			ok = `{"success":true}`
		case edge == "comments" && fb || edge == "replies" && !fb:
			if r.PostForm.Get("message") == "" && r.URL.Query().Get("message") == "" {
				answer(400, `{"error":{"message":"(#100) The parameter message is required","code":100}}`)
				return
			}
			g.next++
			if fb {
				post, _, _ := strings.Cut(comment, "_")
				ok = fmt.Sprintf(`{"id":"%s_%d"}`, post, 9000000+g.next)
			} else {
				ok = fmt.Sprintf(`{"id":"%d"}`, 18000000000000000+g.next)
			}
		case edge == "" && fb && r.Form.Has("is_hidden") || edge == "" && !fb && r.Form.Has("hide"):
			ok = `{"success":true}`
		default:
			answer(400, `{"error":{"message":"(#100) Unsupported request on this comment","type":"GraphMethodException","code":100,"error_subcode":33}}`)
			return
		}
		g.attempts++
		if len(g.replies) > 0 {
			rep := g.replies[0]
			g.replies = g.replies[1:]
			answer(rep.status, rep.body)
			return
		}
		g.writes = append(g.writes, graphWrite{Method: r.Method, Node: node, Params: r.Form})
		answer(200, ok)
		return
	}
	if r.Method != "GET" {
		answer(400, `{"error":{"message":"Unsupported post request","code":100,"error_subcode":33}}`)
		return
	}
	fields := r.URL.Query().Get("fields")
	switch {
	case node == pageID && fields == "name":
		answer(200, `{"name":"Loket Shop","id":"`+pageID+`"}`)
	case node == igAccountID && fields == "username":
		answer(200, `{"username":"loketshop","id":"`+igAccountID+`"}`)
	case node == igMedia && fields == "caption,permalink":
		g.profiles[node]++
		answer(200, `{"caption":"Nieuw binnen: de winterjas.","permalink":"https://www.instagram.com/p/DAbCdEfGhIj/","id":"`+igMedia+`"}`)
	case node == postID && fields == "message,permalink_url":
		g.profiles[node]++
		answer(200, `{"message":"Onze kerstactie is begonnen!","permalink_url":"`+postURL+`","id":"`+postID+`"}`)
	case node == psid && fields == "first_name,last_name,locale":
		g.profiles[node]++
		answer(200, `{"first_name":"Jan","last_name":"Jansen","locale":"nl_NL","id":"`+psid+`"}`)
	case node == igsid && fields == "name,username":
		g.profiles[node]++
		answer(200, `{"name":"Eva de Vries","username":"eva.nl","id":"`+igsid+`"}`)
	default:
		g.profiles[node]++
		answer(400, `{"error":{"message":"(#100) No profile available for that user.","type":"OAuthException","code":100,"error_subcode":2018218}}`)
	}
}

// settings are a channel's settings against the fake, secrets included.
func (g *fakeGraph) settings(kind string) string {
	extra := ""
	if kind == KindInstagram {
		extra = `"instagram_account_id":"` + igAccountID + `",`
	}
	return fmt.Sprintf(`{"page_id":%q,%s"api_base_url":%q,"page_access_token":%q,"app_secret":%q,"verify_token":%q}`,
		pageID, extra, g.srv.URL, pageToken, appSecret, verify)
}
