package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTicketStatus_TransitionsFollowTheLifeCycle(t *testing.T) {
	tests := []struct {
		from, to TicketStatus
		ok       bool
	}{
		{StatusNew, StatusOpen, true},
		{StatusNew, StatusSolved, true},
		{StatusNew, StatusClosed, false},
		{StatusOpen, StatusPending, true},
		{StatusPending, StatusOnHold, true},
		{StatusOnHold, StatusSolved, true},
		{StatusSolved, StatusOpen, true},
		{StatusSolved, StatusClosed, true},
		{StatusClosed, StatusOpen, false},
		{StatusClosed, StatusClosed, true},
		{StatusOpen, StatusNew, false},
		{StatusOpen, "sleeping", false},
	}
	for _, tt := range tests {
		_, err := tt.from.Transition(tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("%s → %s: err = %v, want allowed %v", tt.from, tt.to, err, tt.ok)
		}
	}
}

func TestTicketStatus_InboundReopensButNeverReopensClosed(t *testing.T) {
	tests := []struct {
		from     TicketStatus
		next     TicketStatus
		followUp bool
	}{
		{StatusNew, StatusNew, false},
		{StatusOpen, StatusOpen, false},
		{StatusPending, StatusOpen, false},
		{StatusOnHold, StatusOpen, false},
		{StatusSolved, StatusOpen, false},
		{StatusClosed, StatusNew, true},
	}
	for _, tt := range tests {
		next, follow := tt.from.Inbound()
		if next != tt.next || follow != tt.followUp {
			t.Errorf("inbound on %s = %s, %v; want %s, %v", tt.from, next, follow, tt.next, tt.followUp)
		}
	}
}

func TestDeliveryStatus_MergeOnlyMovesForward(t *testing.T) {
	tests := []struct {
		cur, update, want DeliveryStatus
	}{
		{DeliveryQueued, DeliverySent, DeliverySent},
		{DeliverySent, DeliveryRead, DeliveryRead}, // delivered skipped
		{DeliveryRead, DeliveryDelivered, DeliveryRead},
		{DeliveryDelivered, DeliverySent, DeliveryDelivered},
		{DeliverySent, DeliveryFailed, DeliveryFailed},
		{DeliveryRead, DeliveryFailed, DeliveryRead},
		{DeliveryFailed, DeliverySent, DeliveryFailed},
		{DeliveryFailed, DeliveryDelivered, DeliveryDelivered},
		{DeliveryQueued, DeliveryQueued, DeliveryQueued},
	}
	for _, tt := range tests {
		if got := tt.cur.Merge(tt.update); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.cur, tt.update, got, tt.want)
		}
	}
}

func TestNewIdentity_NormalisesEmailAndPhone(t *testing.T) {
	tests := []struct {
		kind      IdentityKind
		in, want  string
		wantError bool
	}{
		{IdentityEmail, " Jan@Example.NL ", "jan@example.nl", false},
		{IdentityEmail, "Jan Jansen <JAN@example.nl>", "jan@example.nl", false},
		{IdentityEmail, "not an address", "", true},
		{IdentityPhone, "06 12345678", "+31612345678", false},
		{IdentityPhone, "+31 6 1234 5678", "+31612345678", false},
		{IdentityPhone, "0031-6-12345678", "+31612345678", false},
		{IdentityPhone, "(020) 123 4567", "+31201234567", false},
		{IdentityPhone, "+49 30 1234567", "+49301234567", false},
		{IdentityPhone, "call me", "", true},
		{IdentityTelegram, " 12345 ", "12345", false},
		{IdentityWeb, "", "", true},
		{"fax", "123", "", true},
	}
	for _, tt := range tests {
		got, err := NewIdentity(tt.kind, tt.in, "NL")
		if (err != nil) != tt.wantError || got.Value != tt.want {
			t.Errorf("NewIdentity(%s, %q) = %q, %v; want %q (error %v)", tt.kind, tt.in, got.Value, err, tt.want, tt.wantError)
		}
	}
}

func TestViewer_CanSee(t *testing.T) {
	agent := Viewer{AgentID: 7, Role: RoleAgent, TeamIDs: []int64{1, 2}}
	tests := []struct {
		v              Viewer
		team, assignee int64
		want           bool
	}{
		{agent, 1, 0, true},
		{agent, 3, 0, false},
		{agent, 3, 7, true},
		{agent, 0, 0, false},
		{Viewer{Role: RoleSupervisor}, 3, 0, true},
		{Viewer{Role: RoleAdmin}, 0, 0, true},
	}
	for _, tt := range tests {
		if got := tt.v.CanSee(tt.team, tt.assignee); got != tt.want {
			t.Errorf("%+v sees team %d assignee %d = %v", tt.v, tt.team, tt.assignee, got)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	got, err := NormalizeTags([]string{" VIP", "billing", "vip", ""})
	if err != nil || strings.Join(got, ",") != "billing,vip" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := NormalizeTags([]string{strings.Repeat("x", 65)}); err == nil {
		t.Fatal("overlong tag accepted")
	}
}

// FuzzNormalizePhone checks that normalisation never panics, that what it
// returns is E.164 and that normalising again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"06 12345678", "+31 6 1234 5678", "0031612345678", "+1 (800) 555-1212", "112", "++31", "0", "+", "٠٦١٢٣٤٥٦٧٨"} {
		f.Add(s, "NL")
	}
	f.Add("030 1234567", "DE")
	f.Add("12345", "")
	f.Fuzz(func(t *testing.T, s, region string) {
		got, err := NormalizePhone(s, region)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) > 16 {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, got)
		}
		again, err := NormalizePhone(got, region)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
	})
}

// FuzzNormalizeEmail checks that normalisation never panics and is stable.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"jan@example.nl", " Jan <JAN@Example.nl>", "a@b", "@", `"quoted name"@example.com`, "ü@ä.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if got != strings.ToLower(got) || !utf8.ValidString(got) || !strings.Contains(got, "@") {
			t.Fatalf("NormalizeEmail(%q) = %q", s, got)
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
	})
}
