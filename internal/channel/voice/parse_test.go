package voice

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func TestReadNumber_ReadsTheWaysTelephoneSystemsWriteNumbers(t *testing.T) {
	tests := []struct {
		raw, region string
		want        number
	}{
		{"0612345678", "NL", number{E164: "+31612345678"}},
		{"31612345678", "NL", number{E164: "+31612345678"}},
		{"+31612345678", "NL", number{E164: "+31612345678"}},
		{"0031612345678", "NL", number{E164: "+31612345678"}},
		{"06-12 34 56 78", "NL", number{E164: "+31612345678"}},
		{"0201234567", "NL", number{E164: "+31201234567"}},
		{"030 1234567", "DE", number{E164: "+49301234567"}},
		{"4930123456", "NL", number{E164: "+4930123456"}},
		{"anonymous", "NL", number{Anonymous: true}},
		{"Anonymous", "NL", number{Anonymous: true}},
		{"", "NL", number{Anonymous: true}},
		{"+266696687", "NL", number{Anonymous: true}},
		{"201", "NL", number{Extension: "201"}},
		{"4711", "DE", number{Extension: "4711"}},
	}
	for _, tt := range tests {
		got, err := readNumber(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("readNumber(%q, %s) = %+v, %v; want %+v", tt.raw, tt.region, got, err, tt.want)
		}
	}
	for _, bad := range []string{"sip:201@pbx", "0612345678999999999999", "+", "12ab"} {
		var de *domain.Error
		if _, err := readNumber(bad, "NL"); !errors.As(err, &de) {
			t.Errorf("readNumber(%q) = %v, want a *domain.Error", bad, err)
		}
	}
}

