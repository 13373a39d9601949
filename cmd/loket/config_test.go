package main

import (
	"path/filepath"
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

func TestConfig_S3AndPoolSettingsComeFromTheEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"LOKET_S3_BUCKET": "files", "LOKET_S3_ENDPOINT": "http://minio:9000", "LOKET_S3_REGION": "eu-west-1",
		"LOKET_S3_ACCESS_KEY": "ak", "LOKET_S3_SECRET_KEY": "sk", "LOKET_S3_PATH_STYLE": "1", "LOKET_S3_PREFIX": "loket/",
		"LOKET_DB_POOL": "12", "LOKET_DATABASE_URL": "postgres://bouncer/loket", "LOKET_DATABASE_DIRECT_URL": "",
	} {
		t.Setenv(k, v)
	}
	c, err := serveConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := s3Config{Bucket: "files", Endpoint: "http://minio:9000", Region: "eu-west-1", AccessKey: "ak", SecretKey: "sk",
		Prefix: "loket/", PathStyle: true}
	if c.S3 != want {
		t.Errorf("S3 settings %+v, want %+v", c.S3, want)
	}
	if c.Pool != 12 {
		t.Errorf("pool %d, want 12", c.Pool)
	}
	// Without a direct URL, LISTEN and locks use the one database URL.
	if got := c.directURL(); got != "postgres://bouncer/loket" {
		t.Errorf("direct URL %q, want the database URL", got)
	}
	c.DirectURL = "postgres://db/loket"
	if got := c.directURL(); got != "postgres://db/loket" {
		t.Errorf("direct URL %q", got)
	}
	if got := c.blobDir(); got != filepath.Join(c.Data, "blobs") {
		t.Errorf("blob directory %q, want DATA/blobs", got)
	}
}
