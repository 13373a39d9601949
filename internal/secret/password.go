package secret

import (
	"errors"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// ErrWeakPassword reports a password that is too short or too long.
var ErrWeakPassword = errors.New("password must be 10 to 72 bytes long")

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength || len(password) > 72 {
		return "", ErrWeakPassword
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost())
	return string(h), err
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHash is compared against when an account does not exist, so that
// timing does not reveal which e-mail addresses have accounts.
// It is made on first use, not at start-up.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), 11)
	return h
})

// CheckNoPassword spends the time CheckPassword would and returns false.
func CheckNoPassword(password string) bool {
	bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
	return false
}

// cost is bcrypt's work factor: 11 (about 100 ms a hash), or the minimum
// under go test, where hundreds of logins would otherwise take minutes.
func cost() int {
	if testing.Testing() {
		return bcrypt.MinCost
	}
	return 11
}
