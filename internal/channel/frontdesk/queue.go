package frontdesk

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Public limits: a display polls every few seconds; an office may have a
// few screens behind one address.
const (
	perIP    = 240             // queue requests a minute from one address
	cacheTTL = 1 * time.Second // how long one answer serves every display
)

// QueueView is what a waiting-room display shows: queue numbers and
// counter names, nothing about who the visitors are.
type QueueView struct {
	Channel string `json:"channel"`
	// Serving are the numbers called to a counter, the latest call first.
	Serving []CalledView `json:"serving"`
	// Waiting are the numbers not yet called, in the order they came.
	Waiting []string `json:"waiting"`
	// ExpectedWaitMs is how long a visitor checking in now is expected
	// to wait.
	ExpectedWaitMs int64 `json:"expected_wait_ms"`
	// ServiceMs is the expected time at the counter.
	ServiceMs int64 `json:"service_ms"`
	UpdatedAt int64 `json:"updated_at"`
}

// CalledView is a number called to a counter.
type CalledView struct {
	Number   string `json:"number"`
	Counter  string `json:"counter"`
	CalledAt int64  `json:"called_at"`
}

type cachedQueue struct {
	view *QueueView
	at   time.Time
}

// Routes implements channel.Router: the display's queue, public.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{{Method: "GET", Path: "queue", MaxBody: 1, Handle: a.serveQueue}}
}

func (a *Adapter) serveQueue(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	if !req.Allow("desk-queue:"+req.ClientIP, perIP, time.Minute) {
		w.Header().Set("Retry-After", "10")
		return channel.Errorf(http.StatusTooManyRequests, "rate_limited", "too many queue requests; poll at most every few seconds")
	}
	v, err := a.queue(r.Context(), req.Channel)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=1")
	return json.NewEncoder(w).Encode(v)
}

// queue returns the channel's display view, computed at most once per
// cacheTTL however many displays ask.
func (a *Adapter) queue(ctx context.Context, ch *domain.Channel) (*QueueView, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[ch.ID]
	a.mu.Unlock()
	if ok && now.Sub(c.at) < cacheTTL && now.Sub(c.at) >= 0 {
		return c.view, nil
	}
	q, err := a.desk.QueueOfVisitors(ctx, ch.ID)
	if err != nil {
		return nil, err
	}
	v := &QueueView{Channel: ch.Name, Serving: []CalledView{}, Waiting: []string{},
		ExpectedWaitMs: q.ExpectedWait.Milliseconds(), ServiceMs: q.Service.Milliseconds(), UpdatedAt: now.UnixMilli()}
	for _, s := range q.Serving {
		v.Serving = append(v.Serving, CalledView{Number: s.Label, Counter: s.Counter, CalledAt: s.CalledAt})
	}
	sort.SliceStable(v.Serving, func(i, j int) bool { return v.Serving[i].CalledAt > v.Serving[j].CalledAt })
	for _, s := range q.Waiting {
		v.Waiting = append(v.Waiting, s.Label)
	}
	a.mu.Lock()
	if len(a.cache) > 1000 {
		a.cache = map[int64]cachedQueue{}
	}
	a.cache[ch.ID] = cachedQueue{view: v, at: now}
	a.mu.Unlock()
	return v, nil
}
