package sms

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/twiliohook"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// smsEnv is a running Loket with the SMS adapter, a fake Twilio and a fake
// CM, and one channel of each.
type smsEnv struct {
	*channeltest.Env
	twilio   *fakeTwilio
	cm       *fakeCM
	twilioCh channeltest.Channel
	cmCh     channeltest.Channel
}

func startSMS(t testing.TB, st *store.Store) *smsEnv {
	t.Helper()
	var base atomic.Value
	base.Store("")
	s := &smsEnv{twilio: newFakeTwilio(t), cm: newFakeCM(t)}
	s.Env = channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{New(Config{BaseURL: func() string { return base.Load().(string) }})}
	})
	base.Store(s.URL)
	s.twilioCh = s.CreateChannel(Kind, fmt.Sprintf(`{"provider":"twilio","from":"+3197010203040","account_sid":%q,"api_base_url":%q,"auth_token":%q}`,
		testAccountSID, s.twilio.URL, testAuthToken))
	s.cmCh = s.CreateChannel(Kind, fmt.Sprintf(`{"provider":"cm","from":"Loket","api_base_url":%q,"product_token":%q,"webhook_token":%q}`,
		s.cm.URL, testProduct, testHookToken))
	return s
}

// twilioPost posts a form to a Twilio channel's route, signed with the
// auth token over the URL Loket is called at unless signature is set.
func (s *smsEnv) twilioPost(path string, form url.Values, signature string) (int, []byte) {
	s.T.Helper()
	if signature == "" {
		signature = twiliohook.Sign(testAuthToken, fmt.Sprintf("%s/api/v1/sms/%d/%s", s.URL, s.twilioCh.ID, path), form)
	}
	return s.Post(Kind, s.twilioCh.ID, path, contentTypeForm, []byte(form.Encode()), http.Header{"X-Twilio-Signature": {signature}})
}

func (s *smsEnv) cmPost(token string, body []byte) (int, []byte) {
	s.T.Helper()
	return s.Post(Kind, s.cmCh.ID, "webhook?token="+url.QueryEscape(token), contentTypeJSON, body, nil)
}

func incoming(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {testAccountSID}, "From": {from},
		"To": {"+3197010203040"}, "Body": {body}, "NumMedia": {"0"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"}}
}

func statusCallback(sid, status, errorCode string) url.Values {
	v := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {testAccountSID}, "MessageStatus": {status}, "SmsStatus": {status},
		"To": {"+31612345678"}, "From": {"+3197010203040"}, "ApiVersion": {"2010-04-01"}}
	if errorCode != "" {
		v.Set("ErrorCode", errorCode)
	}
	return v
}

// onlyTicket returns the one ticket there is.
func (s *smsEnv) onlyTicket() channeltest.Ticket {
	s.T.Helper()
	tickets := s.Tickets()
	if len(tickets) != 1 {
		s.T.Fatalf("%d tickets, want 1", len(tickets))
	}
	return tickets[0]
}

func TestTwilioWebhook_StoresAMessageOnceAndAnswersTwiML(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		if want := fmt.Sprintf("%s/api/v1/sms/%d/webhook", s.URL, s.twilioCh.ID); s.twilioCh.WebhookURL != want {
			t.Errorf("webhook_url %q, want %q", s.twilioCh.WebhookURL, want)
		}
		if doc := s.Do("GET", "/api/v1/openapi.json", "", 200, nil); !bytes.Contains(doc, []byte(`"/api/v1/sms/{channel}/webhook"`)) ||
			!bytes.Contains(doc, []byte(`"/api/v1/sms/{channel}/status"`)) {
			t.Error("the API description lacks the SMS routes")
		}
		if c := s.twilioCh.Capabilities; c.Buttons || !c.Segments || c.MaxLength != 1600 || c.Attachments || !slices.Equal(c.Identities, []domain.IdentityKind{domain.IdentityPhone}) {
			t.Errorf("capabilities %+v", c)
		}
		form := incoming("SM0a1b2c3d4e5f60718293a4b5c6d7e8f9", "+31612345678", "Waar blijft mijn pakket?")
		for range 2 { // Twilio retrying
			status, body := s.twilioPost("webhook", form, "")
			if status != 200 || !bytes.Contains(body, []byte("<Response/>")) {
				t.Fatalf("webhook answered %d %s, want 200 and empty TwiML", status, body)
			}
		}
		tk := s.onlyTicket()
		msgs := s.Messages(tk.ID)
		if len(msgs) != 1 || msgs[0].Text != "Waar blijft mijn pakket?" || msgs[0].Address.String() != "phone:+31612345678" {
			t.Fatalf("messages %+v, want the text once from the phone", msgs)
		}
	})
}

