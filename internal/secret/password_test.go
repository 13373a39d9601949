package secret

import (
	"errors"
	"strings"
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
	for _, pw := range []string{"", "short", "12345678901", strings.Repeat("x", MaxPasswordLength+1)} {
		var weak *WeakPasswordError
		if _, err := HashPassword(pw); !errors.As(err, &weak) {
			t.Errorf("HashPassword(%d bytes) = %v, want a WeakPasswordError", len(pw), err)
		}
	}
}

func TestHashPassword_PasswordsLongerThanBcryptReadsDifferInTheirTail(t *testing.T) {
	t.Cleanup(func() { passwordCost.Store(0) })
	SetPasswordCost(bcrypt.MinCost)
	long := strings.Repeat("correct horse battery staple ", 8) // 232 bytes
	h, err := HashPassword(long + "one")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, long+"one") {
		t.Error("a long password does not match its own hash")
	}
	if CheckPassword(h, long+"two") {
		t.Error("a long password matches one that differs after byte 72")
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		name     string
		password string
		personal []string
		ok       bool
	}{
		{"a few unrelated words pass", "correct horse battery", nil, true},
		{"eleven characters are too few", "abcdefghijk", nil, false},
		{"twelve characters are enough", "tv8-Lamp-Ox7", nil, true},
		{"longer than the maximum is refused", strings.Repeat("ab", MaxPasswordLength), nil, false},
		{"a common long password is refused", "qwerty123456", nil, false},
		{"a common password in capitals is refused", "QWERTY123456", nil, false},
		{"a common word with digits added is refused", "password12345", nil, false},
		{"a common word with symbols added is refused", "sunshine!!!!!!", nil, false},
		{"one repeated character is refused", "aaaaaaaaaaaaaa", nil, false},
		{"the e-mail address is refused", "jan.jansen@example.nl", []string{"jan.jansen@example.nl", "Jan Jansen"}, false},
		{"the name with digits is refused", "janjansen2024", []string{"jan.jansen@example.nl", "Jan Jansen"}, false},
		{"the product's name is refused", "loket123456789", nil, false},
		{"a phrase merely containing the name passes", "jan rides a green bicycle", []string{"jan@example.nl", "Jan"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tt.password, tt.personal...)
			var weak *WeakPasswordError
			if tt.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.ok && !errors.As(err, &weak) {
				t.Errorf("accepted (err %v), want a WeakPasswordError", err)
			}
		})
	}
}
