package httpapi_test

import (
	"os"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"loket.dev/loket/internal/secret"
)

// TestMain lowers the password work factor: the tests create and sign in
// hundreds of accounts, which would take minutes at the server's cost.
func TestMain(m *testing.M) {
	if _, err := secret.SetPasswordCost(bcrypt.MinCost); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
