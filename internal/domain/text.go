package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on text fields, in bytes of UTF-8. The API refuses a longer value
// with 400 too_long; mail, which cannot be sent back, is cut to the limit.
const (
	MaxSubjectBytes     = 1000
	MaxNameBytes        = 200 // a person's or team's name
	MaxLanguageBytes    = 35  // a BCP 47 language tag
	MaxFilenameBytes    = 255
	MaxContentTypeBytes = 255
	MaxIDBytes          = 255 // external ids, threads, addresses, content ids
)

// CleanText returns s as text that SQLite and PostgreSQL store alike:
// invalid UTF-8 becomes U+FFFD and NUL characters, which PostgreSQL
// cannot store in text, are removed.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// CheckLength refuses s when it is longer than limit bytes, naming field.
func CheckLength(field, s string, limit int) error {
	if len(s) > limit {
		return Invalid("too_long", fmt.Sprintf("%s is %d bytes long; at most %d are allowed", field, len(s), limit))
	}
	return nil
}

// Truncate cuts s to at most limit bytes without splitting a character,
// ending it with "…" when it was cut.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + ellipsis
}

// SafeFilename reduces a file name as sent to a base name safe to store and
// offer for download (see BaseFilename); "attachment" when nothing is left.
func SafeFilename(name string) string {
	if name = BaseFilename(name); name == "" {
		return "attachment"
	}
	return name
}

// BaseFilename reduces a file name as sent to a base name safe to store
// and offer for download: no directory part, no control or format
// characters, no leading dots, at most MaxFilenameBytes with its extension
// kept. It is "" when nothing is left, for callers that name the file
// otherwise.
func BaseFilename(name string) string {
	name = CleanText(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if len(name) > MaxFilenameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		name = Truncate(strings.TrimSuffix(name, ext), MaxFilenameBytes-len(ext)) + ext
	}
	return name
}

// CleanJSON returns raw with CleanText applied to its strings, keys
// included; raw itself when it holds no NUL escape (encoding/json already
// replaces invalid UTF-8), or when it is not JSON.
func CleanJSON(raw json.RawMessage) json.RawMessage {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	out, err := json.Marshal(cleanValue(v))
	if err != nil {
		return raw
	}
	return out
}

// cleanValue applies CleanText to every string, key included, in a
// decoded JSON value.
func cleanValue(v any) any {
	switch t := v.(type) {
	case string:
		return CleanText(t)
	case []any:
		for i := range t {
			t[i] = cleanValue(t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[CleanText(k)] = cleanValue(e)
		}
		return out
	}
	return v
}
