package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// newFakeS3 starts an in-memory S3-compatible server with bucket made.
func newFakeS3(t *testing.T, bucket string) (*httptest.Server, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	if bucket != "" {
		if err := backend.CreateBucket(bucket); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return srv, backend
}

func newS3(t *testing.T) *S3 {
	t.Helper()
	srv, _ := newFakeS3(t, "attachments")
	s, err := NewS3(context.Background(), S3Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: "attachments",
		AccessKey: "key", SecretKey: "secret", Prefix: "loket/", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stores are the Store implementations every contract test runs on.
func stores(t *testing.T) map[string]Store {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Store{"dir": d, "s3": newS3(t)}
}

func TestStore_PutStoresOnceAndOpenReturnsTheBytes(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, err := s.Put(ctx, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte("hello"))
			if a != hex.EncodeToString(sum[:]) {
				t.Fatalf("Put returned %q, want the hex SHA-256", a)
			}
			b, err := s.Put(ctx, []byte("hello"))
			if err != nil || a != b {
				t.Fatalf("second put = %q, %v; want %q", b, err, a)
			}
			f, err := s.Open(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, _ := io.ReadAll(f)
			if string(got) != "hello" {
				t.Fatalf("got %q", got)
			}
			// Serving a file seeks to learn its size and to serve ranges.
			if n, err := f.Seek(0, io.SeekEnd); err != nil || n != 5 {
				t.Fatalf("Seek to end = %d, %v; want 5", n, err)
			}
			if _, err := f.Seek(1, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if rest, _ := io.ReadAll(f); string(rest) != "ello" {
				t.Fatalf("after Seek(1) read %q", rest)
			}
			for _, bad := range []string{"", "../../etc/passwd", a[:63] + "z", strings.Repeat("0", 64)} {
				if _, err := s.Open(ctx, bad); !errors.Is(err, ErrNotFound) {
					t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
				}
			}
		})
	}
}

func TestStore_DeleteRemovesTheBlobAndToleratesAMissingOne(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			sha, err := s.Put(ctx, []byte("gone soon"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, sha); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Open(ctx, sha); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open after Delete = %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, sha); err != nil {
				t.Fatalf("second Delete = %v, want nil", err)
			}
			if err := s.Delete(ctx, "../x"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Delete of a bad hash = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestS3_KeysAreFannedOutUnderThePrefix(t *testing.T) {
	srv, backend := newFakeS3(t, "bkt")
	s, err := NewS3(context.Background(), S3Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: "bkt",
		AccessKey: "k", SecretKey: "s", Prefix: "loket/", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	sha, err := s.Put(context.Background(), []byte("fan out"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := backend.GetObject("bkt", "loket/"+sha[:2]+"/"+sha[2:4]+"/"+sha, nil)
	if err != nil {
		t.Fatalf("object not under loket/%s/%s/: %v", sha[:2], sha[2:4], err)
	}
	defer obj.Contents.Close()
	if got, _ := io.ReadAll(obj.Contents); string(got) != "fan out" {
		t.Fatalf("object holds %q", got)
	}
}

func TestNewS3_RefusesAMissingBucketAndABadEndpoint(t *testing.T) {
	srv, _ := newFakeS3(t, "")
	ctx := context.Background()
	_, err := NewS3(ctx, S3Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: "nope", AccessKey: "k", SecretKey: "s", PathStyle: true})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing bucket: %v", err)
	}
	for _, ep := range []string{"", "s3.amazonaws.com", "ftp://x"} {
		if _, err := NewS3(ctx, S3Config{Endpoint: ep, Bucket: "b"}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}
