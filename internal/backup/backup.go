// Package backup writes and reads Loket's backup archives: one .tar.gz
// holding a consistent copy of the database, the secret key file when
// there is one, the attachments the copy refers to, and a manifest that
// lists them with their SHA-256. It takes the copy from the store and the
// files from the blob store; it does not know how either keeps them.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"loket.dev/loket/internal/blob"
)

// Format is the version of the archive layout this package writes.
const Format = 1

// Names of the files in an archive, besides blobs/.
const (
	ManifestName  = "manifest.json"
	SQLiteName    = "loket.db"      // SQLite: the VACUUM INTO copy
	PostgresName  = "database.dump" // PostgreSQL: pg_dump's custom format
	SecretKeyName = "secret.key"
)

// Manifest describes an archive; it is its last entry, so an archive cut
// short has none and is refused.
type Manifest struct {
	Format    int              `json:"format"`
	CreatedAt time.Time        `json:"created_at"`
	Database  string           `json:"database"` // sqlite or postgres
	Files     []File           `json:"files"`    // the database copy and the secret key
	Blobs     int              `json:"blobs"`    // attachments under blobs/, each named by its SHA-256
	BlobsNote string           `json:"blobs_note,omitempty"`
	Counts    map[string]int64 `json:"counts,omitempty"` // rows in the copy: tickets, messages, attachments
}

// File is one file in an archive.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Source is what Write puts in an archive.
type Source struct {
	Database  string           // sqlite or postgres
	DBFile    string           // the database copy on disk
	SecretKey string           // the secret key file; empty when the key comes from the environment
	Blobs     blob.Store       // where the attachments are read; nil leaves them out
	BlobSHAs  []string         // the attachments the copy refers to
	BlobsNote string           // why attachments are left out, for the manifest
	Counts    map[string]int64 // rows in the copy
}

// Write writes the archive of src to w.
func Write(ctx context.Context, w io.Writer, src Source) (*Manifest, error) {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	m := &Manifest{Format: Format, CreatedAt: time.Now().UTC().Truncate(time.Second), Database: src.Database,
		BlobsNote: src.BlobsNote, Counts: src.Counts}
	dbName := SQLiteName
	if src.Database == "postgres" {
		dbName = PostgresName
	}
	f, err := addFile(tw, dbName, src.DBFile)
	if err != nil {
		return nil, err
	}
	m.Files = append(m.Files, f)
	if src.SecretKey != "" {
		f, err := addFile(tw, SecretKeyName, src.SecretKey)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
	}
	if src.Blobs != nil {
		for _, sha := range src.BlobSHAs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := addBlob(ctx, tw, src.Blobs, sha); err != nil {
				return nil, err
			}
			m.Blobs++
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(b)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	return m, nil
}

func addFile(tw *tar.Writer, name, src string) (File, error) {
	fh, err := os.Open(src)
	if err != nil {
		return File{}, fmt.Errorf("back up %s: %w", name, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return File{}, fmt.Errorf("back up %s: %w", name, err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return File{}, fmt.Errorf("back up %s: %w", name, err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tw, h), fh); err != nil {
		return File{}, fmt.Errorf("back up %s: %w", name, err)
	}
	return File{Name: name, Size: fi.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// addBlob copies one attachment into the archive, checking on the way
// that its bytes still have the hash it is stored under.
func addBlob(ctx context.Context, tw *tar.Writer, blobs blob.Store, sha string) error {
	r, err := blobs.Open(ctx, sha)
	if errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("back up attachment %s: the database refers to it but it is not stored "+
			"(erased while the backup ran? run the backup again): %w", sha, err)
	}
	if err != nil {
		return fmt.Errorf("back up attachment %s: %w", sha, err)
	}
	defer r.Close()
	size, err := r.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = r.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("back up attachment %s: %w", sha, err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: blobName(sha), Mode: 0o600, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("back up attachment %s: %w", sha, err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tw, h), r); err != nil {
		return fmt.Errorf("back up attachment %s: %w", sha, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("back up attachment %s: its bytes hash to %s: the stored file is damaged", sha, got)
	}
	return nil
}

func blobName(sha string) string { return "blobs/" + blob.Key(sha) }

var blobEntry = regexp.MustCompile(`^blobs/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})$`)

// Restore unpacks the archive r into dataDir, attachments into blobs,
// checking every file against the manifest. It returns the manifest; the
// caller restores a PostgreSQL dump it finds in dataDir.
func Restore(ctx context.Context, r io.Reader, dataDir string, blobs blob.Store) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read backup: not a .tar.gz: %w", err)
	}
	tr := tar.NewReader(zr)
	got := map[string]File{}
	var m *Manifest
	var nblobs int
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read backup: %w", err)
		}
		if m != nil {
			return nil, fmt.Errorf("read backup: %s after the manifest", hdr.Name)
		}
		switch name := hdr.Name; {
		case name == ManifestName:
			m = &Manifest{}
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(m); err != nil {
				return nil, fmt.Errorf("read backup manifest: %w", err)
			}
			if m.Format != Format {
				return nil, fmt.Errorf("backup format %d: this Loket reads format %d", m.Format, Format)
			}
		case name == SQLiteName || name == PostgresName || name == SecretKeyName:
			if hdr.Typeflag != tar.TypeReg {
				return nil, fmt.Errorf("read backup: %s is not a file", name)
			}
			f, err := extract(tr, filepath.Join(dataDir, name), name)
			if err != nil {
				return nil, err
			}
			got[name] = f
		case blobEntry.MatchString(name):
			sha := blobEntry.FindStringSubmatch(name)[3]
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("read backup %s: %w", name, err)
			}
			stored, err := blobs.Put(ctx, data)
			if err != nil {
				return nil, fmt.Errorf("restore attachment %s: %w", sha, err)
			}
			if stored != sha {
				return nil, fmt.Errorf("restore attachment %s: its bytes hash to %s: the backup is damaged", sha, stored)
			}
			nblobs++
		default:
			return nil, fmt.Errorf("read backup: unexpected entry %q; is this a Loket backup?", name)
		}
	}
	if m == nil {
		return nil, errors.New("read backup: no manifest at its end: the archive is incomplete or not a Loket backup")
	}
	for _, want := range m.Files {
		if f, ok := got[want.Name]; !ok || f != want {
			return nil, fmt.Errorf("read backup: %s does not match the manifest (size %d, sha256 %s): the backup is damaged",
				want.Name, want.Size, want.SHA256)
		}
		delete(got, want.Name)
	}
	for name := range got {
		return nil, fmt.Errorf("read backup: %s is not in the manifest", name)
	}
	if nblobs != m.Blobs {
		return nil, fmt.Errorf("read backup: %d attachments, the manifest lists %d", nblobs, m.Blobs)
	}
	return m, nil
}

// extract writes one archive entry to dst, synced, and returns its size and hash.
func extract(r io.Reader, dst, name string) (File, error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, fmt.Errorf("restore %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("restore %s: %w", name, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
