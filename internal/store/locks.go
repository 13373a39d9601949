package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// lockKey is the PostgreSQL advisory lock key of a named lock.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("loket:" + name))
	return int64(h.Sum64())
}

// Locker holds a node's named locks, such as "imap:5" for the node that
// watches channel 5's mailbox. On PostgreSQL they are session advisory
// locks on one connection kept for them: when the node dies its session
// ends and the locks pass to whichever node asks next. On SQLite the one
// process gets every lock.
type Locker struct {
	s    *Store
	mu   sync.Mutex
	conn *sql.Conn
	held map[string]bool
}

// Locker returns a holder of named locks; Close releases them.
func (s *Store) Locker() *Locker { return &Locker{s: s, held: map[string]bool{}} }

// TryLock takes the lock name unless another node holds it, and reports
// whether this node holds it now.
func (l *Locker) TryLock(ctx context.Context, name string) (bool, error) {
	if l.s.dialect != Postgres {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return true, nil
	}
	if l.conn == nil {
		conn, err := l.s.session.Conn(ctx)
		if err != nil {
			return false, fmt.Errorf("lock %s: %w", name, err)
		}
		l.conn = conn
	}
	var ok bool
	if err := l.conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", lockKey(name)).Scan(&ok); err != nil {
		l.drop()
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	l.held[name] = ok
	return ok, nil
}

// Unlock gives the lock name up, if this node holds it.
func (l *Locker) Unlock(ctx context.Context, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held[name] {
		return
	}
	delete(l.held, name)
	if _, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", lockKey(name)); err != nil {
		l.drop() // the session may still hold it: end the session
	}
}

// Check reports an error when the locks may have been lost because their
// connection failed; the Locker then holds none and starts afresh.
func (l *Locker) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	if err := l.conn.PingContext(ctx); err != nil {
		l.drop()
		return fmt.Errorf("locks lost: %w", err)
	}
	return nil
}

// Close releases every lock.
func (l *Locker) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
		l.drop()
		return
	}
	l.conn.Close()
	l.conn = nil
	clear(l.held)
}

// drop ends the locks' session: its connection is closed, not returned to
// the pool, so no lock outlives it.
func (l *Locker) drop() {
	l.conn.Raw(func(any) error { return driver.ErrBadConn })
	l.conn.Close()
	l.conn = nil
	clear(l.held)
}
