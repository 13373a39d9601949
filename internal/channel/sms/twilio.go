package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// twilio speaks Twilio's Programmable Messaging API.
type twilio struct {
	a  *Adapter
	ch *domain.Channel
	s  *Settings
}

// twilioError is Twilio's error answer.
type twilioError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// do calls Twilio with the account's credentials and decodes a 2xx answer
// into out. 429 and 5xx give retryable errors, any other 4xx a permanent
// one with Twilio's message.
func (t *twilio) do(ctx context.Context, method, path string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, t.s.APIBaseURL+path, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", contentTypeForm)
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.s.AccountSID, t.ch.Secrets[SecretAuthToken])
	resp, err := t.a.client.Do(req)
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
	var te twilioError
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

func (t *twilio) accountPath() string {
	return "/2010-04-01/Accounts/" + url.PathEscape(t.s.AccountSID)
}

func (t *twilio) send(ctx context.Context, to, text, _ string) (channel.Sent, error) {
	form := url.Values{"To": {to}, "Body": {text}}
	if t.s.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.s.MessagingServiceSID)
	} else {
		form.Set("From", t.s.From)
	}
	if base := strings.TrimRight(t.a.baseURL(), "/"); base != "" {
		form.Set("StatusCallback", fmt.Sprintf("%s/api/v1/%s/%d/status", base, Kind, t.ch.ID))
	}
	var answer struct {
		SID string `json:"sid"`
	}
	if err := t.do(ctx, http.MethodPost, t.accountPath()+"/Messages.json", form, &answer); err != nil {
		return channel.Sent{}, err
	}
	if answer.SID == "" {
		return channel.Sent{}, errors.New("twilio accepted the message without a sid")
	}
	return channel.Sent{ExternalID: answer.SID, Status: domain.DeliverySent}, nil
}

func (t *twilio) check(ctx context.Context) []channel.Check {
	var account struct {
		FriendlyName string `json:"friendly_name"`
		Status       string `json:"status"`
	}
	if err := t.do(ctx, http.MethodGet, t.accountPath()+".json", nil, &account); err != nil {
		return []channel.Check{{Name: "twilio_account", Detail: err.Error()}}
	}
	if account.Status != "" && account.Status != "active" {
		return []channel.Check{{Name: "twilio_account", Detail: fmt.Sprintf("the Twilio account %q is %s", account.FriendlyName, account.Status)}}
	}
	return []channel.Check{{Name: "twilio_account", OK: true, Detail: fmt.Sprintf("signed in to the Twilio account %q", account.FriendlyName)}}
}

// fetch downloads an MMS's media from Twilio with the account's
// credentials. Only addresses under the account's API are fetched, so a
// payload cannot make Loket send the credentials elsewhere; Twilio's
// redirect to its media store drops them (another host).
func (t *twilio) fetch(ctx context.Context, in *channel.Inbound) error {
	prefix := t.s.APIBaseURL + t.accountPath() + "/"
	kept := in.Attachments[:0]
	for _, att := range in.Attachments {
		if att.Ref == "" || att.Data != nil {
			kept = append(kept, att)
			continue
		}
		if !strings.HasPrefix(att.Ref, prefix) {
			// Kept as a link rather than losing the message: Twilio does
			// not send a refused message again.
			in.Text = strings.TrimSpace(in.Text + "\n\n(" + att.Filename + " was not fetched: its address " + att.Ref + " is not under " + prefix + ")")
			continue
		}
		data, ct, err := t.download(ctx, att.Ref)
		if errors.Is(err, errTooLarge) {
			in.Text = strings.TrimSpace(in.Text + "\n\n(" + att.Filename + " was not kept: larger than " + strconv.Itoa(maxMedia>>20) + " MB)")
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch media of Twilio message %s: %w", in.ExternalID, err)
		}
		if att.ContentType == "application/octet-stream" && ct != "" {
			att.ContentType = mediaType(ct)
		}
		att.Data = data
		kept = append(kept, att)
	}
	in.Attachments = kept
	return nil
}

var errTooLarge = errors.New("media too large")

func (t *twilio) download(ctx context.Context, ref string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref, nil)
	if err != nil {
		return nil, "", err
	}
	req.SetBasicAuth(t.s.AccountSID, t.ch.Secrets[SecretAuthToken])
	resp, err := t.a.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", ref, resp.Status)
	}
	if resp.ContentLength > maxMedia {
		return nil, "", errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMedia+1))
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", ref, err)
	}
	if len(data) > maxMedia {
		return nil, "", errTooLarge
	}
	return data, resp.Header.Get("Content-Type"), nil
}
