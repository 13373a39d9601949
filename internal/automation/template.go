package automation

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Templates are Go text/template texts over the facts: {{.contact.name}},
// {{.order.number}} (an event's data is also at the top level), with a
// small set of functions and no access to anything but the facts. A value
// the facts lack is an error, never an empty gap in a customer's message.

// MaxRendered caps a rendered text.
const MaxRendered = 64 << 10

// funcs are the functions templates may call besides text/template's own
// (which only compare, index and print the facts).
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"date":     func(v any) (string, error) { return formatDate(v, lang, false) },
		"datetime": func(v any) (string, error) { return formatDate(v, lang, true) },
		"upper":    func(v any) string { return strings.ToUpper(text(v)) },
		"lower":    func(v any) string { return strings.ToLower(text(v)) },
		"default": func(def, v any) any {
			if empty(v) {
				return def
			}
			return v
		},
		"truncate": func(n int, v any) string {
			r := []rune(text(v))
			if len(r) <= n {
				return string(r)
			}
			return string(r[:max(n-1, 0)]) + "…"
		},
	}
}

func parseTemplate(src, lang string) (*template.Template, error) {
	t, err := template.New("t").Funcs(funcs(lang)).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, templateError(err)
	}
	if len(t.Templates()) > 1 {
		return nil, &TemplateError{Message: "define and block are not allowed in message templates"}
	}
	if t.Tree != nil {
		if err := loopless(t.Tree.Root, src); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// loopless refuses range and template calls: a message needs neither, and
// without them filling a template in takes time in proportion to its text,
// whatever the data.
func loopless(n parse.Node, src string) error {
	refuse := func(what string, pos parse.Pos) error {
		return &TemplateError{Message: fmt.Sprintf("line %d: %s not allowed in message templates", 1+strings.Count(src[:min(int(pos), len(src))], "\n"), what)}
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, k := range n.Nodes {
			if err := loopless(k, src); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		return refuse("range is", n.Position())
	case *parse.TemplateNode:
		return refuse("template calls are", n.Position())
	case *parse.IfNode:
		return errors.Join(loopless(n.List, src), loopless(n.ElseList, src))
	case *parse.WithNode:
		return errors.Join(loopless(n.List, src), loopless(n.ElseList, src))
	}
	return nil
}

// Check parses a template without running it.
func Check(src string) error {
	_, err := parseTemplate(src, "en")
	return err
}

// Render fills a template with the facts; lang (a contact's language)
// chooses the names of months in dates.
func Render(src string, f Facts, lang string) (string, error) {
	t, err := parseTemplate(src, lang)
	if err != nil {
		return "", err
	}
	var b limited
	if err := t.Execute(&b, map[string]any(f)); err != nil {
		return "", templateError(err)
	}
	out := b.String()
	if strings.Contains(out, "<no value>") {
		return "", &TemplateError{Message: "a variable has no value"}
	}
	return out, nil
}

// TemplateError is a template that cannot be parsed or filled in.
type TemplateError struct{ Message string }

func (e *TemplateError) Error() string { return e.Message }

var (
	missingKey = regexp.MustCompile(`^template: t:(\d+):\d+: executing "t" at <\.?([^>]*)>: map has no entry for key "([^"]*)"`)
	position   = regexp.MustCompile(`^template: t:(\d+)(:\d+)?: (executing "t" at <[^>]*>: )?`)
)

// templateError turns text/template's error into one a person can act on:
// "line 1: no value for order.number".
func templateError(err error) error {
	var te *TemplateError
	if errors.As(err, &te) {
		return te
	}
	msg := err.Error()
	if m := missingKey.FindStringSubmatch(msg); m != nil {
		return &TemplateError{Message: fmt.Sprintf("line %s: no value for %s", m[1], m[2])}
	}
	if m := position.FindStringSubmatch(msg); m != nil {
		return &TemplateError{Message: "line " + m[1] + ": " + strings.TrimPrefix(msg, m[0])}
	}
	return &TemplateError{Message: msg}
}

type limited struct{ strings.Builder }

func (l *limited) Write(p []byte) (int, error) {
	if l.Len()+len(p) > MaxRendered {
		return 0, &TemplateError{Message: fmt.Sprintf("the text grows beyond %d KB", MaxRendered>>10)}
	}
	return l.Builder.Write(p)
}

var months = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

// formatDate writes a date (an ISO date, an RFC 3339 time or Unix
// milliseconds) the way people in the language write it.
func formatDate(v any, lang string, withTime bool) (string, error) {
	t, err := toTime(v)
	if err != nil {
		return "", err
	}
	names, ok := months[lang]
	if !ok {
		names, lang = months["en"], "en"
	}
	month := names[t.Month()-1]
	var s string
	switch lang {
	case "en":
		s = fmt.Sprintf("%d %s %d", t.Day(), month, t.Year())
	case "de":
		s = fmt.Sprintf("%d. %s %d", t.Day(), month, t.Year())
	default:
		s = fmt.Sprintf("%d %s %d", t.Day(), month, t.Year())
	}
	if withTime {
		s += t.Format(" 15:04")
	}
	return s, nil
}

func toTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case float64:
		return time.UnixMilli(int64(v)).UTC(), nil
	case int64:
		return time.UnixMilli(v).UTC(), nil
	case string:
		if t, err := time.Parse("2006-01-02", v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
	}
	return time.Time{}, &TemplateError{Message: fmt.Sprintf("%q is not a date (use 2026-12-09, an RFC 3339 time or Unix milliseconds)", text(v))}
}
