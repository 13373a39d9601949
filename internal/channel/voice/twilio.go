package voice

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/twiliohook"
	"loket.dev/loket/internal/domain"
)

// Twilio's webhooks all post to routes of the channel; before a form is
// stored, the route adds what Loket decided, under names Twilio does not
// use, so that parsing the stored form again gives the same events.
const (
	paramRoute = "LoketRoute" // which route took the form
	paramTeam  = "LoketTeam"  // caller-ID routing's team
	paramAgent = "LoketAgent" // the agents' phones an incoming call rings
)

// Twilio routes, which are also the values of paramRoute.
const (
	routeIncoming   = "incoming"
	routeStatus     = "status"
	routeDialStatus = "dial-status"
	routeRecording  = "recording"
	routeBridge     = "bridge"
)

// twilioCall is what one Twilio form says about its call.
type twilioCall struct {
	events   []channel.CallEvent
	customer number
	rejected bool
}

// twilioEnded maps Twilio's final call statuses to causes.
var twilioEnded = map[string]domain.CallCause{
	"completed": domain.CauseNormal,
	"busy":      domain.CauseBusy,
	"no-answer": domain.CauseNoAnswer,
	"canceled":  domain.CauseCancelled,
	"failed":    domain.CauseFailed,
}

// maxName caps a caller-ID name, which is a few words.
const maxName = 200

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// unanswered are the dial statuses after which the caller is offered
// voicemail.
var unanswered = map[string]bool{"no-answer": true, "busy": true, "failed": true}

// twilioCalls turns a Twilio Voice form, as a route stored it, into call
// events.
func (s *Settings) twilioCalls(f url.Values) (*twilioCall, error) {
	sid := f.Get("CallSid")
	if sid == "" || len(sid) > 64 {
		return nil, domain.Invalid("invalid_call_id", "CallSid is required")
	}
	out := &twilioCall{}
	ev := channel.CallEvent{CallID: sid, Direction: domain.DirectionIn, Name: truncate(strings.TrimSpace(f.Get("CallerName")), maxName)}
	customerRaw, line := f.Get("From"), f.Get("To")
	if strings.HasPrefix(f.Get("Direction"), "outbound") && f.Get("ParentCallSid") == "" {
		// A call Loket asked Twilio to place: it rings the agent's phone
		// (To) first, then the bridge dials the customer.
		ev.Direction, customerRaw = domain.DirectionOut, ""
	}
	if len(line) > 64 {
		return nil, domain.Invalid("invalid_number", "To is longer than 64 characters")
	}
	ev.Line = line
	if customerRaw != "" {
		c, err := readNumber(customerRaw, s.Region)
		if err != nil {
			return nil, domain.Invalid("invalid_number", fmt.Sprintf("From %q: %s", customerRaw, errText(err)))
		}
		out.customer, ev.Customer = c, c.E164
	}
	status := f.Get("CallStatus")
	switch f.Get(paramRoute) {
	case routeIncoming:
		ev.State, ev.Agents = domain.CallRinging, f[paramAgent]
		if team := f.Get(paramTeam); team != "" {
			id, err := strconv.ParseInt(team, 10, 64)
			if err != nil || id <= 0 {
				return nil, domain.Invalid("invalid_payload", fmt.Sprintf("%s %q is not a team id", paramTeam, team))
			}
			ev.TeamID = id
		}
		out.events = append(out.events, ev)
		if s.rejects(out.customer) {
			out.rejected = true
			ended := ev
			ended.State, ended.Cause, ended.Agents = domain.CallEnded, domain.CauseRejected, nil
			out.events = append(out.events, ended)
		}
	case routeStatus:
		if parent := f.Get("ParentCallSid"); parent != "" {
			// A leg Loket dialed within the call: an agent's phone, or
			// the customer bridged to an agent. Its end is not the
			// call's.
			ev.CallID, ev.Agents = parent, []string{line}
			switch status {
			case "ringing":
				ev.State = domain.CallRinging
			case "in-progress", "answered":
				ev.State = domain.CallAnswered
			default:
				return out, nil
			}
		} else {
			cause, ended := twilioEnded[status]
			switch {
			case status == "ringing":
				ev.State = domain.CallRinging
			case ended:
				ev.State, ev.Cause, ev.WrapUp = domain.CallEnded, cause, s.wrapUp()
			default:
				return out, nil // Twilio took the call: nobody answered yet
			}
		}
		out.events = append(out.events, ev)
	case routeDialStatus:
		switch f.Get("DialCallStatus") {
		case "completed", "answered":
			ev.State, ev.Cause, ev.WrapUp = domain.CallEnded, domain.CauseNormal, s.wrapUp()
		case "canceled":
			ev.State, ev.Cause = domain.CallEnded, domain.CauseCancelled
		default:
			return out, nil // voicemail follows
		}
		out.events = append(out.events, ev)
	case routeRecording:
		rec := f.Get("RecordingUrl")
		if rec == "" {
			return out, nil
		}
		if u, err := url.Parse(rec); err != nil || (u.Scheme != "https" && u.Scheme != "http") || len(rec) > 2048 {
			return nil, domain.Invalid("invalid_recording", "RecordingUrl must be an http(s) address of at most 2048 characters")
		}
		ev.State, ev.VoicemailURL = domain.CallEnded, rec
		out.events = append(out.events, ev)
	default:
		return nil, domain.Invalid("invalid_payload", fmt.Sprintf("a stored Twilio form names no route (%s)", paramRoute))
	}
	return out, nil
}

