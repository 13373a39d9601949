package voice

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// popups is a subscriber of the desk's events: it notes when each call's
// first call.updated reaches it, as an agent's app would be told.
type popups struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (p *popups) Publish(evs ...domain.Event) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range evs {
		if ev.Type == domain.EventCallUpdated && ev.Call != nil {
			if _, seen := p.at[ev.Call.CallID]; !seen {
				p.at[ev.Call.CallID] = now
			}
		}
	}
}

func (p *popups) seen(callID string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.at[callID]
	return t, ok
}

// BenchmarkCTIToPopup measures, on SQLite, the time from posting a PBX's
// newCall to the CTI route until the call.updated event reaches a
// subscriber of the desk: token check, parse, caller recognised, ticket
// and call entry committed, event published. Calls come one after the
// other from 500 customers, each ringing two agents.
func BenchmarkCTIToPopup(b *testing.B) {
	p := &popups{at: map[string]time.Time{}}
	v := startVoice(b, storetest.Open(b, store.SQLite), channeltest.Options{Events: p})
	ch := v.ctiChannel("")
	v.agent("Anna de Vries", "201", v.Team)
	v.agent("Bram Jansen", "202", v.Team)
	endpoint := fmt.Sprintf("%s/api/v1/voice/%d/cti/%s", v.URL, ch.ID, testCTIToken)
	client := &http.Client{}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("bench-%d", i)
		body := fmt.Sprintf(`{"event":"newCall","from":"06%08d","to":"0201234567","direction":"in","callId":%q,"user":["201","202"]}`, 10000000+i%500, id)
		sent := time.Now()
		resp, err := client.Post(endpoint, contentTypeJSON, bytes.NewReader([]byte(body)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("newCall answered %d", resp.StatusCode)
		}
		at, ok := p.seen(id)
		if !ok {
			b.Fatalf("no call.updated for %s once the PBX had its answer", id)
		}
		latencies = append(latencies, at.Sub(sent))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}
