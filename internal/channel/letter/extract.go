package letter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads a JPEG scan's size
	_ "image/png"  // and a PNG's
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Scan types a letter's scan may have.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// ScanType is the type of a scan sniffed from its bytes, or "" when it is
// not a PDF, PNG or JPEG.
func ScanType(b []byte) string {
	switch t := http.DetectContentType(b); t {
	case TypePDF, TypePNG, TypeJPEG:
		return t
	}
	return ""
}

// Limits on reading a scan. A crafted file must not hold a core for long
// nor fill memory: each tool runs under a timeout, reads a bounded number
// of pages and its output is cut.
const (
	// ExtractTimeout bounds all tool runs for one scan together.
	ExtractTimeout = 60 * time.Second
	maxTextPages   = 50       // pages pdftotext reads
	maxOCRPages    = 5        // pages rendered for OCR
	maxOCRPixels   = 40 << 20 // pixels of an image given to tesseract
	maxToolOutput  = 1 << 20  // bytes of text kept per run
	renderLongSide = "2480"   // pixels of a page's long side for OCR: A4 at 300 dpi
)

// extracting lets two scans be read at once, so that a burst of letters
// leaves the server's other cores free.
var extracting = make(chan struct{}, 2)

// Text sources of an Extracted.
const (
	SourcePDF = "pdftotext"
	SourceOCR = "ocr"
)

// Extracted is the text read from a scan, or why there is none.
type Extracted struct {
	Text string `json:"-"`
	// Source is how the text was read: pdftotext, ocr, or empty.
	Source string `json:"text_source,omitempty"`
	// Note says why no text was read, for the agent.
	Note string `json:"text_note,omitempty"`
}

// Extract reads the text of a scan: a PDF's text layer with pdftotext, or
// the image (or the PDF's first pages rendered with pdftoppm) with
// tesseract's OCR. The tools are optional and found on PATH; a tool that
// is missing, fails or runs out of time yields no text and a note.
func Extract(ctx context.Context, scan []byte) Extracted {
	ctx, cancel := context.WithTimeout(ctx, ExtractTimeout)
	defer cancel()
	select {
	case extracting <- struct{}{}:
		defer func() { <-extracting }()
	case <-ctx.Done():
		return Extracted{Note: "text extraction was busy with other letters; the letter is kept without its text"}
	}
	dir, err := os.MkdirTemp("", "loket-letter-")
	if err != nil {
		return Extracted{Note: "text extraction could not make a working directory: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	switch ScanType(scan) {
	case TypePDF:
		return extractPDF(ctx, dir, scan)
	case TypePNG, TypeJPEG:
		return ocrImage(ctx, dir, scan)
	}
	return Extracted{Note: "the scan is not a PDF, PNG or JPEG file"}
}

func extractPDF(ctx context.Context, dir string, scan []byte) Extracted {
	in := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(in, scan, 0o600); err != nil {
		return Extracted{Note: "text extraction could not write the scan: " + err.Error()}
	}
	var note string
	text, err := run(ctx, dir, "pdftotext", "-q", "-l", fmt.Sprint(maxTextPages), "-enc", "UTF-8", in, "-")
	switch {
	case err != nil:
		note = err.Error()
	case strings.TrimSpace(text) != "":
		return Extracted{Text: text, Source: SourcePDF}
	default:
		note = "the PDF has no text layer"
	}
	// A scanned PDF has only images: render its first pages for OCR.
	if _, err := exec.LookPath("tesseract"); err != nil {
		return Extracted{Note: note + "; tesseract (OCR) is not installed"}
	}
	if _, err := run(ctx, dir, "pdftoppm", "-q", "-gray", "-png", "-l", fmt.Sprint(maxOCRPages),
		"-scale-to", renderLongSide, in, filepath.Join(dir, "page")); err != nil {
		return Extracted{Note: note + "; " + err.Error()}
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	sort.Strings(pages)
	if len(pages) == 0 {
		return Extracted{Note: note + "; pdftoppm rendered no pages"}
	}
	var all []string
	for _, p := range pages {
		text, err := run(ctx, dir, "tesseract", p, "stdout")
		if err != nil {
			return Extracted{Note: note + "; " + err.Error()}
		}
		all = append(all, strings.TrimSpace(text))
	}
	return ocrResult(strings.Join(all, "\n\n"))
}

func ocrImage(ctx context.Context, dir string, scan []byte) Extracted {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(scan))
	if err != nil {
		return Extracted{Note: "the image cannot be read: " + err.Error()}
	}
	if cfg.Width*cfg.Height > maxOCRPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return Extracted{Note: fmt.Sprintf("the image is %d×%d pixels, too large to read", cfg.Width, cfg.Height)}
	}
	in := filepath.Join(dir, "scan")
	if err := os.WriteFile(in, scan, 0o600); err != nil {
		return Extracted{Note: "text extraction could not write the scan: " + err.Error()}
	}
	text, err := run(ctx, dir, "tesseract", in, "stdout")
	if err != nil {
		return Extracted{Note: err.Error()}
	}
	return ocrResult(text)
}

func ocrResult(text string) Extracted {
	if strings.TrimSpace(text) == "" {
		return Extracted{Note: "OCR found no text in the scan"}
	}
	return Extracted{Text: text, Source: SourceOCR}
}

// run runs a tool in dir and returns what it wrote, cut to maxToolOutput
// bytes. Its error says in a few words what went wrong, for the agent.
func run(ctx context.Context, dir, tool string, args ...string) (string, error) {
	path, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("%s is not installed", tool)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// tesseract would use every core for one page.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out := &capped{limit: maxToolOutput}
	cmd.Stdout = out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%s ran out of time", tool)
		}
		return "", fmt.Errorf("%s failed: %v", tool, err)
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD"), nil
}

// capped keeps the first limit bytes written to it and drops the rest, at
// a character boundary.
type capped struct {
	bytes.Buffer
	limit int
	full  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.full {
		return len(p), nil
	}
	keep := p[:min(c.limit-c.Len(), len(p))]
	if len(keep) < len(p) {
		c.full = true
		for len(keep) > 0 && !utf8.RuneStart(p[len(keep)]) {
			keep = keep[:len(keep)-1]
		}
	}
	c.Buffer.Write(keep)
	return len(p), nil
}
