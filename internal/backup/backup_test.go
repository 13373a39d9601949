package backup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loket.dev/loket/internal/blob"
)

// archive writes a small archive: a database file, a key and two blobs.
func archive(t *testing.T) ([]byte, []string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "copy.db")
	key := filepath.Join(dir, "secret.key")
	os.WriteFile(db, []byte("not really sqlite"), 0o600)
	os.WriteFile(key, []byte("0123456789abcdef0123456789abcdef"), 0o600)
	blobs, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := blobs.Put(ctx, []byte("first file"))
	b, _ := blobs.Put(ctx, []byte("second file"))
	var buf bytes.Buffer
	m, err := Write(ctx, &buf, Source{Database: "sqlite", DBFile: db, SecretKey: key, Blobs: blobs, BlobSHAs: []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs != 2 || len(m.Files) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	return buf.Bytes(), []string{a, b}
}

func TestRestore_UnpacksWhatWriteWrote(t *testing.T) {
	b, shas := archive(t)
	dst := t.TempDir()
	blobs, _ := blob.NewDir(filepath.Join(dst, "blobs"))
	m, err := Restore(context.Background(), bytes.NewReader(b), dst, blobs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Database != "sqlite" || m.Blobs != 2 {
		t.Fatalf("manifest %+v", m)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, SQLiteName)); string(got) != "not really sqlite" {
		t.Fatalf("database file holds %q", got)
	}
	for _, sha := range shas {
		f, err := blobs.Open(context.Background(), sha)
		if err != nil {
			t.Fatalf("blob %s not restored: %v", sha, err)
		}
		f.Close()
	}
}

func TestWrite_RefusesABlobThatIsMissingOrDamaged(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "copy.db")
	os.WriteFile(db, []byte("db"), 0o600)
	blobs, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	ctx := context.Background()
	missing := strings.Repeat("ab", 32)
	if _, err := Write(ctx, &bytes.Buffer{}, Source{Database: "sqlite", DBFile: db, Blobs: blobs, BlobSHAs: []string{missing}}); err == nil ||
		!strings.Contains(err.Error(), "not stored") {
		t.Fatalf("missing blob: %v", err)
	}
	sha, _ := blobs.Put(ctx, []byte("intact"))
	os.WriteFile(filepath.Join(dir, "blobs", sha[:2], sha[2:4], sha), []byte("rotten"), 0o600)
	if _, err := Write(ctx, &bytes.Buffer{}, Source{Database: "sqlite", DBFile: db, Blobs: blobs, BlobSHAs: []string{sha}}); err == nil ||
		!strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged blob: %v", err)
	}
}

func TestRestore_RefusesATruncatedArchive(t *testing.T) {
	b, _ := archive(t)
	for _, n := range []int{len(b) / 3, len(b) - 40} {
		dst := t.TempDir()
		blobs, _ := blob.NewDir(filepath.Join(dst, "blobs"))
		if _, err := Restore(context.Background(), bytes.NewReader(b[:n]), dst, blobs); err == nil {
			t.Errorf("archive cut at %d of %d bytes was accepted", n, len(b))
		}
	}
}
