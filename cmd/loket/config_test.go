package main

import (
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

func TestConfig_AwayAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2m", 2 * time.Minute, true},
		{"90s", 90 * time.Second, true},
		{"5s", 0, false},
		{"two minutes", 0, false},
		{"", 0, false},
	} {
		c := config{AwayAfter: tc.in}
		got, err := c.awayAfter()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %v %v, want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestConfig_ContactScopeIsSharedUnlessSetToTeam(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want domain.ContactScope
		ok   bool
	}{
		{"shared", domain.ContactsShared, true},
		{"", domain.ContactsShared, true},
		{"team", domain.ContactsTeam, true},
		{"teams", "", false},
	} {
		c := config{Contacts: tc.in}
		got, err := c.contactScope()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %q %v, want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestConfig_WebhooksCallPrivateAddressesOnlyWhenAllowed(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, false},
		{"1", nil, true},
		{"true", nil, true},
		{"0", nil, false},
		{"yes please", nil, false},
		{"", []string{"--webhook-allow-private"}, true},
		{"1", []string{"--webhook-allow-private=false"}, false},
	} {
		t.Setenv("LOKET_WEBHOOK_ALLOW_PRIVATE", tc.env)
		c, err := serveConfig(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if c.WebhookAllowPrivate != tc.want {
			t.Errorf("LOKET_WEBHOOK_ALLOW_PRIVATE=%q %v: %v, want %v", tc.env, tc.args, c.WebhookAllowPrivate, tc.want)
		}
	}
}
