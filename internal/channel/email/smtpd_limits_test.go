package email

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// serveReceiver serves r on a loopback port until the test ends.
func serveReceiver(t *testing.T, r *SMTPReceiver) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v", err)
		}
	})
	return ln.Addr().String()
}

// greeting opens a connection to addr and returns it with the first line
// the server sends.
func greeting(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting: %v", err)
	}
	return c, line
}

func TestSMTPReceiver_AnswersConnectionsPastTheLimitWith421(t *testing.T) {
	addr := serveReceiver(t, &SMTPReceiver{Channels: channels{inboundChannel(1, true, "support@shop.example")},
		Inbox: &Inbox{Receiver: &fakeDesk{}, Log: quiet}, MaxSessions: 2, Log: quiet})
	for i := range 2 {
		if _, line := greeting(t, addr); !strings.HasPrefix(line, "220 ") {
			t.Fatalf("connection %d greeted %q, want 220", i+1, line)
		}
	}
	if _, line := greeting(t, addr); !strings.HasPrefix(line, "421 ") {
		t.Fatalf("connection past the limit greeted %q, want 421", line)
	}
}

// discardDesk ingests mails without keeping them, taking a heap sample at
// each one.
type discardDesk struct {
	mu       sync.Mutex
	n        int
	peakHeap uint64
}

func (d *discardDesk) Ingest(context.Context, *domain.Channel, string, []byte) (*desk.Ingested, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	d.peakHeap = max(d.peakHeap, ms.HeapAlloc)
	return &desk.Ingested{Received: []*desk.Received{{Ticket: &domain.Ticket{ID: 1, Number: 1001}, Contact: &domain.Contact{}}}}, nil
}

// TestSMTPReceiver_HoldsFewMailsInMemoryWhateverTheConnections sends 16
// mails of the maximum size at once. Mails are spooled to disk while they
// arrive and at most DefaultMaxDeliveries are in memory at a time, so the
// live heap stays under 24 times the size limit (48 MB) (it was over 60 times when
// every connection buffered its mail in memory).
func TestSMTPReceiver_HoldsFewMailsInMemoryWhateverTheConnections(t *testing.T) {
	const size = 2 << 20
	const senders = 16
	d := &discardDesk{}
	addr := serveReceiver(t, &SMTPReceiver{Channels: channels{inboundChannel(1, true, "support@shop.example")},
		Inbox: &Inbox{Receiver: d, Log: quiet}, MaxMessageBytes: size, SpoolDir: t.TempDir(), Log: quiet})

	header := "From: jan@customer.example\r\nTo: support@shop.example\r\nSubject: big\r\n\r\n"
	line := strings.Repeat("x", 998) + "\r\n"
	body := header + strings.Repeat(line, (size-len(header)-200)/len(line))

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	codes := make([]int, senders)
	for i := range senders {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				codes[i] = -1
				return
			}
			defer c.Close()
			if err := c.SendMail("jan@customer.example", []string{"support@shop.example"}, strings.NewReader(body)); err != nil {
				codes[i] = -2
				t.Log(err)
				return
			}
			codes[i] = 250
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 250 {
			t.Errorf("sender %d: %d, want 250", i, c)
		}
	}
	if d.n != senders {
		t.Fatalf("ingested %d mails, want %d", d.n, senders)
	}
	growth := int64(d.peakHeap) - int64(before.HeapAlloc)
	t.Logf("peak live heap %d MB over %d MB before (%.1f times the size limit)", growth>>20, before.HeapAlloc>>20, float64(growth)/size)
	if bound := int64(24 * size); growth > bound {
		t.Errorf("live heap grew by %d MB, want under %d MB", growth>>20, bound>>20)
	}
}
