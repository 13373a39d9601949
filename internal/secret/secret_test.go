package secret

import (
	"strings"
	"testing"
)

func TestBox_SealThenOpenReturnsPlainAndRejectsTampering(t *testing.T) {
	key, err := LoadKey("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	box, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("hunter2"))
	if strings.Contains(sealed, "hunter2") {
		t.Fatal("sealed value contains the plain text")
	}
	got, err := box.Open(sealed)
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := box.Open(tampered); err == nil {
		t.Fatal("tampered value opened")
	}
}

func TestLoadKey_ReusesTheKeyFileOnTheNextStart(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatal("second start made a new key: secrets sealed before would be lost")
	}
	if _, err := LoadKey("too-short", dir); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestToken_IsLongRandomAndHashesStably(t *testing.T) {
	a, b := Token("lkt"), Token("lkt")
	if a == b || !strings.HasPrefix(a, "lkt_") || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if h := Hash(a); len(h) != 64 || h != Hash(strings.Clone(a)) || h == Hash(b) {
		t.Fatal("hash not stable or collides")
	}
}
