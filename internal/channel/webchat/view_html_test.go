package webchat

import (
	"context"
	"testing"

	"loket.dev/loket/internal/domain"
)

func TestView_ABotAnswerCarriesItsSanitisedHTMLToTheWidget(t *testing.T) {
	a := &Adapter{}
	tests := []struct {
		name string
		m    domain.Message
		want string
	}{
		{"bot answer", domain.Message{Direction: domain.DirectionOut, AuthorType: domain.AuthorBot, Text: "Read more: https://x", HTML: `<p><a href="https://x">Read more</a></p>`},
			`<p><a href="https://x">Read more</a></p>`},
		{"visitor message", domain.Message{Direction: domain.DirectionIn, AuthorType: domain.AuthorContact, Text: "hi", HTML: "<p>hi</p>"}, ""},
	}
	for _, tt := range tests {
		if got := a.view(context.Background(), &tt.m, 1).HTML; got != tt.want {
			t.Errorf("%s: html %q, want %q", tt.name, got, tt.want)
		}
	}
}
