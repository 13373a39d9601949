package email

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	xhtml "golang.org/x/net/html"

	"loket.dev/loket/internal/domain"
)

// FuzzParse checks that no input makes Parse panic, return nothing, or
// produce unsafe or invalid output. Its seeds are the test corpus, so the
// corpus is parsed under these checks by every plain test run.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed corpus: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}

	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if m == nil {
			t.Fatalf("Parse returned a nil Mail (error %v)", err)
		}
		if err != nil && strings.TrimSpace(string(raw)) != "" {
			t.Fatalf("Parse failed on non-empty input: %v", err)
		}
		for field, html := range map[string]string{"HTML": m.HTML, "NewHTML": m.NewHTML} {
			if strings.Contains(strings.ToLower(html), "<script") {
				t.Fatalf("%s contains a script: %s", field, html)
			}
			if problem := unsafeMarkup(html); problem != "" {
				t.Fatalf("%s has %s: %s", field, problem, html)
			}
		}
		strs := []string{m.MessageID, m.InReplyTo, m.Subject, m.From.Name, m.From.Email,
			m.Text, m.HTML, m.NewText, m.NewHTML}
		strs = append(strs, m.References...)
		for _, a := range m.Attachments {
			strs = append(strs, a.Filename, a.ContentType, a.ContentID)
			if a.Filename == "" || strings.ContainsAny(a.Filename, `/\`) {
				t.Fatalf("unsafe or empty attachment file name %q", a.Filename)
			}
			if a.ContentType == "" {
				t.Fatalf("attachment %q has no content type", a.Filename)
			}
		}
		for _, s := range strs {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in output: %q", s)
			}
		}
		if len(m.Subject) > domain.MaxSubjectBytes || len(m.From.Name) > domain.MaxNameBytes {
			t.Fatalf("subject of %d bytes or sender name of %d bytes past the limits", len(m.Subject), len(m.From.Name))
		}
		for _, a := range m.Attachments {
			if len(a.Filename) > domain.MaxFilenameBytes {
				t.Fatalf("attachment name of %d bytes past the limit", len(a.Filename))
			}
		}
		if m.From.Email != strings.ToLower(m.From.Email) {
			t.Fatalf("From.Email %q is not lower case", m.From.Email)
		}
		if m.DSN != nil && m.Auto != AutoBounce {
			t.Fatalf("DSN set on a %v message", m.Auto)
		}
		if m.Auto != AutoNone && m.ShouldAutoAcknowledge() {
			t.Fatalf("automatic (%v) message may be acknowledged", m.Auto)
		}
	})
}

// FuzzScanShape checks that the pre-scan never sees a shallower or smaller
// MIME structure than the MIME parser builds, so that no mail can slip a
// deep nesting past the limits, and that the parser finishes every mail the
// pre-scan lets through.
func FuzzScanShape(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(nestedMail(MaxNesting, false))
	f.Add(nestedMail(MaxNesting+1, true))
	f.Add(manyPartsMail(20))

	f.Fuzz(func(t *testing.T, raw []byte) {
		s := scanShape(raw)
		if s.tooComplex() != "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		root, err := readParts(ctx, raw)
		if err != nil {
			if err == errParseTime {
				t.Fatalf("the MIME parser ran out of time on a mail of depth %d with %d parts", s.depth, s.parts)
			}
			return
		}
		depth, parts := treeShape(root)
		if depth > s.depth || parts > s.parts {
			t.Fatalf("parser built depth %d with %d parts, pre-scan saw depth %d with %d parts", depth, parts, s.depth, s.parts)
		}
	})
}

// treeShape returns how many multiparts deep the tree below p nests and
// how many parts are below p.
func treeShape(p *enmime.Part) (depth, parts int) {
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		d, n := treeShape(c)
		depth = max(depth, d)
		parts += n + 1
	}
	if p.FirstChild != nil {
		depth++
	}
	return depth, parts
}

// unsafeMarkup describes the first thing in sanitised HTML that could run
// code or load a remote resource, or returns "".
func unsafeMarkup(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			if z.Err() == io.EOF {
				return ""
			}
			return "a tokenizer error: " + z.Err().Error()
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "object", "embed", "form", "input", "link", "meta", "base", "svg":
				return "a <" + tok.Data + "> element"
			}
			for _, a := range tok.Attr {
				val := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"):
					return "an event handler " + a.Key
				case a.Key == "href" && !(strings.HasPrefix(val, "http:") || strings.HasPrefix(val, "https:") ||
					strings.HasPrefix(val, "mailto:") || strings.HasPrefix(val, "cid:")):
					return "a link to " + a.Val
				case a.Key == "src" && !isEmbeddedImageURL(val):
					return "a remote source " + a.Val
				case a.Key == "style" && strings.Contains(val, "url("):
					return "a style loading " + a.Val
				}
			}
		}
	}
}
