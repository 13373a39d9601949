package webchat

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// storeConversation keeps the table below short.
type storeConversation = store.WebchatConversation

func TestValidate_ChecksEverySettingAndTheIdentitySecret(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		secret   string
		ok       bool
	}{
		{"empty", `{}`, "", true},
		{"contract example", `{"color":"#0b5fff","title":"Support","greeting":{"en":"Hi","nl":"Hoi","de":"Hallo"},"avatar_url":"",
			"allowed_origins":["https://shop.example"],"prechat":true,"bot":{"enabled":true,"hours":"outside_business_hours"}}`, "0123456789abcdef", true},
		{"short colour", `{"color":"#fff"}`, "", true},
		{"named colour", `{"color":"red"}`, "", false},
		{"unknown field", `{"colour":"#fff"}`, "", false},
		{"greeting in french", `{"greeting":{"fr":"Salut"}}`, "", false},
		{"origin with a path", `{"allowed_origins":["https://shop.example/chat"]}`, "", false},
		{"any origin", `{"allowed_origins":["*"]}`, "", true},
		{"javascript avatar", `{"avatar_url":"javascript:alert(1)"}`, "", false},
		{"bot settings are the core's", `{"bot":{"enabled":true,"calendar_id":2}}`, "", true},
		{"short secret", `{}`, "short", false},
		{"callback channel", `{"callback_channel_id":7}`, "", true},
		{"callback channel by name", `{"callback_channel_id":"phone"}`, "", false},
		{"negative callback channel", `{"callback_channel_id":-1}`, "", false},
	}
	for _, tt := range tests {
		err := (&Adapter{}).Validate(json.RawMessage(tt.settings), map[string]string{SecretIdentity: tt.secret})
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v", tt.name, err)
		}
	}
}

func TestSignUserID_IsHexHMACSHA256(t *testing.T) {
	// echo -n 'cust-9' | openssl dgst -sha256 -hmac 'identity-secret-for-tests'
	const want = "57d596d9aa612e44c0ae33decda4d8d9791ae2b04859db4f204dfcb6a5192289"
	got := SignUserID("identity-secret-for-tests", "cust-9")
	if got != want {
		t.Fatalf("SignUserID = %q", got)
	}
	ch := &domain.Channel{Secrets: map[string]string{SecretIdentity: "identity-secret-for-tests"}}
	if _, err := verifyUser(ch, &SiteUser{ID: "cust-9", HMAC: strings.ToUpper(got)}); err != nil {
		t.Fatalf("upper-case hex refused: %v", err)
	}
	if _, err := verifyUser(ch, &SiteUser{ID: "cust-9", HMAC: SignUserID("identity-secret-for-tests", "cust-10")}); err != ErrIdentity {
		t.Fatalf("wrong signature: %v", err)
	}
}

func TestOriginAllowed_ComparesSchemeHostAndPort(t *testing.T) {
	s := &Settings{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000/"}}
	tests := []struct {
		origin string
		ok     bool
	}{
		{"https://shop.example", true},
		{"https://Shop.Example", true},
		{"http://shop.example", false},
		{"https://shop.example:8443", false},
		{"https://evil.shop.example", false},
		{"http://localhost:3000", true},
		{"http://loket.test", true}, // Loket's own origin
		{"null", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "http://loket.test/api/v1/webchat/1/session", nil)
		if got := originAllowed(tt.origin, r, s); got != tt.ok {
			t.Errorf("originAllowed(%q) = %v", tt.origin, got)
		}
	}
}

func TestCheckUpload_JudgesTypeByContentAndCleansTheName(t *testing.T) {
	tests := []struct {
		name, filename string
		data           []byte
		wantType       string
		wantName       string
		code           string
	}{
		{"pdf", "invoice.pdf", []byte("%PDF-1.7\n..."), "application/pdf", "invoice.pdf", ""},
		{"text with a path", `C:\Users\jan\notes.txt`, []byte("hello"), "text/plain", "notes.txt", ""},
		{"gif without a name", "", []byte("GIF89a......"), "image/gif", "file.gif", ""},
		{"zip", "a.zip", []byte("PK\x03\x04...."), "", "", "file_type"},
		{"latin-1 text", "a.txt", []byte("caf\xe9"), "", "", "file_type"},
		{"empty", "a.txt", nil, "", "", "empty_file"},
	}
	for _, tt := range tests {
		a, err := checkUpload(&Upload{Filename: tt.filename, Data: tt.data})
		if tt.code != "" {
			if de, ok := err.(*domain.Error); !ok || de.Code != tt.code {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
			}
			continue
		}
		if err != nil || a.ContentType != tt.wantType || a.Filename != tt.wantName {
			t.Errorf("%s: %q %q %v", tt.name, a.ContentType, a.Filename, err)
		}
	}
}

func TestViewConversation_WaitsOnlyForAPersonAfterTheCustomerSpoke(t *testing.T) {
	tests := []struct {
		name    string
		status  domain.TicketStatus
		bot     string
		cust    int64
		agent   int64
		waiting bool
	}{
		{"new question", domain.StatusNew, "", 10, 0, true},
		{"answered", domain.StatusOpen, "", 10, 20, false},
		{"asked again", domain.StatusOpen, "", 30, 20, true},
		{"with the bot", domain.StatusNew, "active", 10, 0, false},
		{"solved", domain.StatusSolved, "", 30, 20, false},
	}
	for _, tt := range tests {
		v := viewConversation(&storeConversation{TicketID: 1, Status: tt.status, BotState: tt.bot, LastCustomerAt: tt.cust, LastAgentAt: tt.agent})
		if v.Waiting != tt.waiting {
			t.Errorf("%s: waiting = %v", tt.name, v.Waiting)
		}
	}
}
