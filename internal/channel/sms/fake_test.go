package sms

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Test credentials.
const (
	testAccountSID = "AC00112233445566778899aabbccddeeff"
	testAuthToken  = "twilio-auth-token-for-tests"
	testProduct    = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	testHookToken  = "cm-webhook-token-for-the-tests"
)

// testMedia is the picture the fake Twilio serves as MMS media.
var testMedia = []byte("\xff\xd8\xff\xe0 a small JPEG")

// fakeTwilio speaks Twilio's Messages API, account API and media
// downloads, with basic auth, and records what it was sent.
type fakeTwilio struct {
	*httptest.Server
	mu   sync.Mutex
	sent []url.Values
	// fail answers the next sends with these statuses and Twilio error
	// bodies before accepting again.
	fail []fakeFailure
}

type fakeFailure struct {
	status int
	code   int
	msg    string
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{}
	mux := http.NewServeMux()
	account := "/2010-04-01/Accounts/" + testAccountSID
	mux.HandleFunc("POST "+account+"/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil {
			twilioFail(w, 400, 21601, "bad form")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.sent = append(f.sent, r.PostForm)
		if len(f.fail) > 0 {
			e := f.fail[0]
			f.fail = f.fail[1:]
			twilioFail(w, e.status, e.code, e.msg)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued","to":%q,"body":%q}`, len(f.sent), r.PostForm.Get("To"), r.PostForm.Get("Body"))
	})
	mux.HandleFunc("GET "+account+".json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sid":%q,"friendly_name":"Loket tests","status":"active"}`, testAccountSID)
	})
	mux.HandleFunc("GET "+account+"/Messages/{message}/Media/{media}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("media") == "MEhuge" {
			w.Header().Set("Content-Type", "video/mp4")
			w.Write(make([]byte, maxMedia+1))
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(testMedia)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != testAccountSID || pass != testAuthToken {
			twilioFail(w, 401, 20003, "Authentication Error - invalid username")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func twilioFail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q,"more_info":"https://www.twilio.com/docs/errors/%d","status":%d}`, code, msg, code, status)
}

func (f *fakeTwilio) sends() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

func (f *fakeTwilio) failNext(e ...fakeFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, e...)
}

// fakeCM speaks CM's Business Messaging API and records the requests.
type fakeCM struct {
	*httptest.Server
	mu   sync.Mutex
	sent []cmRequest
	raw  [][]byte
	fail []int
}

func newFakeCM(t testing.TB) *fakeCM {
	f := &fakeCM{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != "POST" || r.URL.Path != "/v1.0/message" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var req cmRequest
		if json.Unmarshal(b, &req) != nil {
			w.WriteHeader(400)
			io.WriteString(w, `{"details":"Malformed request","errorCode":202,"messages":[]}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.sent, f.raw = append(f.sent, req), append(f.raw, b)
		if len(f.fail) > 0 {
			status := f.fail[0]
			f.fail = f.fail[1:]
			w.WriteHeader(status)
			io.WriteString(w, `{"details":"Unknown error","errorCode":999,"messages":[]}`)
			return
		}
		if req.Messages.Authentication.ProductToken != testProduct {
			w.WriteHeader(400)
			io.WriteString(w, `{"details":"No account found for the given authentication","errorCode":101,"messages":[]}`)
			return
		}
		type result struct {
			To               string `json:"to"`
			Status           string `json:"status"`
			Reference        string `json:"reference"`
			Parts            int    `json:"parts"`
			MessageDetails   any    `json:"messageDetails"`
			MessageErrorCode int    `json:"messageErrorCode"`
		}
		var out []result
		for _, m := range req.Messages.Msg {
			for _, to := range m.To {
				if !strings.HasPrefix(to.Number, "00") {
					out = append(out, result{To: to.Number, Status: "Rejected", Reference: m.Reference, MessageDetails: fmt.Sprintf("Gsm '%s' is not a number.", to.Number), MessageErrorCode: 303})
					continue
				}
				_, _, parts := Segments(m.Body.Content)
				out = append(out, result{To: to.Number, Status: "Accepted", Reference: m.Reference, Parts: parts})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"details": fmt.Sprintf("Created %d message(s)", len(out)), "errorCode": 0, "messages": out})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCM) requests() ([]cmRequest, [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cmRequest(nil), f.sent...), append([][]byte(nil), f.raw...)
}
