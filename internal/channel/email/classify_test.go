package email

import "testing"

func TestParse_ClassifiesAutomaticMailAndDecidesOnAcknowledgement(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		auto    AutoKind
		ack     bool
	}{
		{name: "a person writing", headers: []string{"Subject: Vraag"}, auto: AutoNone, ack: true},
		{name: "Auto-Submitted no", headers: []string{"Auto-Submitted: no"}, auto: AutoNone, ack: true},
		{name: "Auto-Submitted auto-replied", headers: []string{"Auto-Submitted: auto-replied; owner-email=\"jan@example.nl\""}, auto: AutoReply},
		{name: "X-Autoreply", headers: []string{"X-Autoreply: yes"}, auto: AutoReply},
		{name: "X-Autorespond", headers: []string{"X-Autorespond: Out of office"}, auto: AutoReply},
		{name: "Out of Office subject", headers: []string{"Subject: Out of Office: Vraag"}, auto: AutoReply},
		{name: "Dutch automatic reply subject", headers: []string{"Subject: Automatisch antwoord: Vraag"}, auto: AutoReply},
		{name: "German absence notice subject", headers: []string{"Subject: Abwesenheitsnotiz"}, auto: AutoReply},
		{name: "question about office hours", headers: []string{"Subject: Out of office hours support?"}, auto: AutoNone, ack: true},
		{name: "read receipt", headers: []string{`Content-Type: multipart/report; report-type=disposition-notification; boundary="r"`}, auto: AutoReply},
		{name: "Precedence bulk", headers: []string{"Precedence: bulk"}, auto: AutoBulk},
		{name: "Precedence junk", headers: []string{"Precedence: junk"}, auto: AutoBulk},
		{name: "Precedence list", headers: []string{"Precedence: list"}, auto: AutoBulk},
		{name: "List-Id", headers: []string{"List-Id: <klanten.lists.example>"}, auto: AutoBulk},
		{name: "List-Unsubscribe", headers: []string{"List-Unsubscribe: <mailto:uit@lists.example>"}, auto: AutoBulk},
		{name: "Auto-Submitted auto-generated", headers: []string{"Auto-Submitted: auto-generated"}, auto: AutoBulk},
		{name: "X-Auto-Response-Suppress", headers: []string{"X-Auto-Response-Suppress: All"}, auto: AutoBulk},
		{name: "mailer-daemon sender", headers: []string{"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example>"}, auto: AutoBounce},
		{name: "postmaster sender", headers: []string{"From: postmaster@klant.nl"}, auto: AutoBounce},
		{name: "no-reply sender", headers: []string{"From: Webshop <no-reply@webshop.example>"}, auto: AutoNone},
		{name: "noreply with a tag", headers: []string{"From: noreply+orders@webshop.example"}, auto: AutoNone},
		{name: "do-not-reply Reply-To", headers: []string{"Reply-To: do_not_reply@webshop.example"}, auto: AutoNone},
		{name: "null return path", headers: []string{"Return-Path: <>"}, auto: AutoNone},
		{name: "no sender at all", headers: []string{"From: "}, auto: AutoNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := tt.headers
			if !hasHeader(headers, "From:") {
				headers = append(headers, "From: Jan Jansen <jan@example.nl>")
			}
			if !hasHeader(headers, "Subject:") {
				headers = append(headers, "Subject: Vraag over bestelling")
			}
			m, err := Parse(message("Hallo\r\n", headers...))
			if err != nil {
				t.Fatal(err)
			}
			if m.Auto != tt.auto {
				t.Errorf("Auto = %v, want %v", m.Auto, tt.auto)
			}
			if got := m.ShouldAutoAcknowledge(); got != tt.ack {
				t.Errorf("ShouldAutoAcknowledge() = %v, want %v", got, tt.ack)
			}
		})
	}
}

// hasHeader reports whether headers has a line starting with prefix.
func hasHeader(headers []string, prefix string) bool {
	for _, h := range headers {
		if len(h) >= len(prefix) && h[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

func TestParse_ClassifiesCorpusMessages(t *testing.T) {
	tests := []struct {
		file string
		auto AutoKind
		ack  bool
	}{
		{"outlook_reply.eml", AutoNone, true},
		{"gmail_reply_nl.eml", AutoNone, true},
		{"out_of_office.eml", AutoReply, false},
		{"mailing_list.eml", AutoBulk, false},
		{"bounce_dsn.eml", AutoBounce, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if m.Auto != tt.auto || m.ShouldAutoAcknowledge() != tt.ack {
				t.Errorf("Auto = %v, ShouldAutoAcknowledge() = %v; want %v, %v", m.Auto, m.ShouldAutoAcknowledge(), tt.auto, tt.ack)
			}
		})
	}
}

func TestAutoKind_StringNamesEveryKind(t *testing.T) {
	want := map[AutoKind]string{AutoNone: "none", AutoReply: "autoreply", AutoBulk: "bulk", AutoBounce: "bounce"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), s)
		}
	}
}