// twilioHook serves one of Twilio's webhooks: the signature over the URL
// and the form first, then the route's decision is added to the form,
// which is stored before Twilio gets its TwiML.
func (a *Adapter) twilioHook(route string) func(http.ResponseWriter, *http.Request, *channel.Request) error {
	return func(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
		s, form, err := a.twilioForm(r, req)
		if err != nil {
			return err
		}
		for name := range form {
			if strings.HasPrefix(name, "Loket") {
				delete(form, name)
			}
		}
		form.Set(paramRoute, route)
		call, err := s.twilioCalls(form)
		if err != nil {
			return badRequest(err)
		}
		ch := req.Channel
		var ring []channel.Reachable
		if route == routeIncoming && !call.rejected {
			if ring, err = a.ring(r.Context(), s, req, call, form); err != nil {
				return err
			}
		}
		if err := req.Ingest(contentTypeForm, []byte(form.Encode())); err != nil {
			return err
		}
		switch {
		case route == routeIncoming && call.rejected:
			return twiml(w, `<Reject reason="busy"/>`)
		case route == routeIncoming && len(ring) > 0:
			return twiml(w, a.dialAgents(ch, s, call.customer.E164, ring))
		case route == routeIncoming:
			return twiml(w, a.voicemail(ch, s))
		case route == routeDialStatus && unanswered[form.Get("DialCallStatus")]:
			return twiml(w, a.voicemail(ch, s))
		case route == routeDialStatus || route == routeRecording:
			return twiml(w, `<Hangup/>`)
		}
		return twiml(w, "")
	}
}

// twilioForm checks that the channel speaks Twilio and the request's
// signature, and returns the settings and the posted form.
func (a *Adapter) twilioForm(r *http.Request, req *channel.Request) (*Settings, url.Values, error) {
	s, err := settingsOf(req.Channel, a.region)
	if err != nil {
		return nil, nil, err
	}
	if s.Provider != ProviderTwilio {
		return nil, nil, channel.Errorf(http.StatusNotFound, "not_found", "this route is Twilio's; a CTI channel posts to its CTI address")
	}
	body, err := req.Body()
	if err != nil {
		return nil, nil, err
	}
	form, err := twiliohook.Verify(req.Channel.Secrets[SecretAuthToken], req.URL, r.Header.Get(twiliohook.SignatureHeader), body)
	if err != nil {
		return nil, nil, err
	}
	return s, form, nil
}

// ring picks the agents an incoming call rings: the available agents of
// the team caller-ID routing or the channel names, at most maxDialed,
// and adds them and the routed team to the form.
func (a *Adapter) ring(ctx context.Context, s *Settings, req *channel.Request, call *twilioCall, form url.Values) ([]channel.Reachable, error) {
	team, err := s.team(ctx, req.Switchboard, call.customer.E164)
	if err != nil {
		return nil, err
	}
	if team != 0 {
		form.Set(paramTeam, strconv.FormatInt(team, 10))
	} else {
		team = req.Channel.TeamID
	}
	if team == 0 {
		return nil, nil
	}
	ring, err := req.Switchboard.Available(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("agents to ring for call %s: %w", form.Get("CallSid"), err)
	}
	if len(ring) > maxDialed {
		ring = ring[:maxDialed]
	}
	for _, r := range ring {
		form.Add(paramAgent, r.Phone)
	}
	return ring, nil
}

