package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// This file holds what review sites' APIs share: OAuth 2.0 access tokens
// cached until shortly before they expire, a Bearer call that gets a new
// token once when the site refuses the old one, and the mapping of HTTP
// failures onto the channel contract (429: wait, refused: permanent).

// Token is an OAuth access token and when it expires.
type Token struct {
	Access  string
	Expires time.Time
}

// TokenFunc asks a site's token endpoint for a new access token.
type TokenFunc func(ctx context.Context) (Token, error)

// tokenMargin is how long before its expiry a cached token is replaced,
// so that a token never lapses between being read and being used.
const tokenMargin = 2 * time.Minute

// Tokens caches access tokens by key (a channel and its credentials) until
// shortly before they expire. One token request per key runs at a time:
// sites refuse clients that ask too often.
type Tokens struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*tokenEntry
}

type tokenEntry struct {
	mu  sync.Mutex
	tok Token
}

// NewTokens returns an empty cache on the clock now (time.Now when nil).
func NewTokens(now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{now: now, m: map[string]*tokenEntry{}}
}

func (t *Tokens) entry(key string) *tokenEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[key]
	if e == nil {
		e = &tokenEntry{}
		t.m[key] = e
	}
	return e
}

// Get returns the cached token for key, or a new one from fetch.
func (t *Tokens) Get(ctx context.Context, key string, fetch TokenFunc) (string, error) {
	e := t.entry(key)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok.Access != "" && t.now().Add(tokenMargin).Before(e.tok.Expires) {
		return e.tok.Access, nil
	}
	tok, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	if tok.Access == "" {
		return "", channel.Permanent(errors.New("the token endpoint gave no access token"))
	}
	e.tok = tok
	return tok.Access, nil
}

// Drop forgets access for key, if it is still the cached one: the site
// refused it before it expired.
func (t *Tokens) Drop(key, access string) {
	e := t.entry(key)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok.Access == access {
		e.tok = Token{}
	}
}

// TokenKey is the cache key of a channel's token: its id, kind and a hash
// of the credentials, so changed credentials never use an old token.
func TokenKey(ch *domain.Channel, secretNames ...string) string {
	h := sha256.New()
	for _, n := range secretNames {
		fmt.Fprintf(h, "%s=%q\n", n, ch.Secrets[n])
	}
	return fmt.Sprintf("%s/%d/%s", ch.Kind, ch.ID, hex.EncodeToString(h.Sum(nil)[:12]))
}

// CallTimeout bounds one call to a site, answer included.
const CallTimeout = 30 * time.Second

// maxAnswer caps a site's answer read into memory; a page of 100 reviews
// stays far below it.
const maxAnswer = 8 << 20

// API calls one site's REST API with Bearer tokens from Tokens.
type API struct {
	// Name is the site's name in errors, such as "Google".
	Name   string
	Client *http.Client
	Tokens *Tokens
}

// Call sends the request that build makes with the channel's access
// token and decodes a 2xx JSON answer into out (when not nil). When the
// site answers 401 the token is dropped, a new one fetched and the call
// made once more; a second 401 is permanent (the credentials are wrong or
// revoked). Other failures are mapped by StatusError.
func (a *API) Call(ctx context.Context, key string, fetch TokenFunc, build func(ctx context.Context) (*http.Request, error), out any) error {
	for attempt := 0; ; attempt++ {
		access, err := a.Tokens.Get(ctx, key, fetch)
		if err != nil {
			return err
		}
		req, err := build(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		req.Header.Set("Authorization", "Bearer "+access)
		req.Header.Set("Accept", "application/json")
		status, header, body, err := a.do(req)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			a.Tokens.Drop(key, access)
			continue
		}
		if status < 200 || status > 299 {
			return StatusError(a.Name, req, status, header, body)
		}
		if out != nil && len(body) > 0 {
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("%s %s: the answer is not the documented JSON: %w", a.Name, req.URL.Path, err)
			}
		}
		return nil
	}
}

func (a *API) do(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := a.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, nil, fmt.Errorf("%s %s %s: %w", a.Name, req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s %s: read the answer: %w", a.Name, req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// FetchToken posts a token request (a form, with whatever authentication
// the site wants on req) and reads the OAuth answer: access_token and
// expires_in, in seconds, which some sites write as a string. A refusal
// (400, 401, 403) is permanent: the refresh token or the key is wrong.
func (a *API) FetchToken(req *http.Request, now time.Time) (Token, error) {
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, header, body, err := a.do(req)
	if err != nil {
		return Token{}, err
	}
	if status < 200 || status > 299 {
		err := StatusError(a.Name+" sign-in", req, status, header, body)
		if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
			return Token{}, channel.Permanent(err)
		}
		return Token{}, err
	}
	var ans struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return Token{}, fmt.Errorf("%s sign-in: the answer is not the documented JSON: %w", a.Name, err)
	}
	secs, _ := strconv.ParseInt(strings.Trim(string(ans.ExpiresIn), `"`), 10, 64)
	if secs <= 0 {
		secs = 3600
	}
	return Token{Access: ans.AccessToken, Expires: now.Add(time.Duration(secs) * time.Second)}, nil
}

// defaultRetryAfter is the wait after a 429 that names none.
const defaultRetryAfter = time.Minute

// StatusError maps a site's failed answer onto the channel contract: 429
// waits (Retry-After, a minute when absent), 400, 401, 403, 404, 409 and
// 422 are permanent (retrying the same request cannot help), the rest
// (5xx) is retried. The message is the site's own, when its body has one.
func StatusError(name string, req *http.Request, status int, header http.Header, body []byte) error {
	err := fmt.Errorf("%s %s %s: %d %s", name, req.Method, req.URL.Path, status, siteMessage(body))
	switch status {
	case http.StatusTooManyRequests:
		return channel.RetryAfter(err, retryAfter(header.Get("Retry-After")))
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return channel.Permanent(err)
	}
	return err
}

// retryAfter reads a Retry-After header in seconds; the HTTP-date form and
// anything unreadable wait the default.
func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	return defaultRetryAfter
}

// siteMessage finds the human message in an error body: Google's
// {"error":{"message"}}, OAuth's error_description, Trustpilot's
// {"message"} or {"details"}; else the start of the body.
func siteMessage(body []byte) string {
	var e struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Message          string          `json:"message"`
		Details          string          `json:"details"`
	}
	if json.Unmarshal(body, &e) == nil {
		var nested struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		}
		var flat string
		switch {
		case json.Unmarshal(e.Error, &nested) == nil && nested.Message != "":
			return strings.TrimSpace(nested.Status + " " + nested.Message)
		case e.ErrorDescription != "":
			json.Unmarshal(e.Error, &flat)
			return strings.TrimSpace(flat + ": " + e.ErrorDescription)
		case e.Message != "":
			return e.Message
		case e.Details != "":
			return e.Details
		case json.Unmarshal(e.Error, &flat) == nil && flat != "":
			return flat
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
