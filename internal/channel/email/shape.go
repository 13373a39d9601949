package email

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Limits on the MIME structure a mail may have before its parts are read.
// The MIME parser's cost grows exponentially with the nesting depth of
// multiparts whose boundaries are not closed, and its memory with the
// number of parts, so a mail past either limit is not taken apart: it is
// kept whole as plain text, with a note saying why (its original stays
// available as .eml). Real mail nests three or four levels deep
// (mixed, related, alternative, a signature).
const (
	// MaxNesting is the deepest nesting of multiparts that is parsed.
	MaxNesting = 10
	// MaxParts is the largest number of MIME parts that is parsed.
	MaxParts = 1000
	// maxParseTime bounds the MIME parser, as a backstop for shapes the
	// pre-scan does not foresee; a 25 MB mail takes a second or two.
	maxParseTime = 30 * time.Second
)

// mimeShape is the multipart structure of a raw message as far as the MIME
// parser will see it.
type mimeShape struct {
	depth int // deepest nesting of multiparts; 0 for a single-part mail
	parts int // parts opened by a boundary delimiter
}

// tooComplex describes why a mail of this shape is not taken apart, or
// returns "".
func (s mimeShape) tooComplex() string {
	switch {
	case s.depth > MaxNesting:
		return fmt.Sprintf("its MIME parts are nested more than %d levels deep", MaxNesting)
	case s.parts > MaxParts:
		return fmt.Sprintf("it has more than %d MIME parts", MaxParts)
	}
	return ""
}

// scanShape measures the multipart structure of raw in one pass over its
// lines, without decoding anything. It errs on the side of seeing deeper
// nesting than the MIME parser would: like enmime it opens a multipart for
// any part whose Content-Type has a boundary, matches a boundary anywhere
// in a preamble line and at the start of a line after that, and lets a
// delimiter of an outer multipart end every inner one. It stops counting
// once a limit is passed.
func scanShape(raw []byte) mimeShape {
	var (
		s           mimeShape
		open        []scanLevel // the multiparts being read, outermost first
		inHeader    = true
		root        = true
		headerStart = 0 // offset in raw of the header block being read
	)
	endHeader := func(end int) {
		isRoot := root
		inHeader, root = false, false
		h, _ := enmime.ReadHeader(bufio.NewReader(bytes.NewReader(raw[headerStart:end])), ignoreErrors{})
		mtype, params, _, err := mediatype.Parse(h.Get("Content-Type"))
		b := params["boundary"]
		if err != nil || b == "" || (isRoot && !strings.HasPrefix(mtype, "multipart/")) {
			return
		}
		open = append(open, scanLevel{dash: []byte("--" + b)})
		s.depth = max(s.depth, len(open))
	}
	for at := 0; at < len(raw) && s.tooComplex() == ""; {
		start := at
		line := raw[at:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
			at += i + 1
		} else {
			at = len(raw)
		}
		if level, final := matchBoundary(open, line); level >= 0 {
			if inHeader {
				// A header cut short by a boundary ends there.
				endHeader(start)
			}
			if final {
				open = open[:level]
				continue
			}
			open = open[:level+1]
			open[level].parts++
			s.parts++
			inHeader, headerStart = true, at
			continue
		}
		if inHeader && len(bytes.TrimSuffix(line, []byte("\r"))) == 0 {
			endHeader(at)
		}
	}
	if inHeader {
		endHeader(len(raw))
	}
	return s
}

// ignoreErrors is an enmime.ErrorCollector that drops what it is given.
type ignoreErrors struct{}

func (ignoreErrors) AddError(string, string, ...any)   {}
func (ignoreErrors) AddWarning(string, string, ...any) {}

// scanLevel is one open multipart during [scanShape].
type scanLevel struct {
	dash  []byte // "--" and the boundary
	parts int
}

// matchBoundary finds the outermost open multipart whose boundary line
// line (without its line feed) is, and whether it is the closing one; level
// is -1 for none. Like enmime it takes a boundary at the start of a line or
// one byte in, and counts a carriage return with the byte after it as a
// line break; before the first part it takes one anywhere in the line.
func matchBoundary(open []scanLevel, line []byte) (level int, final bool) {
	for i, l := range open {
		if l.parts == 0 {
			at := bytes.Index(line, l.dash)
			if at < 0 {
				continue
			}
			if rest := line[at+len(l.dash):]; bytes.HasPrefix(rest, []byte("--")) {
				return i, true
			} else if len(rest) == 0 || isSpace(rest[0]) {
				return i, false
			}
			continue
		}
		for start := 0; start <= len(line); {
			if final, ok := boundaryAt(line[start:], l.dash); ok {
				return i, final
			}
			cr := bytes.IndexByte(line[start:], '\r')
			if cr < 0 {
				break
			}
			start += cr + 2
		}
	}
	return -1, false
}

// boundaryAt reports whether s starts (or starts one byte in) with the
// boundary line dash, and whether that is the closing boundary.
func boundaryAt(s, dash []byte) (final, ok bool) {
	if bytes.HasPrefix(s, dash) && bytes.HasPrefix(s[len(dash):], []byte("--")) {
		return true, true
	}
	for at := range min(2, len(s)) {
		if rest, found := bytes.CutPrefix(s[at:], dash); found && (len(rest) == 0 || isSpace(rest[0])) {
			return false, true
		}
	}
	return false, false
}

// isSpace reports whether b is ASCII white space, as the MIME parser
// wants after a boundary.
func isSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '\v', '\f':
		return true
	}
	return false
}

// errParseTime stops the MIME parser when its time is up; see [readParts].
var errParseTime = errors.New("email: MIME parsing took too long")

// readParts runs the MIME parser on raw until ctx ends. The parser cannot
// be cancelled, but it reads its input all the time, even over data it has
// already buffered; the reader given to it panics with errParseTime once
// ctx is done, and readParts recovers that panic into an error.
func readParts(ctx context.Context, raw []byte) (*enmime.Part, error) {
	return readPartsReader(ctx, bytes.NewReader(raw))
}

// readPartsReader is [readParts] reading from r.
func readPartsReader(ctx context.Context, r io.Reader) (root *enmime.Part, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r != errParseTime {
				panic(r)
			}
			root, err = nil, errParseTime
		}
	}()
	return mimeParser.ReadParts(ctxReader{ctx: ctx, r: r})
}

// ctxReader reads r while ctx lasts.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		panic(errParseTime)
	}
	return c.r.Read(p)
}
