package email

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// mailboxLock names the lock of a channel's mailbox.
func mailboxLock(channelID int64) string { return fmt.Sprintf("imap:%d", channelID) }

// Publish hears committed events (realtime.Hub.Listen): a saved e-mail
// channel makes the watcher read the channel list at once, so a new or
// changed mailbox is watched within moments rather than at the next
// rescan. It never blocks.
func (w *IMAPWatcher) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == domain.EventChannelCreated || ev.Type == domain.EventChannelUpdated {
			w.Rescan()
			return
		}
	}
}

// Lost hears that events may have been missed: read the channels again.
func (w *IMAPWatcher) Lost() { w.Rescan() }

// Rescan makes the watcher read the channel list again now.
func (w *IMAPWatcher) Rescan() {
	select {
	case w.wakeup() <- struct{}{}:
	default: // a rescan is already due
	}
}

func (w *IMAPWatcher) wakeup() chan struct{} {
	w.wakeOnce.Do(func() { w.wake = make(chan struct{}, 1) })
	return w.wake
}

// lockMailboxes keeps want to the channels whose lock this node holds,
// taking free locks. When the held locks were lost, every running watcher
// stops first: another node may be watching those mailboxes now.
func (w *IMAPWatcher) lockMailboxes(ctx context.Context, want map[int64]*domain.Channel, running map[int64]*watching) {
	if w.Locks == nil {
		return
	}
	if err := w.Locks.Check(ctx); err != nil {
		w.log().Warn("imap: mailbox locks lost; watching again what this node can lock", "err", err)
		for id, r := range running {
			r.stop()
			<-r.done
			delete(running, id)
		}
	}
	for id := range want {
		ok, err := w.Locks.TryLock(ctx, mailboxLock(id))
		if err != nil && ctx.Err() == nil {
			w.log().Warn("imap: lock mailbox", "channel", id, "err", err)
		}
		if !ok {
			delete(want, id)
		}
	}
}
