package email

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// channelList is a channel list that a test changes, as an admin would.
type channelList struct {
	mu     sync.Mutex
	chs    []*domain.Channel
	listed chan struct{} // receives a value each time the list is read
}

func (c *channelList) Channels(context.Context, string) ([]*domain.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case c.listed <- struct{}{}:
	default:
	}
	return append([]*domain.Channel(nil), c.chs...), nil
}

func (c *channelList) set(chs ...*domain.Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chs = chs
}

// start runs w until the test ends or the returned stop is called.
func start(t *testing.T, w *IMAPWatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func TestIMAPWatcher_WatchesASavedMailboxAtOnce(t *testing.T) {
	addr := startIMAP(t)
	box := mailbox(t, addr)
	appendMail(t, box, customerMail)
	list := &channelList{listed: make(chan struct{}, 1)}
	d := &fakeDesk{}
	// Rescanning only hourly, the mailbox can only be found through the
	// channel events.
	w := &IMAPWatcher{Channels: list, Inbox: &Inbox{Receiver: d, Log: quiet}, Status: &statuses{}, Log: quiet,
		PollInterval: time.Hour, RescanInterval: time.Hour, Backoff: 20 * time.Millisecond}
	start(t, w)
	<-list.listed // the watcher has read the empty list

	// Saved with a wrong password: the watcher starts and fails to log in.
	ch := imapChannel(t, addr)
	ch.Secrets["imap.password"] = "wrong"
	list.set(ch)
	w.Publish(domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID})
	// Corrected: the watcher restarts with the new password at once.
	fixed := imapChannel(t, addr)
	list.set(fixed)
	w.Publish(domain.Event{Type: domain.EventChannelUpdated, ChannelID: ch.ID})
	eventually.True(t, "the saved mailbox is read", func() bool {
		ingested := d.calls()
		return len(ingested) == 1
	})
}

// recordedLocks passes lock calls through and tells the test each answer
// of TryLock.
type recordedLocks struct {
	channel.Locks
	answers chan bool
}

func (r *recordedLocks) TryLock(ctx context.Context, name string) (bool, error) {
	ok, err := r.Locks.TryLock(ctx, name)
	select {
	case r.answers <- ok:
	default:
	}
	return ok, err
}

// await waits for TryLock to answer want.
func (r *recordedLocks) await(t *testing.T, want bool) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case ok := <-r.answers:
			if ok == want {
				return
			}
		case <-timeout:
			t.Fatalf("the mailbox lock was never answered %v", want)
		}
	}
}

func TestIMAPWatcher_OneNodeWatchesAMailboxAndAnotherTakesOverWhenItDies(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	addr := startIMAP(t)
	box := mailbox(t, addr)
	list := &channelList{}
	list.set(imapChannel(t, addr))
	node := func(d *fakeDesk, locks channel.Locks) *IMAPWatcher {
		return &IMAPWatcher{Channels: list, Inbox: &Inbox{Receiver: d, Log: quiet}, Status: &statuses{}, Log: quiet,
			PollInterval: time.Hour, RescanInterval: time.Hour, Backoff: 20 * time.Millisecond, Locks: locks}
	}
	lockA, lockB := st.Locker(), st.Locker()
	t.Cleanup(lockA.Close)
	t.Cleanup(lockB.Close)
	recA := &recordedLocks{Locks: lockA, answers: make(chan bool, 100)}
	recB := &recordedLocks{Locks: lockB, answers: make(chan bool, 100)}
	dA, dB := &fakeDesk{}, &fakeDesk{}
	stopA := start(t, node(dA, recA))
	recA.await(t, true)
	b := node(dB, recB)
	start(t, b)
	recB.await(t, false)

	appendMail(t, box, customerMail)
	eventually.True(t, "node A reads the mail", func() bool { got := dA.calls(); return len(got) == 1 })
	if got := dB.calls(); len(got) != 0 {
		t.Fatalf("node B read %d mails of a mailbox node A holds", len(got))
	}

	// Node A dies: its database session ends with the process.
	db, err := sql.Open("pgx", st.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const held = `FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	if _, err := db.Exec("SELECT pg_terminate_backend(pid) " + held); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "node A's session has ended", func() bool {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) " + held).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	stopA()
	b.Rescan() // as its next periodic rescan would
	recB.await(t, true)
	appendMail(t, box, "From: piet@customer.example\r\nSubject: Second\r\nMessage-ID: <q2@customer.example>\r\n\r\nAnd another thing.\r\n")
	eventually.True(t, "node B reads the mailbox now", func() bool { got := dB.calls(); return len(got) == 1 })
}
