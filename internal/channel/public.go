package channel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"loket.dev/loket/internal/domain"
)

// Poller is implemented by adapters whose provider is read rather than
// pushing to Loket: mentions on X, a review site's new reviews. The core
// polls each enabled channel of the kind on one node at a time, every
// PollInterval: Poll returns a payload, which goes through Parse and
// Desk.Ingest like a webhook's body (kept as a dead letter when it fails),
// and the cursor to pass next time, kept only once the payload is stored.
// An empty payload means nothing new.
type Poller interface {
	Parser
	Poll(ctx context.Context, ch *domain.Channel, cursor string) (payload []byte, next string, err error)
	PollInterval(ch *domain.Channel) time.Duration
}

// Moderator is implemented by adapters whose sites let the team hide or
// delete a customer's public post (Capabilities.Moderation). externalID is
// the post's provider id (Inbound.ExternalID).
type Moderator interface {
	Moderate(ctx context.Context, ch *domain.Channel, externalID string, action domain.Moderation) error
}

// Fingerprint identifies the settings and secrets a channel runs with, so
// a runner restarts a channel's work when an admin changes them.
func Fingerprint(ch *domain.Channel) string {
	keys := make([]string, 0, len(ch.Secrets))
	for k := range ch.Secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write(ch.Settings)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, ch.Secrets[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
