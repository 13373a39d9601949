// Package storetest opens fresh, migrated databases for tests: an SQLite
// file in a temporary directory, and a new PostgreSQL database on the
// server named by LOKET_TEST_POSTGRES.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// PostgresURL returns the server tests may create databases on. Without
// it, PostgreSQL tests skip, except in CI where they must run.
func PostgresURL(t testing.TB) string {
	u := os.Getenv("LOKET_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LOKET_TEST_POSTGRES is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("PostgreSQL tests skipped: set LOKET_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	return u
}

// NewPostgresDatabase creates an empty database for the test, dropped at
// cleanup, and returns its URL.
func NewPostgresDatabase(t testing.TB) string {
	base := PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "loket_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated store of the dialect ("sqlite" or "postgres").
func Open(t testing.TB, dialect store.Dialect) *store.Store {
	t.Helper()
	dir := t.TempDir()
	dsn := ""
	if dialect == store.Postgres {
		dsn = NewPostgresDatabase(t)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := secret.LoadKey("", dir)
	box, _ := secret.NewBox(key)
	st.SetSecretBox(box)
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Each runs fn as a subtest on SQLite and on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}
