package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// openSQLiteFile opens a connection of its own on the SQLite file at path
// that gives up at once when another connection holds the lock.
func openSQLiteFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestIsRetryable_SQLiteBusyFromASecondWriterIsRetryable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	first, second := openSQLiteFile(t, path), openSQLiteFile(t, path)
	if _, err := first.ExecContext(ctx, "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	holder, err := first.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(ctx, "ROLLBACK")

	_, err = second.ExecContext(ctx, "INSERT INTO t (v) VALUES (1)")
	if err == nil {
		t.Fatal("a second writer wrote while the first held the write lock")
	}
	if !store.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true", err)
	}
	if wrapped := fmt.Errorf("receive message: %w", err); !store.IsRetryable(wrapped) {
		t.Errorf("IsRetryable(%v) = false for the wrapped error, want true", wrapped)
	}
}

func TestIsRetryable_SQLiteTableLockedByAnOpenReadIsRetryable(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteFile(t, filepath.Join(t.TempDir(), "locked.db"))
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v INTEGER); INSERT INTO t (v) VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rows.Next()
	_, err = conn.ExecContext(ctx, "DROP TABLE t")
	if err == nil {
		t.Fatal("a table was dropped while a statement still read it")
	}
	if !store.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true", err)
	}
}

func TestIsRetryable_OnlyConcurrencyConflictsAreRetryable(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteFile(t, filepath.Join(t.TempDir(), "unique.db"))
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v INTEGER UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	db.ExecContext(ctx, "INSERT INTO t (v) VALUES (1)")
	_, uniqueErr := db.ExecContext(ctx, "INSERT INTO t (v) VALUES (1)")
	if uniqueErr == nil {
		t.Fatal("a duplicate value was accepted")
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"postgres serialisation failure", &pgconn.PgError{Code: "40001"}, true},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"sqlite unique violation", uniqueErr, false},
		{"plain error", errors.New("database is locked"), false},
		{"no error", nil, false},
	}
	for _, c := range cases {
		if got := store.IsRetryable(c.err); got != c.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

func TestPoolSize(t *testing.T) {
	tests := []struct{ available, nodes, want int }{
		{97, 1, 32}, // one node: the cap
		{97, 3, 29},
		{97, 4, 21},
		{97, 10, 6},
		{97, 40, 4}, // never below 4: past a few nodes, use PgBouncer
		{497, 4, 32},
	}
	for _, tt := range tests {
		if got := store.PoolSize(tt.available, tt.nodes); got != tt.want {
			t.Errorf("PoolSize(%d, %d) = %d, want %d", tt.available, tt.nodes, got, tt.want)
		}
	}
}

func TestSizePool_ReadsTheServersLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if err := st.SizePool(context.Background(), 3); err != nil {
			t.Fatal(err)
		}
		if err := st.SizePool(context.Background(), 0); err == nil && st.Dialect() == store.Postgres {
			t.Error("zero nodes accepted")
		}
	})
}
