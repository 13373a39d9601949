package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/secret"
)

// benchServer is a Loket server that the ingest benchmark runs as a child
// process: this binary's serve, on 127.0.0.1, with its own data directory.
type benchServer struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
	waitErr error         // the process's exit, once exited is closed
	log     *os.File      // the process's stdout and stderr
	data    string        // the data directory
	tempDir string        // removed by cleanup; empty when data is the user's
	startup time.Duration // from exec to the first 200 on /healthz
	target  ingestTarget
}

// startBenchServer creates an admin API token with "loket token create",
// starts "loket serve" on a free port of 127.0.0.1 with data (a temporary
// directory when empty), waits until /healthz answers 200 and creates an
// API channel to post to. Call cleanup when done.
func startBenchServer(ctx context.Context, client *http.Client, data string) (_ *benchServer, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to start the server: %w", err)
	}
	s := &benchServer{data: data}
	defer func() {
		if err != nil {
			s.cleanup()
		}
	}()
	if s.data == "" {
		if s.data, err = os.MkdirTemp("", "loket-bench-"); err != nil {
			return nil, err
		}
		s.tempDir = s.data
	}
	// The server always gets embedded SQLite in the data directory, even
	// when the environment names a PostgreSQL database.
	env := append(os.Environ(), "LOKET_DATA="+s.data, "LOKET_DATABASE_URL=", "LOKET_BLOB_DIR=", "LOKET_LOG_LEVEL=warn")

	var stderr bytes.Buffer
	tokenCmd := exec.CommandContext(ctx, exe, "token", "create", "--name", "bench", "--role", "admin")
	tokenCmd.Env, tokenCmd.Stderr = env, &stderr
	out, err := tokenCmd.Output()
	if err != nil {
		return nil, fmt.Errorf("create an API token with %s token create: %w: %s", exe, err, bytes.TrimSpace(stderr.Bytes()))
	}
	apiToken := strings.TrimSpace(string(out))

	addr, err := freeLocalAddr()
	if err != nil {
		return nil, err
	}
	if s.log, err = os.CreateTemp("", "loket-bench-server-*.log"); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(exe, "serve")
	s.cmd.Env = append(env, "LOKET_ADDR="+addr, "LOKET_ADMIN_EMAIL=", "LOKET_ADMIN_PASSWORD="+secret.Token("pw"),
		"LOKET_BASE_URL=", "LOKET_NO_DEMO=1", "LOKET_SMTP_ADDR=")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		return nil, fmt.Errorf("start %s serve: %w", exe, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	base := "http://" + addr
	if err := s.awaitHealthy(ctx, client, base); err != nil {
		return nil, err
	}
	s.startup = time.Since(began)
	s.target = ingestTarget{url: base, apiToken: apiToken}
	if s.target.channel, s.target.inboundToken, err = createBenchChannel(ctx, client, base, apiToken); err != nil {
		return nil, err
	}
	return s, nil
}

// freeLocalAddr returns a 127.0.0.1 address with a port that was free.
func freeLocalAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// awaitHealthy polls base/healthz every 2 ms until it answers 200, the
// process exits, ctx ends or 30 seconds pass.
func (s *benchServer) awaitHealthy(ctx context.Context, client *http.Client, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		req, _ := http.NewRequestWithContext(hctx, http.MethodGet, base+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return nil
		}
		select {
		case <-s.exited:
			lines, _ := s.logProblems(5)
			return fmt.Errorf("the server exited before it was healthy: %v; log: %s", s.waitErr, strings.Join(lines, " / "))
		case <-ctx.Done():
			return fmt.Errorf("waiting for the server: %w", ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("the server did not answer 200 on /healthz within 30 s")
		}
	}
}

// benchChannel is what the API answers for a created channel.
type benchChannel struct {
	ID           int64  `json:"id"`
	InboundToken string `json:"inbound_token"`
	WebhookURL   string `json:"webhook_url"`
}

