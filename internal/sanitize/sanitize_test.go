package sanitize

import (
	"strings"
	"testing"
)

func TestHTML_RemovesScriptsAndHandlersButKeepsFormatting(t *testing.T) {
	tests := []struct {
		in           string
		want, reject []string
	}{
		{`<p>Hi <b>there</b><script>alert(1)</script></p>`, []string{"<b>there</b>"}, []string{"script", "alert"}},
		{`<img src=x onerror="alert(1)">`, nil, []string{"onerror"}},
		{`<a href="javascript:alert(1)">x</a>`, []string{"x"}, []string{"javascript"}},
		{`<a href="https://example.com">site</a>`, []string{`href="https://example.com"`, `rel="nofollow noreferrer noopener"`}, nil},
		{`<img src="cid:logo@x">`, []string{`src="cid:logo@x"`}, nil},
		{`<span style="color: red; position: fixed">red</span>`, []string{"color: red"}, []string{"position"}},
	}
	for _, tt := range tests {
		got := HTML(tt.in)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("HTML(%q) = %q, missing %q", tt.in, got, w)
			}
		}
		for _, r := range tt.reject {
			if strings.Contains(got, r) {
				t.Errorf("HTML(%q) = %q, still contains %q", tt.in, got, r)
			}
		}
	}
}

func TestText_FlattensHTMLToReadableText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<p>Hello <b>Jan</b>,</p><p>where is my order?</p>", "Hello Jan , where is my order?"},
		{"Fish &amp; chips&nbsp;&lt;3", "Fish & chips\u00a0<3"},
		{"", ""},
		{"  plain\n\ttext  ", "plain text"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
