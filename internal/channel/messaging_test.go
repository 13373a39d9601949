package channel

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

func TestWindowOpen(t *testing.T) {
	now := time.UnixMilli(1_000_000_000)
	day := int64(86400)
	tests := []struct {
		name   string
		window int64
		last   int64
		want   bool
	}{
		{"no window", 0, 0, true},
		{"never wrote", day, 0, false},
		{"wrote an hour ago", day, now.UnixMilli() - 3_600_000, true},
		{"a second before it closes", day, now.UnixMilli() - day*1000 + 1000, true},
		{"just closed", day, now.UnixMilli() - day*1000, false},
		{"two days ago", day, now.UnixMilli() - 2*day*1000, false},
	}
	for _, tt := range tests {
		if got := WindowOpen(tt.window, tt.last, now); got != tt.want {
			t.Errorf("%s: WindowOpen = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFillTemplate(t *testing.T) {
	tests := []struct {
		body   string
		params []string
		want   string
		count  int
	}{
		{"Hallo {{1}}, order {{2}}.", []string{"Jan", "1042"}, "Hallo Jan, order 1042.", 2},
		{"{{2}} before {{1}}", []string{"a", "b"}, "b before a", 2},
		{"A parameter holding {{2}} is not filled again: {{1}}", []string{"{{2}}", "x"}, "A parameter holding x is not filled again: {{2}}", 2},
		{"Missing {{3}}", []string{"a"}, "Missing {{3}}", 3},
		{"No parameters", nil, "No parameters", 0},
	}
	for _, tt := range tests {
		if got := FillTemplate(tt.body, tt.params); got != tt.want {
			t.Errorf("FillTemplate(%q, %q) = %q, want %q", tt.body, tt.params, got, tt.want)
		}
		if got := TemplateParams(tt.body); got != tt.count {
			t.Errorf("TemplateParams(%q) = %d, want %d", tt.body, got, tt.count)
		}
	}
}

func TestMetaReaders(t *testing.T) {
	m := &domain.Message{Meta: []byte(`{"quick_replies":[{"id":"yes","label":"Ja"}],"template":{"name":"t","language":"nl","params":["x"]}}`)}
	if q := QuickReplies(m); len(q) != 1 || q[0].Label != "Ja" {
		t.Errorf("QuickReplies = %v", q)
	}
	if tr := TemplateOf(m); tr == nil || tr.Name != "t" || tr.Params[0] != "x" {
		t.Errorf("TemplateOf = %v", tr)
	}
	plain := &domain.Message{Meta: []byte(`{"cc":["a@example.com"]}`)}
	if QuickReplies(plain) != nil || TemplateOf(plain) != nil || TemplateOf(nil) != nil {
		t.Error("a message without quick replies or template must give none")
	}
	if got := string(QuickReplyMeta("article:7")); got != `{"quick_reply":"article:7"}` {
		t.Errorf("QuickReplyMeta = %s", got)
	}
}

func TestRetryWait(t *testing.T) {
	err := fmt.Errorf("send telegram message 7: %w", RetryAfter(errors.New("429 Too Many Requests"), 30*time.Second))
	if got := RetryWait(err); got != 30*time.Second {
		t.Errorf("RetryWait = %s, want 30s", got)
	}
	if IsPermanent(err) || RetryWait(errors.New("503")) != 0 {
		t.Error("a wait is neither permanent nor found where none was given")
	}
}
