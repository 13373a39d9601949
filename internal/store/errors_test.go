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
	// available is max_connections less the superuser and maintenance
	// reserves: 92 of PostgreSQL's default 100.
	tests := []struct{ available, nodes, want int }{
		{92, 1, 32}, // one node: the cap
		{92, 2, 32},
		{92, 3, 27}, // 3 × (27 + the bus's LISTEN) = 84 of 100
		{92, 4, 20},
		{92, 10, 6},
		{92, 40, 4}, // never below 4: past a few nodes, use PgBouncer
		{492, 4, 32},
		{0, 1, 4},
	}
	for _, tt := range tests {
		if got := store.PoolSize(tt.available, tt.nodes); got != tt.want {
			t.Errorf("PoolSize(%d, %d) = %d, want %d", tt.available, tt.nodes, got, tt.want)
		}
	}
}

func TestSizePool_ReadsTheServersLimitUnlessOverridden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		n, err := st.SizePool(ctx, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Dialect() != store.Postgres {
			if n != 0 {
				t.Errorf("SQLite pool sized to %d", n)
			}
			return
		}
		db, err := sql.Open("pgx", st.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var maxConns int
		if err := db.QueryRowContext(ctx, "SELECT current_setting('max_connections')::int").Scan(&maxConns); err != nil {
			t.Fatal(err)
		}
		if want := store.PoolSize(maxConns-3-5, 3); n != want {
			t.Errorf("3 nodes on max_connections %d: pool %d, want %d", maxConns, n, want)
		}
		if _, err := st.SizePool(ctx, 0, 0); err == nil {
			t.Error("zero nodes accepted")
		}
		if n, err := st.SizePool(ctx, 0, 12); err != nil || n != 12 {
			t.Errorf("override 12: %d, %v", n, err)
		}
	})
}

func TestUseDirect_LocksAndMigrationsWorkOnTheDirectConnection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if st.Dialect() != store.Postgres {
			t.Skip("PostgreSQL only")
		}
		ctx := context.Background()
		if err := st.UseDirect(ctx, st.URL()); err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		lock, err := st.TryLock(ctx, "direct-test")
		if err != nil || lock == nil {
			t.Fatalf("TryLock = %v, %v", lock, err)
		}
		other, err := store.Open(ctx, st.URL(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if l, err := other.TryLock(ctx, "direct-test"); err != nil || l != nil {
			t.Fatalf("a second node took the lock held on the direct connection: %v, %v", l, err)
		}
		lock.Release()
		if l, err := other.TryLock(ctx, "direct-test"); err != nil || l == nil {
			t.Fatalf("after Release the second node could not take the lock: %v", err)
		} else {
			l.Release()
		}
	})
}
