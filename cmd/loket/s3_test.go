package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3_AttachmentsAreStoredInTheBucketAndServedFromIt runs the server
// with LOKET_S3_* naming a bucket on a local S3-compatible server: an
// attachment posted through the API lands in the bucket, not in the data
// directory, and is served back byte for byte; a backup then holds the
// database only.
func TestS3_AttachmentsAreStoredInTheBucketAndServedFromIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	backend, s3env := fakeS3(t)
	const password = "s3-test-password"
	data := t.TempDir()
	env := append([]string{"LOKET_DATA=" + data}, s3env...)
	s := startServer(t, append(env, "LOKET_ADMIN_PASSWORD="+password), true)
	file := randomFile(70_000)
	p, err := s.postWithFile(http.DefaultClient, "s3-1", file)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := backend.ListBucket("loket-files", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range objects.Contents {
		found = found || (strings.HasPrefix(o.Key, "attachments/") && o.Size == int64(len(file)))
	}
	if !found {
		t.Fatalf("no object of %d bytes under attachments/ in the bucket", len(file))
	}
	if _, err := os.Stat(filepath.Join(data, "blobs")); err == nil {
		t.Fatal("a blobs directory was made in the data directory")
	}

	if got := downloadAttachment(t, s, password, p.ticket); !bytes.Equal(got, file) {
		t.Fatalf("download: %d bytes; want the %d bytes posted", len(got), len(file))
	}

	out, err := run(t, env, "", "backup", filepath.Join(t.TempDir(), "db-only.tar.gz"))
	if err != nil || !strings.Contains(out, "0 attachment files") || !strings.Contains(out, "S3 bucket loket-files") {
		t.Fatalf("backup with S3: %v\n%s\nwant the database only and a note on the bucket", err, out)
	}
}

// TestRestore_MovesAttachmentsFromDiskIntoABucket restores a backup made
// with attachments on disk into a desk configured for S3: the files are
// uploaded to the bucket and served from there.
func TestRestore_MovesAttachmentsFromDiskIntoABucket(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const password = "move-to-s3-password"
	data := t.TempDir()
	first := startServer(t, []string{"LOKET_DATA=" + data, "LOKET_ADMIN_PASSWORD=" + password}, true)
	file := randomFile(20_000)
	p, err := first.postWithFile(http.DefaultClient, "to-s3", file)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "disk.tar.gz")
	if out, err := run(t, []string{"LOKET_DATA=" + data}, "", "backup", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	first.cmd.Wait()

	backend, s3env := fakeS3(t)
	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := run(t, s3env, "", "restore", "--from", archive, "--data", restored); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(restored, "blobs")); err == nil {
		t.Fatal("the restore wrote attachments to disk, not to the bucket")
	}
	objects, err := backend.ListBucket("loket-files", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil || len(objects.Contents) == 0 {
		t.Fatalf("the bucket is empty after the restore: %v", err)
	}
	second := startServer(t, append([]string{"LOKET_DATA=" + restored}, s3env...), false)
	if got := downloadAttachment(t, second, password, p.ticket); !bytes.Equal(got, file) {
		t.Fatalf("download after the move: %d bytes; want the %d bytes posted", len(got), len(file))
	}
}

// fakeS3 starts an S3-compatible server with the bucket loket-files and
// returns the settings that point Loket at it.
func fakeS3(t *testing.T) (*s3mem.Backend, []string) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("loket-files"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(fake.Close)
	return backend, []string{"LOKET_S3_BUCKET=loket-files", "LOKET_S3_ENDPOINT=" + fake.URL,
		"LOKET_S3_REGION=us-east-1", "LOKET_S3_ACCESS_KEY=key", "LOKET_S3_SECRET_KEY=secret",
		"LOKET_S3_PATH_STYLE=1", "LOKET_S3_PREFIX=attachments/"}
}

// downloadAttachment signs in as the admin and downloads the attachment
// of the ticket's first message that has one.
func downloadAttachment(t *testing.T, s *server, password string, ticket int64) []byte {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	agent := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := agent.Post(s.url+"/api/v1/session", "application/json", strings.NewReader(`{"email":"admin@localhost","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	resp, err = agent.Get(s.url + "/api/v1/messages?ticket_id=" + itoa(ticket))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := attachmentID.FindSubmatch(body)
	if id == nil {
		t.Fatalf("no attachment on ticket %d: %d %s", ticket, resp.StatusCode, body)
	}
	resp, err = agent.Get(s.url + "/api/v1/attachments/" + string(id[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("download attachment %s: %d %s", id[1], resp.StatusCode, got)
	}
	return got
}

var attachmentID = regexp.MustCompile(`"attachments":\[\{"id":(\d+)`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
