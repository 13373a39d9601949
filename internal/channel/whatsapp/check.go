package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// CheckTimeout bounds each connection test.
const CheckTimeout = 15 * time.Second

// Check implements channel.Checker: it reads the business number with the
// token, which proves the token and phone_number_id, and the account's
// templates, which proves waba_id. Nothing is sent to anyone.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	s, err := ParseSettings(ch.Settings)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: "cannot read the settings: " + err.Error()}}
	}
	token := ch.Secrets[SecretAccessToken]
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()

	number := channel.Check{Name: "phone_number"}
	var info struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		VerifiedName       string `json:"verified_name"`
	}
	q := url.Values{"fields": {"display_phone_number,verified_name"}}
	if err := a.call(ctx, http.MethodGet, s.endpoint(s.PhoneNumberID)+"?"+q.Encode(), token, nil, "", &info); err != nil {
		number.Detail = "reading phone number " + s.PhoneNumberID + ": " + err.Error()
	} else {
		number.OK = true
		number.Detail = fmt.Sprintf("%s (%s)", info.DisplayPhoneNumber, info.VerifiedName)
	}

	templates := channel.Check{Name: "templates"}
	if list, err := a.listTemplates(ctx, s, token); err != nil {
		templates.Detail = "listing the templates of account " + s.WABAID + ": " + err.Error()
	} else {
		templates.OK = true
		templates.Detail = fmt.Sprintf("%d approved templates", len(list))
	}
	return []channel.Check{number, templates}
}
