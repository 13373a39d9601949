package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP_BelievesOnlyTrustedProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies(" 10.0.0.0/8, 127.0.0.1 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{proxies: proxies}
	for _, tc := range []struct {
		name, peer, xff, want string
	}{
		{"no proxy configured for this peer", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"a trusted proxy names the client", "10.1.2.3:443", "198.51.100.1", "198.51.100.1"},
		{"a forged entry left of the real client is ignored", "10.1.2.3:443", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"two trusted proxies in a row", "127.0.0.1:80", "198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"garbage in the header stops the walk", "10.1.2.3:443", "1.2.3.4, junk, 10.0.0.5", "10.0.0.5"},
		{"a trusted proxy without the header", "10.1.2.3:443", "", "10.1.2.3"},
		{"IPv6 loopback proxy", "[::1]:8080", "2001:db8::7", "2001:db8::7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
