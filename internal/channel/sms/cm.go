package sms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// cmMaxParts is the most parts CM concatenates one SMS from.
const cmMaxParts = 8

// cm speaks CM.com's Business Messaging API.
type cm struct {
	a  *Adapter
	ch *domain.Channel
	s  *Settings
}

// cmRequest is the body of POST /v1.0/message.
type cmRequest struct {
	Messages struct {
		Authentication struct {
			ProductToken string `json:"productToken"`
		} `json:"authentication"`
		Msg []cmMessage `json:"msg"`
	} `json:"messages"`
}

type cmMessage struct {
	From string `json:"from"`
	To   []struct {
		Number string `json:"number"`
	} `json:"to"`
	Body struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"body"`
	Reference                   string   `json:"reference"`
	AllowedChannels             []string `json:"allowedChannels"`
	MinimumNumberOfMessageParts int      `json:"minimumNumberOfMessageParts"`
	MaximumNumberOfMessageParts int      `json:"maximumNumberOfMessageParts"`
}

// cmResponse is CM's answer, per message and for the request.
type cmResponse struct {
	Details   string `json:"details"`
	ErrorCode int    `json:"errorCode"`
	Messages  []struct {
		To               string `json:"to"`
		Status           string `json:"status"`
		Reference        string `json:"reference"`
		Parts            int    `json:"parts"`
		MessageDetails   string `json:"messageDetails"`
		MessageErrorCode int    `json:"messageErrorCode"`
	} `json:"messages"`
}

// cmReference is the reference CM reports a message's status by: the
// idempotency key where it fits CM's 1 to 32 letters and digits, else its
// digest, so a retry of the same message has the same reference.
func cmReference(key string) string {
	ref := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, key)
	if ref == "" || len(ref) > 32 {
		sum := sha256.Sum256([]byte(key))
		ref = hex.EncodeToString(sum[:16])
	}
	return ref
}

func (c *cm) send(ctx context.Context, to, text, key string) (channel.Sent, error) {
	_, _, parts := Segments(text)
	if parts > cmMaxParts {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("the text needs %d SMS parts; CM sends at most %d, so shorten it", parts, cmMaxParts))
	}
	var req cmRequest
	req.Messages.Authentication.ProductToken = c.ch.Secrets[SecretProductToken]
	m := cmMessage{From: c.s.From, Reference: cmReference(key), AllowedChannels: []string{"SMS"},
		MinimumNumberOfMessageParts: 1, MaximumNumberOfMessageParts: max(parts, 1)}
	m.To = append(m.To, struct {
		Number string `json:"number"`
	}{Number: "00" + strings.TrimPrefix(to, "+")})
	m.Body.Type, m.Body.Content = "auto", text
	req.Messages.Msg = []cmMessage{m}
	body, _ := json.Marshal(&req)
	answer, err := c.post(ctx, body)
	if err != nil {
		return channel.Sent{}, err
	}
	for _, r := range answer.Messages {
		if !strings.EqualFold(r.Status, "Accepted") {
			return channel.Sent{}, channel.Permanent(fmt.Errorf("cm refused the message (error %d): %s", r.MessageErrorCode, r.MessageDetails))
		}
	}
	return channel.Sent{ExternalID: m.Reference, Status: domain.DeliverySent}, nil
}

// post sends a message request. CM answers 200 when it accepted the
// request (each message has its own status), 400 when it refused it
// (authentication, balance, a malformed request: permanent), and 5xx or
// error 500/999 when it failed (retried).
func (c *cm) post(ctx context.Context, body []byte) (*cmResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.s.APIBaseURL+"/v1.0/message", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentTypeJSON)
	req.Header.Set("Accept", contentTypeJSON)
	resp, err := c.a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cm POST /v1.0/message: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("cm POST /v1.0/message: read answer: %w", err)
	}
	var answer cmResponse
	jsonErr := json.Unmarshal(b, &answer)
	failed := fmt.Errorf("cm POST /v1.0/message: %d %s (error %d)", resp.StatusCode, strings.TrimSpace(answer.Details), answer.ErrorCode)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || answer.ErrorCode == 500 || answer.ErrorCode == 999:
		return nil, failed
	case resp.StatusCode/100 != 2:
		for _, m := range answer.Messages {
			if m.MessageDetails != "" {
				failed = fmt.Errorf("%w: %s", failed, m.MessageDetails)
				break
			}
		}
		return nil, channel.Permanent(failed)
	case jsonErr != nil:
		return nil, fmt.Errorf("cm POST /v1.0/message: decode answer: %w", jsonErr)
	}
	return &answer, nil
}

// check validates the settings only: CM documents no call that signs in
// without sending a message.
func (c *cm) check(context.Context) []channel.Check {
	return []channel.Check{{Name: "cm_settings", OK: true,
		Detail: "the product token has the right form; CM offers no sign-in test without sending, so a wrong token shows on the first reply"}}
}

// fetch has nothing to do: an SMS through CM carries text only.
func (c *cm) fetch(context.Context, *channel.Inbound) error { return nil }