// dialAgents is the TwiML that rings the agents' phones at once; the
// first to answer gets the caller, and the dial's end comes back to
// dial-status.
func (a *Adapter) dialAgents(ch *domain.Channel, s *Settings, customer string, ring []channel.Reachable) string {
	callerID := customer
	if callerID == "" {
		callerID = s.Number
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<Dial timeout="%d" action="%s" method="POST" callerId="%s">`, s.DialTimeout, esc(a.callbackURL(ch, routeDialStatus)), esc(callerID))
	for _, r := range ring {
		fmt.Fprintf(&b, `<Number statusCallback="%s" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">%s</Number>`,
			esc(a.callbackURL(ch, routeStatus)), esc(r.Phone))
	}
	b.WriteString(`</Dial>`)
	return b.String()
}

// voicemailPrompts are what a caller hears before leaving a message.
var voicemailPrompts = map[string][2]string{
	"en": {"en-GB", "Sorry, nobody can take your call right now. Please leave a message after the tone, and we will call you back."},
	"nl": {"nl-NL", "Het spijt ons, er is nu niemand beschikbaar. Spreek na de toon een bericht in, dan bellen wij u terug."},
	"de": {"de-DE", "Leider ist gerade niemand erreichbar. Bitte hinterlassen Sie nach dem Ton eine Nachricht, wir rufen Sie zurück."},
}

// voicemail is the TwiML that records a message; the recording's address
// comes back to the recording route.
func (a *Adapter) voicemail(ch *domain.Channel, s *Settings) string {
	p, ok := voicemailPrompts[s.Language]
	if !ok {
		p = voicemailPrompts["en"]
	}
	rec := esc(a.callbackURL(ch, routeRecording))
	return fmt.Sprintf(`<Say language="%s">%s</Say><Record maxLength="120" playBeep="true" action="%s" method="POST" recordingStatusCallback="%s" recordingStatusCallbackMethod="POST"/>`,
		p[0], esc(p[1]), rec, rec)
}

// twiml answers Twilio with the verbs in a Response.
func twiml(w http.ResponseWriter, verbs string) error {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response>`+verbs+`</Response>`)
	return err
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// bridge is the TwiML Twilio asks for once the agent answered a
// click-to-call: it dials the customer. Only a signed request for a call
// the agent is placing on this channel, to that customer, is answered, so
// the address cannot make Loket dial anyone else.
func (a *Adapter) bridge(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	s, form, err := a.twilioForm(r, req)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	to, ref := q.Get("to"), q.Get("ref")
	c, err := req.Switchboard.Call(r.Context(), req.Channel.ID, ref)
	if errors.Is(err, domain.ErrNotFound) && form.Get("CallSid") != "" {
		c, err = req.Switchboard.Call(r.Context(), req.Channel.ID, form.Get("CallSid"))
	}
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (c.Direction != domain.DirectionOut || c.State == domain.CallEnded || c.Customer == "" || c.Customer != to)) {
		return channel.Errorf(http.StatusForbidden, "unknown_call", "this address does not name a call being placed on this channel to that number")
	} else if err != nil {
		return err
	}
	return twiml(w, fmt.Sprintf(`<Dial callerId="%s"><Number statusCallback="%s" statusCallbackEvent="ringing answered completed" statusCallbackMethod="POST">%s</Number></Dial>`,
		esc(s.Number), esc(a.callbackURL(req.Channel, routeStatus)), esc(c.Customer)))
}

// twilioDial asks Twilio to call the agent's phone; when the agent
// answers, Twilio fetches the bridge, which dials the customer.
func (a *Adapter) twilioDial(ctx context.Context, ch *domain.Channel, s *Settings, d channel.DialRequest) (string, error) {
	bridge := a.callbackURL(ch, routeBridge) + "?" + url.Values{"to": {d.Customer}, "ref": {d.Ref}}.Encode()
	form := url.Values{
		"To": {d.AgentPhone}, "From": {s.Number}, "Url": {bridge}, "Method": {http.MethodPost},
		"StatusCallback": {a.callbackURL(ch, routeStatus)}, "StatusCallbackMethod": {http.MethodPost},
		"StatusCallbackEvent": {"initiated", "ringing", "answered", "completed"},
	}
	var answer struct {
		SID string `json:"sid"`
	}
	acct := twilioAccount(a.client, ch, s)
	if err := acct.Do(ctx, http.MethodPost, acct.Path()+"/Calls.json", form, &answer); err != nil {
		return "", err
	}
	if answer.SID == "" {
		return "", errors.New("twilio accepted the call without a sid")
	}
	return answer.SID, nil
}

// twilioAccount is a channel's Twilio account API.
func twilioAccount(client *http.Client, ch *domain.Channel, s *Settings) twiliohook.Account {
	return twiliohook.Account{Client: client, BaseURL: s.APIBaseURL, SID: s.AccountSID, Token: ch.Secrets[SecretAuthToken]}
}