func TestTwilioWebhook_ForgedSignatureIsRefusedAndNothingStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		form := incoming("SM1", "+31612345678", "Send my money to this account")
		forged := twiliohook.Sign("not-the-token", fmt.Sprintf("%s/api/v1/sms/%d/webhook", s.URL, s.twilioCh.ID), form)
		for name, sig := range map[string]string{"forged": forged, "missing": "-"} {
			status, body := s.twilioPost("webhook", form, sig)
			if status != 401 || !bytes.Contains(body, []byte("invalid_signature")) {
				t.Errorf("%s signature: %d %s, want 401 invalid_signature", name, status, body)
			}
		}
		// Signed for another address (a replay to another channel).
		other := twiliohook.Sign(testAuthToken, fmt.Sprintf("%s/api/v1/sms/%d/webhook", s.URL, s.cmCh.ID), form)
		if status, _ := s.twilioPost("webhook", form, other); status != 401 {
			t.Errorf("a signature for another URL answered %d, want 401", status)
		}
		if status, _ := s.twilioPost("status", statusCallback("SM1", "delivered", ""), forged); status != 401 {
			t.Errorf("a forged status callback answered %d, want 401", status)
		}
		if got := s.Tickets(); len(got) != 0 {
			t.Errorf("%d tickets after forged posts, want none", len(got))
		}
	})
}

func TestTwilioWebhook_MMSMediaIsDownloadedBeforeStoring(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		form := incoming("MM1f2e3d4c5b6a79881726354433221100", "+31612345678", "Zo ziet de doos eruit")
		form.Set("NumMedia", "1")
		form.Set("MediaUrl0", s.twilio.URL+"/2010-04-01/Accounts/"+testAccountSID+"/Messages/MM1f2e3d4c5b6a79881726354433221100/Media/ME1")
		form.Set("MediaContentType0", "image/jpeg")
		if status, body := s.twilioPost("webhook", form, ""); status != 200 {
			t.Fatalf("webhook answered %d %s", status, body)
		}
		msgs := s.Messages(s.onlyTicket().ID)
		if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
			t.Fatalf("messages %+v, want one with the picture", msgs)
		}
		if a := msgs[0].Attachments[0]; a.Filename != "media-1.jpg" || a.ContentType != "image/jpeg" || a.Size != int64(len(testMedia)) {
			t.Errorf("attachment %+v", a)
		}
	})
}

