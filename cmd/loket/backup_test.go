package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store/storetest"
)

// posted is a message the server acknowledged, with what it was sent.
type posted struct {
	ticket, message int64
	text            string
	file            []byte
}

// postWithFile posts a customer message carrying one attachment to s.
func (s *server) postWithFile(c *http.Client, externalID string, file []byte) (posted, error) {
	text := "message " + externalID
	body, _ := json.Marshal(map[string]any{
		"external_id": externalID,
		"from":        map[string]string{"email": fmt.Sprintf("c%d@example.nl", crc32.ChecksumIEEE([]byte(externalID))%20)},
		"text":        text,
		"attachments": []map[string]string{{"filename": externalID + ".bin", "content_type": "application/octet-stream",
			"data": base64.StdEncoding.EncodeToString(file)}},
	})
	req, _ := http.NewRequest("POST", s.url+"/api/v1/channels/"+s.channel+"/inbound", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return posted{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return posted{}, fmt.Errorf("post %s: %d %s", externalID, resp.StatusCode, b)
	}
	var out struct {
		Ticket  struct{ ID int64 }
		Message struct{ ID int64 }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return posted{}, err
	}
	return posted{ticket: out.Ticket.ID, message: out.Message.ID, text: text, file: file}, nil
}

// randomFile is n bytes no other file has, so that each attachment is a
// blob of its own.
func randomFile(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestBackup_RestoreHasEveryMessageAndAttachmentAcknowledgedBeforeTheBackup
// backs up a running SQLite desk while customers keep writing, restores
// the archive into a new data directory and serves it: every message
// acknowledged before the backup began is there, with its attachment
// byte for byte.
func TestBackup_RestoreHasEveryMessageAndAttachmentAcknowledgedBeforeTheBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const password = "backup-test-password"
	data := t.TempDir()
	first := startServer(t, []string{"LOKET_DATA=" + data, "LOKET_ADMIN_PASSWORD=" + password}, true)
	client := &http.Client{Timeout: 30 * time.Second}

	// Writers post without pause; what was acknowledged before the backup
	// started must be in it, what came during or after may be.
	var (
		mu          sync.Mutex
		before      []posted
		started     atomic.Bool
		afterwards  atomic.Int64
		stop        atomic.Bool
		wg          sync.WaitGroup
		failures    atomic.Int64
		firstFailed atomic.Value
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				begun := started.Load()
				p, err := first.postWithFile(client, fmt.Sprintf("w%d-%d", w, i), randomFile(1000+i%5000))
				if err != nil {
					if failures.Add(1) == 1 {
						firstFailed.Store(err.Error())
					}
					continue
				}
				if begun {
					afterwards.Add(1)
					continue
				}
				mu.Lock()
				before = append(before, p)
				mu.Unlock()
			}
		})
	}
	eventually.True(t, "100 messages acknowledged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(before) >= 100
	})
	started.Store(true)
	archive := filepath.Join(t.TempDir(), "loket.tar.gz")
	out, err := run(t, []string{"LOKET_DATA=" + data}, "", "backup", archive)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	eventually.True(t, "messages acknowledged after the backup began", func() bool { return afterwards.Load() >= 10 })
	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d posts failed, the first: %v", n, firstFailed.Load())
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.cmd.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	t.Logf("%d messages acknowledged before the backup, %d during and after it; %s", len(before), afterwards.Load(), strings.TrimSpace(out))

	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := run(t, nil, "", "restore", "--from", archive, "--data", restored); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if out, err := run(t, nil, "", "restore", "--from", archive, "--data", restored); err == nil || !strings.Contains(out, "not empty") {
		t.Fatalf("a second restore into the same directory: %v\n%s; want it refused", err, out)
	}
	second := startServer(t, []string{"LOKET_DATA=" + restored}, false)
	jar, _ := cookiejar.New(nil)
	agent := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := agent.Post(second.url+"/api/v1/session", "application/json",
		strings.NewReader(`{"email":"admin@localhost","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign in on the restored desk: %d", resp.StatusCode)
	}
	get := func(path string, v any) []byte {
		t.Helper()
		resp, err := agent.Get(second.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if v != nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return b
	}
	type message struct {
		ID          int64
		Text        string
		Attachments []struct{ ID int64 }
	}
	tickets := map[int64]map[int64]message{}
	for _, p := range before {
		if tickets[p.ticket] == nil {
			var page struct{ Messages []message }
			get(fmt.Sprintf("/api/v1/messages?ticket_id=%d", p.ticket), &page)
			tickets[p.ticket] = map[int64]message{}
			for _, m := range page.Messages {
				tickets[p.ticket][m.ID] = m
			}
		}
		m, ok := tickets[p.ticket][p.message]
		if !ok {
			t.Errorf("message %d of ticket %d, acknowledged before the backup, is not in the restored desk", p.message, p.ticket)
			continue
		}
		if m.Text != p.text || len(m.Attachments) != 1 {
			t.Errorf("message %d: text %q with %d attachments, want %q with 1", p.message, m.Text, len(m.Attachments), p.text)
			continue
		}
		if got := get(fmt.Sprintf("/api/v1/attachments/%d", m.Attachments[0].ID), nil); !bytes.Equal(got, p.file) {
			t.Errorf("message %d: attachment of %d bytes differs from the %d bytes posted", p.message, len(got), len(p.file))
		}
	}
	t.Logf("%d messages in %d tickets checked on the restored desk", len(before), len(tickets))
}

// TestBackup_PostgresArchiveRestoresIntoAnEmptyDatabase backs up a desk on
// PostgreSQL (pg_dump) with its attachments on disk, restores it into a
// new database and data directory, and serves a message's attachment
// from there; a database that has tables is refused.
func TestBackup_PostgresArchiveRestoresIntoAnEmptyDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump is not installed")
	}
	const password = "pg-backup-password"
	dbURL, data := storetest.NewPostgresDatabase(t), t.TempDir()
	env := []string{"LOKET_DATA=" + data, "LOKET_DATABASE_URL=" + dbURL}
	first := startServer(t, append(env, "LOKET_ADMIN_PASSWORD="+password), true)
	file := randomFile(5000)
	p, err := first.postWithFile(http.DefaultClient, "pg-1", file)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "pg.tar.gz")
	if out, err := run(t, env, "", "backup", archive); err != nil || !strings.Contains(out, "postgres database") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	first.cmd.Wait()

	if out, err := run(t, nil, "", "restore", "--from", archive, "--data", t.TempDir(), "--database-url", dbURL); err == nil ||
		!strings.Contains(out, "already has") {
		t.Fatalf("restore into the database in use: %v\n%s; want it refused", err, out)
	}
	newURL, newData := storetest.NewPostgresDatabase(t), filepath.Join(t.TempDir(), "restored")
	if out, err := run(t, nil, "", "restore", "--from", archive, "--data", newData, "--database-url", newURL); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	second := startServer(t, []string{"LOKET_DATA=" + newData, "LOKET_DATABASE_URL=" + newURL}, false)
	if got := downloadAttachment(t, second, password, p.ticket); !bytes.Equal(got, file) {
		t.Fatalf("restored attachment: %d bytes, want the %d posted", len(got), len(file))
	}
}
