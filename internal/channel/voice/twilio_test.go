package voice

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/twiliohook"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

const parentSID = "CA5d6e7f8091a2b3c4d5e6f708192a3b4c"

// twilioChannel creates a Twilio voice channel with extra settings.
func (v *voiceEnv) twilioChannel(extra string) channeltest.Channel {
	v.T.Helper()
	if extra != "" {
		extra = "," + extra
	}
	return v.CreateChannel(Kind, fmt.Sprintf(`{"provider":"twilio","number":"+31201234567","account_sid":%q,"api_base_url":%q,"auth_token":%q%s}`,
		testAccountSID, v.twilio.URL, testAuthToken, extra))
}

// twilioPost posts a form to a route of a Twilio channel (path may carry
// a query), signed as Twilio signs it unless signature is set.
func (v *voiceEnv) twilioPost(ch channeltest.Channel, path string, form url.Values, signature string) (int, string) {
	v.T.Helper()
	if signature == "" {
		signature = twiliohook.Sign(testAuthToken, fmt.Sprintf("%s/api/v1/voice/%d/%s", v.URL, ch.ID, path), form)
	}
	status, b := v.Post(Kind, ch.ID, path, contentTypeForm, []byte(form.Encode()), http.Header{twiliohook.SignatureHeader: {signature}})
	return status, string(b)
}

// twiml posts a form and wants 200 with TwiML.
func (v *voiceEnv) twiml(ch channeltest.Channel, path string, form url.Values) string {
	v.T.Helper()
	status, body := v.twilioPost(ch, path, form, "")
	if status != http.StatusOK || !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?><Response>`) {
		v.T.Fatalf("%s answered %d %s, want TwiML", path, status, body)
	}
	return body
}

func incomingCall(from string) url.Values {
	return url.Values{"AccountSid": {testAccountSID}, "ApiVersion": {"2010-04-01"}, "CallSid": {parentSID}, "CallStatus": {"ringing"},
		"Direction": {"inbound"}, "From": {from}, "To": {"+31201234567"}, "Caller": {from}, "Called": {"+31201234567"}}
}

func leg(sid, status, to string) url.Values {
	return url.Values{"AccountSid": {testAccountSID}, "CallSid": {sid}, "ParentCallSid": {parentSID}, "CallStatus": {status},
		"Direction": {"outbound-dial"}, "From": {"+31612345678"}, "To": {to}}
}

func parentStatus(status string) url.Values {
	return url.Values{"AccountSid": {testAccountSID}, "CallSid": {parentSID}, "CallStatus": {status}, "Direction": {"inbound"},
		"From": {"+31612345678"}, "To": {"+31201234567"}}
}

func TestTwilio_IncomingCallRingsTheAvailableAgentsAndIsTakenByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel("")
		anna := v.agent("Anna de Vries", "+31611111111", v.Team)
		bram := v.agent("Bram Jansen", "+31622222222", v.Team)
		cor := v.agent("Cor de Wit", "+31633333333", v.Team)
		if _, err := st.SetPresence(context.Background(), cor.ID, domain.PresenceOffline, false, start); err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("%s/api/v1/voice/%d/", v.URL, ch.ID)
		answer := v.twiml(ch, "incoming", incomingCall("+31612345678"))
		want := `<Dial timeout="20" action="` + base + `dial-status" method="POST" callerId="+31612345678">` +
			`<Number statusCallback="` + base + `status" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">+31611111111</Number>` +
			`<Number statusCallback="` + base + `status" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">+31622222222</Number></Dial>`
		if !strings.Contains(answer, want) {
			t.Fatalf("incoming answered\n%s\nwant\n%s", answer, want)
		}
		c := v.call(ch.ID, parentSID)
		if c.State != domain.CallRinging || !slices.Equal(c.Ringing, []int64{anna.ID, bram.ID}) || c.Customer != "+31612345678" {
			t.Errorf("ringing call %+v, want Anna's and Bram's phones ringing", c)
		}
		v.twiml(ch, "status", leg("CAleg1", "ringing", "+31611111111"))
		v.twiml(ch, "status", leg("CAleg2", "ringing", "+31622222222"))
		v.tick(6)
		v.twiml(ch, "status", leg("CAleg2", "in-progress", "+31622222222"))
		v.twiml(ch, "status", leg("CAleg1", "canceled", "+31611111111"))
		if c := v.call(ch.ID, parentSID); c.State != domain.CallAnswered || c.AgentID != bram.ID {
			t.Errorf("call %+v, want answered by Bram", c)
		}
		v.tick(42)
		if answer := v.twiml(ch, "dial-status", url.Values{"CallSid": {parentSID}, "DialCallStatus": {"completed"}, "Direction": {"inbound"},
			"From": {"+31612345678"}, "To": {"+31201234567"}}); !strings.Contains(answer, "<Hangup/>") {
			t.Errorf("dial-status answered %s, want Hangup", answer)
		}
		v.twiml(ch, "status", parentStatus("completed"))
		c = v.call(ch.ID, parentSID)
		if c.State != domain.CallEnded || c.Cause != domain.CauseNormal || c.Seconds() != 42 || c.Missed || c.BusyUntil != c.EndedAt+60_000 {
			t.Errorf("ended call %+v, want a 42-second call with a minute's wrap-up", c)
		}
		if entries := v.callEntries(c.TicketID); len(entries) != 1 {
			t.Errorf("%d call entries, want 1", len(entries))
		}
	})
}

