package automation

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Facts are what conditions and templates see: nested maps of plain JSON
// values, such as {"ticket": {"priority": "high"}, "message": {...}}.
type Facts map[string]any

// Lookup returns the value at a dotted path, such as "ticket.priority" or
// "event.data.order.number"; false when a step is missing.
func (f Facts) Lookup(path string) (any, bool) {
	var cur any = map[string]any(f)
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Checked is one comparison's outcome, for showing what a rule would do.
type Checked struct {
	Field  string `json:"field"`
	Op     string `json:"op"`
	Value  any    `json:"value"`
	Actual any    `json:"actual"`
	OK     bool   `json:"ok"`
}

// Match reports whether the conditions hold for the facts.
func Match(c Cond, f Facts) bool { return match(c, f, nil) }

// Explain evaluates every comparison, also those Match would skip, and
// reports whether the whole holds.
func Explain(c Cond, f Facts) (bool, []Checked) {
	var out []Checked
	ok := match(c, f, &out)
	return ok, out
}

func match(c Cond, f Facts, out *[]Checked) bool {
	if c.Field != "" {
		actual, found := f.Lookup(c.Field)
		ok := compare(c.Op, actual, found, c.Value)
		if out != nil {
			*out = append(*out, Checked{Field: c.Field, Op: c.Op, Value: c.Value, Actual: actual, OK: ok})
		}
		return ok
	}
	all := true
	for _, k := range c.All {
		// Without an explanation to give, stop at the first failure.
		if !match(k, f, out) {
			all = false
			if out == nil {
				return false
			}
		}
	}
	if len(c.Any) == 0 {
		return all
	}
	anyOK := false
	for _, k := range c.Any {
		if match(k, f, out) {
			anyOK = true
			if out == nil {
				break
			}
		}
	}
	return all && anyOK
}

// compare applies an operator. Text compares without regard to case; a
// list fact (tags) holds for eq, contains and in when any element does;
// a list value (for in, contains, contains_word) holds when any does.
func compare(op string, actual any, found bool, want any) bool {
	switch op {
	case "exists":
		return found && !empty(actual)
	case "not_exists":
		return !found || empty(actual)
	case "ne":
		return !compare("eq", actual, found, want)
	case "not_contains":
		return !compare("contains", actual, found, want)
	case "not_in":
		return !compare("in", actual, found, want)
	}
	if !found || actual == nil {
		return false
	}
	if list, ok := actual.([]any); ok {
		for _, el := range list {
			if compare(op, el, true, want) {
				return true
			}
		}
		return false
	}
	wants := values(want)
	have := text(actual)
	switch op {
	case "eq", "in":
		for _, w := range wants {
			if strings.EqualFold(have, text(w)) {
				return true
			}
		}
	case "contains":
		for _, w := range wants {
			if strings.Contains(strings.ToLower(have), strings.ToLower(text(w))) {
				return true
			}
		}
	case "contains_word":
		words := wordSet(have)
		for _, w := range wants {
			if containsWords(words, text(w)) {
				return true
			}
		}
	case "starts_with":
		for _, w := range wants {
			if strings.HasPrefix(strings.ToLower(have), strings.ToLower(text(w))) {
				return true
			}
		}
	case "gt", "gte", "lt", "lte":
		a, errA := strconv.ParseFloat(have, 64)
		b, errB := strconv.ParseFloat(text(want), 64)
		if errA != nil || errB != nil {
			return false
		}
		switch op {
		case "gt":
			return a > b
		case "gte":
			return a >= b
		case "lt":
			return a < b
		}
		return a <= b
	case "regex":
		re, err := pattern(text(want))
		return err == nil && re.MatchString(have)
	}
	return false
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func values(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	if list, ok := v.([]string); ok {
		out := make([]any, len(list))
		for i, s := range list {
			out[i] = s
		}
		return out
	}
	return []any{v}
}

// text is a value as condition text: numbers without a needless ".0".
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// wordSet splits text into lower-case words.
func wordSet(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// containsWords reports whether the words of phrase occur in a row.
func containsWords(words []string, phrase string) bool {
	p := wordSet(phrase)
	if len(p) == 0 {
		return false
	}
	for i := 0; i+len(p) <= len(words); i++ {
		if slices.Equal(words[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

var patterns sync.Map // pattern → *regexp.Regexp

// pattern compiles a condition's pattern once; patterns match without
// regard to case. Go's expressions run in linear time, so a customer's
// text cannot make a rule hang.
func pattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("(?i)" + p)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}
