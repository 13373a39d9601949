package secret

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword_UsesTheDefaultCostUntilItIsLowered(t *testing.T) {
	t.Cleanup(func() { passwordCost.Store(0) })
	costOf := func() int {
		t.Helper()
		h, err := HashPassword("a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		c, err := bcrypt.Cost([]byte(h))
		if err != nil {
			t.Fatal(err)
		}
		if !CheckPassword(h, "a long enough password") {
			t.Error("the hash does not match its password")
		}
		return c
	}
	if got := costOf(); got != DefaultPasswordCost {
		t.Errorf("cost = %d, want the default %d", got, DefaultPasswordCost)
	}
	prev, err := SetPasswordCost(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if prev != DefaultPasswordCost {
		t.Errorf("SetPasswordCost returned %d, want the replaced default %d", prev, DefaultPasswordCost)
	}
	if got := costOf(); got != bcrypt.MinCost {
		t.Errorf("cost after lowering = %d, want %d", got, bcrypt.MinCost)
	}
}

func TestSetPasswordCost_RejectsCostsBcryptCannotUse(t *testing.T) {
	for _, c := range []int{0, bcrypt.MinCost - 1, bcrypt.MaxCost + 1} {
		if _, err := SetPasswordCost(c); err == nil {
			t.Errorf("SetPasswordCost(%d) succeeded, want an error", c)
		}
	}
	if got := costOr(passwordCost.Load()); got != DefaultPasswordCost {
		t.Errorf("a rejected cost changed the cost to %d", got)
	}
}

func TestHashPassword_RejectsTooShortAndTooLongPasswords(t *testing.T) {
	for _, pw := range []string{"", "short", "123456789", string(make([]byte, 73))} {
		if _, err := HashPassword(pw); err != ErrWeakPassword {
			t.Errorf("HashPassword(%d bytes) = %v, want ErrWeakPassword", len(pw), err)
		}
	}
}
