package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Defaults of the Runner's timing, changed through Config in tests.
const (
	defaultPollTimeout = 25 * time.Second
	defaultBackoff     = time.Second
	maxBackoff         = 5 * time.Minute
	defaultRescan      = time.Minute
)

// looking is the running look-after of one channel: its poller, or its
// webhook registration.
type looking struct {
	fingerprint string
	stop        context.CancelFunc
	done        chan struct{}
}

// Run implements channel.Runner. It looks after every enabled telegram
// channel this node holds the lock of: with a public base URL it registers
// the channel's webhook (setWebhook), otherwise it long-polls getUpdates.
// A saved or disabled channel is picked up at once (Publish) or at the
// next rescan.
func (a *Adapter) Run(ctx context.Context) {
	if a.cfg.Channels == nil {
		<-ctx.Done()
		return
	}
	if c, ok := a.cfg.Locks.(interface{ Close() }); ok {
		defer c.Close()
	}
	running := map[int64]*looking{}
	defer func() {
		for id, r := range running {
			r.stop()
			<-r.done
			if a.cfg.Locks != nil {
				a.cfg.Locks.Unlock(context.WithoutCancel(ctx), channelLock(id))
			}
		}
	}()
	tick := time.NewTicker(orDuration(a.cfg.RescanInterval, defaultRescan))
	defer tick.Stop()
	for {
		a.rescan(ctx, running)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-a.wakeup():
		}
	}
}

// rescan starts looking after new or changed channels and stops for
// removed, disabled or changed ones.
func (a *Adapter) rescan(ctx context.Context, running map[int64]*looking) {
	chs, err := a.cfg.Channels.Channels(ctx, Kind)
	if err != nil {
		if ctx.Err() == nil {
			a.cfg.Log.Error("telegram: list channels", "err", err)
		}
		return
	}
	want := map[int64]*domain.Channel{}
	for _, ch := range chs {
		if ch.Enabled && ch.Kind == Kind {
			want[ch.ID] = ch
		}
	}
	a.lock(ctx, want, running)
	for id, r := range running {
		if ch, ok := want[id]; !ok || channel.Fingerprint(ch) != r.fingerprint {
			r.stop()
			<-r.done
			delete(running, id)
			if !ok && a.cfg.Locks != nil {
				a.cfg.Locks.Unlock(ctx, channelLock(id))
			}
		}
	}
	for id, ch := range want {
		if _, ok := running[id]; ok {
			continue
		}
		lctx, stop := context.WithCancel(ctx)
		r := &looking{fingerprint: channel.Fingerprint(ch), stop: stop, done: make(chan struct{})}
		running[id] = r
		go func() {
			defer close(r.done)
			if public(a.cfg.BaseURL) {
				a.register(lctx, ch)
			} else {
				a.poll(lctx, ch)
			}
		}()
	}
}

// lock keeps want to the channels whose lock this node holds, taking free
// locks. When the held locks were lost, everything running stops first:
// another node may be looking after those channels now.
func (a *Adapter) lock(ctx context.Context, want map[int64]*domain.Channel, running map[int64]*looking) {
	if a.cfg.Locks == nil {
		return
	}
	if err := a.cfg.Locks.Check(ctx); err != nil {
		a.cfg.Log.Warn("telegram: channel locks lost; looking after what this node can lock again", "err", err)
		for id, r := range running {
			r.stop()
			<-r.done
			delete(running, id)
		}
	}
	for id := range want {
		ok, err := a.cfg.Locks.TryLock(ctx, channelLock(id))
		if err != nil && ctx.Err() == nil {
			a.cfg.Log.Warn("telegram: lock channel", "channel", id, "err", err)
		}
		if !ok {
			delete(want, id)
		}
	}
}

// channelLock names the lock of a channel's poller.
func channelLock(id int64) string { return fmt.Sprintf("telegram:%d", id) }

// Publish implements domain.Publisher: a saved channel makes the adapter
// read the channel list at once. It never blocks.
func (a *Adapter) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == domain.EventChannelCreated || ev.Type == domain.EventChannelUpdated {
			a.rescanNow()
			return
		}
	}
}

// Lost hears that events may have been missed: read the channels again.
func (a *Adapter) Lost() { a.rescanNow() }

func (a *Adapter) rescanNow() {
	select {
	case a.wakeup() <- struct{}{}:
	default: // a rescan is already due
	}
}

func (a *Adapter) wakeup() chan struct{} {
	a.wakeOnce.Do(func() { a.wake = make(chan struct{}, 1) })
	return a.wake
}

// health reports a channel's state to the ReportFunc when it changes.
type health struct {
	a       *Adapter
	id      int64
	failing bool
}

func (a *Adapter) health(ch *domain.Channel) *health {
	return &health{a: a, id: ch.ID, failing: ch.Status != ""}
}

func (h *health) report(ctx context.Context, err error) {
	if h.a.cfg.Report == nil || (err == nil && !h.failing) || ctx.Err() != nil {
		return
	}
	h.a.cfg.Report(context.WithoutCancel(ctx), h.id, err)
	h.failing = err != nil
}

