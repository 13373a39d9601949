package email

import (
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
)

// The core types satisfy the small interfaces this package asks for, so
// serve.go can pass them in directly.
var (
	_ channel.Adapter = (*Adapter)(nil)
	_ channel.Parser  = (*Adapter)(nil)
	_ History         = (*store.Store)(nil)
	_ ChannelLister   = (*store.Store)(nil)
	_ StatusReporter  = (*store.Store)(nil)
	_ Receiver        = (*desk.Desk)(nil)
	_ Sender          = (*desk.Desk)(nil)
)
