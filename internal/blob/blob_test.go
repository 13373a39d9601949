package blob

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestDir_PutStoresOnceAndOpenReturnsTheBytes(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := d.Put(ctx, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Put(ctx, []byte("hello"))
	if err != nil || a != b {
		t.Fatalf("second put = %q, %v; want %q", b, err, a)
	}
	f, err := d.Open(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
	for _, bad := range []string{"", "../../etc/passwd", a[:63] + "z"} {
		if _, err := d.Open(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}
