package email

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// benchDesk is the real desk on a fresh SQLite database with one e-mail
// channel stored from ch.
func benchDesk(b *testing.B, ch *domain.Channel) (*store.Store, *desk.Desk) {
	st := storetest.Open(b, store.SQLite)
	blobs, err := blob.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ch.ID = 0
	if err := st.CreateChannel(context.Background(), ch, "bench-token"); err != nil {
		b.Fatal(err)
	}
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(New(st)), Region: "NL", Log: quiet})
	b.Cleanup(d.Close)
	return st, d
}

// typicalMail is a 50 KB customer mail: a short text and a 36 KB
// attachment (48 KB in base64), different every time.
func typicalMail(i int) string {
	att := make([]byte, 36<<10)
	rand.Read(att)
	enc := base64.StdEncoding.EncodeToString(att)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return fmt.Sprintf("From: Customer %d <c%d@customer.example>\r\nTo: support@shop.example\r\nSubject: Order %d\r\n"+
		"Message-ID: <bench-%d@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, my order %d has not arrived. A photo of the label is attached.\r\n"+
		"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=label.png\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
		i%500, i%500, i, i, i, strings.Join(lines, "\r\n"))
}

// BenchmarkSMTPReceiver_TypicalMailsIntoSQLite measures mails received,
// parsed and committed per second through the built-in SMTP receiver, with
// eight senders at once.
func BenchmarkSMTPReceiver_TypicalMailsIntoSQLite(b *testing.B) {
	st, d := benchDesk(b, inboundChannel(0, true, "support@shop.example"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &SMTPReceiver{Channels: st, Inbox: &Inbox{Receiver: d, Log: quiet}, Log: quiet}
	go r.Serve(ctx, ln)
	mails := make([]string, b.N)
	for i := range mails {
		mails[i] = typicalMail(i)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(mails[0])))
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			c, err := smtp.Dial(ln.Addr().String())
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(mails) {
					return
				}
				if err := c.SendMail("c@customer.example", []string{"support@shop.example"}, strings.NewReader(mails[i])); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "mails/s")
}

// BenchmarkIMAP_ArrivalToTicket measures the time from a mail landing in a
// watched IMAP mailbox to its ticket existing, with IDLE. The in-memory
// server now and then does not announce a mail that arrived just before
// IDLE began; the poll interval (2 s here, 30 s by default) then picks it
// up, which shows in the maximum.
func BenchmarkIMAP_ArrivalToTicket(b *testing.B) {
	addr := startIMAP(b)
	ch := imapChannel(b, addr)
	st, d := benchDesk(b, ch)
	w := &IMAPWatcher{Channels: st, Inbox: &Inbox{Receiver: d, Log: quiet}, Status: st, Log: quiet,
		PollInterval: 2 * time.Second, Backoff: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	box := mailbox(b, addr)
	chID := int64(1)
	time.Sleep(300 * time.Millisecond) // let the watcher connect and start IDLE
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N)
	for i := range b.N {
		id := fmt.Sprintf("imap-bench-%d@customer.example", i)
		raw := fmt.Sprintf("From: Jan <jan%d@customer.example>\r\nTo: support@shop.example\r\nSubject: Help %d\r\nMessage-ID: <%s>\r\n\r\nWhere is my order?\r\n", i, i, id)
		start := time.Now()
		appendMail(b, box, raw)
		for {
			if _, err := st.MessageByExternalID(ctx, chID, id); err == nil {
				break
			}
			if time.Since(start) > 10*time.Second {
				b.Fatalf("mail %d never became a ticket; seen flags %v", i, seen(b, box))
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
