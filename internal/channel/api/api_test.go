package api

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

var shop = &domain.Channel{ID: 3, Kind: Kind}

func TestParse_BuildsInboundWithAllIdentities(t *testing.T) {
	body := `{"external_id":" o-1 ","from":{"email":"Jan@Example.nl","phone":"06 12345678","id":"cust-9","name":" Jan "},
		"subject":"Order","html":"<p>Hi &amp; <b>bye</b><script>x()</script></p>","thread":"order-1","language":"NL",
		"attachments":[{"filename":"a.txt","content_type":"text/plain","data":"aGVsbG8="}]}`
	b, err := New().Parse(shop, "application/json", []byte(body), "NL")
	if err != nil {
		t.Fatal(err)
	}
	in := b.Messages[0]
	if in.ChannelID != 3 || in.ExternalID != "o-1" || in.Name != "Jan" || in.Thread != "order-1" || in.Language != "nl" {
		t.Fatalf("inbound %+v", in)
	}
	if in.From.String() != "email:jan@example.nl" || len(in.Also) != 2 || in.Also[0].String() != "phone:+31612345678" || in.Also[1].String() != "external:cust-9" {
		t.Fatalf("identities %v %v", in.From, in.Also)
	}
	if strings.Contains(in.HTML, "script") || in.Text != "Hi & bye" {
		t.Fatalf("html %q text %q", in.HTML, in.Text)
	}
	if len(in.Attachments) != 1 || string(in.Attachments[0].Data) != "hello" {
		t.Fatalf("attachments %+v", in.Attachments)
	}
}

func TestValidate_RequiresASecretForWebhooks(t *testing.T) {
	a := New()
	tests := []struct {
		settings string
		secret   string
		ok       bool
	}{
		{`{}`, "", true},
		{`{"webhook_url":"https://shop.example/hook"}`, "0123456789abcdef", true},
		{`{"webhook_url":"https://shop.example/hook"}`, "short", false},
		{`{"webhook_url":"file:///etc/passwd"}`, "0123456789abcdef", false},
		{`{"webhook":"https://x"}`, "", false},
	}
	for _, tt := range tests {
		err := a.Validate(json.RawMessage(tt.settings), map[string]string{"secret": tt.secret})
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%s, %q) = %v", tt.settings, tt.secret, err)
		}
	}
}

func TestSign_MatchesHMACSHA256AndVerifyIsStrict(t *testing.T) {
	// echo -n '{"a":1}' | openssl dgst -sha256 -hmac key
	const want = "sha256=88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342"
	got := Sign("key", []byte(`{"a":1}`))
	if got != want {
		t.Fatalf("Sign = %q", got)
	}
	if !Verify("key", []byte(`{"a":1}`), got) || Verify("key", []byte(`{"a":2}`), got) || Verify("other", []byte(`{"a":1}`), got) {
		t.Fatal("Verify accepts what it should not, or rejects the right signature")
	}
}

// FuzzParse checks that any body either parses into a valid inbound or is
// refused with a *domain.Error: never a panic, never another error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"external_id":"1","from":{"email":"a@b.nl"},"text":"hi"}`,
		`{"from":{"phone":"0612345678"},"html":"<b>x</b>"}`,
		`{"from":{"id":"x"},"attachments":[{"data":"AAAA"}]}`,
		`{"from":{"email":"nope"}}`,
		`{"from":{}}`, `[]`, `null`, `{"text":1}`, `{"a":1}{"b":2}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := New().Parse(shop, "application/json", body, "NL")
		if err != nil {
			if _, ok := err.(*domain.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		in := b.Messages[0]
		if in.From.Value == "" || !utf8.ValidString(in.From.Value) {
			t.Fatalf("accepted without a sender: %+v", in)
		}
		if strings.Contains(strings.ToLower(in.HTML), "<script") {
			t.Fatalf("script survived: %q", in.HTML)
		}
	})
}
