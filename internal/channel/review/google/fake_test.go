package google

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

// The credentials the fake Google knows.
const (
	clientID     = "1234-abc.apps.googleusercontent.com"
	clientSecret = "GOCSPX-secret"
	refreshToken = "1//0refresh-token"
	account      = "1234567890"
	location     = "9876543210"
)

// fakeGoogle speaks the documented OAuth token endpoint and the Business
// Profile API's reviews list and reply, checking credentials like Google.
type fakeGoogle struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	reviews  []apiReview
	valid    map[string]bool // access tokens Google accepts
	issued   int             // tokens issued
	throttle int             // list calls still to answer 429
	replies  []string        // reviewId + ": " + comment, in order
	lists    int             // list calls answered 200
}

func newFakeGoogle(t testing.TB) *fakeGoogle {
	f := &fakeGoogle{t: t, valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	loc := "/v4/accounts/" + account + "/locations/" + location
	mux.HandleFunc("GET "+loc+"/reviews", f.authed(f.list))
	mux.HandleFunc("PUT "+loc+"/reviews/{id}/reply", f.authed(f.reply))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGoogle) settings() string {
	return fmt.Sprintf(`{"account_id":%q,"location_id":%q,"reviews_url":"https://maps.app.goo.gl/abc"}`, account, location)
}

func (f *fakeGoogle) secrets() map[string]string {
	return map[string]string{"client_id": clientID, "client_secret": clientSecret, "refresh_token": refreshToken}
}

func (f *fakeGoogle) channel() *domain.Channel {
	return &domain.Channel{ID: 3, Kind: Kind, Enabled: true, Settings: json.RawMessage(f.settings()), Secrets: f.secrets()}
}

func (f *fakeGoogle) config(now func() time.Time) Config {
	return Config{Client: f.srv.Client(), APIBaseURL: f.srv.URL, TokenURL: f.srv.URL + "/token", Now: now}
}

func googleError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":{"code":%d,"message":%q,"status":%q}}`, code, msg, status)
}

func (f *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("token request typed %q", r.Header.Get("Content-Type"))
	}
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"The OAuth client was not found."}`)
		return
	}
	if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != refreshToken {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
		return
	}
	f.mu.Lock()
	f.issued++
	tok := fmt.Sprintf("ya29.a0-%d", f.issued)
	f.valid[tok] = true
	f.mu.Unlock()
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"scope":"https://www.googleapis.com/auth/business.manage","token_type":"Bearer"}`, tok)
}

// revoke makes Google refuse every access token issued so far.
func (f *fakeGoogle) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

func (f *fakeGoogle) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok = ok && f.valid[tok]
		f.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
			googleError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
			return
		}
		h(w, r)
	}
}

// add puts reviews on the location, replacing those with the same id.
func (f *fakeGoogle) add(rs ...apiReview) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		r.Name = "accounts/" + account + "/locations/" + location + "/reviews/" + r.ReviewID
		f.reviews = slices.DeleteFunc(f.reviews, func(x apiReview) bool { return x.ReviewID == r.ReviewID })
		f.reviews = append(f.reviews, r)
	}
	slices.SortStableFunc(f.reviews, func(x, y apiReview) int { return strings.Compare(y.UpdateTime, x.UpdateTime) })
}

func (f *fakeGoogle) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", "17")
		googleError(w, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests' of service 'mybusiness.googleapis.com'.")
		return
	}
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("pageSize"))
	if err != nil || size < 1 || size > 50 {
		googleError(w, 400, "INVALID_ARGUMENT", "pageSize must be 1 to 50")
		return
	}
	if q.Get("orderBy") != "updateTime desc" {
		f.t.Errorf("listed with orderBy %q", q.Get("orderBy"))
	}
	from := 0
	if tok := q.Get("pageToken"); tok != "" {
		if from, err = strconv.Atoi(strings.TrimPrefix(tok, "page-")); err != nil {
			googleError(w, 400, "INVALID_ARGUMENT", "Invalid page token")
			return
		}
	}
	to := min(from+size, len(f.reviews))
	ans := listAnswer{Reviews: []apiReview{}, TotalReviewCount: len(f.reviews)}
	if from < to {
		ans.Reviews = f.reviews[from:to]
	}
	if to < len(f.reviews) {
		ans.NextPageToken = "page-" + strconv.Itoa(to)
	}
	f.lists++
	json.NewEncoder(w).Encode(ans)
}

func (f *fakeGoogle) reply(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Comment string `json:"comment"`
	}
	raw, _ := io.ReadAll(r.Body)
	if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &body) != nil || body.Comment == "" {
		googleError(w, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
		return
	}
	if len(body.Comment) > 4096 {
		googleError(w, 400, "INVALID_ARGUMENT", "comment is too long")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	i := slices.IndexFunc(f.reviews, func(x apiReview) bool { return x.ReviewID == id })
	if i < 0 {
		googleError(w, 404, "NOT_FOUND", "Requested entity was not found.")
		return
	}
	f.replies = append(f.replies, id+": "+body.Comment)
	fmt.Fprintf(w, `{"comment":%q,"updateTime":"2026-12-02T10:00:00Z"}`, body.Comment)
}

func (f *fakeGoogle) sentReplies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.replies)
}

// gReview is a review written at, and last changed at, the given times.
func gReview(id string, stars string, created, updated time.Time) apiReview {
	var r apiReview
	r.ReviewID, r.StarRating, r.Comment = id, stars, "Review "+id
	r.Reviewer.DisplayName, r.Reviewer.ProfilePhotoURL = "Reviewer "+id, "https://lh3.googleusercontent.com/a-/"+id
	r.CreateTime, r.UpdateTime = created.UTC().Format(time.RFC3339Nano), updated.UTC().Format(time.RFC3339Nano)
	return r
}
