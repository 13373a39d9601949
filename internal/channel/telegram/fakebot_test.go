package telegram

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

// testToken is the bot token the fake Bot API accepts.
const testToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// fakeBot speaks the Bot API as documented at core.telegram.org/bots/api:
// methods at /bot<token>/<method> answering {"ok","result"} or
// {"ok":false,"error_code","description","parameters"}, files at
// /file/bot<token>/<file_path>, and getUpdates with offsets.
type fakeBot struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   []botCall
	canned  map[string][]cannedReply // one-shot answers per method
	files   map[string][]byte        // by file id; the file path is "files/<id>"
	sizes   map[string]int64         // file sizes getFile claims, when not len(files[id])
	updates []json.RawMessage        // every update ever queued, by update_id order
	news    chan struct{}            // closed when updates are queued
	nextMsg int64
	offsets []int64 // the offset of each getUpdates call
	gaveUp  int     // getUpdates calls the client abandoned
}

// botCall is one method call the fake received.
type botCall struct {
	Method   string
	Params   map[string]any    // a JSON call's parameters
	Fields   map[string]string // a multipart call's fields
	File     []byte
	FileName string
	Field    string
}

type cannedReply struct {
	status int
	body   string
}

func newFakeBot(t testing.TB) *fakeBot {
	f := &fakeBot{canned: map[string][]cannedReply{}, files: map[string][]byte{}, sizes: map[string]int64{}, news: make(chan struct{}), nextMsg: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// settings is a channel's settings JSON pointing at the fake.
func (f *fakeBot) settings() string {
	return fmt.Sprintf(`{"api_base_url":%q,"bot_token":%q,"secret_token":"s3cr3t-token"}`, f.srv.URL, testToken)
}

// channel is a channel using the fake.
func (f *fakeBot) channel(id int64) *domain.Channel {
	return &domain.Channel{ID: id, Kind: Kind, Enabled: true, Settings: json.RawMessage(fmt.Sprintf(`{"api_base_url":%q}`, f.srv.URL)),
		Secrets: map[string]string{"bot_token": testToken, "secret_token": "s3cr3t-token"}}
}

// fail makes the next call of method answer status with body.
func (f *fakeBot) fail(method string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canned[method] = append(f.canned[method], cannedReply{status, body})
}

// queue adds updates for getUpdates.
func (f *fakeBot) queue(updates ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range updates {
		f.updates = append(f.updates, json.RawMessage(u))
	}
	close(f.news)
	f.news = make(chan struct{})
}

// callsOf returns the calls of a method so far.
func (f *fakeBot) callsOf(method string) []botCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []botCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeBot) getUpdatesOffsets() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.offsets...)
}

func (f *fakeBot) serve(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+testToken+"/files/"); ok {
		f.mu.Lock()
		data, found := f.files[path]
		f.mu.Unlock()
		if !found {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !ok || token != testToken {
		reply(w, 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	c := botCall{Method: method}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		c.Fields = map[string]string{}
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FileName() != "" {
				c.File, c.FileName, c.Field = b, p.FileName(), p.FormName()
			} else {
				c.Fields[p.FormName()] = string(b)
			}
		}
	} else if err := json.NewDecoder(r.Body).Decode(&c.Params); err != nil {
		reply(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON"}`)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	if q := f.canned[method]; len(q) > 0 {
		f.canned[method] = q[1:]
		f.mu.Unlock()
		reply(w, q[0].status, q[0].body)
		return
	}
	f.mu.Unlock()
	switch method {
	case "sendMessage", "sendPhoto", "sendDocument":
		chatID := fmt.Sprint(c.Params["chat_id"])
		if c.Fields != nil {
			chatID = c.Fields["chat_id"]
		}
		f.mu.Lock()
		f.nextMsg++
		id := f.nextMsg
		f.mu.Unlock()
		reply(w, 200, fmt.Sprintf(`{"ok":true,"result":{"message_id":%d,"date":1700000000,"chat":{"id":%s,"type":"private"}}}`, id, chatID))
	case "getFile":
		id, _ := c.Params["file_id"].(string)
		f.mu.Lock()
		data, found := f.files[id]
		size, sized := f.sizes[id]
		f.mu.Unlock()
		if !sized {
			size = int64(len(data))
		}
		if !found {
			reply(w, 400, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		reply(w, 200, fmt.Sprintf(`{"ok":true,"result":{"file_id":%q,"file_unique_id":"u","file_size":%d,"file_path":"files/%s"}}`, id, size, id))
	case "getMe":
		reply(w, 200, `{"ok":true,"result":{"id":987654321,"is_bot":true,"first_name":"Loket","username":"loket_test_bot"}}`)
	case "getWebhookInfo":
		reply(w, 200, `{"ok":true,"result":{"url":"","has_custom_certificate":false,"pending_update_count":2}}`)
	case "getUpdates":
		f.getUpdates(w, r, c.Params)
	default:
		reply(w, 200, `{"ok":true,"result":true}`)
	}
}

// getUpdates answers the updates from offset on, waiting for some up to
// the request's timeout.
func (f *fakeBot) getUpdates(w http.ResponseWriter, r *http.Request, params map[string]any) {
	var offset int64
	if o, ok := params["offset"].(float64); ok {
		offset = int64(o)
	}
	timeout, _ := params["timeout"].(float64)
	f.mu.Lock()
	f.offsets = append(f.offsets, offset)
	f.mu.Unlock()
	deadline := time.After(time.Duration(timeout * float64(time.Second)))
	for {
		f.mu.Lock()
		var out []json.RawMessage
		for _, u := range f.updates {
			var head struct {
				UpdateID int64 `json:"update_id"`
			}
			json.Unmarshal(u, &head)
			if head.UpdateID >= offset {
				out = append(out, u)
			}
		}
		news := f.news
		f.mu.Unlock()
		if len(out) > 0 {
			b, _ := json.Marshal(out)
			reply(w, 200, `{"ok":true,"result":`+string(b)+`}`)
			return
		}
		select {
		case <-news:
		case <-deadline:
			reply(w, 200, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			f.mu.Lock()
			f.gaveUp++
			f.mu.Unlock()
			return
		}
	}
}

func (f *fakeBot) abandonedPolls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gaveUp
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