func ctiChannel(t testing.TB, settings string) *domain.Channel {
	t.Helper()
	return &domain.Channel{ID: 7, Kind: Kind, Settings: json.RawMessage(settings), TeamID: 1, Enabled: true,
		Secrets: map[string]string{SecretToken: testCTIToken}}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCTI_MapsEventsToCallEvents(t *testing.T) {
	a := New(Config{Region: "NL"})
	ch := ctiChannel(t, `{"provider":"cti","wrap_up_seconds":30}`)
	tests := []struct {
		name, fixture, contentType string
		want                       []channel.CallEvent
	}{
		{"inbound newCall", "cti_newcall.json", contentTypeJSON, []channel.CallEvent{{CallID: "c0ffee-1", Direction: domain.DirectionIn,
			Customer: "+31612345678", Line: "+31201234567", State: domain.CallRinging, Agents: []string{"Anna de Vries", "Bram Jansen"}}}},
		{"answer as a form", "cti_answer.form", contentTypeForm, []channel.CallEvent{{CallID: "c0ffee-1", Direction: domain.DirectionIn,
			Customer: "+31612345678", Line: "+31201234567", State: domain.CallAnswered, Agents: []string{"Anna de Vries", "201"}}}},
		{"hangup", "cti_hangup.json", contentTypeJSON, []channel.CallEvent{{CallID: "c0ffee-1", Direction: domain.DirectionIn,
			Customer: "+31612345678", Line: "+31201234567", State: domain.CallEnded, Cause: domain.CauseNormal, Agents: []string{"201"}, WrapUp: 30 * time.Second}}},
		{"outbound newCall from an extension", "cti_outbound.json", contentTypeJSON, []channel.CallEvent{{CallID: "c0ffee-2", Direction: domain.DirectionOut,
			Customer: "+31612345678", Line: "201", State: domain.CallRinging, Agents: []string{"201"}}}},
		{"anonymous caller, call_id", "cti_anonymous.json", contentTypeJSON, []channel.CallEvent{{CallID: "c0ffee-3", Direction: domain.DirectionIn,
			Line: "+31201234567", State: domain.CallRinging}}},
		{"a call between extensions", "cti_internal.json", contentTypeJSON, nil},
	}
	for _, tt := range tests {
		b, err := a.Parse(ch, tt.contentType, readFixture(t, tt.fixture), "NL")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.EqualFunc(b.Calls, tt.want, sameEvent) {
			t.Errorf("%s: calls\n%+v\nwant\n%+v", tt.name, b.Calls, tt.want)
		}
	}
}

func sameEvent(a, b channel.CallEvent) bool {
	return a.CallID == b.CallID && a.Direction == b.Direction && a.Customer == b.Customer && a.Line == b.Line && a.State == b.State &&
		a.Cause == b.Cause && slices.Equal(a.Agents, b.Agents) && a.WrapUp == b.WrapUp && a.TeamID == b.TeamID &&
		a.VoicemailURL == b.VoicemailURL && a.Name == b.Name
}

func TestParseCTI_HangupCauses(t *testing.T) {
	s := &Settings{Region: "NL"}
	for cause, want := range map[string]domain.CallCause{
		"normalClearing": domain.CauseNormal, "busy": domain.CauseBusy, "cancel": domain.CauseCancelled, "noAnswer": domain.CauseNoAnswer,
		"congestion": domain.CauseFailed, "notFound": domain.CauseFailed, "forwarded": domain.CauseForwarded, "somethingNew": "",
	} {
		call, err := s.calls(&ctiEvent{Event: ctiHangup, From: "0612345678", To: "0201234567", Direction: "in", CallID: "x", Cause: cause})
		if err != nil || len(call.events) != 1 || call.events[0].Cause != want {
			t.Errorf("cause %s: %+v %v, want %q", cause, call, err, want)
		}
	}
}

func TestRejects_AnonymousAndBlockedCallersAreLoggedAsRejected(t *testing.T) {
	s := &Settings{Region: "NL", RejectAnonymous: true, Blocked: []string{"0687654321"}}
	for _, tt := range []struct {
		from   text
		reject bool
	}{{"anonymous", true}, {"0031687654321", true}, {"0612345678", false}} {
		call, err := s.calls(&ctiEvent{Event: ctiNewCall, From: tt.from, To: "0201234567", Direction: "in", CallID: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		if call.rejected != tt.reject {
			t.Errorf("%s: rejected %v, want %v", tt.from, call.rejected, tt.reject)
		}
		if tt.reject && (len(call.events) != 2 || call.events[1].State != domain.CallEnded || call.events[1].Cause != domain.CauseRejected) {
			t.Errorf("%s: events %+v, want ringing then ended/rejected", tt.from, call.events)
		}
	}
	if call, _ := (&Settings{Region: "NL"}).calls(&ctiEvent{Event: ctiNewCall, From: "anonymous", To: "0201234567", CallID: "r2"}); call.rejected {
		t.Error("an anonymous caller is rejected without reject_anonymous")
	}
}

func TestParseCTI_RefusesBadEventsWithACode(t *testing.T) {
	a := New(Config{Region: "NL"})
	ch := ctiChannel(t, `{"provider":"cti"}`)
	for name, c := range map[string]struct{ ct, body, code string }{
		"not JSON":        {contentTypeJSON, `{"event":`, "invalid_payload"},
		"unknown event":   {contentTypeJSON, `{"event":"transfer","callId":"1","from":"0612345678","to":"0201234567"}`, "unknown_event"},
		"no call id":      {contentTypeJSON, `{"event":"newCall","from":"0612345678","to":"0201234567"}`, "invalid_call_id"},
		"bad direction":   {contentTypeJSON, `{"event":"newCall","callId":"1","direction":"sideways","from":"0612345678"}`, "invalid_direction"},
		"bad number":      {contentTypeJSON, `{"event":"newCall","callId":"1","from":"sip:jan@example.com","to":"0201234567"}`, "invalid_number"},
		"XML":             {"text/xml", `<event/>`, "unsupported_content_type"},
		"too many users":  {contentTypeForm, "event=newCall&callId=1&from=0612345678&" + url.Values{"user[]": slices.Repeat([]string{"Anna"}, 21)}.Encode(), "too_many_users"},
		"numeric user ok": {contentTypeJSON, `{"event":"newCall","callId":"1","from":612345678,"user":201}`, ""},
	} {
		_, err := a.Parse(ch, c.ct, []byte(c.body), "NL")
		var de *domain.Error
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.code != "" && (!errors.As(err, &de) || de.Code != c.code):
			t.Errorf("%s: error %v, want %s", name, err, c.code)
		}
	}
}

func TestParseTwilio_MapsWebhooksToCallEvents(t *testing.T) {
	a := New(Config{Region: "NL"})
	ch := &domain.Channel{ID: 8, Kind: Kind, Settings: json.RawMessage(`{"provider":"twilio","number":"+31201234567","account_sid":"AC00112233445566778899aabbccddeeff"}`)}
	form := func(name string, route string, extra ...string) []byte {
		f, err := url.ParseQuery(string(readFixture(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		f.Set(paramRoute, route)
		for i := 0; i+1 < len(extra); i += 2 {
			f.Add(extra[i], extra[i+1])
		}
		return []byte(f.Encode())
	}
	const parent = "CA5d6e7f8091a2b3c4d5e6f708192a3b4c"
	tests := []struct {
		name string
		body []byte
		want []channel.CallEvent
	}{
		{"incoming", form("twilio_incoming.form", routeIncoming, paramAgent, "+31611111111", paramTeam, "3"), []channel.CallEvent{{CallID: parent,
			Direction: domain.DirectionIn, Customer: "+31612345678", Line: "+31201234567", State: domain.CallRinging, Agents: []string{"+31611111111"}, TeamID: 3, Name: "JANSEN J"}}},
		{"agent leg answered", form("twilio_child_answered.form", routeStatus), []channel.CallEvent{{CallID: parent,
			Direction: domain.DirectionIn, Customer: "+31612345678", Line: "+31611111111", State: domain.CallAnswered, Agents: []string{"+31611111111"}}}},
		{"agent leg not answered", form("twilio_child_noanswer.form", routeStatus), nil},
		{"call completed", form("twilio_completed.form", routeStatus), []channel.CallEvent{{CallID: parent,
			Direction: domain.DirectionIn, Customer: "+31612345678", Line: "+31201234567", State: domain.CallEnded, Cause: domain.CauseNormal, WrapUp: DefaultWrapUp}}},
		{"voicemail", form("twilio_recording.form", routeRecording), []channel.CallEvent{{CallID: parent,
			Direction: domain.DirectionIn, Customer: "+31612345678", Line: "+31201234567", State: domain.CallEnded,
			VoicemailURL: "https://api.twilio.com/2010-04-01/Accounts/AC00112233445566778899aabbccddeeff/Recordings/RE0123456789abcdef0123456789abcdef"}}},
		{"dial ended unanswered", form("twilio_dial_noanswer.form", routeDialStatus), nil},
		{"a click-to-call rings the agent", form("twilio_outbound_ringing.form", routeStatus), []channel.CallEvent{{CallID: "CA0000000000000000000000000000out1",
			Direction: domain.DirectionOut, Line: "+31611111111", State: domain.CallRinging}}},
	}
	for _, tt := range tests {
		b, err := a.Parse(ch, contentTypeForm, tt.body, "NL")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.EqualFunc(b.Calls, tt.want, sameEvent) {
			t.Errorf("%s: calls\n%+v\nwant\n%+v", tt.name, b.Calls, tt.want)
		}
	}
	var de *domain.Error
	if _, err := a.Parse(ch, contentTypeForm, readFixture(t, "twilio_incoming.form"), "NL"); !errors.As(err, &de) {
		t.Errorf("a form no route stored: %v, want a *domain.Error", err)
	}
}

func TestValidate_RefusesWhatTheAdminMustChange(t *testing.T) {
	a := New(Config{Region: "NL"})
	tok := map[string]string{SecretToken: testCTIToken}
	tw := map[string]string{SecretAuthToken: "secret"}
	tests := []struct {
		name, settings string
		secrets        map[string]string
		code           string
	}{
		{"cti", `{"provider":"cti","number":"+31201234567","routes":[{"attribute":"segment","equals":"vip","team_id":2},{"open_ticket_tag":"complaint","team_id":3}]}`, tok, ""},
		{"twilio", `{"provider":"twilio","number":"+31201234567","account_sid":"AC00112233445566778899aabbccddeeff","callbacks":true,"language":"nl"}`, tw, ""},
		{"unknown field", `{"provider":"cti","numbr":"+31201234567"}`, tok, "invalid_settings"},
		{"no provider", `{}`, tok, "invalid_provider"},
		{"short token", `{"provider":"cti"}`, map[string]string{SecretToken: "short"}, "invalid_token"},
		{"national number", `{"provider":"cti","number":"0201234567"}`, tok, "invalid_number"},
		{"bad blocked", `{"provider":"cti","blocked":["anonymous"]}`, tok, "invalid_blocked"},
		{"route without team", `{"provider":"cti","routes":[{"attribute":"segment","equals":"vip"}]}`, tok, "invalid_routes"},
		{"route with both", `{"provider":"cti","routes":[{"attribute":"segment","open_ticket_tag":"x","team_id":2}]}`, tok, "invalid_routes"},
		{"wrap-up", `{"provider":"cti","wrap_up_seconds":-1}`, tok, "invalid_wrap_up"},
		{"region", `{"provider":"cti","region":"XX"}`, tok, "invalid_region"},
		{"twilio without number", `{"provider":"twilio","account_sid":"AC00112233445566778899aabbccddeeff"}`, tw, "missing_number"},
		{"twilio without token", `{"provider":"twilio","number":"+31201234567","account_sid":"AC00112233445566778899aabbccddeeff"}`, nil, "missing_auth_token"},
		{"cti with twilio's", `{"provider":"cti","account_sid":"AC00112233445566778899aabbccddeeff"}`, tok, "invalid_settings"},
	}
	for _, tt := range tests {
		err := a.Validate(json.RawMessage(tt.settings), tt.secrets)
		var de *domain.Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.code != "" && (!errors.As(err, &de) || de.Code != tt.code):
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
}

func TestSend_RefusesForGoodBecauseCallsAreNotMessages(t *testing.T) {
	_, err := New(Config{}).Send(context.Background(), &channel.Outbound{Message: &domain.Message{ID: 9}})
	if !channel.IsPermanent(err) {
		t.Errorf("Send: %v, want a permanent error", err)
	}
	if c := New(Config{}).Capabilities(); !c.NoReplies {
		t.Errorf("capabilities %+v, want calls only", c)
	}
}
