package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// maxAnswer caps a Bot API answer read into memory; getUpdates with 100
// updates stays far below it.
const maxAnswer = 8 << 20

// apiError is a Bot API refusal: {"ok":false,"error_code","description",
// "parameters":{"retry_after"}}.
type apiError struct {
	Method      string
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %d s)", e.RetryAfter)
	}
	return s
}

// answer is the Bot API's envelope.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// bot calls the Bot API as one channel's bot.
type bot struct {
	client *http.Client
	base   string // the API's address, without the trailing slash
	token  string
}

func (a *Adapter) bot(ch *domain.Channel) (*bot, error) {
	s, err := parseSettings(ch.Settings)
	if err != nil {
		return nil, err
	}
	if ch.Secrets["bot_token"] == "" {
		return nil, domain.Invalid("invalid_settings", "the channel has no bot_token")
	}
	return &bot{client: a.cfg.Client, base: s.APIBaseURL, token: ch.Secrets["bot_token"]}, nil
}

// call posts params as JSON to method and decodes the result into out
// (when not nil).
func (b *bot) call(ctx context.Context, method string, params any, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", b.base+"/bot"+b.token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	return b.do(req, method, out)
}

// upload posts a multipart form with one file to method.
func (b *bot) upload(ctx context.Context, method string, fields map[string]string, field, filename string, data []byte, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", b.base+"/bot"+b.token+"/"+method, &buf)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req, method, out)
}

func (b *bot) do(req *http.Request, method string, out any) error {
	resp, err := b.client.Do(req)
	if err != nil {
		// The URL holds the token: never let it into an error message.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("telegram %s: read answer: %w", method, err)
	}
	var ans answer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("telegram %s: status %d with an answer that is not the Bot API's: %.200q", method, resp.StatusCode, raw)
	}
	if !ans.OK {
		code := ans.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		return &apiError{Method: method, Code: code, Description: ans.Description, RetryAfter: ans.Parameters.RetryAfter}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ans.Result, out); err != nil {
		return fmt.Errorf("telegram %s: decode result: %w", method, err)
	}
	return nil
}

// sendError classifies a failed send for the outbox: flood control (429,
// waiting as long as Telegram asks),
// the Bot API's own trouble (5xx) and a refused token (401, which the
// admin can fix) are retried; any other refusal, such as a bot the
// customer blocked (403) or a chat that does not exist (400), is
// permanent.
func sendError(id int64, err error) error {
	err = fmt.Errorf("send telegram message %d: %w", id, err)
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.RetryAfter > 0:
		return channel.RetryAfter(err, time.Duration(ae.RetryAfter)*time.Second)
	case ae.Code == http.StatusTooManyRequests, ae.Code >= 500, ae.Code == http.StatusUnauthorized:
		return err
	case ae.Code >= 400:
		return channel.Permanent(err)
	}
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