func TestTwilio_StopOptsOutUntilStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		if status, _ := s.twilioPost("webhook", incoming("SM1", "+31612345678", "Mijn pakket?"), ""); status != 200 {
			t.Fatal(status)
		}
		tk := s.onlyTicket()
		if status, _ := s.twilioPost("webhook", incoming("SM2", "+31612345678", " Stop "), ""); status != 200 {
			t.Fatal(status)
		}
		if got := s.Contact(tk.ContactID).OptOuts; !slices.Equal(got, []string{Kind}) {
			t.Fatalf("opt_outs %v, want [sms]", got)
		}
		if msgs := s.Messages(tk.ID); len(msgs) != 2 || strings.TrimSpace(msgs[1].Text) != "Stop" {
			t.Errorf("messages %+v, want the STOP stored too", msgs)
		}
		body := s.Do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"Uw pakket komt morgen."}`, 422, nil)
		if !bytes.Contains(body, []byte("opted_out")) {
			t.Errorf("reply to an opted-out contact answered %s, want opted_out", body)
		}

		if status, _ := s.twilioPost("webhook", incoming("SM3", "+31612345678", "START"), ""); status != 200 {
			t.Fatal(status)
		}
		if got := s.Contact(tk.ContactID).OptOuts; len(got) != 0 {
			t.Fatalf("opt_outs %v after START, want none", got)
		}
		reply := s.Reply(tk.ID, `{"text":"Uw pakket komt morgen."}`, 201)
		s.Wait("the reply to reach Twilio", func() bool { return s.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		if sent := s.twilio.sends(); len(sent) != 1 || sent[0].Get("Body") != "Uw pakket komt morgen." {
			t.Errorf("Twilio got %v", sent)
		}
	})
}

func TestTwilio_ReplyIsSentAndStatusesOnlyMoveForward(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		if status, _ := s.twilioPost("webhook", incoming("SM1", "+31612345678", "Mijn pakket?"), ""); status != 200 {
			t.Fatal(status)
		}
		tk := s.onlyTicket()
		reply := s.Reply(tk.ID, `{"text":"Hij komt morgen."}`, 201)
		s.Wait("the reply to reach Twilio", func() bool { return s.Message(reply.ID).ExternalID != "" })
		sent := s.twilio.sends()
		if len(sent) != 1 {
			t.Fatalf("Twilio got %d messages", len(sent))
		}
		if got, want := sent[0].Get("StatusCallback"), fmt.Sprintf("%s/api/v1/sms/%d/status", s.URL, s.twilioCh.ID); got != want {
			t.Errorf("StatusCallback %q, want %q", got, want)
		}
		if sent[0].Get("To") != "+31612345678" || sent[0].Get("From") != "+3197010203040" {
			t.Errorf("sent %v", sent[0])
		}
		sid := s.Message(reply.ID).ExternalID
		// Delivered arrives before sent; undelivered after delivered is a
		// late report of an earlier attempt.
		for _, st := range []string{"delivered", "sent", "queued"} {
			if status, body := s.twilioPost("status", statusCallback(sid, st, ""), ""); status != 200 {
				t.Fatalf("status %s answered %d %s", st, status, body)
			}
		}
		if got := s.Message(reply.ID).DeliveryStatus; got != domain.DeliveryDelivered {
			t.Errorf("status %q, want delivered", got)
		}

		second := s.Reply(tk.ID, `{"text":"Of overmorgen."}`, 201)
		s.Wait("the second reply to reach Twilio", func() bool { return s.Message(second.ID).ExternalID != "" })
		if status, _ := s.twilioPost("status", statusCallback(s.Message(second.ID).ExternalID, "undelivered", "30003"), ""); status != 200 {
			t.Fatal(status)
		}
		if m := s.Message(second.ID); m.DeliveryStatus != domain.DeliveryFailed || m.DeliveryError != "Twilio error 30003: Unreachable destination handset" {
			t.Errorf("second reply %q %q, want failed with Twilio's reason", m.DeliveryStatus, m.DeliveryError)
		}
	})
}

func TestSMS_PhoneIsRecognisedAsAnExistingContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		var c domain.Contact
		s.Do("POST", "/api/v1/contacts", `{"name":"Jan","identities":[{"kind":"email","value":"jan@example.com"},{"kind":"phone","value":"06 12345678"}]}`, 201, &c)
		if status, _ := s.twilioPost("webhook", incoming("SM1", "+31612345678", "Ik mailde al"), ""); status != 200 {
			t.Fatal(status)
		}
		if tk := s.onlyTicket(); tk.ContactID != c.ID {
			t.Errorf("ticket's contact %d, want Jan (%d)", tk.ContactID, c.ID)
		}
		// CM sends numbers with 00; they are the same phone.
		if status, body := s.cmPost(testHookToken, readFixture(t, "cm_mo.json")); status != 200 {
			t.Fatalf("CM webhook answered %d %s", status, body)
		}
		for _, tk := range s.Tickets() {
			if tk.ContactID != c.ID {
				t.Errorf("ticket %d of contact %d, want Jan (%d)", tk.ID, tk.ContactID, c.ID)
			}
		}
	})
}

func TestCM_WebhookTokenMessagesRepliesAndReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		mo := readFixture(t, "cm_mo.json")
		for _, token := range []string{"", "wrong-token-of-the-same-length!"} {
			if status, body := s.cmPost(token, mo); status != 401 || !bytes.Contains(body, []byte("invalid_token")) {
				t.Errorf("token %q: %d %s, want 401 invalid_token", token, status, body)
			}
		}
		if got := s.Tickets(); len(got) != 0 {
			t.Fatalf("%d tickets after refused posts", len(got))
		}
		for range 2 { // CM retrying
			if status, body := s.cmPost(testHookToken, mo); status != 200 {
				t.Fatalf("webhook answered %d %s", status, body)
			}
		}
		tk := s.onlyTicket()
		if msgs := s.Messages(tk.ID); len(msgs) != 1 || msgs[0].Text != "Waar blijft mijn pakket?" {
			t.Fatalf("messages %+v, want the text once", msgs)
		}
		reply := s.Reply(tk.ID, `{"text":"Hij komt morgen."}`, 201)
		s.Wait("the reply to reach CM", func() bool { return s.Message(reply.ID).ExternalID != "" })
		reqs, _ := s.cm.requests()
		if len(reqs) != 1 || reqs[0].Messages.Msg[0].To[0].Number != "0031612345678" || reqs[0].Messages.Msg[0].Body.Content != "Hij komt morgen." {
			t.Fatalf("CM got %+v", reqs)
		}
		ref := s.Message(reply.ID).ExternalID
		if ref != reqs[0].Messages.Msg[0].Reference {
			t.Errorf("external id %q, want the reference %q", ref, reqs[0].Messages.Msg[0].Reference)
		}
		report := func(code, errCode, desc string) []byte {
			return fmt.Appendf(nil, `{"messages":{"msg":{"received":"2026-12-07T19:31:10","to":"0031612345678","reference":%q,"status":{"code":%q,"errorCode":%q,"errorDescription":%q},"operator":"20408"}}}`,
				ref, code, errCode, desc)
		}
		for _, code := range []string{"2", "0"} { // delivered before accepted
			if status, body := s.cmPost(testHookToken, report(code, "", "")); status != 200 {
				t.Fatalf("report %s answered %d %s", code, status, body)
			}
		}
		if got := s.Message(reply.ID).DeliveryStatus; got != domain.DeliveryDelivered {
			t.Errorf("status %q, want delivered", got)
		}
		if status, _ := s.Post(Kind, s.cmCh.ID, "status", contentTypeForm, nil, nil); status != 404 {
			t.Errorf("Twilio's status route on a CM channel answered %d, want 404", status)
		}
	})
}

func TestTwilio_OutagesAreRetriedAndRefusalsFailTheReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startSMS(t, st)
		if status, _ := s.twilioPost("webhook", incoming("SM1", "+31612345678", "Mijn pakket?"), ""); status != 200 {
			t.Fatal(status)
		}
		tk := s.onlyTicket()
		s.twilio.failNext(fakeFailure{503, 0, "Service Unavailable"})
		retried := s.Reply(tk.ID, `{"text":"Hij komt morgen."}`, 201)
		s.Wait("the reply to be sent after Twilio's outage", func() bool { return s.Message(retried.ID).DeliveryStatus == domain.DeliverySent })
		if n := len(s.twilio.sends()); n != 2 {
			t.Errorf("Twilio got %d requests, want the failed one and the retry", n)
		}

		s.twilio.failNext(fakeFailure{400, 21610, "Attempt to send to unsubscribed recipient"})
		refused := s.Reply(tk.ID, `{"text":"Nog iets?"}`, 201)
		s.Wait("the refused reply to fail", func() bool { return s.Message(refused.ID).DeliveryStatus == domain.DeliveryFailed })
		if m := s.Message(refused.ID); !strings.Contains(m.DeliveryError, "Twilio error 21610: Attempt to send to unsubscribed recipient") {
			t.Errorf("delivery error %q, want Twilio's refusal", m.DeliveryError)
		}
		if n := len(s.twilio.sends()); n != 3 {
			t.Errorf("Twilio got %d requests, want no retry of the refusal", n)
		}
	})
}
