package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// graphError is the Graph API's error object.
type graphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	UserTitle string `json:"error_user_title"`
	UserMsg   string `json:"error_user_msg"`
	status    int
}

func (e *graphError) Error() string {
	msg := e.Message
	if e.UserMsg != "" {
		msg += " (" + e.UserMsg + ")"
	}
	if e.Subcode != 0 {
		return fmt.Sprintf("graph API error %d/%d (HTTP %d): %s", e.Code, e.Subcode, e.status, msg)
	}
	return fmt.Sprintf("graph API error %d (HTTP %d): %s", e.Code, e.status, msg)
}

// Graph API error codes whose retry can succeed: temporary failures and
// rate limits (application, user, page, and the Send API's own).
var retryCodes = map[int]bool{1: true, 2: true, 4: true, 17: true, 32: true, 341: true, 613: true}

// classify makes a failed Graph call's error permanent when a retry
// cannot help: the person cannot be reached (551), the 24-hour window is
// closed (10/2018278), a parameter is wrong (100), the token is refused
// (190) or the app lacks a permission; rate limits, 429 and 5xx stay
// retryable.
func classify(err error) error {
	var ge *graphError
	if !errors.As(err, &ge) {
		return err
	}
	if retryCodes[ge.Code] || ge.status == http.StatusTooManyRequests || ge.status >= 500 {
		return err
	}
	if ge.status >= 400 {
		return channel.Permanent(err)
	}
	return err
}

// graph calls the Graph API at path below the channel's base URL and
// version, with the Page access token as a bearer token (never in the
// URL, which errors and logs repeat), and decodes the answer into out.
func (a *Adapter) graph(ctx context.Context, ch *domain.Channel, method, path string, query url.Values, contentType string, body io.Reader, out any) error {
	s, err := a.settings(ch.Settings)
	if err != nil {
		return err
	}
	u := s.APIBaseURL + "/" + s.APIVersion + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+ch.Secrets[SecretPageAccessToken])
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read graph API answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error *graphError `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == nil {
			e.Error = &graphError{Message: http.StatusText(resp.StatusCode)}
		}
		e.Error.status = resp.StatusCode
		return e.Error
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("graph API answer: %w", err)
	}
	return nil
}