// retry waits before the next attempt after err: the backoff, or as long
// as the Bot API asked (429 retry_after). It reports whether ctx is still
// live.
func retry(ctx context.Context, backoff time.Duration, err error) bool {
	var ae *apiError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		backoff = max(backoff, time.Duration(ae.RetryAfter)*time.Second)
	}
	t := time.NewTimer(backoff)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// register tells Telegram where to post the channel's updates, retrying
// with backoff until it succeeds, and then checks at every rescan interval
// that the webhook is still Loket's: a bot token tried elsewhere (polling
// on a laptop deletes the webhook) must not silence the channel for good.
func (a *Adapter) register(ctx context.Context, ch *domain.Channel) {
	h := a.health(ch)
	first := orDuration(a.cfg.Backoff, defaultBackoff)
	backoff := first
	registered := false
	for {
		var err error
		if registered {
			err = a.ensureWebhook(ctx, ch)
		} else {
			// Always set at first: the secret token may have changed.
			err = a.setWebhook(ctx, ch)
		}
		if ctx.Err() != nil {
			return
		}
		h.report(ctx, err)
		registered = registered || err == nil
		wait := orDuration(a.cfg.RescanInterval, defaultRescan)
		if err != nil {
			a.cfg.Log.Warn("telegram: register webhook", "channel", ch.ID, "err", err, "retry_in", backoff)
			wait, backoff = backoff, min(2*backoff, maxBackoff)
		} else {
			backoff = first
		}
		if !retry(ctx, wait, err) {
			return
		}
	}
}

// ensureWebhook sets the channel's webhook unless Telegram already posts
// to it.
func (a *Adapter) ensureWebhook(ctx context.Context, ch *domain.Channel) error {
	b, err := a.bot(ch)
	if err != nil {
		return err
	}
	var info struct {
		URL string `json:"url"`
	}
	if err := b.call(ctx, "getWebhookInfo", struct{}{}, &info); err != nil {
		return err
	}
	if info.URL == a.webhookURL(ch) {
		return nil
	}
	if info.URL != "" {
		a.cfg.Log.Warn("telegram: the bot's webhook pointed elsewhere; registering Loket's again", "channel", ch.ID, "was", info.URL)
	}
	return a.setWebhook(ctx, ch)
}

func (a *Adapter) setWebhook(ctx context.Context, ch *domain.Channel) error {
	b, err := a.bot(ch)
	if err != nil {
		return err
	}
	return b.call(ctx, "setWebhook", map[string]any{"url": a.webhookURL(ch), "secret_token": secretToken(ch), "allowed_updates": allowedUpdates}, nil)
}

// poll long-polls the channel's updates until ctx ends. Each update is
// ingested on its own and confirmed (the next getUpdates offset) only
// once Ingest returned nil, so a failure gets it again; an update the core
// refuses for its content is skipped, or it would block the channel.
func (a *Adapter) poll(ctx context.Context, ch *domain.Channel) {
	h := a.health(ch)
	first := orDuration(a.cfg.Backoff, defaultBackoff)
	backoff := first
	var offset int64
	hooked := true // a webhook may be set: getUpdates refuses to work until it is deleted
	for {
		err := a.pollRound(ctx, ch, &offset, &hooked)
		if ctx.Err() != nil {
			return
		}
		h.report(ctx, err)
		if err == nil {
			backoff = first
			continue
		}
		a.cfg.Log.Warn("telegram: poll updates", "channel", ch.ID, "err", err, "retry_in", backoff)
		if !retry(ctx, backoff, err) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (a *Adapter) pollRound(ctx context.Context, ch *domain.Channel, offset *int64, hooked *bool) error {
	b, err := a.bot(ch)
	if err != nil {
		return err
	}
	if *hooked {
		if err := b.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil); err != nil {
			return err
		}
		*hooked = false
	}
	wait := orDuration(a.cfg.PollTimeout, defaultPollTimeout)
	pctx, cancel := context.WithTimeout(ctx, wait+30*time.Second)
	defer cancel()
	params := map[string]any{"timeout": int(wait / time.Second), "allowed_updates": allowedUpdates}
	if *offset > 0 {
		params["offset"] = *offset
	}
	var updates []json.RawMessage
	if err := b.call(pctx, "getUpdates", params, &updates); err != nil {
		return err
	}
	for _, raw := range updates {
		var head struct {
			UpdateID      int64 `json:"update_id"`
			CallbackQuery *struct {
				ID string `json:"id"`
			} `json:"callback_query"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("telegram getUpdates: %w", err)
		}
		err := a.cfg.Ingest(ctx, ch, ContentType, raw)
		var refused *domain.Error
		if errors.As(err, &refused) {
			a.cfg.Log.Warn("telegram: update refused; skipped", "channel", ch.ID, "update_id", head.UpdateID, "err", err)
		} else if err != nil {
			return fmt.Errorf("ingest telegram update %d: %w", head.UpdateID, err)
		}
		*offset = head.UpdateID + 1
		if head.CallbackQuery != nil && head.CallbackQuery.ID != "" {
			if err := b.call(ctx, "answerCallbackQuery", map[string]string{"callback_query_id": head.CallbackQuery.ID}, nil); err != nil {
				a.cfg.Log.Info("telegram: answer button tap", "channel", ch.ID, "err", err)
			}
		}
	}
	return nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