func TestTwilio_NobodyAvailableOffersVoicemailAndKeepsTheRecording(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel(`"language":"nl"`)
		rec := fmt.Sprintf("%s/api/v1/voice/%d/recording", v.URL, ch.ID)
		answer := v.twiml(ch, "incoming", incomingCall("+31612345678"))
		want := `<Say language="nl-NL">Het spijt ons, er is nu niemand beschikbaar. Spreek na de toon een bericht in, dan bellen wij u terug.</Say>` +
			`<Record maxLength="120" playBeep="true" action="` + rec + `" method="POST" recordingStatusCallback="` + rec + `" recordingStatusCallbackMethod="POST"/>`
		if !strings.Contains(answer, want) || strings.Contains(answer, "<Dial") {
			t.Fatalf("incoming answered\n%s\nwant voicemail\n%s", answer, want)
		}
		recording := "https://api.twilio.com/2010-04-01/Accounts/" + testAccountSID + "/Recordings/RE0123456789abcdef0123456789abcdef"
		form := url.Values{"AccountSid": {testAccountSID}, "CallSid": {parentSID}, "RecordingSid": {"RE0123456789abcdef0123456789abcdef"},
			"RecordingUrl": {recording}, "RecordingStatus": {"completed"}, "RecordingDuration": {"14"}}
		if answer := v.twiml(ch, "recording", form); !strings.Contains(answer, "<Hangup/>") {
			t.Errorf("recording answered %s, want Hangup", answer)
		}
		v.twiml(ch, "recording", form) // the action and the status callback both carry it
		v.twiml(ch, "status", parentStatus("completed"))
		c := v.call(ch.ID, parentSID)
		if c.VoicemailURL != recording || c.State != domain.CallEnded || !c.Missed {
			t.Errorf("call %+v, want a missed call with the voicemail", c)
		}
		if tk := v.ticket(c.TicketID); tk.Status != domain.StatusOpen || tk.AssigneeID != 0 {
			t.Errorf("ticket %s assigned to %d, want open in the queue", tk.Status, tk.AssigneeID)
		}
	})
}

func TestTwilio_UnansweredDialOffersVoicemail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel("")
		v.agent("Anna de Vries", "+31611111111", v.Team)
		if answer := v.twiml(ch, "incoming", incomingCall("+31612345678")); !strings.Contains(answer, "<Dial") {
			t.Fatalf("incoming answered %s, want a Dial", answer)
		}
		for _, status := range []string{"no-answer", "busy", "failed"} {
			answer := v.twiml(ch, "dial-status", url.Values{"CallSid": {parentSID}, "DialCallStatus": {status}, "Direction": {"inbound"},
				"From": {"+31612345678"}, "To": {"+31201234567"}})
			if !strings.Contains(answer, `<Say language="en-GB">`) || !strings.Contains(answer, "<Record ") {
				t.Errorf("dial %s answered %s, want voicemail", status, answer)
			}
		}
		if c := v.call(ch.ID, parentSID); c.State != domain.CallRinging {
			t.Errorf("call %+v, want still on while the caller records", c)
		}
	})
}

func TestTwilio_ForgedSignaturesAndRejectedCallers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel(`"reject_anonymous":true`)
		form := incomingCall("+31612345678")
		forged := twiliohook.Sign("not-the-token", fmt.Sprintf("%s/api/v1/voice/%d/incoming", v.URL, ch.ID), form)
		for _, path := range []string{"incoming", "status", "dial-status", "recording", "bridge?to=%2B31612345678&ref=x"} {
			if status, body := v.twilioPost(ch, path, form, forged); status != 401 || !strings.Contains(body, "invalid_signature") {
				t.Errorf("%s with a forged signature: %d %s, want 401", path, status, body)
			}
		}
		if got := v.Tickets(); len(got) != 0 {
			t.Fatalf("%d tickets after forged posts", len(got))
		}
		if answer := v.twiml(ch, "incoming", incomingCall("+266696687")); !strings.Contains(answer, `<Reject reason="busy"/>`) {
			t.Errorf("an anonymous caller was answered %s, want Reject", answer)
		}
		if c := v.call(ch.ID, parentSID); c.State != domain.CallEnded || c.Cause != domain.CauseRejected || c.Customer != "" {
			t.Errorf("call %+v, want ended as rejected", c)
		}
		cti := v.ctiChannel("")
		if status, _ := v.twilioPost(cti, "incoming", form, ""); status != 404 {
			t.Errorf("a Twilio post to a CTI channel answered %d", status)
		}
	})
}

