package webchat

import (
	"cmp"
	"net/http"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

// Limits of callback requests: a visitor asks once, maybe corrects the
// number; more is abuse of the team's phone queue.
const (
	callbacksPerVisitor = 3  // an hour
	callbacksPerIP      = 10 // an hour
	// CallbackDays is how far ahead a visitor may choose the time.
	CallbackDays = 7
)

// CallbackRequest is a visitor asking to be called back.
type CallbackRequest struct {
	Token  string `json:"token"`
	Number string `json:"number"`
	Name   string `json:"name"`
	// At is the preferred time in RFC 3339; empty: as soon as possible.
	At   string `json:"at"`
	Note string `json:"note"`
}

// Callback is the request as recorded, for the widget's confirmation.
type Callback struct {
	ID     string `json:"id"`
	Number string `json:"number"` // E.164
	At     string `json:"at,omitempty"`
}

// serveCallback records a visitor's callback request on the channel's
// voice channel, with the visitor's identities linked to the caller's
// contact so the agent sees the chat beside the request.
func (a *Adapter) serveCallback(w http.ResponseWriter, r *http.Request, req *channel.Request, set *Settings) error {
	if set.CallbackChannelID == 0 {
		return channel.Errorf(http.StatusNotFound, "callbacks_off", "this chat takes no callback requests")
	}
	var body CallbackRequest
	if err := req.Decode(&body); err != nil {
		return err
	}
	if body.Token == "" {
		return ErrVisitor
	}
	if !req.Allow("webchat-callback-ip:"+req.ClientIP, callbacksPerIP, time.Hour) ||
		!req.Allow("webchat-callback:"+secret.Hash(body.Token), callbacksPerVisitor, time.Hour) {
		w.Header().Set("Retry-After", "3600")
		return channel.Errorf(http.StatusTooManyRequests, "rate_limited", "you asked to be called back several times already; we will call you")
	}
	v, err := a.visitor(r.Context(), req.Channel, body.Token)
	if err != nil {
		return err
	}
	var at time.Time
	if body.At != "" {
		now := a.now()
		if at, err = time.Parse(time.RFC3339, body.At); err != nil {
			return domain.Invalid("invalid_at", "at must be a time in RFC 3339 form, such as 2026-12-08T14:30:00+01:00, or empty for as soon as possible")
		}
		if at.Before(now.Add(-time.Hour)) || at.After(now.AddDate(0, 0, CallbackDays).Add(time.Hour)) {
			return domain.Invalid("invalid_at", "choose a time within the next 7 days")
		}
	}
	also := []domain.Identity{{Kind: domain.IdentityWeb, Value: v.PublicID}}
	if v.UserID != "" {
		also = append(also, domain.Identity{Kind: domain.IdentityExternal, Value: v.UserID})
		if emailSigned(v) {
			also = append(also, domain.Identity{Kind: domain.IdentityEmail, Value: v.Email})
		}
	}
	c, err := req.Switchboard.RequestCallback(r.Context(), set.CallbackChannelID, channel.CallbackRequest{
		Number: body.Number, Name: cleanName(cmp.Or(body.Name, v.Name)), Language: v.Language,
		At: at, Note: body.Note, Also: also,
	})
	if err != nil {
		return err
	}
	out := Callback{ID: c.CallID, Number: c.Customer}
	if !at.IsZero() {
		out.At = at.Format(time.RFC3339)
	}
	channel.WriteJSON(w, http.StatusCreated, out)
	return nil
}
