package email

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"loket.dev/loket/internal/domain"
)

// nestedMail builds a mail of depth multiparts, each inside the one
// before, around one text part; closed says whether each boundary is
// closed again.
func nestedMail(depth int, closed bool) []byte {
	var b strings.Builder
	b.WriteString("From: Jan <jan@example.nl>\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nWhere is my order?\r\n", depth-1)
	for i := depth - 1; closed && i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// manyPartsMail builds a multipart/mixed mail with n text parts.
func manyPartsMail(n int) []byte {
	var b strings.Builder
	b.WriteString("From: jan@example.nl\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--x\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--x--\r\n")
	return []byte(b.String())
}

func TestParse_KeepsAMailNestedPastTheLimitAsPlainTextWithANote(t *testing.T) {
	// Forty unclosed levels would keep the MIME parser busy for days.
	for _, raw := range [][]byte{nestedMail(40, false), nestedMail(40, true), nestedMail(MaxNesting+1, false)} {
		m, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "nested more than 10 levels deep") || !strings.Contains(m.Text, "Where is my order?") {
			t.Errorf("text = %q, want the note and the customer's words", m.Text)
		}
		if m.From.Email != "jan@example.nl" || m.Subject != "deep" {
			t.Errorf("from %q subject %q, want the headers read", m.From.Email, m.Subject)
		}
		if len(m.Attachments) != 0 {
			t.Errorf("attachments = %d, want none", len(m.Attachments))
		}
	}
}

func TestParse_TakesApartAMailNestedUpToTheLimit(t *testing.T) {
	for _, closed := range []bool{true, false} {
		m, err := Parse(nestedMail(MaxNesting, closed))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(m.Text) != "Where is my order?" {
			t.Errorf("closed=%v: text = %q, want only the body", closed, m.Text)
		}
	}
}

func TestParse_KeepsAMailWithTooManyPartsAsPlainTextWithANote(t *testing.T) {
	m, _ := Parse(manyPartsMail(MaxParts + 1))
	if !strings.Contains(m.Text, "more than 1000 MIME parts") || !strings.Contains(m.Text, "part 1000") {
		t.Errorf("text starts %q, want the note and every part", m.Text[:min(len(m.Text), 200)])
	}
	m, _ = Parse(manyPartsMail(MaxParts))
	if strings.Contains(m.Text, "MIME parts") || !strings.Contains(m.Text, "part 999") {
		t.Errorf("at the limit: text starts %q, want the parts read", m.Text[:min(len(m.Text), 200)])
	}
}

func TestParse_ReadsAsPlainTextWhenTheMIMEParserRunsOutOfTime(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, err := parse(ctx, nestedMail(3, true))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "took too long") || !strings.Contains(m.Text, "Where is my order?") {
		t.Errorf("text = %q, want the note and the body", m.Text)
	}
}

func TestReadParts_StopsTheParserMidwayWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	reads := 0
	_, err := readPartsFrom(ctx, func(p []byte, r func([]byte) (int, error)) (int, error) {
		reads++
		if reads == 100 {
			cancel()
		}
		return r(p)
	}, nestedMail(30, false))
	if !errors.Is(err, errParseTime) {
		t.Fatalf("err = %v, want errParseTime", err)
	}
	if reads > 101 {
		t.Errorf("%d reads after the context ended, want none", reads-101)
	}
}

// readPartsFrom is readParts with every read of the parser passing
// through hook.
func readPartsFrom(ctx context.Context, hook func([]byte, func([]byte) (int, error)) (int, error), raw []byte) (*enmime.Part, error) {
	return readPartsReader(ctx, hookReader{hook: hook, r: strings.NewReader(string(raw)).Read})
}

type hookReader struct {
	hook func([]byte, func([]byte) (int, error)) (int, error)
	r    func([]byte) (int, error)
}

func (h hookReader) Read(p []byte) (int, error) { return h.hook(p, h.r) }

func TestScanShape_MeasuresNestingAndPartsAsTheParserSeesThem(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		depth int
		parts int
	}{
		{"single part", "Subject: x\r\n\r\nhello --b\r\n", 0, 0},
		{"boundary on a non-multipart root", "Content-Type: text/plain; boundary=b\r\n\r\n--b\r\n\r\nx\r\n", 0, 0},
		{"flat", string(manyPartsMail(3)), 1, 3},
		{"nested closed", string(nestedMail(4, true)), 4, 4},
		{"nested unclosed", string(nestedMail(4, false)), 4, 4},
		{"siblings do not add up",
			"Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
				"--a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n" +
				"--a\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\ny\r\n" +
				"--a\r\nContent-Type: multipart/alternative; boundary=d\r\n\r\n--d\r\n\r\nz\r\n--a--\r\n", 2, 6},
		{"any part with a boundary nests",
			"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: application/x-foo;\r\n boundary=\"b\"\r\n\r\n--b\r\n\r\nx\r\n", 2, 2},
		{"a boundary anywhere in a preamble line",
			"Content-Type: multipart/mixed; boundary=a\r\n\r\nsee --a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nx--b\r\n\r\ny\r\n", 2, 2},
		{"LF line ends", strings.ReplaceAll(string(nestedMail(5, false)), "\r\n", "\n"), 5, 5},
		{"header cut short by a boundary",
			"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=b\r\n--a\r\n\r\nx\r\n--a--\r\n", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scanShape([]byte(tt.raw))
			if s.depth != tt.depth || s.parts != tt.parts {
				t.Errorf("shape = depth %d, %d parts; want depth %d, %d parts", s.depth, s.parts, tt.depth, tt.parts)
			}
		})
	}
}

func TestParse_CutsOversizedSubjectNameAndFileNameWithAWarning(t *testing.T) {
	long := strings.Repeat("a", 30<<10)
	raw := message("--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x\r\nContent-Type: application/pdf\r\n"+
		"Content-Disposition: attachment; filename=\""+long+".pdf\"\r\n\r\n%PDF\r\n--x--\r\n",
		"From: \""+long+"\" <jan@example.nl>", "Subject: "+long, "Content-Type: multipart/mixed; boundary=x")
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Subject) > domain.MaxSubjectBytes || !strings.HasSuffix(m.Subject, "…") {
		t.Errorf("subject of %d bytes, want at most %d ending in …", len(m.Subject), domain.MaxSubjectBytes)
	}
	if len(m.From.Name) > domain.MaxNameBytes || m.From.Email != "jan@example.nl" {
		t.Errorf("from %d bytes %q, want the name cut and the address kept", len(m.From.Name), m.From.Email)
	}
	if len(m.Attachments) != 1 || len(m.Attachments[0].Filename) > domain.MaxFilenameBytes || !strings.HasSuffix(m.Attachments[0].Filename, ".pdf") {
		t.Errorf("attachments %d, want one named within the limit", len(m.Attachments))
	}
	warned := 0
	for _, w := range m.Warnings {
		if strings.Contains(w, "cut to") {
			warned++
		}
	}
	if warned != 2 {
		t.Errorf("warnings %q, want the subject and name cuts noted", m.Warnings)
	}
}