func TestTwilio_ClickToCallRingsTheAgentThenBridgesOnlyThatCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel("")
		anna := v.agent("Anna de Vries", "+31611111111", v.Team)
		v.twiml(ch, "incoming", incomingCall("+31612345678"))
		tk := v.call(ch.ID, parentSID).TicketID

		dialed, err := v.Desk.Dial(context.Background(), tk, anna, ch.ID, "0612345678")
		if err != nil {
			t.Fatal(err)
		}
		placed := v.twilio.placed()
		if len(placed) != 1 {
			t.Fatalf("Twilio was asked to place %d calls", len(placed))
		}
		p := placed[0]
		base := fmt.Sprintf("%s/api/v1/voice/%d/", v.URL, ch.ID)
		if p.Get("To") != "+31611111111" || p.Get("From") != "+31201234567" || p.Get("StatusCallback") != base+"status" ||
			!slices.Equal(p["StatusCallbackEvent"], []string{"initiated", "ringing", "answered", "completed"}) {
			t.Errorf("Calls.json got %v", p)
		}
		bridge, err := url.Parse(p.Get("Url"))
		if err != nil || !strings.HasPrefix(p.Get("Url"), base+"bridge?") || bridge.Query().Get("to") != "+31612345678" || bridge.Query().Get("ref") == "" {
			t.Fatalf("bridge address %q", p.Get("Url"))
		}
		if dialed.CallID != "CA00000000000000000000000000000001" || v.call(ch.ID, dialed.CallID).State != domain.CallDialing {
			t.Errorf("dialed %+v, want Twilio's sid", dialed)
		}
		agentLeg := url.Values{"AccountSid": {testAccountSID}, "CallSid": {dialed.CallID}, "CallStatus": {"in-progress"},
			"Direction": {"outbound-api"}, "From": {"+31201234567"}, "To": {"+31611111111"}}
		path := "bridge?" + bridge.RawQuery
		answer := v.twiml(ch, path, agentLeg)
		want := `<Dial callerId="+31201234567"><Number statusCallback="` + base + `status" statusCallbackEvent="ringing answered completed" statusCallbackMethod="POST">+31612345678</Number></Dial>`
		if !strings.Contains(answer, want) {
			t.Errorf("bridge answered\n%s\nwant\n%s", answer, want)
		}
		other := url.Values{"to": {"+31900123456"}, "ref": {bridge.Query().Get("ref")}}
		for name, path := range map[string]string{
			"another number":  "bridge?" + other.Encode(),
			"an unknown call": "bridge?" + url.Values{"to": {"+31612345678"}, "ref": {"loket-guessed"}}.Encode(),
		} {
			form := agentLeg
			if name == "an unknown call" {
				form = url.Values{"CallSid": {"CAunknown"}}
			}
			if status, body := v.twilioPost(ch, path, form, ""); status != http.StatusForbidden || !strings.Contains(body, "unknown_call") {
				t.Errorf("bridge to %s answered %d %s, want 403 unknown_call", name, status, body)
			}
		}
		// The customer's leg is answered; the agent hangs up a minute later.
		v.tick(8)
		customerLeg := url.Values{"CallSid": {"CAcustomer"}, "ParentCallSid": {dialed.CallID}, "CallStatus": {"in-progress"},
			"Direction": {"outbound-dial"}, "From": {"+31201234567"}, "To": {"+31612345678"}}
		v.twiml(ch, "status", customerLeg)
		v.tick(60)
		agentLeg.Set("CallStatus", "completed")
		v.twiml(ch, "status", agentLeg)
		c := v.call(ch.ID, dialed.CallID)
		if c.State != domain.CallEnded || c.Seconds() != 60 || c.AgentID != anna.ID || c.TicketID != tk || c.Direction != domain.DirectionOut {
			t.Errorf("call %+v, want Anna's one-minute call on the ticket", c)
		}
		if got := v.callEntries(tk); len(got) != 2 {
			t.Errorf("%d call entries, want the incoming call and the call back", len(got))
		}
	})
}

