package letter

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtract_SaysWhyThereIsNoText(t *testing.T) {
	var pdf bytes.Buffer
	if err := Render(&pdf, samplePage()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		scan []byte
		path string // PATH while extracting; the real one when empty
		note string
	}{
		{"not a scan", []byte("hello, plain text"), "", "not a PDF, PNG or JPEG"},
		{"no tools", pdf.Bytes(), t.TempDir(), "pdftotext is not installed; tesseract (OCR) is not installed"},
		{"broken image", append([]byte("\x89PNG\r\n\x1a\n"), "broken"...), t.TempDir(), "the image cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			got := Extract(context.Background(), tc.scan)
			if got.Text != "" || got.Source != "" || !strings.Contains(got.Note, tc.note) {
				t.Errorf("Extract = %+v, want no text and a note with %q", got, tc.note)
			}
		})
	}
}

func TestExtract_TreatsACraftedPDFAsHavingNoText(t *testing.T) {
	needTool(t, "pdftotext")
	for _, scan := range []string{
		"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
		"%PDF-1.4\n" + strings.Repeat("(", 100000),
	} {
		got := Extract(context.Background(), []byte(scan))
		if got.Text != "" || got.Note == "" {
			t.Errorf("Extract(crafted PDF) = %+v, want no text and a note", got)
		}
	}
}

// A scanned letter: the letter rendered to an image, read back by OCR.
func TestExtract_ReadsAScannedImageWithOCR(t *testing.T) {
	needTool(t, "pdftoppm")
	needTool(t, "tesseract")
	var pdf bytes.Buffer
	if err := Render(&pdf, samplePage()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "letter.pdf")
	if err := os.WriteFile(in, pdf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "150", "-singlefile", in, filepath.Join(dir, "scan")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	png, err := os.ReadFile(filepath.Join(dir, "scan.png"))
	if err != nil {
		t.Fatal(err)
	}
	got := Extract(context.Background(), png)
	if got.Source != SourceOCR || !strings.Contains(got.Text, "Reparatur") {
		t.Errorf("Extract(scan) = %+v, want OCR text with Reparatur", got)
	}
}

func TestCapped_KeepsTheStartWithoutSplittingACharacter(t *testing.T) {
	c := &capped{limit: 4}
	c.Write([]byte("abc"))
	c.Write([]byte("éé"))
	c.Write([]byte("more"))
	if got := c.String(); got != "abc" {
		t.Errorf("capped kept %q, want %q", got, "abc")
	}
}
