package webhook_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/webhook"
)

func TestCheckURL_RefusesWhatCannotOrMustNotBeCalled(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		code         string // empty: accepted
	}{
		{"https://203.0.113.7/loket", false, ""},
		{"http://8.8.8.8:8080/hook?x=1", false, ""},
		{"https://[2001:4860:4860::8888]/hook", false, ""},
		{"", false, "invalid_url"},
		{"shop.example/hook", false, "invalid_url"},
		{"ftp://8.8.8.8/hook", false, "invalid_url"},
		{"javascript:alert(1)", false, "invalid_url"},
		{"https:///path-only", false, "invalid_url"},
		{"https://user:pw@8.8.8.8/hook", false, "invalid_url"},
		{"https://8.8.8.8/" + strings.Repeat("a", 2100), false, "invalid_url"},
		{"http://127.0.0.1:8080/hook", false, "private_address"},
		{"http://127.1.2.3/hook", false, "private_address"},
		{"http://localhost:9000/hook", false, "private_address"},
		{"http://LOCALHOST./hook", false, "private_address"},
		{"http://api.localhost/hook", false, "private_address"},
		{"http://[::1]/hook", false, "private_address"},
		{"http://[::ffff:10.0.0.1]/hook", false, "private_address"},
		{"http://[64:ff9b::a9fe:a9fe]/hook", false, "private_address"}, // NAT64 of 169.254.169.254
		{"http://10.1.2.3/hook", false, "private_address"},
		{"http://172.16.0.1/hook", false, "private_address"},
		{"http://192.168.1.10/hook", false, "private_address"},
		{"http://169.254.169.254/latest/meta-data", false, "private_address"},
		{"http://[fe80::1]/hook", false, "private_address"},
		{"http://[fd00::1]/hook", false, "private_address"},
		{"http://100.100.100.200/hook", false, "private_address"},
		{"http://0.0.0.0:8080/hook", false, "private_address"},
		{"http://255.255.255.255/hook", false, "private_address"},
		{"http://224.0.0.1/hook", false, "private_address"},
		{"http://127.0.0.1:8080/hook", true, ""},
		{"http://localhost:9000/hook", true, ""},
		{"http://user@127.0.0.1/hook", true, "invalid_url"},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(context.Background(), tt.url, tt.allowPrivate)
		var de *domain.Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("CheckURL(%q, allowPrivate=%v) = %v, want accepted", tt.url, tt.allowPrivate, err)
		case tt.code != "" && (!errors.As(err, &de) || de.Code != tt.code):
			t.Errorf("CheckURL(%q, allowPrivate=%v) = %v, want code %s", tt.url, tt.allowPrivate, err, tt.code)
		}
	}
}
