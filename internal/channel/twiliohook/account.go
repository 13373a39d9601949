package twiliohook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"loket.dev/loket/internal/channel"
)

// Account is a Twilio account's REST API, as the products' adapters call it
// (sending a message, placing a call, signing in).
type Account struct {
	Client  *http.Client
	BaseURL string // such as https://api.twilio.com
	SID     string
	Token   string // the auth token
}

// Path is the account's resource path; its API lives below it.
func (a Account) Path() string { return "/2010-04-01/Accounts/" + url.PathEscape(a.SID) }

// apiError is Twilio's error answer.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Do calls the API at path (below BaseURL) with the account's credentials,
// posting form when it is not nil, and decodes a 2xx answer into out. 429
// and 5xx give retryable errors, any other 4xx a permanent one with
// Twilio's message.
func (a Account) Do(ctx context.Context, method, path string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, a.BaseURL+path, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(a.SID, a.Token)
	resp, err := a.Client.Do(req)
	if err != nil {
		return fmt.Errorf("twilio %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("twilio %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("twilio %s %s: decode answer: %w", method, path, err)
		}
		return nil
	}
	var te apiError
	json.Unmarshal(b, &te)
	msg := strings.TrimSpace(te.Message)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if te.Code != 0 {
		msg = fmt.Sprintf("Twilio error %d: %s", te.Code, msg)
	}
	err = fmt.Errorf("twilio %s %s: %d %s", method, path, resp.StatusCode, msg)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return err
	}
	return channel.Permanent(err)
}

// Check signs in to the account without writing to anyone.
func (a Account) Check(ctx context.Context) channel.Check {
	var account struct {
		FriendlyName string `json:"friendly_name"`
		Status       string `json:"status"`
	}
	if err := a.Do(ctx, http.MethodGet, a.Path()+".json", nil, &account); err != nil {
		return channel.Check{Name: "twilio_account", Detail: err.Error()}
	}
	if account.Status != "" && account.Status != "active" {
		return channel.Check{Name: "twilio_account", Detail: fmt.Sprintf("the Twilio account %q is %s", account.FriendlyName, account.Status)}
	}
	return channel.Check{Name: "twilio_account", OK: true, Detail: fmt.Sprintf("signed in to the Twilio account %q", account.FriendlyName)}
}
