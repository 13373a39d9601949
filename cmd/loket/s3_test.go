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
	backend := s3mem.New()
	if err := backend.CreateBucket("loket-files"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	defer fake.Close()
	const password = "s3-test-password"
	data := t.TempDir()
	env := []string{"LOKET_DATA=" + data, "LOKET_S3_BUCKET=loket-files", "LOKET_S3_ENDPOINT=" + fake.URL,
		"LOKET_S3_REGION=us-east-1", "LOKET_S3_ACCESS_KEY=key", "LOKET_S3_SECRET_KEY=secret",
		"LOKET_S3_PATH_STYLE=1", "LOKET_S3_PREFIX=attachments/"}
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

	jar, _ := cookiejar.New(nil)
	agent := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := agent.Post(s.url+"/api/v1/session", "application/json", strings.NewReader(`{"email":"admin@localhost","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = agent.Get(s.url + "/api/v1/messages?ticket_id=" + itoa(p.ticket))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := attachmentID.FindSubmatch(body)
	if id == nil {
		t.Fatalf("no attachment in %s", body)
	}
	resp, err = agent.Get(s.url + "/api/v1/attachments/" + string(id[1]))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, file) {
		t.Fatalf("download: %d, %d bytes; want 200 and the %d bytes posted", resp.StatusCode, len(got), len(file))
	}

	out, err := run(t, env, "", "backup", filepath.Join(t.TempDir(), "db-only.tar.gz"))
	if err != nil || !strings.Contains(out, "0 attachment files") || !strings.Contains(out, "S3 bucket loket-files") {
		t.Fatalf("backup with S3: %v\n%s\nwant the database only and a note on the bucket", err, out)
	}
}

var attachmentID = regexp.MustCompile(`"attachments":\[\{"id":(\d+)`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
