// Package storetest opens fresh, migrated databases for tests: an SQLite
// file in a temporary directory, and a new PostgreSQL database on the
// server named by LOKET_TEST_POSTGRES.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	return newDatabase(t, "", "")
}

// template is a migrated database that test databases are copied from,
// which is much faster than migrating each one.
var template = struct {
	sync.Mutex
	name string
}{}

func migratedTemplate(t testing.TB) string {
	template.Lock()
	defer template.Unlock()
	if template.name != "" {
		return template.name
	}
	dropStaleTemplates(t)
	name := fmt.Sprintf("loket_tmpl_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	u := newDatabase(t, name, "")
	st, err := store.Open(context.Background(), u, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	template.name = strings.TrimPrefix(parsed.Path, "/")
	return template.name
}

// dropStaleTemplates removes templates left by test processes that have
// ended (their pid is in the name).
func dropStaleTemplates(t testing.TB) {
	admin, err := sql.Open("pgx", PostgresURL(t))
	if err != nil {
		return
	}
	defer admin.Close()
	rows, err := admin.Query("SELECT datname FROM pg_database WHERE datname LIKE 'loket_tmpl_%'")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		var pid int
		if rows.Scan(&name) == nil {
			if _, err := fmt.Sscanf(name, "loket_tmpl_%d_", &pid); err == nil {
				if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
					stale = append(stale, name)
				}
			}
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	}
}

// newDatabase creates a database copied from template from (empty: a new
// empty one). Without a name it gets a random one and is dropped when the
// test ends; a named one (a template) stays until a later run removes it.
func newDatabase(t testing.TB, name, from string) string {
	base := PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	keep := name != ""
	if !keep {
		b := make([]byte, 6)
		rand.Read(b)
		name = "loket_test_" + hex.EncodeToString(b)
	}
	create := "CREATE DATABASE " + name
	if from != "" {
		create += " TEMPLATE " + from
	}
	if _, err := admin.Exec(create); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	if !keep {
		t.Cleanup(func() {
			admin, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer admin.Close()
			admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		})
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// sqliteTemplate is a migrated SQLite database file that test databases
// are copied from: migrating costs far more than copying, above all in
// race-detector builds.
var sqliteTemplate = struct {
	sync.Mutex
	data []byte
}{}

func migratedSQLite(t testing.TB) []byte {
	sqliteTemplate.Lock()
	defer sqliteTemplate.Unlock()
	if sqliteTemplate.data != nil {
		return sqliteTemplate.data
	}
	dir, err := os.MkdirTemp("", "loket-sqlite-template-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Migrate(ctx)
	st.Close() // the last connection to close folds the write-ahead log into the file
	if err != nil {
		t.Fatal(err)
	}
	if sqliteTemplate.data, err = os.ReadFile(filepath.Join(dir, "loket.db")); err != nil {
		t.Fatal(err)
	}
	return sqliteTemplate.data
}

// Open returns a migrated store of the dialect ("sqlite" or "postgres"),
// copied from a template migrated once per test binary.
func Open(t testing.TB, dialect store.Dialect) *store.Store {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	dsn := ""
	if dialect == store.Postgres {
		dsn = newDatabase(t, "", migratedTemplate(t))
	} else {
		if err := os.MkdirAll(data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "loket.db"), migratedSQLite(t), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := secret.LoadKey("", dir)
	box, _ := secret.NewBox(key)
	st.SetSecretBox(box)
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
