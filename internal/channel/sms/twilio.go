package sms

import (
	"context"
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

// twilio speaks Twilio's Programmable Messaging API.
type twilio struct {
	a  *Adapter
	ch *domain.Channel
	s  *Settings
}

// account is the channel's Twilio account API.
func (t *twilio) account() twiliohook.Account {
	return twiliohook.Account{Client: t.a.client, BaseURL: t.s.APIBaseURL, SID: t.s.AccountSID, Token: t.ch.Secrets[SecretAuthToken]}
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
	if err := t.account().Do(ctx, http.MethodPost, t.account().Path()+"/Messages.json", form, &answer); err != nil {
		return channel.Sent{}, err
	}
	if answer.SID == "" {
		return channel.Sent{}, errors.New("twilio accepted the message without a sid")
	}
	return channel.Sent{ExternalID: answer.SID, Status: domain.DeliverySent}, nil
}

func (t *twilio) check(ctx context.Context) []channel.Check {
	return []channel.Check{t.account().Check(ctx)}
}

// fetch downloads an MMS's media from Twilio with the account's
// credentials. Only addresses under the account's API are fetched, so a
// payload cannot make Loket send the credentials elsewhere; Twilio's
// redirect to its media store drops them (another host).
func (t *twilio) fetch(ctx context.Context, in *channel.Inbound) error {
	prefix := t.s.APIBaseURL + t.account().Path() + "/"
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
