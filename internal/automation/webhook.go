package automation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// TaskRuleWebhook is the kind of task that calls a rule's webhook.
const TaskRuleWebhook = "rule.webhook"

type ruleCall struct {
	URL  string `json:"url"`
	Body Facts  `json:"body"`
}

// webhookBody is the task payload of a webhook action: where to, and the
// facts of the trigger as the JSON body.
func webhookBody(url string, s *subject) ([]byte, error) {
	return json.Marshal(ruleCall{URL: url, Body: s.facts})
}

// CallWebhook is the handler of TaskRuleWebhook: it posts the facts as
// JSON. A 2xx answer is done; 4xx other than 408 and 429 gives up; any
// other answer or error is tried again later.
func (e *Engine) CallWebhook(ctx context.Context, job store.Job) error {
	var c ruleCall
	if err := json.Unmarshal(job.Payload, &c); err != nil {
		return tasks.Permanent(fmt.Errorf("decode webhook call: %w", err))
	}
	body, err := json.Marshal(c.Body)
	if err != nil {
		return tasks.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return tasks.Permanent(fmt.Errorf("webhook %s: %w", c.URL, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Loket")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return tasks.Permanent(fmt.Errorf("webhook %s answered %s", c.URL, resp.Status))
	}
	return fmt.Errorf("webhook %s answered %s", c.URL, resp.Status)
}
