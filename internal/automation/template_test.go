package automation

import (
	"errors"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

func errCode(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return "other"
}

func TestRender(t *testing.T) {
	f := Facts{"order": map[string]any{"number": "A-1001", "delivery_date": "2026-12-09", "total": 49.5},
		"contact": map[string]any{"name": "Jan", "empty": ""}, "ticket": map[string]any{"created_at": float64(1765191600000)}}
	cases := []struct {
		name, src, lang, want, wantErr string
	}{
		{"plain", "Hello {{.contact.name}}", "en", "Hello Jan", ""},
		{"date en", "{{.order.delivery_date | date}}", "en", "9 December 2026", ""},
		{"date nl", "op {{.order.delivery_date | date}}", "nl", "op 9 december 2026", ""},
		{"date de", "am {{.order.delivery_date | date}}", "de", "am 9. Dezember 2026", ""},
		{"date unknown language", "{{.order.delivery_date | date}}", "xx", "9 December 2026", ""},
		{"datetime from ms", "{{.ticket.created_at | datetime}}", "en", "8 December 2025 11:00", ""},
		{"number", "{{.order.total}}", "en", "49.5", ""},
		{"default", `{{.contact.empty | default "customer"}}`, "en", "customer", ""},
		{"upper", "{{.order.number | lower}}", "en", "a-1001", ""},
		{"truncate", "{{.contact.name | truncate 2}}", "en", "J…", ""},
		{"if", "{{if .order.number}}yes{{end}}", "en", "yes", ""},
		{"missing", "Order {{.order.nummer}}", "en", "", "line 1: no value for order.nummer"},
		{"missing second line", "Hi\n{{.shipment.id}}", "en", "", "line 2: no value for shipment.id"},
		{"not a date", "{{.contact.name | date}}", "en", "", `"Jan" is not a date`},
		{"parse error", "{{.order.number", "en", "", "line 1:"},
		{"unknown function", "{{.order.number | exec}}", "en", "", `function "exec" not defined`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Render(c.src, f, c.lang)
			if c.wantErr != "" {
				var te *TemplateError
				if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestRender_RefusesLoopsAndTemplateCalls(t *testing.T) {
	for _, src := range []string{
		"{{range 100000}}{{range 100000}}{{end}}{{end}}x",
		"Hi\n{{range .n}}{{.}}{{end}}",
		`{{define "u"}}{{template "u"}}{{end}}{{template "u"}}`,
		`{{if .n}}{{template "x"}}{{end}}`,
		`{{with .n}}{{else}}{{range .n}}{{end}}{{end}}`,
	} {
		_, err := Render(src, Facts{"n": []any{1.0}}, "en")
		var te *TemplateError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%q: %v, want a refusal", src, err)
		}
	}
	if err := Check("Hi\n{{range .n}}{{end}}"); err == nil || !strings.HasPrefix(err.Error(), "line 2:") {
		t.Errorf("the refusal names the line: %v", err)
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"Hello {{.contact.name}}", "{{.order.delivery_date | date}}", "{{", "{{.a.b.c | truncate 3}}",
		`{{.x | default "y"}}`, "{{range .n}}{{.}}{{end}}", "{{template \"t\"}}", "{{define \"t\"}}{{template \"t\"}}{{end}}{{template \"t\"}}"} {
		f.Add(s)
	}
	facts := Facts{"contact": map[string]any{"name": "Jan"}, "order": map[string]any{"delivery_date": "2026-12-09"}, "n": []any{1.0, 2.0}}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := Render(src, facts, "nl")
		if err == nil && len(out) > MaxRendered {
			t.Fatalf("%d bytes rendered", len(out))
		}
	})
}

func TestWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.UTC) }
	cases := []struct {
		hours string
		now   time.Time
		want  time.Time
	}{
		{"08:00-21:00", at(12, 0), at(12, 0)},
		{"08:00-21:00", at(7, 59), at(8, 0)},
		{"08:00-21:00", at(21, 0), at(8, 0).AddDate(0, 0, 1)},
		{"08:00-21:00", at(23, 30), at(8, 0).AddDate(0, 0, 1)},
		{"22:00-06:00", at(23, 0), at(23, 0)},
		{"22:00-06:00", at(5, 0), at(5, 0)},
		{"22:00-06:00", at(12, 0), at(22, 0)},
		{"00:00-24:00", at(23, 59), at(23, 59)},
	}
	for _, c := range cases {
		w, err := parseHours(c.hours)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.next(c.now); !got.Equal(c.want) {
			t.Errorf("%s at %s: %s, want %s", c.hours, c.now.Format("15:04"), got, c.want)
		}
	}
	for _, bad := range []string{"", "8-9", "08:00-08:00", "25:00-26:00", "08:00-21:60"} {
		if _, err := parseHours(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
