package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/domain"
)

// config is Loket's configuration: each setting is a flag whose default
// comes from the environment variable of the same name.
type config struct {
	Addr        string
	Data        string
	DatabaseURL string
	BaseURL     string
	Region      string
	AdminEmail  string
	AdminPass   string
	SecretKey   string
	BlobDir     string
	S3          s3Config
	LogLevel    string
	NoDemo      bool
	SMTPAddr    string
	Proxies     string
	AwayAfter   string
	Contacts    string
	Nodes       int
	// Pool is the explicit size of the PostgreSQL pool; 0 sizes it from
	// max_connections and Nodes.
	Pool int
	// DirectURL reaches PostgreSQL without a transaction-mode pooler,
	// for what needs a session: LISTEN, advisory locks, migrations.
	DirectURL string
	// HelpCallbackChannel is the voice channel the help center's
	// "call me back" form records requests on; 0: no form.
	HelpCallbackChannel int64
	// WebhookAllowPrivate lets webhooks call addresses on Loket's own
	// network.
	WebhookAllowPrivate bool
	// OIDC is single sign-on's part.
	OIDC ssoConfig

	// Parsed by serveConfig.
	proxies  []netip.Prefix
	away     time.Duration
	contacts domain.ContactScope
	// poolSize is the PostgreSQL pool's size openStore chose.
	poolSize int
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// bind registers the flags shared by every command that opens the database.
func (c *config) bindStore(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", env("LOKET_DATA", "./data"), "data directory: SQLite database, attachments, secret key (LOKET_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("LOKET_DATABASE_URL", ""), "postgres://… to use PostgreSQL; empty for embedded SQLite (LOKET_DATABASE_URL)")
	fs.StringVar(&c.SecretKey, "secret-key", env("LOKET_SECRET_KEY", ""), "32-byte key (base64 or hex) sealing channel secrets; default: DATA/secret.key (LOKET_SECRET_KEY)")
	fs.StringVar(&c.Region, "default-region", env("LOKET_DEFAULT_REGION", "NL"), "region for phone numbers written without country code (LOKET_DEFAULT_REGION)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOKET_LOG_LEVEL", "info"), "debug, info, warn or error (LOKET_LOG_LEVEL)")
	nodes, _ := strconv.Atoi(env("LOKET_NODES", "4"))
	fs.IntVar(&c.Nodes, "nodes", nodes, "on PostgreSQL: how many nodes may share the database; each takes its share of max_connections (LOKET_NODES)")
	pool, _ := strconv.Atoi(env("LOKET_DB_POOL", "0"))
	fs.IntVar(&c.Pool, "db-pool", pool, "on PostgreSQL: connections this node keeps open; 0 sizes them from max_connections and LOKET_NODES (LOKET_DB_POOL)")
	fs.StringVar(&c.DirectURL, "database-direct-url", env("LOKET_DATABASE_DIRECT_URL", ""),
		"postgres://… straight to PostgreSQL when LOKET_DATABASE_URL goes through PgBouncer in transaction mode: for LISTEN, locks, migrations and pg_dump; default LOKET_DATABASE_URL (LOKET_DATABASE_DIRECT_URL)")
}

// bindBlobs registers the flags of the attachment store: a directory, or
// an S3-compatible bucket when LOKET_S3_BUCKET is set.
func (c *config) bindBlobs(fs *flag.FlagSet) {
	fs.StringVar(&c.BlobDir, "blob-dir", env("LOKET_BLOB_DIR", ""), "directory for attachments; default DATA/blobs; must be shared by all nodes (LOKET_BLOB_DIR)")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", env("LOKET_S3_BUCKET", ""), "keep attachments in this S3 bucket instead of a directory (LOKET_S3_BUCKET)")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", env("LOKET_S3_ENDPOINT", "https://s3.amazonaws.com"), "URL of the S3-compatible service; http:// only on a private network (LOKET_S3_ENDPOINT)")
	fs.StringVar(&c.S3.Region, "s3-region", env("LOKET_S3_REGION", "us-east-1"), "the bucket's region (LOKET_S3_REGION)")
	fs.StringVar(&c.S3.AccessKey, "s3-access-key", env("LOKET_S3_ACCESS_KEY", ""), "access key id (LOKET_S3_ACCESS_KEY)")
	fs.StringVar(&c.S3.SecretKey, "s3-secret-key", env("LOKET_S3_SECRET_KEY", ""), "secret access key (LOKET_S3_SECRET_KEY)")
	fs.StringVar(&c.S3.Prefix, "s3-prefix", env("LOKET_S3_PREFIX", ""), "key prefix inside the bucket, such as loket/ (LOKET_S3_PREFIX)")
	pathStyle, _ := strconv.ParseBool(env("LOKET_S3_PATH_STYLE", "false"))
	fs.BoolVar(&c.S3.PathStyle, "s3-path-style", pathStyle, "address the bucket as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT, as MinIO and most self-hosted services want (LOKET_S3_PATH_STYLE=1)")
}

