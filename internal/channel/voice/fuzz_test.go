package voice

import (
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// checkBatch fails t unless b holds only events the core takes: a call
// id, a known state, direction and cause, an E.164 customer or none, and
// fields within the core's limits.
func checkBatch(t *testing.T, b *channel.Batch, err error) {
	t.Helper()
	if err != nil {
		var de *domain.Error
		if !errors.As(err, &de) || de.Code == "" {
			t.Fatalf("error %v is not a *domain.Error", err)
		}
		return
	}
	if b == nil {
		t.Fatal("nil batch without an error")
	}
	for _, ev := range b.Calls {
		switch {
		case ev.CallID == "" || len(ev.CallID) > 255:
			t.Fatalf("call id %q", ev.CallID)
		case !ev.State.Valid() || ev.State == domain.CallDialing || ev.State == domain.CallRequested:
			t.Fatalf("state %q", ev.State)
		case ev.Direction != domain.DirectionIn && ev.Direction != domain.DirectionOut:
			t.Fatalf("direction %q", ev.Direction)
		case ev.Cause != "" && !ev.Cause.Valid():
			t.Fatalf("cause %q", ev.Cause)
		case ev.Customer != "" && !e164.MatchString(ev.Customer):
			t.Fatalf("customer %q is not E.164", ev.Customer)
		case len(ev.Line) > 64 || len(ev.Agents) > 50 || len(ev.VoicemailURL) > 2048 || len(ev.Name) > maxName || ev.TeamID < 0:
			t.Fatalf("event out of bounds: %+v", ev)
		}
		for _, s := range append([]string{ev.CallID, ev.Line, ev.Name, ev.VoicemailURL}, ev.Agents...) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("text a database cannot store in %+v", ev)
			}
		}
	}
}

// FuzzParseCTI checks that any CTI body, as JSON or a form, parses into
// events the core takes or is refused with a *domain.Error, never a panic.
// The fixtures seed it.
func FuzzParseCTI(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "cti_*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		f.Add(filepath.Ext(name) == ".json", readFixture(f, filepath.Base(name)))
	}
	a := New(Config{})
	ch := &domain.Channel{ID: 1, Kind: Kind, Settings: json.RawMessage(`{"provider":"cti","reject_anonymous":true,"blocked":["0687654321"]}`)}
	f.Fuzz(func(t *testing.T, isJSON bool, body []byte) {
		ct := contentTypeForm
		if isJSON {
			ct = contentTypeJSON
		}
		b, err := a.Parse(ch, ct, body, "NL")
		checkBatch(t, b, err)
	})
}

// FuzzParseTwilio checks the same for Twilio's forms as the routes store
// them.
func FuzzParseTwilio(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "twilio_*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	routes := []string{routeIncoming, routeStatus, routeDialStatus, routeRecording}
	for i, name := range files {
		form, err := url.ParseQuery(string(readFixture(f, filepath.Base(name))))
		if err != nil {
			f.Fatal(err)
		}
		form.Set(paramRoute, routes[i%len(routes)])
		f.Add([]byte(form.Encode()))
	}
	a := New(Config{})
	ch := &domain.Channel{ID: 1, Kind: Kind, Settings: json.RawMessage(`{"provider":"twilio","reject_anonymous":true}`)}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := a.Parse(ch, contentTypeForm, body, "NL")
		checkBatch(t, b, err)
		if err == nil && len(b.Calls) > 0 && !strings.Contains(string(body), paramRoute) {
			t.Fatalf("a form without %s gave events", paramRoute)
		}
	})
}
