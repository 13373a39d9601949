package realtime

import (
	"bytes"
	"fmt"
	"testing"
)

func TestClient_AFullQueueBecomesOneResyncMarkerNotADisconnect(t *testing.T) {
	c := &client{wake: make(chan struct{}, 1), gone: make(chan struct{})}
	frame := bytes.Repeat([]byte("x"), 64<<10)
	for range maxQueued / len(frame) {
		c.push(frame)
	}
	if got := c.take(); len(got) != maxQueued/len(frame) {
		t.Fatalf("took %d frames, want every queued one", len(got))
	}
	for range maxQueued/len(frame) + 1 {
		c.push(frame)
	}
	c.push([]byte(`{"type":"ticket.updated"}`)) // dropped too: the resync covers it
	got := c.take()
	if len(got) != 1 || !bytes.Equal(got[0], resyncFrame) {
		t.Fatalf("after an overflow took %d frames (%.40q), want the resync marker alone", len(got), got)
	}
	c.push([]byte(`{"type":"ticket.created"}`))
	if got := c.take(); len(got) != 1 || string(got[0]) != `{"type":"ticket.created"}` {
		t.Errorf("after the resync took %s, want the new event", fmt.Sprint(got))
	}
	select {
	case <-c.gone:
		t.Error("the client was disconnected")
	default:
	}
}
