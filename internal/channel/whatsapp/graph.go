package whatsapp

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
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// graphError is the error object of a Graph API answer ({"error":{…}}) and
// of a failed status or unsupported message in a webhook ("errors":[…]).
type graphError struct {
	Message   string `json:"message"`
	Title     string `json:"title"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// String is the error in the provider's words, with its code.
func (e graphError) String() string {
	// Title and message often repeat each other, one with a "(#code)".
	var parts []string
next:
	for _, s := range nonEmpty(e.Title, e.Message, e.ErrorData.Details) {
		for i, p := range parts {
			if strings.Contains(p, s) {
				continue next
			}
			if strings.Contains(s, p) {
				parts[i] = s
				continue next
			}
		}
		parts = append(parts, s)
	}
	text := strings.Join(parts, ": ")
	if text == "" {
		text = "unknown error"
	}
	if e.Code != 0 {
		text += fmt.Sprintf(" (code %d)", e.Code)
	}
	return domain.Truncate(text, 1000)
}

// APIError is a Graph API answer other than 2xx.
type APIError struct {
	Status int
	Graph  graphError
	// RetryAfter is the wait the answer's Retry-After header asked for.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("WhatsApp answered %d: %s", e.Status, e.Graph)
}

// retryCodes are Graph error codes that a later try can overcome: rate
// limits, throttling and the service's own failures.
var retryCodes = map[int]bool{
	1: true, 2: true, 4: true, 17: true, 32: true, 613: true, 80007: true,
	130429: true, 131000: true, 131016: true, 131048: true, 131056: true, 133004: true,
}

// Retryable reports whether the request may succeed when tried again.
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || retryCodes[e.Graph.Code]
}

// gone reports whether the answer says the object does not exist (any
// more), such as an expired media id.
func (e *APIError) gone() bool {
	return e.Status == http.StatusNotFound || e.Status == http.StatusGone || (e.Graph.Code == 100 && e.Graph.Subcode == 33)
}

// maxAnswer caps a Graph API answer that is read into memory.
const maxAnswer = 4 << 20

// redact is a URL without its query, for errors.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// call sends a Graph API request with the bearer token and decodes a 2xx
// JSON answer into out (unless nil); any other answer is an *APIError.
func (a *Adapter) call(ctx context.Context, method, u, token string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		// The URL may carry Graph's paging tokens and access token: say
		// what failed and where, never the query.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", method, redact(u), ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error graphError `json:"error"`
		}
		if json.Unmarshal(answer, &e) != nil || e.Error.Message == "" {
			e.Error.Message = strings.TrimSpace(domain.Truncate(domain.CleanText(string(answer)), 300))
			if e.Error.Message == "" {
				e.Error.Message = resp.Status
			}
		}
		ae := &APIError{Status: resp.StatusCode, Graph: e.Error}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			ae.RetryAfter = time.Duration(secs) * time.Second
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// endpoint is the Graph API address of path segments below the version.
func (s *Settings) endpoint(segments ...string) string {
	for i, seg := range segments {
		segments[i] = url.PathEscape(seg)
	}
	return s.APIBaseURL + "/" + s.APIVersion + "/" + strings.Join(segments, "/")
}

// sameOrigin reports whether u is on the Graph API's scheme and host, so
// that following a link it gave (a next page) sends the token nowhere else.
func (s *Settings) sameOrigin(u string) bool {
	p, err := url.Parse(u)
	b, berr := url.Parse(s.APIBaseURL)
	return err == nil && berr == nil && p.Scheme == b.Scheme && p.Host == b.Host
}

// classify marks err, from Graph API calls, as permanent when retrying
// cannot help, or passes on the wait the API asked for.
func classify(err error) error {
	var ae *APIError
	switch {
	case !errors.As(err, &ae):
		return err
	case !ae.Retryable():
		return channel.Permanent(err)
	case ae.RetryAfter > 0:
		return channel.RetryAfter(err, ae.RetryAfter)
	}
	return err
}
