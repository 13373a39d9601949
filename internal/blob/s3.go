package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names a bucket of an S3-compatible service.
type S3Config struct {
	Endpoint  string // URL such as https://s3.eu-central-1.amazonaws.com or http://minio:9000
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// Prefix is put before every key, such as "loket/".
	Prefix string
	// PathStyle addresses the bucket as ENDPOINT/BUCKET, as MinIO,
	// Garage and most self-hosted services want, rather than
	// BUCKET.ENDPOINT.
	PathStyle bool
	// Transport carries the requests; nil uses the default.
	Transport http.RoundTripper
}

// S3 stores blobs as objects in a bucket, keyed PREFIX/ab/cd/abcd… like
// Dir's paths. An object appears whole or not at all, and the service
// checks each upload against its Content-MD5, so a blob is never stored
// partial or damaged under its hash.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// NewS3 connects to the bucket and checks that it is there and that the
// credentials may read it.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want a URL such as https://s3.amazonaws.com", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("S3: no bucket named")
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", cfg.Endpoint, err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("S3 bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("S3 bucket %s does not exist at %s: create it (with versioning on, which is how it is backed up)", cfg.Bucket, cfg.Endpoint)
	}
	return &S3{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

func (s *S3) key(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return s.prefix + Key(sha), nil
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound
}

// Put uploads data unless an object of that hash and size is there.
func (s *S3) Put(ctx context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	key, _ := s.key(sha)
	info, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err == nil && info.Size == int64(len(data)) {
		return sha, nil
	}
	if err != nil && !isNotFound(err) {
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	_, err = s.c.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:    "application/octet-stream",
		SendContentMd5: true,
		UserMetadata:   map[string]string{"Sha256": sha},
	})
	if err != nil {
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	return sha, nil
}

// Open returns the object; reads and seeks go to the service as needed.
func (s *S3) Open(ctx context.Context, sha string) (io.ReadSeekCloser, error) {
	key, err := s.key(sha)
	if err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat() // GetObject asks nothing until used
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open blob %s: %w", sha, err)
	}
	return obj, nil
}

// Delete removes the object; one that is not there is no error.
func (s *S3) Delete(ctx context.Context, sha string) error {
	key, err := s.key(sha)
	if err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete blob %s: %w", sha, err)
	}
	return nil
}
