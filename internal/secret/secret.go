// Package secret encrypts channel secrets at rest and makes the random
// tokens Loket hands out. It owns the key file in the data directory and
// nothing else.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Box seals and opens values with AES-256-GCM.
type Box struct{ aead cipher.AEAD }

const prefix = "v1:"

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// LoadKey returns the key from encoded (base64 or hex of 32 bytes, as in
// LOKET_SECRET_KEY) or, when encoded is empty, from dataDir/secret.key,
// creating that file on first use.
func LoadKey(encoded, dataDir string) ([]byte, error) {
	if encoded != "" {
		return decodeKey(encoded)
	}
	path := filepath.Join(dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return decodeKey(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// O_EXCL: when two processes start together, one wins and the other reads its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey("", dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, f.Sync()
}

func decodeKey(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("secret key must be 32 bytes, written as base64 or hex")
}

// Seal encrypts plain; the result is printable.
func (b *Box) Seal(plain []byte) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	return prefix + base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, nil))
}

// Open decrypts what Seal produced.
func (b *Box) Open(sealed string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, errors.New("open secret: unknown format")
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(data) < b.aead.NonceSize() {
		return nil, errors.New("open secret: corrupt value")
	}
	plain, err := b.aead.Open(nil, data[:b.aead.NonceSize()], data[b.aead.NonceSize():], nil)
	if err != nil {
		return nil, errors.New("open secret: wrong key or tampered value")
	}
	return plain, nil
}

// Token returns a new random token with a readable prefix, such as
// "lkt_…"; 32 random bytes make it unguessable.
func Token(kind string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return kind + "_" + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the stored form of a token: SHA-256, which is fast and, for long
// random tokens, as safe as a slow password hash.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