func TestCallback_RequestIsQueuedAndLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		closed := v.ctiChannel("")
		if status, body := v.Post(Kind, closed.ID, "callback", contentTypeJSON, []byte(`{"number":"0612345678"}`), nil); status != 404 {
			t.Errorf("a channel without callbacks answered %d %s", status, body)
		}
		ch := v.twilioChannel(`"callbacks":true`)
		status, body := v.Post(Kind, ch.ID, "callback", contentTypeJSON,
			[]byte(`{"number":"06 12345678","name":"Jan","at":"2026-12-08T14:30:00+01:00","note":"Over mijn factuur","language":"nl"}`), nil)
		if status != 201 || !strings.Contains(string(body), `"message":"Dank u. We bellen u terug op +31612345678."`) || !strings.Contains(string(body), `"id":"callback-`) {
			t.Fatalf("callback answered %d %s", status, body)
		}
		tickets := v.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		entries := v.callEntries(tickets[0].ID)
		if len(entries) != 1 || entries[0].Text != "Callback requested by +31612345678" {
			t.Errorf("entries %+v", entries)
		}
		for _, bad := range []struct{ body, code string }{
			{`{"number":"not a number"}`, "invalid_number"},
			{`{"number":"0612345678","at":"tomorrow"}`, "invalid_at"},
			{`{"number":"0612345678","colour":"red"}`, "invalid_json"},
			{`{"number":"0612345678","language":"Nederlands, graag"}`, "invalid_language"},
		} {
			if status, body := v.Post(Kind, ch.ID, "callback", contentTypeJSON, []byte(bad.body), nil); status != 400 || !strings.Contains(string(body), bad.code) {
				t.Errorf("%s answered %d %s, want 400 %s", bad.body, status, body, bad.code)
			}
		}
		// Three requests a day per number: two more are taken.
		for i, want := range []int{201, 201, 429} {
			if status, body := v.Post(Kind, ch.ID, "callback", contentTypeJSON, []byte(`{"number":"+31612345678"}`), nil); status != want {
				t.Errorf("request %d for the same number answered %d %s, want %d", i+2, status, body, want)
			}
		}
		// Ten requests an hour per client address: the 11th is refused.
		for i, want := range []int{201, 201, 429} {
			number := fmt.Sprintf(`{"number":"+3161234560%d"}`, i)
			if status, body := v.Post(Kind, ch.ID, "callback", contentTypeJSON, []byte(number), nil); status != want {
				t.Errorf("request %d from the address answered %d %s, want %d", i+9, status, body, want)
			}
		}
	})
}

func TestCheck_SignsInToTwilioAndNeedsNothingForCTI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		for _, ch := range []channeltest.Channel{v.twilioChannel(""), v.ctiChannel("")} {
			var res struct {
				OK     bool `json:"ok"`
				Checks []struct {
					Name   string `json:"name"`
					Detail string `json:"detail"`
				} `json:"checks"`
			}
			v.Do("POST", fmt.Sprintf("/api/v1/channels/%d/test", ch.ID), "", 200, &res)
			if !res.OK || len(res.Checks) != 1 {
				t.Errorf("channel %d test: %+v", ch.ID, res)
			}
		}
		wrong := v.CreateChannel(Kind, fmt.Sprintf(`{"provider":"twilio","number":"+31201234567","account_sid":%q,"api_base_url":%q,"auth_token":"wrong"}`,
			testAccountSID, v.twilio.URL))
		body := v.Do("POST", fmt.Sprintf("/api/v1/channels/%d/test", wrong.ID), "", 200, nil)
		if !strings.Contains(string(body), `"ok":false`) || !strings.Contains(string(body), "Authentication Error") {
			t.Errorf("a wrong auth token tested %s", body)
		}
	})
}

func TestTwilio_AClickToCallReportedBeforeTwilioAnsweredIsTheSameCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.twilioChannel("")
		anna := v.agent("Anna de Vries", "+31611111111", v.Team)
		tk := v.writtenTicket(`{"email":"jan@example.com","phone":"+31612345678"}`)
		// Twilio reports the agent's phone ringing before it answers the
		// request to place the call.
		v.twilio.placing = func(form url.Values, sid string) {
			v.twiml(ch, "status", url.Values{"CallSid": {sid}, "CallStatus": {"ringing"}, "Direction": {"outbound-api"},
				"From": {form.Get("From")}, "To": {form.Get("To")}})
		}
		dialed, err := v.Desk.Dial(context.Background(), tk.ID, anna, ch.ID, "+31612345678")
		if err != nil {
			t.Fatal(err)
		}
		c := v.call(ch.ID, dialed.CallID)
		if c.TicketID != tk.ID || c.State != domain.CallRinging || c.Customer != "+31612345678" || c.AgentID != anna.ID {
			t.Errorf("call %+v, want the dialed call ringing on the ticket", c)
		}
		if got := v.Tickets(); len(got) != 1 {
			t.Errorf("%d tickets, want 1", len(got))
		}
	})
}
