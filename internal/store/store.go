// Package store keeps Loket's data in SQLite (embedded, the default) or
// PostgreSQL (several nodes). Queries are plain SQL written once for both
// dialects; the few differences (number sequences, full-text search, row
// locking) live in dialect.go. The store knows nothing about HTTP or
// providers and enforces no business rules beyond what the schema guarantees.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"loket.dev/loket/internal/secret"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database engine behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is a handle on the database. The same methods work outside and
// inside a transaction (see Tx).
type Store struct {
	dialect Dialect
	writer  *sql.DB // SQLite: one connection, so writes never contend
	reader  *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: same as writer
	session *sql.DB // PostgreSQL: where session-level work goes (locks, migrations); writer unless UseDirect
	q       querier // where writes go: writer or the current transaction
	rq      querier // where reads go: reader or the current transaction
	url     string
	box     *secret.Box // seals channel secrets; nil leaves them unreadable
}

// Open connects to databaseURL, or to the SQLite database in dataDir when
// databaseURL is empty. It does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	if databaseURL == "" || strings.HasPrefix(databaseURL, "sqlite:") {
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
			path = filepath.Join(dataDir, "loket.db")
		}
		return openSQLite(ctx, path)
	}
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return openPostgres(ctx, databaseURL)
	}
	return nil, fmt.Errorf("database URL %q: use postgres://… or leave it empty for SQLite", databaseURL)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	// WAL lets readers run beside the writer; synchronous(FULL) makes every
	// commit durable before it is acknowledged; immediate transactions take
	// the write lock up front instead of failing half-way.
	// temp_store(memory) keeps statement journals of savepoints off disk.
	// mmap_size lets every connection read pages straight from the mapped
	// file instead of copying them through read() calls, and the writer
	// keeps up to 64 MB of pages itself: the full-text index merges its
	// segments as it grows, re-reading them, and with SQLite's default 2 MB
	// cache inserts slowed down fivefold by 15,000 tickets.
	base := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" +
		"&_pragma=temp_store(memory)&_pragma=mmap_size(1073741824)"
	w, err := sql.Open("sqlite", base+"&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &Store{dialect: SQLite, writer: w, reader: r, q: w, rq: r, url: path}, nil
}

func openPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(maxPool)
	db.SetMaxIdleConns(maxPool)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &Store{dialect: Postgres, writer: db, reader: db, session: db, q: db, rq: db, url: url}, nil
}

// UseDirect sends what needs a session of its own (advisory locks held
// across transactions, the migrations' lock) to PostgreSQL at url, on a
// few connections of their own, while queries go through the pool: for
// a PgBouncer in transaction mode in front of PostgreSQL, which hands a
// session to another client between transactions.
func (s *Store) UseDirect(ctx context.Context, url string) error {
	if s.dialect != Postgres || url == "" {
		return nil
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("open direct postgres connection: %w", err)
	}
	// The locks' connection, the routing leader's, a migration, a spare.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connect to postgres directly: %w", err)
	}
	s.session = db
	return nil
}

// maxPool caps a node's PostgreSQL connections: the group commit writes
// through a few, and more only queue inside the server.
const maxPool = 32

// headroom is what every node together leave free of max_connections,
// beside the superuser reserve: psql, pg_dump, monitoring, a migration.
const headroom = 5

// SizePool sizes a PostgreSQL node's connection pool and returns the
// size. With override > 0 that is the size; else the node takes its share
// of the server's max_connections, less the superuser and maintenance
// reserves, for nodes nodes (see PoolSize). Idle connections are kept up
// to the pool's size, so that none are opened and closed under load, and
// closed after 5 idle minutes. SQLite needs nothing and returns 0.
func (s *Store) SizePool(ctx context.Context, nodes, override int) (int, error) {
	if s.dialect != Postgres {
		return 0, nil
	}
	n := override
	if n <= 0 {
		if nodes < 1 {
			return 0, fmt.Errorf("the number of nodes must be at least 1, not %d", nodes)
		}
		// reserved_connections is PostgreSQL 16's reserve for roles
		// with pg_use_reserved_connections; older servers lack it.
		var maxConns, reserved int
		err := s.writer.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int,
			current_setting('superuser_reserved_connections')::int +
			COALESCE(current_setting('reserved_connections', true), '0')::int`).Scan(&maxConns, &reserved)
		if err != nil {
			return 0, fmt.Errorf("read max_connections: %w", err)
		}
		n = PoolSize(maxConns-reserved-headroom, nodes)
	}
	s.writer.SetMaxOpenConns(n)
	s.writer.SetMaxIdleConns(n)
	s.writer.SetConnMaxIdleTime(5 * time.Minute)
	return n, nil
}

// PoolSize is each of nodes nodes' share of available connections, less
// three: the event bus's LISTEN connection, which is outside the pool,
// and a margin for connections of a just-restarted node that PostgreSQL
// has not yet noticed are gone; never below 4 (past a few nodes, put
// PgBouncer in front) nor above 32.
func PoolSize(available, nodes int) int {
	return min(max(available/max(nodes, 1)-3, 4), maxPool)
}

// SetSecretBox sets the key that seals channel secrets at rest.
func (s *Store) SetSecretBox(b *secret.Box) { s.box = b }

// Dialect returns the engine behind s.
func (s *Store) Dialect() Dialect { return s.dialect }

// URL returns the PostgreSQL URL or the SQLite file path.
func (s *Store) URL() string { return s.url }

// Close closes the connections.
func (s *Store) Close() error {
	err := s.writer.Close()
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	if s.session != nil && s.session != s.writer {
		err = errors.Join(err, s.session.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.reader.PingContext(ctx) }

// Migrate applies the embedded migrations. On PostgreSQL an advisory lock
// lets several nodes start at once.
func (s *Store) Migrate(ctx context.Context) error {
	dir, gd := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == Postgres {
		dir, gd = "migrations/postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db := s.writer
	if s.session != nil {
		db = s.session
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.Optimize(ctx)
}

// Optimize refreshes the query planner's statistics where they are stale,
// so that queries keep choosing the right index as tables grow (PostgreSQL
// does this itself with autovacuum). The analysis is bounded, so it stays
// quick on large databases; the server runs it at start and every hour.
func (s *Store) Optimize(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	for _, q := range []string{"PRAGMA analysis_limit=1000", "PRAGMA optimize=0x10002"} {
		if _, err := s.writer.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("optimize: %w", err)
		}
	}
	return nil
}

// Tx runs fn in one transaction on a Store bound to it: commit when fn
// returns nil, roll back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	if _, ok := s.q.(*sql.Tx); ok {
		return fn(s) // already inside a transaction
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	ts := *s
	ts.q, ts.rq = tx, tx
	if err := fn(&ts); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Savepoint runs fn so that its writes are undone on error while the
// surrounding transaction goes on. It must be called inside Tx.
func (s *Store) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := s.q.ExecContext(ctx, "SAVEPOINT sp"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := s.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sp"); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		s.q.ExecContext(ctx, "RELEASE SAVEPOINT sp")
		return err
	}
	if _, err := s.q.ExecContext(ctx, "RELEASE SAVEPOINT sp"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// Now is the store's clock in Unix milliseconds.
func Now() int64 { return time.Now().UnixMilli() }

func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, errNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Notify sends a PostgreSQL notification on channel.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if _, err := s.writer.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}
