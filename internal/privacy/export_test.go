package privacy

import (
	"strings"
	"testing"
)

func TestSafeName_KeepsOneHarmlessPathElement(t *testing.T) {
	for in, want := range map[string]string{
		"factuur.pdf":           "factuur.pdf",
		"../../etc/passwd":      "passwd",
		`C:\Users\jan\foto.jpg`: "foto.jpg",
		"":                      "file",
		"..":                    "file",
		"a\x00b\nc:d.txt":       "a_b_c_d.txt",
		"bon één.png":           "bon één.png",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := safeName(strings.Repeat("é", 100) + ".pdf"); len(got) > 120 || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "é") {
		t.Errorf("a long name became %q", got)
	}
}
