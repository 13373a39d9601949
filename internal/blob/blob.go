// Package blob stores attachment and raw-message bytes once, addressed by
// their SHA-256. The local directory store (Dir) is the default; an
// S3-compatible bucket (S3) takes its place for several nodes. Neither
// knows what a blob is for; which blobs are still referred to is the
// database's business.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// Store keeps content-addressed blobs.
type Store interface {
	// Put stores data durably and returns its hex SHA-256. Storing the
	// same bytes twice keeps one copy.
	Put(ctx context.Context, data []byte) (string, error)
	// Open returns the blob with that hash.
	Open(ctx context.Context, sha string) (io.ReadSeekCloser, error)
	// Delete removes the blob with that hash; a blob that is not there
	// is no error.
	Delete(ctx context.Context, sha string) error
}

// Dir stores blobs as files under a directory, fanned out by hash prefix.
type Dir struct{ root string }

// NewDir returns a Dir rooted at root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	return &Dir{root: root}, nil
}

// ErrNotFound reports a blob that does not exist.
var ErrNotFound = errors.New("blob not found")

// checkSHA refuses anything but 64 hex digits, so that a hash from a
// request never names a path or key outside the store.
func checkSHA(sha string) error {
	if len(sha) != 64 {
		return ErrNotFound
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return ErrNotFound
	}
	return nil
}

func (d *Dir) path(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(Key(sha))), nil
}

// Key is where a blob lives below a store's root, by its SHA-256 in hex:
// two levels of directories by its first bytes, so none grows too large.
// The directory store, the S3 store and backups lay blobs out alike.
func Key(sha string) string { return path.Join(sha[:2], sha[2:4], sha) }

// Put writes data to a temporary file, syncs it and renames it into place,
// so a crash never leaves a partial blob under its hash.
func (d *Dir) Put(_ context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	path, _ := d.path(sha)
	if _, err := os.Stat(path); err == nil {
		return sha, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	if dh, err := os.Open(dir); err == nil {
		dh.Sync()
		dh.Close()
	}
	return sha, nil
}

// Delete removes a stored blob.
func (d *Dir) Delete(_ context.Context, sha string) error {
	path, err := d.path(sha)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", sha, err)
	}
	return nil
}

// Open opens a stored blob.
func (d *Dir) Open(_ context.Context, sha string) (io.ReadSeekCloser, error) {
	path, err := d.path(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", sha, err)
	}
	return f, nil
}