// createBenchChannel creates an API channel through the REST API and
// returns its id and inbound token.
func createBenchChannel(ctx context.Context, client *http.Client, base, apiToken string) (int64, string, error) {
	ch, err := createChannel(ctx, client, base, apiToken, fmt.Sprintf(`{"kind":"api","name":"Bench %s"}`, time.Now().Format(time.DateTime)))
	if err == nil && ch.InboundToken == "" {
		err = errors.New("create the bench channel: the answer has no inbound token")
	}
	return ch.ID, ch.InboundToken, err
}

// createChannel creates a channel through the REST API from its JSON.
func createChannel(ctx context.Context, client *http.Client, base, apiToken, body string) (benchChannel, error) {
	var ch benchChannel
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/channels", strings.NewReader(body))
	if err != nil {
		return ch, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := client.Do(req)
	if err != nil {
		return ch, fmt.Errorf("create the bench channel: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &ch) != nil || ch.ID == 0 {
		return ch, fmt.Errorf("create the bench channel: %s: %.300s", resp.Status, data)
	}
	return ch, nil
}

// stop interrupts the server, as Ctrl-C would, and returns how long its
// graceful shutdown took; after 30 seconds it is killed.
func (s *benchServer) stop() (time.Duration, error) {
	if s.cmd == nil {
		return 0, nil
	}
	select {
	case <-s.exited:
		return 0, fmt.Errorf("the server had already exited: %v", s.waitErr)
	default:
	}
	began := time.Now()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, fmt.Errorf("stop the server: %w", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return time.Since(began), fmt.Errorf("the server stopped with %v", s.waitErr)
		}
		return time.Since(began), nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return time.Since(began), errors.New("the server did not stop within 30 s of an interrupt and was killed")
	}
}

// finish reports the server's memory after the run, stops it and reports
// how long that took and the warnings and errors it logged.
func (s *benchServer) finish() error {
	rss, err1 := procStatusBytes(s.cmd.Process.Pid, "VmRSS")
	hwm, err2 := procStatusBytes(s.cmd.Process.Pid, "VmHWM")
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	took, err := s.stop()
	if err != nil {
		return err
	}
	fmt.Printf("server after the run: RSS %s, peak RSS %s, shut down in %s\n", megabytes(rss), megabytes(hwm), ms(took))
	problems, total := s.logProblems(5)
	fmt.Printf("server log: %d warnings or errors\n", total)
	for _, p := range problems {
		fmt.Printf("  %s\n", p)
	}
	return nil
}

// cleanup kills the server if it still runs and removes its log and, when
// temporary, its data directory.
func (s *benchServer) cleanup() {
	if s.cmd != nil {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.log != nil {
		s.log.Close()
		os.Remove(s.log.Name())
	}
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}

// logProblems returns up to n warning and error lines of the server's log
// and how many there are in all.
func (s *benchServer) logProblems(n int) ([]string, int) {
	if s.log == nil {
		return nil, 0
	}
	f, err := os.Open(s.log.Name())
	if err != nil {
		return []string{err.Error()}, 1
	}
	defer f.Close()
	var lines []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") {
			continue
		}
		total++
		if len(lines) < n {
			lines = append(lines, fmt.Sprintf("%.240s", line))
		}
	}
	return lines, total
}

// procCPU returns the CPU time a process has used, user and system, from
// /proc (Linux only; its clock ticks are 1/100 s on every architecture
// Go supports there).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU use of process %d: %w", pid, err)
	}
	// The fields after the command name, which is in parentheses and may
	// contain spaces: state is the first, utime the 12th, stime the 13th.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// procStatusBytes reads a memory field such as VmRSS (resident set) or
// VmHWM (its peak) of a process from /proc, in bytes (Linux only).
func procStatusBytes(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory use of process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(b)) {
		v, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s of process %d: %w", field, pid, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("process %d has no %s in /proc", pid, field)
}
