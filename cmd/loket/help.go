package main

import (
	"log/slog"
	"net/http"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/helpcenter"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
)

// helpCenter is the public help center, with the "call me back" form when
// a voice channel takes its requests.
func helpCenter(c *config, st *store.Store, d *desk.Desk, log *slog.Logger) http.Handler {
	return helpcenter.New(helpcenter.Config{Store: st, BaseURL: c.publicURL(), Log: log,
		CallbackChannelID: c.HelpCallbackChannel, Callbacks: d, ClientIP: httpapi.ClientIP(c.proxies)})
}
