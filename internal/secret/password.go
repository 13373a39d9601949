package secret

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// DefaultPasswordCost is bcrypt's work factor for new password hashes:
// about 100 ms a hash.
const DefaultPasswordCost = 11

// passwordCost is the work factor HashPassword uses; 0 means the default.
var passwordCost atomic.Int64

// SetPasswordCost sets the work factor of hashes made from now on and
// returns the one it replaces. Tests that sign in hundreds of accounts
// lower it to bcrypt.MinCost; a server keeps the default. Hashes already
// stored keep the cost they were made with, so checking them is unaffected.
func SetPasswordCost(cost int) (previous int, err error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return 0, fmt.Errorf("password cost %d: must be %d to %d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return costOr(passwordCost.Swap(int64(cost))), nil
}

func costOr(c int64) int {
	if c == 0 {
		return DefaultPasswordCost
	}
	return int(c)
}

// HashPassword returns a bcrypt hash of password, refusing one whose
// length the policy does not allow (a *WeakPasswordError); the rest of the
// policy is CheckPasswordPolicy's, which knows whose password it is.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return "", &WeakPasswordError{fmt.Sprintf("a password must be %d to %d characters long", MinPasswordLength, MaxPasswordLength)}
	}
	h, err := bcrypt.GenerateFromPassword(bcryptInput(password), costOr(passwordCost.Load()))
	return string(h), err
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return hash != "" && len(password) <= 4*MaxPasswordLength &&
		bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)) == nil
}

// bcryptInput is what bcrypt hashes for password. Bcrypt reads at most 72
// bytes, so a longer password is first condensed with SHA-256 and
// base64 (44 bytes, no NUL); shorter ones, as all passwords stored before
// long ones were allowed, are hashed as they are.
func bcryptInput(password string) []byte {
	if len(password) <= 72 {
		return []byte(password)
	}
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// dummyHash is compared against when an account does not exist, so that
// timing does not reveal which e-mail addresses have accounts.
// It is made on first use, not at start-up.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), DefaultPasswordCost)
	return h
})

// CheckNoPassword spends the time CheckPassword would and returns false.
func CheckNoPassword(password string) bool {
	bcrypt.CompareHashAndPassword(dummyHash(), bcryptInput(password))
	return false
}
