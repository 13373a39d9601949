package telegram

import (
	"context"
	"fmt"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// CheckTimeout bounds each connection test.
const CheckTimeout = 15 * time.Second

// Check implements channel.Checker: getMe signs in with the bot token,
// and getWebhookInfo tells whether Telegram reaches Loket's webhook (with
// a public base URL) or whether polling can work (no webhook set
// elsewhere), with the last delivery error Telegram saw.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	b, err := a.bot(ch)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	if err := b.call(ctx, "getMe", struct{}{}, &me); err != nil {
		return []channel.Check{{Name: "bot", Detail: err.Error()}}
	}
	out := []channel.Check{{Name: "bot", OK: true, Detail: fmt.Sprintf("signed in as @%s (id %d)", me.Username, me.ID)}}
	var info struct {
		URL                  string `json:"url"`
		PendingUpdateCount   int    `json:"pending_update_count"`
		LastErrorDate        int64  `json:"last_error_date"`
		LastErrorMessage     string `json:"last_error_message"`
		HasCustomCertificate bool   `json:"has_custom_certificate"`
	}
	if err := b.call(ctx, "getWebhookInfo", struct{}{}, &info); err != nil {
		return append(out, channel.Check{Name: "webhook", Detail: err.Error()})
	}
	hook := channel.Check{Name: "webhook"}
	want := a.webhookURL(ch)
	switch {
	case !public(a.cfg.BaseURL) && info.URL == "":
		hook.OK, hook.Detail = true, fmt.Sprintf("no public https base URL: Loket polls for updates (%d waiting)", info.PendingUpdateCount)
	case !public(a.cfg.BaseURL):
		hook.Detail = fmt.Sprintf("Telegram posts updates to %s; Loket deletes that webhook when it starts polling", info.URL)
	case info.URL != want:
		hook.Detail = fmt.Sprintf("Telegram posts updates to %q, not to %s; Loket registers it when the channel is saved", info.URL, want)
	case info.LastErrorMessage != "" && info.PendingUpdateCount > 0:
		hook.Detail = fmt.Sprintf("Telegram posts to %s but its last attempt failed at %s: %s (%d updates waiting)",
			want, time.Unix(info.LastErrorDate, 0).UTC().Format(time.RFC3339), info.LastErrorMessage, info.PendingUpdateCount)
	default:
		hook.OK, hook.Detail = true, fmt.Sprintf("Telegram posts updates to %s (%d waiting)", want, info.PendingUpdateCount)
		if info.LastErrorMessage != "" {
			hook.Detail += "; an earlier attempt failed: " + info.LastErrorMessage
		}
	}
	return append(out, hook)
}
