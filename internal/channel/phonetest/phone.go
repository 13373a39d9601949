// Package phonetest is a telephone adapter for tests of the core and of
// what asks it for calls: no provider, just call events in and dial
// requests out.
package phonetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Phone is a telephone adapter of kind "phone" for tests of the core: its
// payload is a JSON list of channel.CallEvents, and it records the calls it
// is asked to place.
type Phone struct {
	mu     sync.Mutex
	dialed []channel.DialRequest
	// CallID is what Dial answers; Fail, when set, is the error it fails with.
	CallID string
	Fail   error
}

// Kind implements channel.Adapter.
func (*Phone) Kind() string { return "phone" }

// Secrets implements channel.Adapter.
func (*Phone) Secrets() []string { return nil }

// Validate implements channel.Adapter.
func (*Phone) Validate(json.RawMessage, map[string]string) error { return nil }

// Send implements channel.Adapter: calls are not messages.
func (*Phone) Send(context.Context, *channel.Outbound) (channel.Sent, error) {
	return channel.Sent{}, channel.Permanent(errors.New("calls are not messages"))
}

// Parse implements channel.Parser.
func (*Phone) Parse(_ *domain.Channel, _ string, body []byte, _ string) (*channel.Batch, error) {
	var b channel.Batch
	return &b, json.Unmarshal(body, &b.Calls)
}

// Dial implements channel.Dialer.
func (p *Phone) Dial(_ context.Context, _ *domain.Channel, d channel.DialRequest) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dialed = append(p.dialed, d)
	return p.CallID, p.Fail
}

// Dialed returns the calls the adapter was asked to place.
func (p *Phone) Dialed() []channel.DialRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]channel.DialRequest(nil), p.dialed...)
}

// Payload is the body Phone parses into events.
func Payload(evs ...channel.CallEvent) []byte {
	b, _ := json.Marshal(evs)
	return b
}
