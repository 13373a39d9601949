package whatsapp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"loket.dev/loket/internal/channel/metahook"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Ids and secrets of the fake business account; the fixtures in testdata
// are addressed to phoneNumberID.
const (
	phoneNumberID = "106540352242922"
	wabaID        = "102290129340398"
	accessToken   = "EAAtest-token"
	appSecret     = "app-secret-of-the-test"
	verifyToken   = "verify-me-please"
)

// fakeGraph is a local stand-in for the Graph API of one WhatsApp business
// number: it takes messages and uploads, serves media in two steps, lists
// templates in pages and describes the number. Every call needs the token.
type fakeGraph struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	sent      []map[string]any // bodies posted to /messages, in order
	uploads   []upload
	answers   []answer // what the next posts to /messages answer, before succeeding
	media     map[string]mediaFile
	templates [][]map[string]any // pages
	calls     map[string]int     // "GET /v21.0/{id}" and so on, by pattern
}

type upload struct {
	Product, Type, Filename, ContentType string
	Data                                 []byte
}

type answer struct {
	Status     int
	Body       string
	RetryAfter string // the Retry-After header, if any
}

type mediaFile struct {
	MimeType string
	Data     []byte
}

func newFakeGraph(t testing.TB) *fakeGraph {
	g := &fakeGraph{t: t, media: map[string]mediaFile{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			g.mu.Lock()
			g.calls[pattern]++
			g.mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer "+accessToken {
				writeGraphError(w, 401, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190}}`)
				return
			}
			h(w, r)
		})
	}
	handle("POST /v21.0/{number}/messages", g.messages)
	handle("POST /v21.0/{number}/media", g.upload)
	handle("GET /v21.0/{waba}/message_templates", g.listTemplates)
	handle("GET /v21.0/{id}", g.object)
	handle("GET /download/{id}", g.download)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func writeGraphError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// settings is a channel's settings JSON (secrets included) for the fake.
func (g *fakeGraph) settings() string {
	return fmt.Sprintf(`{"phone_number_id":%q,"waba_id":%q,"api_base_url":%q,"access_token":%q,"app_secret":%q,"verify_token":%q}`,
		phoneNumberID, wabaID, g.srv.URL, accessToken, appSecret, verifyToken)
}

// failNext makes the next posts to /messages answer these, in order.
func (g *fakeGraph) failNext(answers ...answer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answers = append(g.answers, answers...)
}

func (g *fakeGraph) messages(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.PathValue("number") != phoneNumberID || r.Header.Get("Content-Type") != "application/json" {
		writeGraphError(w, 400, `{"error":{"message":"(#100) Invalid parameter","code":100}}`)
		return
	}
	if len(g.answers) > 0 {
		a := g.answers[0]
		g.answers = g.answers[1:]
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		writeGraphError(w, a.Status, a.Body)
		return
	}
	var msg map[string]any
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		writeGraphError(w, 400, `{"error":{"message":"(#100) Invalid JSON","code":100}}`)
		return
	}
	g.sent = append(g.sent, msg)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.OUT-%d"}]}`,
		msg["to"], msg["to"], len(g.sent))
}

func (g *fakeGraph) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeGraphError(w, 400, `{"error":{"message":"(#100) The parameter file is required.","code":100}}`)
		return
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		writeGraphError(w, 400, `{"error":{"message":"(#100) The parameter file is required.","code":100}}`)
		return
	}
	data, _ := io.ReadAll(f)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.uploads = append(g.uploads, upload{Product: r.FormValue("messaging_product"), Type: r.FormValue("type"),
		Filename: h.Filename, ContentType: h.Header.Get("Content-Type"), Data: data})
	fmt.Fprintf(w, `{"id":"media-up-%d"}`, len(g.uploads))
}

// object answers GET /{id}: the business number, or a media item's URL.
func (g *fakeGraph) object(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == phoneNumberID {
		if r.URL.Query().Get("fields") != "display_phone_number,verified_name" {
			writeGraphError(w, 400, `{"error":{"message":"(#100) Unknown fields","code":100}}`)
			return
		}
		io.WriteString(w, `{"display_phone_number":"+1 555-078-3881","verified_name":"Loket Shop","id":"`+phoneNumberID+`"}`)
		return
	}
	g.mu.Lock()
	m, ok := g.media[id]
	g.mu.Unlock()
	if !ok {
		writeGraphError(w, 400, `{"error":{"message":"Unsupported get request. Object with ID '`+id+`' does not exist","type":"GraphMethodException","code":100,"error_subcode":33}}`)
		return
	}
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","url":"%s/download/%s","mime_type":%q,"sha256":"x","file_size":%d,"id":%q}`,
		g.srv.URL, id, m.MimeType, len(m.Data), id)
}

func (g *fakeGraph) download(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	m, ok := g.media[r.PathValue("id")]
	g.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.MimeType)
	w.Write(m.Data)
}

func (g *fakeGraph) listTemplates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.PathValue("waba") != wabaID || q.Get("fields") != "name,language,status,category,components" || q.Get("limit") != "100" {
		writeGraphError(w, 400, `{"error":{"message":"(#100) Invalid parameter","code":100}}`)
		return
	}
	page, _ := strconv.Atoi(q.Get("after"))
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]any{"data": []any{}}
	if page < len(g.templates) {
		out["data"] = g.templates[page]
	}
	if page+1 < len(g.templates) {
		q.Set("after", strconv.Itoa(page+1))
		out["paging"] = map[string]any{"cursors": map[string]string{"after": strconv.Itoa(page + 1)}, "next": g.srv.URL + r.URL.Path + "?" + q.Encode()}
	}
	json.NewEncoder(w).Encode(out)
}

// sentMessages returns what was posted to /messages so far.
func (g *fakeGraph) sentMessages() []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]map[string]any(nil), g.sent...)
}

func (g *fakeGraph) callCount(pattern string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[pattern]
}

// fixture reads a webhook payload from testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed is the signature header Meta would send for body.
func signed(body []byte) http.Header {
	return http.Header{metahook.SignatureHeader: {metahook.Sign(appSecret, body)}}
}
