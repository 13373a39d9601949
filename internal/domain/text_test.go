package domain_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

func TestCleanText_RemovesNULAndReplacesBrokenUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x00b", "ab"},
		{"\xffx\xfe", "\uFFFDx\uFFFD"},
		{"é€ 🙂", "é€ 🙂"},
		{"\x00\xff\x00", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := domain.CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanJSON_CleansStringsAndKeysOnlyWhenNeeded(t *testing.T) {
	raw := []byte(`{"a\u0000":"b\u0000c","n":[1,"\u0000"]}`)
	if got := string(domain.CleanJSON(raw)); got != `{"a":"bc","n":[1,""]}` {
		t.Errorf("CleanJSON = %s", got)
	}
	plain := []byte(`{"literal":"\\u0000"}`)
	if got := domain.CleanJSON(plain); string(got) != string(plain) {
		t.Errorf("an escaped backslash was changed: %s", got)
	}
}

func TestTruncate_CutsAtACharacterBoundaryWithAnEllipsis(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	got := domain.Truncate(s, 10)
	if len(got) > 10 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
	if domain.Truncate("short", 10) != "short" {
		t.Error("a short text was changed")
	}
}

func TestSafeFilename_KeepsABaseNameWithinTheLimit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\jan\photo.jpg`, "photo.jpg"},
		{"..", "attachment"},
		{".htaccess", "htaccess"},
		{"a\x00b\u202e.txt", "ab.txt"},
		{"", "attachment"},
		{"  \x01 ", "attachment"},
	}
	for _, tt := range tests {
		if got := domain.SafeFilename(tt.in); got != tt.want {
			t.Errorf("SafeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := domain.SafeFilename(strings.Repeat("ü", 10<<10) + ".pdf")
	if len(long) > domain.MaxFilenameBytes || !strings.HasSuffix(long, ".pdf") || !utf8.ValidString(long) {
		t.Errorf("long name cut to %d bytes ending %q", len(long), long[len(long)-10:])
	}
}
