package desk

import (
	"context"
	"fmt"
	"sync"

	"loket.dev/loket/internal/domain"
)

// Sources of a channel's health report (domain.Channel.Status), written as
// "source: what is wrong". Each source clears only its own report.
const (
	HealthDelivery = "delivery" // the last reply failed
	HealthWebhook  = "webhook"  // the provider's last call was refused
	HealthProvider = "provider" // the adapter's own work (polling, sign-in)
)

// inboundEvery is how often a channel's last inbound time is written: the
// health page needs minutes, and a write per message would slow ingest.
const inboundEvery = 10_000 // ms

// health remembers what was last written per channel, so that ingest and
// delivery write a channel's health only when it changes.
type health struct {
	mu      sync.Mutex
	inbound map[int64]int64      // channel → last written inbound time
	status  map[healthKey]report // last report written by this node
}

// report is a health report this node wrote, and when.
type report struct {
	status string
	at     int64
}

// healthRecheck is how long a node trusts that what it last wrote is still
// the channel's report: another node may have changed it since.
const healthRecheck = 60_000 // ms

type healthKey struct {
	channel int64
	source  string
}

// noteInbound records that ch received a customer's message now, at most
// once every inboundEvery per channel, and clears a refused-webhook report.
func (d *Desk) noteInbound(ctx context.Context, ch *domain.Channel) {
	now := d.now()
	d.health.mu.Lock()
	if d.health.inbound == nil {
		d.health.inbound = map[int64]int64{}
	}
	due := now-d.health.inbound[ch.ID] >= inboundEvery
	if due {
		d.health.inbound[ch.ID] = now
	}
	d.health.mu.Unlock()
	if due {
		if err := d.store.SetChannelInbound(ctx, ch.ID, now); err != nil {
			d.log.Warn("record channel inbound", "channel", ch.ID, "err", err)
		}
	}
	d.Report(ctx, ch.ID, HealthWebhook, nil)
}

// Report records a channel's health for admins from one source: err is
// what went wrong, nil that this source works again. Only a change is
// written.
func (d *Desk) Report(ctx context.Context, channelID int64, source string, err error) {
	status := ""
	if err != nil {
		status = domain.Truncate(fmt.Sprintf("%s: %v", source, err), 500)
	}
	now := d.now()
	d.health.mu.Lock()
	if d.health.status == nil {
		d.health.status = map[healthKey]report{}
	}
	key := healthKey{channelID, source}
	prev, known := d.health.status[key]
	d.health.status[key] = report{status, now}
	d.health.mu.Unlock()
	if known && prev.status == status && now-prev.at < healthRecheck {
		return
	}
	var werr error
	switch {
	case err == nil:
		werr = d.store.ClearChannelStatus(ctx, channelID, source)
	case source == HealthWebhook:
		// Anyone can send a refused call: it never hides what a delivery
		// or the provider reported.
		werr = d.store.SetChannelStatusUnlessOther(ctx, channelID, source, status)
	default:
		werr = d.store.SetChannelStatus(ctx, channelID, status)
	}
	if werr != nil {
		d.log.Warn("record channel health", "channel", channelID, "err", werr)
	}
}

// ReportProvider is a channel.ReportFunc for adapters' own work.
func (d *Desk) ReportProvider(ctx context.Context, channelID int64, err error) {
	d.Report(ctx, channelID, HealthProvider, err)
}
