package trustpilot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

// The credentials the fake Trustpilot knows.
const (
	apiKey       = "tp-api-key"
	apiSecret    = "tp-api-secret"
	username     = "support@example.com"
	password     = "hunter2"
	businessUnit = "507f191e810c19729de860ea"
	businessUser = "507f191e810c19729de860eb"
)

// fakeTrustpilot speaks the documented token endpoint (Basic
// authentication with the API key and secret; password or client
// credentials grant), the private reviews list and the reply.
type fakeTrustpilot struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	reviews  []apiReview // newest first by createdAt
	valid    map[string]bool
	issued   int
	grants   []string
	throttle int
	replies  []string // reviewId + ": " + message
}

func newFakeTrustpilot(t testing.TB) *fakeTrustpilot {
	f := &fakeTrustpilot{t: t, valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+tokenPath, f.token)
	mux.HandleFunc("GET /v1/private/business-units/{unit}/reviews", f.authed(f.list))
	mux.HandleFunc("POST /v1/private/reviews/{id}/reply", f.authed(f.reply))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTrustpilot) settings(login bool) string {
	if login {
		return fmt.Sprintf(`{"business_unit_id":%q,"business_user_id":%q,"username":%q}`, businessUnit, businessUser, username)
	}
	return fmt.Sprintf(`{"business_unit_id":%q,"business_user_id":%q}`, businessUnit, businessUser)
}

func (f *fakeTrustpilot) secrets(login bool) map[string]string {
	s := map[string]string{"api_key": apiKey, "api_secret": apiSecret}
	if login {
		s["password"] = password
	}
	return s
}

func (f *fakeTrustpilot) channel(login bool) *domain.Channel {
	return &domain.Channel{ID: 4, Kind: Kind, Enabled: true, Settings: json.RawMessage(f.settings(login)), Secrets: f.secrets(login)}
}

func (f *fakeTrustpilot) config(now func() time.Time) Config {
	return Config{Client: f.srv.Client(), APIBaseURL: f.srv.URL, Now: now}
}

func (f *fakeTrustpilot) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	key, secret, ok := r.BasicAuth()
	if !ok || key != apiKey || secret != apiSecret {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}`)
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("token request typed %q", r.Header.Get("Content-Type"))
	}
	r.ParseForm()
	grant := r.PostForm.Get("grant_type")
	switch {
	case grant == "password" && r.PostForm.Get("username") == username && r.PostForm.Get("password") == password:
	case grant == "client_credentials":
	default:
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid username or password"}`)
		return
	}
	f.mu.Lock()
	f.issued++
	f.grants = append(f.grants, grant)
	tok := fmt.Sprintf("tp-access-%d", f.issued)
	f.valid[tok] = true
	f.mu.Unlock()
	fmt.Fprintf(w, `{"access_token":%q,"refresh_token":"tp-refresh","expires_in":"359999"}`, tok)
}

func (f *fakeTrustpilot) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

func (f *fakeTrustpilot) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok = ok && f.valid[tok]
		f.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Unauthorized","errorCode":0}`)
			return
		}
		h(w, r)
	}
}

func (f *fakeTrustpilot) add(rs ...apiReview) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		f.reviews = slices.DeleteFunc(f.reviews, func(x apiReview) bool { return x.ID == r.ID })
		f.reviews = append(f.reviews, r)
	}
	slices.SortStableFunc(f.reviews, func(x, y apiReview) int { return strings.Compare(y.CreatedAt, x.CreatedAt) })
}

func (f *fakeTrustpilot) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", "42")
		w.WriteHeader(429)
		fmt.Fprint(w, `{"message":"Too many requests"}`)
		return
	}
	if r.PathValue("unit") != businessUnit {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"message":"Business unit not found"}`)
		return
	}
	q := r.URL.Query()
	per, err1 := strconv.Atoi(q.Get("perPage"))
	page, err2 := strconv.Atoi(q.Get("page"))
	if err1 != nil || err2 != nil || per < 1 || per > 100 || page < 1 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"message":"Invalid paging"}`)
		return
	}
	if q.Get("orderBy") != "createdat.desc" {
		f.t.Errorf("listed with orderBy %q", q.Get("orderBy"))
	}
	from, to := (page-1)*per, min(page*per, len(f.reviews))
	ans := listAnswer{Reviews: []apiReview{}, Links: []link{}}
	if from < to {
		ans.Reviews = f.reviews[from:to]
	}
	if to < len(f.reviews) {
		ans.Links = append(ans.Links, link{Href: fmt.Sprintf("%s/v1/private/business-units/%s/reviews?page=%d&perPage=%d", f.srv.URL, businessUnit, page+1, per), Method: "GET", Rel: "next-page"})
	}
	json.NewEncoder(w).Encode(ans)
}

func (f *fakeTrustpilot) reply(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AuthorBusinessUserID string `json:"authorBusinessUserId"`
		Message              string `json:"message"`
	}
	raw, _ := io.ReadAll(r.Body)
	if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &body) != nil || body.Message == "" || body.AuthorBusinessUserID != businessUser {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"message":"Invalid reply: %s"}`, raw)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	if !slices.ContainsFunc(f.reviews, func(x apiReview) bool { return x.ID == id }) {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"message":"Review not found"}`)
		return
	}
	f.replies = append(f.replies, id+": "+body.Message)
	w.WriteHeader(201)
}

func tReview(id string, stars int, created time.Time) apiReview {
	var r apiReview
	r.ID, r.Stars, r.Title, r.Text, r.Language = id, stars, "Title "+id, "Review "+id, "en"
	r.Consumer.ID, r.Consumer.DisplayName = "consumer-"+id, "Consumer "+id
	r.CreatedAt = created.UTC().Format("2006-01-02T15:04:05")
	r.UpdatedAt = r.CreatedAt
	return r
}
