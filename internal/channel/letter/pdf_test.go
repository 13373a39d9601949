package letter

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needTool skips a test when a tool is missing here, and fails it in CI,
// which installs poppler-utils and tesseract-ocr.
func needTool(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: CI must install it (poppler-utils, tesseract-ocr in .ci/run)", tool)
		}
		t.Skipf("%s is not installed (apt-get install poppler-utils tesseract-ocr); skipping", tool)
	}
}

func samplePage() *Page {
	return &Page{
		Company:        "Fietsenmakerij Ödön & Zoon B.V.",
		CompanyAddress: []string{"Kerkstraat 12", "1017 GM Amsterdam"},
		Footer:         []string{"+31 20 123 4567 · service@example.nl", "BTW NL001234567B01 · IBAN NL91 ABNA 0417 1643 00"},
		Recipient:      []string{"Jürgen Müller", "Großbeerenstraße 5", "10963 Berlin", "Deutschland"},
		Language:       "de",
		Date:           time.Date(2026, time.December, 8, 10, 0, 0, 0, time.UTC),
		Subject:        "Reparatur Ihres Fahrrads",
		Reference:      "#10042",
		Body:           "Sehr geehrter Herr Müller,\n\ndie Reparatur kostet € 12,50. Café, naïve, façade.\n\nMit freundlichen Grüßen",
	}
}

func TestRender_PrintsAddressAccentsAndEuroThatPdftotextReadsBack(t *testing.T) {
	needTool(t, "pdftotext")
	var pdf bytes.Buffer
	if err := Render(&pdf, samplePage()); err != nil {
		t.Fatal(err)
	}
	got := Extract(context.Background(), pdf.Bytes())
	if got.Source != SourcePDF {
		t.Fatalf("Extract = %+v, want text read by pdftotext", got)
	}
	text := strings.Join(strings.Fields(got.Text), " ")
	for _, want := range []string{
		"Fietsenmakerij Ödön & Zoon B.V.", "Jürgen Müller", "Großbeerenstraße 5", "10963 Berlin",
		"8. Dezember 2026", "Unser Zeichen: #10042", "Betreff: Reparatur Ihres Fahrrads",
		"die Reparatur kostet € 12,50. Café, naïve, façade.", "Mit freundlichen Grüßen",
		"IBAN NL91 ABNA 0417 1643 00", "Seite 1 von 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the letter does not read %q; pdftotext read:\n%s", want, got.Text)
		}
	}
}

func TestRender_BreaksALongLetterOntoNumberedPages(t *testing.T) {
	needTool(t, "pdftotext")
	p := samplePage()
	p.Body = strings.Repeat("Ein Absatz mit genug Text, um eine Zeile zu füllen, und noch etwas mehr dazu.\n\n", 60)
	var pdf bytes.Buffer
	if err := Render(&pdf, p); err != nil {
		t.Fatal(err)
	}
	got := Extract(context.Background(), pdf.Bytes())
	if !strings.Contains(got.Text, "Seite 2 von") {
		t.Errorf("a long letter has no second numbered page; read:\n%s", got.Text)
	}
}

func TestRender_IsTheSameForTheSameLetter(t *testing.T) {
	var a, b bytes.Buffer
	if err := Render(&a, samplePage()); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, samplePage()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("rendering the same letter twice gave different PDFs")
	}
	if !bytes.HasPrefix(a.Bytes(), []byte("%PDF-")) {
		t.Errorf("the letter does not start as a PDF: %q", a.Bytes()[:min(8, a.Len())])
	}
}

func TestFormatDate_WritesTheDateInTheCustomersLanguage(t *testing.T) {
	day := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ lang, want string }{
		{"nl", "1 maart 2026"},
		{"de-AT", "1. März 2026"},
		{"fr", "1 mars 2026"},
		{"en", "1 March 2026"},
		{"", "1 March 2026"},
		{"tlh", "1 March 2026"},
	} {
		if got := FormatDate(day, tc.lang); got != tc.want {
			t.Errorf("FormatDate(%q) = %q, want %q", tc.lang, got, tc.want)
		}
	}
}

func TestParagraphs_SplitAtBlankLinesAndKeepLineBreaks(t *testing.T) {
	got := paragraphs("Dear Jan,\r\n\r\nline one\nline two\n\n\n\nRegards,\nAnna\n")
	want := []string{"Dear Jan,", "line one\nline two", "Regards,\nAnna"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("paragraphs = %q, want %q", got, want)
	}
}

// FuzzRender: whatever an agent writes and whatever address a customer
// gave, the letter renders without a panic.
func FuzzRender(f *testing.F) {
	f.Add("Jürgen Müller\nStraße 5", "Café € 12,50\n\nGrüße", "de")
	f.Add("", "", "")
	f.Add("\x00\xff\xfe", "😀 \t\r\n\n\n", "zz-ZZ")
	f.Fuzz(func(t *testing.T, address, body, lang string) {
		p := samplePage()
		p.Recipient, p.Body, p.Language = strings.Split(address, "\n"), body, lang
		var pdf bytes.Buffer
		if err := Render(&pdf, p); err != nil {
			t.Fatalf("Render: %v", err)
		}
	})
}
