package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// buildLoket compiles the binary once per test run, or uses the one
// LOKET_BIN names: make test builds it once for the Go and browser tests.
var buildLoket = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("LOKET_BIN"); bin != "" {
		return bin, nil
	}
	dir, err := os.MkdirTemp("", "loket-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "loket")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// server is a running loket serve process.
type server struct {
	cmd     *exec.Cmd
	url     string
	channel string
	token   string
}

var (
	channelLine = regexp.MustCompile(`/api/v1/channels/(\d+)/inbound`)
	tokenLine   = regexp.MustCompile(`Bearer (lki_[A-Za-z0-9_-]+)`)
)

// startServer runs loket serve with env and waits until it is healthy;
// on a first start (firstStart) it also waits for the demo channel and
// token it prints.
func startServer(t *testing.T, env []string, firstStart bool) *server {
	t.Helper()
	bin, err := buildLoket()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append(env, "LOKET_ADDR="+addr, "LOKET_LOG_LEVEL=error")...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			if m := channelLine.FindStringSubmatch(sc.Text()); m != nil {
				s.channel = m[1]
			}
			if m := tokenLine.FindStringSubmatch(sc.Text()); m != nil {
				s.token = m[1]
			}
			mu.Unlock()
		}
	}()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(s.url + "/healthz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		mu.Lock()
		ready := resp.StatusCode == 200 && (!firstStart || s.token != "")
		mu.Unlock()
		if ready {
			return s
		}
	}
	t.Fatal("loket serve did not become healthy")
	return nil
}

func (s *server) post(c *http.Client, channel, token, externalID string) (int, error) {
	body := fmt.Sprintf(`{"external_id":%q,"from":{"email":"c%d@example.nl"},"text":"message %s"}`, externalID, len(externalID)%50, externalID)
	req, _ := http.NewRequest("POST", s.url+"/api/v1/channels/"+channel+"/inbound", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestCrash_AcknowledgedMessagesSurviveSIGKILL posts a burst of messages,
// kills the server without warning midway, restarts it, and checks that
// every message that was answered 2xx is stored and nothing is half-written.
func TestCrash_AcknowledgedMessagesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			data := t.TempDir()
			env := []string{"LOKET_DATA=" + data, "LOKET_ADMIN_PASSWORD=crash-test-password"}
			if dialect == store.Postgres {
				env = append(env, "LOKET_DATABASE_URL="+storetest.NewPostgresDatabase(t))
			}
			first := startServer(t, env, true)
			if first.channel == "" || first.token == "" {
				t.Fatal("first start printed no demo channel and token")
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 10 * time.Second}
			var acked sync.Map
			var n atomic.Int64
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Go(func() {
					for i := 0; ctx.Err() == nil && i < 5000; i++ {
						id := fmt.Sprintf("w%d-%d", w, i)
						code, err := first.post(client, first.channel, first.token, id)
						if err == nil && code/100 == 2 {
							acked.Store(id, true)
							n.Add(1)
						}
					}
				})
			}
			for n.Load() < 300 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			first.cmd.Process.Signal(syscall.SIGKILL)
			first.cmd.Wait()
			stop()
			wg.Wait()
			t.Logf("%d messages acknowledged before SIGKILL", n.Load())

			second := startServer(t, env, false)
			missing := 0
			acked.Range(func(k, _ any) bool {
				code, err := second.post(client, first.channel, first.token, k.(string))
				if err != nil {
					t.Fatal(err)
				}
				if code != http.StatusOK { // 200 means "duplicate": it was stored
					missing++
				}
				return true
			})
			if missing > 0 {
				t.Fatalf("%d of %d acknowledged messages were lost", missing, n.Load())
			}
			second.cmd.Process.Signal(syscall.SIGTERM)
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("graceful shutdown: %v", err)
			}
			if dialect == store.SQLite {
				checkSQLiteIntegrity(t, filepath.Join(data, "loket.db"))
				checkTextIndex(t, data)
			}
		})
	}
}

// checkTextIndex brings the full-text index up to date, as the next
// search would, and checks it against the messages it indexes.
func checkTextIndex(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.IndexText(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckTextIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

func checkSQLiteIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check found rows pointing nowhere")
	}
	var orphans int
	db.QueryRow(`SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)`).Scan(&orphans)
	if orphans > 0 {
		t.Fatalf("%d tickets without any message: half-written receives", orphans)
	}
}
