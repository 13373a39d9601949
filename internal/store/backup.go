package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Snapshot is what a consistent copy of the database holds: the blobs its
// rows refer to, which a backup must carry with it, and row counts for
// the backup's manifest.
type Snapshot struct {
	Blobs  []string         // hex SHA-256s of attachments and raw originals
	Counts map[string]int64 // tickets, messages, attachments
}

// refsQuery lists every blob a row refers to.
const refsQuery = `SELECT sha256 FROM attachments
	UNION SELECT raw_sha256 FROM messages WHERE raw_sha256 <> ''`

// countsQuery counts what a backup's manifest reports.
const countsQuery = `SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM attachments)`

// Backup writes a consistent copy of the SQLite database to path while
// Loket keeps running (VACUUM INTO reads one transaction's view), and
// returns what the copy holds. Blobs are stored before the rows that
// refer to them commit, so every blob the copy names is already stored.
func (s *Store) Backup(ctx context.Context, path string) (*Snapshot, error) {
	if s.dialect != SQLite {
		return nil, errors.New("backup copies the embedded SQLite database; for PostgreSQL use pg_dump")
	}
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("backup: %s already exists", path)
	}
	if _, err := s.writer.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return nil, fmt.Errorf("backup to %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("read backup %s: %w", path, err)
	}
	defer db.Close()
	return snapshot(ctx, db)
}

// Snapshot reads what the database holds now; on PostgreSQL, after
// pg_dump, it names at least every blob the dump refers to (rows added
// since only add blobs, which were stored before them).
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	return snapshot(ctx, s.rq)
}

func snapshot(ctx context.Context, q querier) (*Snapshot, error) {
	snap := &Snapshot{Counts: map[string]int64{}}
	rows, err := q.QueryContext(ctx, refsQuery)
	if err != nil {
		return nil, fmt.Errorf("list stored files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, fmt.Errorf("list stored files: %w", err)
		}
		snap.Blobs = append(snap.Blobs, sha)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stored files: %w", err)
	}
	var tickets, messages, attachments int64
	if err := q.QueryRowContext(ctx, countsQuery).Scan(&tickets, &messages, &attachments); err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	snap.Counts["tickets"], snap.Counts["messages"], snap.Counts["attachments"] = tickets, messages, attachments
	return snap, nil
}

// CheckSQLite runs SQLite's integrity and foreign-key checks on the
// database file at path, as a restore does before it declares success.
func CheckSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if ok != "ok" {
		return fmt.Errorf("check %s: integrity check failed: %s", path, ok)
	}
	rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer rows.Close()
	if rows.Next() {
		return fmt.Errorf("check %s: rows refer to rows that are not there", path)
	}
	return rows.Err()
}

// CountTables counts the tables in PostgreSQL's public schema, so that a
// restore goes only into an empty database.
func (s *Store) CountTables(ctx context.Context) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tables: %w", err)
	}
	return n, nil
}