func (c *config) bindServe(fs *flag.FlagSet) {
	c.bindStore(fs)
	c.bindBlobs(fs)
	fs.StringVar(&c.Addr, "addr", env("LOKET_ADDR", ":8080"), "address to listen on (LOKET_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", env("LOKET_BASE_URL", ""), "public URL of this Loket, for links; https enables Secure cookies (LOKET_BASE_URL)")
	fs.StringVar(&c.AdminEmail, "admin-email", env("LOKET_ADMIN_EMAIL", ""), "first admin's e-mail on an empty database (LOKET_ADMIN_EMAIL)")
	fs.StringVar(&c.AdminPass, "admin-password", env("LOKET_ADMIN_PASSWORD", ""), "first admin's password on an empty database (LOKET_ADMIN_PASSWORD)")
	fs.StringVar(&c.AwayAfter, "away-after", env("LOKET_AWAY_AFTER", "2m"), "how long an online agent's app may be gone before routing sets them away, such as 90s or 5m (LOKET_AWAY_AFTER)")
	fs.StringVar(&c.Proxies, "trusted-proxies", env("LOKET_TRUSTED_PROXIES", ""), "reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client (LOKET_TRUSTED_PROXIES)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env("LOKET_SMTP_ADDR", ""), "address for the built-in SMTP receiver, such as :2525; empty disables it (LOKET_SMTP_ADDR)")
	fs.StringVar(&c.Contacts, "contacts", env("LOKET_CONTACTS", "shared"), "which customers agents see: shared (all) or team (those of their teams' tickets) (LOKET_CONTACTS)")
	helpCallback, _ := strconv.ParseInt(env("LOKET_HELP_CALLBACK_CHANNEL", "0"), 10, 64)
	fs.Int64Var(&c.HelpCallbackChannel, "help-callback-channel", helpCallback,
		"id of the voice channel that takes the help center's \"call me back\" requests; 0 shows no form (LOKET_HELP_CALLBACK_CHANNEL)")
	fs.BoolVar(&c.NoDemo, "no-demo", env("LOKET_NO_DEMO", "") != "", "do not create the demo team and channel on first start (LOKET_NO_DEMO)")
	allowPrivate, _ := strconv.ParseBool(env("LOKET_WEBHOOK_ALLOW_PRIVATE", "false"))
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", allowPrivate,
		"let webhooks call loopback, private and link-local addresses (LOKET_WEBHOOK_ALLOW_PRIVATE=1)")
	c.OIDC.bind(fs)
}

// s3Config names an S3-compatible bucket for attachments.
type s3Config struct {
	Bucket, Endpoint, Region, AccessKey, SecretKey, Prefix string
	PathStyle                                              bool
}

// directURL is where session-level work connects to PostgreSQL.
func (c *config) directURL() string {
	if c.DirectURL != "" {
		return c.DirectURL
	}
	return c.DatabaseURL
}

// blobDir is the attachment directory: LOKET_BLOB_DIR or DATA/blobs.
func (c *config) blobDir() string {
	if c.BlobDir != "" {
		return c.BlobDir
	}
	return filepath.Join(c.Data, "blobs")
}

// publicURL is the base URL, or one derived from the listen address.
func (c *config) publicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host := c.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return fmt.Sprintf("http://%s", host)
}

// awayAfter parses LOKET_AWAY_AFTER.
func (c *config) awayAfter() (time.Duration, error) {
	d, err := time.ParseDuration(c.AwayAfter)
	if err != nil || d < 10*time.Second {
		return 0, fmt.Errorf("LOKET_AWAY_AFTER %q: want a duration of at least 10s, such as 90s or 5m", c.AwayAfter)
	}
	return d, nil
}

// contactScope parses LOKET_CONTACTS.
func (c *config) contactScope() (domain.ContactScope, error) {
	scope, err := domain.ParseContactScope(c.Contacts)
	if err != nil {
		return "", fmt.Errorf("LOKET_CONTACTS: %w", err)
	}
	return scope, nil
}
