package secret

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// ErrWeakPassword reports a password that is too short or too long.
var ErrWeakPassword = errors.New("password must be 10 to 72 bytes long")

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

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength || len(password) > 72 {
		return "", ErrWeakPassword
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), costOr(passwordCost.Load()))
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
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), DefaultPasswordCost)
	return h
})

// CheckNoPassword spends the time CheckPassword would and returns false.
func CheckNoPassword(password string) bool {
	bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
	return false
}
