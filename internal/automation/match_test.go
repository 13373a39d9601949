package automation

import (
	"context"
	"encoding/json"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func facts(t *testing.T, js string) Facts {
	t.Helper()
	var f Facts
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestMatch(t *testing.T) {
	f := facts(t, `{"ticket":{"priority":"normal","tags":["refund","vip"],"number":10004,"hours_since_customer":25.5},
		"message":{"text":"Ik wil een KLACHT indienen, dringend!"},"contact":{"attributes":{"vip":true},"language":"nl"},
		"order":{"total":"49.95"}}`)
	cases := []struct {
		name string
		cond string
		want bool
	}{
		{"empty holds", `{}`, true},
		{"eq ignores case", `{"all":[{"field":"ticket.priority","op":"eq","value":"NORMAL"}]}`, true},
		{"ne", `{"all":[{"field":"ticket.priority","op":"ne","value":"high"}]}`, true},
		{"in list", `{"all":[{"field":"ticket.priority","op":"in","value":["low","normal"]}]}`, true},
		{"not_in", `{"all":[{"field":"ticket.priority","op":"not_in","value":["low","normal"]}]}`, false},
		{"tags eq element", `{"all":[{"field":"ticket.tags","op":"eq","value":"vip"}]}`, true},
		{"tags eq missing", `{"all":[{"field":"ticket.tags","op":"eq","value":"complaint"}]}`, false},
		{"contains", `{"all":[{"field":"message.text","op":"contains","value":"klacht"}]}`, true},
		{"contains_word whole words", `{"all":[{"field":"message.text","op":"contains_word","value":["klacht"]}]}`, true},
		{"contains_word not a part", `{"all":[{"field":"message.text","op":"contains_word","value":"klac"}]}`, false},
		{"contains_word phrase", `{"all":[{"field":"message.text","op":"contains_word","value":"een klacht"}]}`, true},
		{"starts_with", `{"all":[{"field":"message.text","op":"starts_with","value":"ik wil"}]}`, true},
		{"regex", `{"all":[{"field":"message.text","op":"regex","value":"dring(end|ende)"}]}`, true},
		{"number gt", `{"all":[{"field":"ticket.hours_since_customer","op":"gt","value":24}]}`, true},
		{"number lte", `{"all":[{"field":"ticket.number","op":"lte","value":"10003"}]}`, false},
		{"text number gte", `{"all":[{"field":"order.total","op":"gte","value":49.95}]}`, true},
		{"bool eq", `{"all":[{"field":"contact.attributes.vip","op":"eq","value":true}]}`, true},
		{"exists", `{"all":[{"field":"contact.language","op":"exists"}]}`, true},
		{"missing does not exist", `{"all":[{"field":"contact.attributes.segment","op":"exists"}]}`, false},
		{"missing is not equal", `{"all":[{"field":"contact.attributes.segment","op":"eq","value":""}]}`, false},
		{"not_exists", `{"all":[{"field":"survey.score","op":"not_exists"}]}`, true},
		{"any of", `{"any":[{"field":"ticket.priority","op":"eq","value":"high"},{"field":"ticket.tags","op":"eq","value":"refund"}]}`, true},
		{"any of none", `{"any":[{"field":"ticket.priority","op":"eq","value":"high"},{"field":"ticket.tags","op":"eq","value":"x"}]}`, false},
		{"all and any", `{"all":[{"field":"ticket.priority","op":"eq","value":"normal"}],"any":[{"field":"message.text","op":"contains","value":"nope"}]}`, false},
		{"nested", `{"all":[{"any":[{"field":"ticket.priority","op":"eq","value":"urgent"},{"all":[{"field":"contact.language","op":"eq","value":"nl"}]}]}]}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cond Cond
			if err := json.Unmarshal([]byte(c.cond), &cond); err != nil {
				t.Fatal(err)
			}
			if err := validCond(cond, 0); err != nil {
				t.Fatal(err)
			}
			if got := Match(cond, f); got != c.want {
				t.Errorf("Match = %v, want %v", got, c.want)
			}
			ok, checked := Explain(cond, f)
			if ok != c.want {
				t.Errorf("Explain = %v, want %v (%+v)", ok, c.want, checked)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name                    string
		trigger, event          string
		cond, actions, wantCode string
	}{
		{"fine", "message.received", "", `{}`, `[{"type":"set_priority","priority":"high"}]`, ""},
		{"unknown trigger", "message.deleted", "", `{}`, `[{"type":"set_priority","priority":"high"}]`, "invalid_trigger"},
		{"event without name", "event", "", `{}`, `[{"type":"set_priority","priority":"high"}]`, "invalid_trigger"},
		{"bad operator", "ticket.created", "", `{"all":[{"field":"ticket.priority","op":"like","value":"x"}]}`, `[{"type":"set_priority","priority":"high"}]`, "invalid_conditions"},
		{"bad pattern", "ticket.created", "", `{"all":[{"field":"message.text","op":"regex","value":"("}]}`, `[{"type":"set_priority","priority":"high"}]`, "invalid_conditions"},
		{"no actions", "ticket.created", "", `{}`, `[]`, "invalid_actions"},
		{"bad priority", "ticket.created", "", `{}`, `[{"type":"set_priority","priority":"asap"}]`, "invalid_actions"},
		{"bad template text", "ticket.created", "", `{}`, `[{"type":"note","text":"{{.ticket.number"}]`, "invalid_actions"},
		{"bad hours", "event", "order.placed", `{}`, `[{"type":"send_template","template":"x","send_hours":"8 to 9"}]`, "invalid_actions"},
		{"unknown action", "ticket.created", "", `{}`, `[{"type":"launch"}]`, "invalid_actions"},
		{"not json", "ticket.created", "", `[`, `[]`, "invalid_conditions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(1, 1, "r", c.trigger, c.event, true, json.RawMessage(c.cond), json.RawMessage(c.actions))
			code := ""
			if err != nil {
				code = errCode(err)
			}
			if code != c.wantCode {
				t.Errorf("code %q (%v), want %q", code, err, c.wantCode)
			}
		})
	}
}

func TestMayMatch(t *testing.T) {
	known := facts(t, `{"ticket":{"priority":"normal","tags":[]},"message":{"text":"Where is my parcel?"},"contact":{"attributes":{}}}`)
	cases := []struct {
		name string
		cond string
		want tri
	}{
		{"empty", `{}`, yes},
		{"decided no", `{"all":[{"field":"message.text","op":"contains_word","value":"complaint"}]}`, no},
		{"decided yes", `{"all":[{"field":"message.text","op":"contains","value":"parcel"}]}`, yes},
		{"missing attribute is decided", `{"all":[{"field":"contact.attributes.vip","op":"eq","value":true}]}`, no},
		{"unknown root", `{"all":[{"field":"channel.kind","op":"eq","value":"sms"}]}`, maybe},
		{"business hours need the calendar", `{"all":[{"field":"ticket.business_hours_since_agent","op":"gt","value":8}]}`, maybe},
		{"no wins over maybe in all", `{"all":[{"field":"channel.kind","op":"eq","value":"sms"},{"field":"ticket.priority","op":"eq","value":"high"}]}`, no},
		{"maybe in any", `{"any":[{"field":"time.business_hours","op":"eq","value":true},{"field":"ticket.priority","op":"eq","value":"high"}]}`, maybe},
		{"yes in any", `{"any":[{"field":"channel.kind","op":"eq","value":"sms"},{"field":"ticket.priority","op":"eq","value":"normal"}]}`, yes},
		{"ne on a missing root", `{"all":[{"field":"survey.score","op":"not_exists"}]}`, maybe},
	}
	for _, c := range cases {
		var cond Cond
		if err := json.Unmarshal([]byte(c.cond), &cond); err != nil {
			t.Fatal(err)
		}
		if got := mayMatch(cond, known); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		// Whatever the missing facts are, a "no" must never hide a match.
		if c.want == no && Match(cond, known) {
			t.Errorf("%s: no, but the known facts alone match", c.name)
		}
	}
}

func TestSeed_BadReviewsGoToComplaints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := Seed(ctx, st, "test"); err != nil {
			t.Fatal(err)
		}
		rules, err := st.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var cond Cond
		for _, r := range rules {
			if r.Builtin == "bad_review" {
				if err := json.Unmarshal(r.Conditions, &cond); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(cond.All) == 0 {
			t.Fatal("no built-in bad_review rule")
		}
		for _, tt := range []struct {
			msg  domain.Message
			want bool
		}{
			{domain.Message{Text: "Awful", Public: &domain.PublicPost{Rating: 1}}, true},
			{domain.Message{Text: "Meh", Public: &domain.PublicPost{Rating: 2}}, true},
			{domain.Message{Text: "Fine", Public: &domain.PublicPost{Rating: 4}}, false},
			{domain.Message{Text: "A comment", Public: &domain.PublicPost{URL: "https://x.example/1"}}, false},
			{domain.Message{Text: "Private"}, false},
		} {
			if got := Match(cond, Facts{"message": plain(&tt.msg)}); got != tt.want {
				t.Errorf("bad_review on %+v = %v, want %v", tt.msg.Public, got, tt.want)
			}
		}
	})
}
