package voice

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Test credentials.
const (
	testCTIToken   = "cti-token-for-the-tests-0123456789"
	testAccountSID = "AC00112233445566778899aabbccddeeff"
	testAuthToken  = "twilio-auth-token-for-tests"
)

// fakeTwilio speaks Twilio's Calls API and account API with basic auth,
// and records the calls it was asked to place.
type fakeTwilio struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values
	// placing, when set, runs with each call's form and sid before Twilio
	// answers, as Twilio's first status callbacks may.
	placing func(form url.Values, sid string)
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{}
	mux := http.NewServeMux()
	account := "/2010-04-01/Accounts/" + testAccountSID
	mux.HandleFunc("POST "+account+"/Calls.json", func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("To") == "" || r.PostForm.Get("From") == "" || r.PostForm.Get("Url") == "" {
			twilioFail(w, http.StatusBadRequest, 21201, "No 'To' number is specified")
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.PostForm)
		sid, placing := fmt.Sprintf("CA%032d", len(f.calls)), f.placing
		f.mu.Unlock()
		if placing != nil {
			placing(r.PostForm, sid)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":%q,"status":"queued","to":%q,"from":%q}`, sid, r.PostForm.Get("To"), r.PostForm.Get("From"))
	})
	mux.HandleFunc("GET "+account+".json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sid":%q,"friendly_name":"Loket tests","status":"active"}`, testAccountSID)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != testAccountSID || pass != testAuthToken {
			twilioFail(w, http.StatusUnauthorized, 20003, "Authentication Error - invalid username")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// placed returns the calls Twilio was asked to place.
func (f *fakeTwilio) placed() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls...)
}

func twilioFail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q,"status":%d}`, code, msg, status)
}
