package x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// apiError is X's answer to a refused call: API v2's problem details
// (title, detail, type), or the older errors list that some refusals,
// such as rate limits, still carry.
type apiError struct {
	Status int    `json:"-"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	Errors []struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"errors"`
}

func (e *apiError) Error() string {
	msg := e.Detail
	if msg == "" && len(e.Errors) > 0 {
		msg = e.Errors[0].Message
	}
	if msg == "" {
		msg = e.Title
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("X API: HTTP %d: %s", e.Status, msg)
}

// DefaultRateLimitWait is waited after a 429 without x-rate-limit-reset.
const DefaultRateLimitWait = time.Minute

// classify says how a refused call is retried: a 429 after X's reset time
// (x-rate-limit-reset, Unix seconds), a refused sign-in or permission
// (401, 403) and any other 4xx never, 5xx with the usual backoff.
func (a *Adapter) classify(e *apiError, h http.Header) error {
	switch {
	case e.Status == http.StatusTooManyRequests:
		wait := DefaultRateLimitWait
		if reset, err := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64); err == nil {
			wait = time.Unix(reset, 0).Sub(a.now())
		}
		return channel.RetryAfter(e, max(wait, time.Second))
	case e.Status >= 400 && e.Status < 500:
		return channel.Permanent(e)
	}
	return e
}

// client is the adapter's view of one channel: where X is and how to sign.
type client struct {
	a     *Adapter
	s     Settings
	creds credentials
}

func (a *Adapter) clientFor(ch *domain.Channel) (*client, error) {
	s, err := settings(ch.Settings)
	if err != nil {
		return nil, err
	}
	return &client{a: a, s: s, creds: credentials{ConsumerKey: ch.Secrets[SecretConsumerKey], ConsumerSecret: ch.Secrets[SecretConsumerSecret],
		Token: ch.Secrets[SecretAccessToken], TokenSecret: ch.Secrets[SecretAccessTokenSecret]}}, nil
}

// maxAnswer bounds what is read of one answer: a page of 100 tweets with
// their users and referenced tweets stays well below it.
const maxAnswer = 4 << 20

// call sends one signed request to path (below the base URL), with query
// parameters and a JSON body when in is not nil, and decodes the answer
// into out.
func (c *client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u, err := url.Parse(c.s.APIBaseURL + path)
	if err != nil {
		return err
	}
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", c.creds.authorization(method, u, c.a.nonce(), c.a.now().Unix()))
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.a.client.Do(req)
	if err != nil {
		return fmt.Errorf("call %s %s at X: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("call %s %s at X: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{}
		_ = json.Unmarshal(b, e)
		e.Status = resp.StatusCode
		return c.a.classify(e, resp.Header)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("call %s %s at X: %w", method, path, err)
	}
	return nil
}

// problem is an error X reports inside a 200 answer (a partial error, such
// as a referenced tweet that was deleted), or in place of data.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
}

// pathID escapes an id for a URL path; ids are checked numeric first.
func pathID(id string) string { return url.PathEscape(strings.TrimSpace(id)) }
