package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store/storetest"
)

// startPgBouncer runs PgBouncer in transaction mode in front of the
// PostgreSQL server of dbURL and returns dbURL pointed at it.
func startPgBouncer(t *testing.T, dbURL string) string {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		t.Skip("pgbouncer is not installed (apt-get install pgbouncer)")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	// PgBouncer refuses to run as root; -u hands it to another user, who
	// must read its files.
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	pgHost, pgPort, _ := net.SplitHostPort(u.Host)
	users := filepath.Join(dir, "users.txt")
	os.WriteFile(users, []byte(fmt.Sprintf("%q \"\"\n", u.User.Username())), 0o644)
	ini := filepath.Join(dir, "pgbouncer.ini")
	os.WriteFile(ini, []byte(fmt.Sprintf(`[databases]
* = host=%s port=%s
[pgbouncer]
listen_addr = %s
listen_port = %s
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 10
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
`, pgHost, pgPort, host, port, users)), 0o644)
	args := []string{ini}
	if os.Geteuid() == 0 {
		args = []string{"-u", "postgres", ini}
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually.True(t, "pgbouncer listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	u.Host = addr
	q := u.Query()
	// PgBouncer before 1.21 keeps no prepared statements across
	// transactions: the driver then sends each query whole.
	q.Set("default_query_exec_mode", "simple_protocol")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestPgBouncer_TwoNodesWorkThroughTransactionPoolingWithADirectURL runs
// two nodes whose queries go through PgBouncer in transaction mode and
// whose LISTEN, locks and migrations go straight to PostgreSQL: both come
// up healthy (each hears the other), and concurrent messages to both are
// all stored.
func TestPgBouncer_TwoNodesWorkThroughTransactionPoolingWithADirectURL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	direct := storetest.NewPostgresDatabase(t)
	pooled := startPgBouncer(t, direct)
	shared := []string{"LOKET_DATABASE_URL=" + pooled, "LOKET_DATABASE_DIRECT_URL=" + direct, "LOKET_DB_POOL=8",
		"LOKET_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "LOKET_ADMIN_PASSWORD=pgbouncer-password"}
	a := startServer(t, append(shared, "LOKET_DATA="+t.TempDir()), true)
	b := startServer(t, append(shared, "LOKET_DATA="+t.TempDir()), false)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var wg sync.WaitGroup
	codes := make(chan int, 200)
	for w := range 8 {
		wg.Go(func() {
			node := []*server{a, b}[w%2]
			for i := range 25 {
				code, err := node.post(client, a.channel, a.token, fmt.Sprintf("pgb-%d-%d", w, i))
				if err != nil {
					t.Error(err)
				}
				codes <- code
			}
		})
	}
	wg.Wait()
	close(codes)
	n := 0
	for code := range codes {
		if code != http.StatusCreated {
			t.Fatalf("a message through PgBouncer was answered %d", code)
		}
		n++
	}
	// Each one again is a duplicate: all were stored.
	for w := range 8 {
		if code, err := b.post(client, a.channel, a.token, fmt.Sprintf("pgb-%d-%d", w, 24)); err != nil || code != http.StatusOK {
			t.Fatalf("message pgb-%d-24 posted again: %d %v, want 200 (stored)", w, code, err)
		}
	}
	t.Logf("%d messages stored through PgBouncer by two nodes", n)
}
