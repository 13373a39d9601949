package webhook_test

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/webhook"
)

const (
	vectorSecret = "whsec_test"
	vectorBody   = `{"id":"1","type":"ticket.created"}`
	// HMAC-SHA256("whsec_test", "1700000000." + vectorBody), computed
	// independently (Python's hmac module).
	vectorMAC = "0d97906b1b94d3a7f74eb778a302df280138773dce01b767efd70484377e0c00"
	// The same body under the secret "other".
	otherMAC = "42676a8c8da7197afe7fd55a1109f1cc213a7a6088842f12c12f5a329caf4142"
)

var vectorTime = time.Unix(1700000000, 0)

func TestSign_MatchesTheReferenceVector(t *testing.T) {
	got := webhook.Sign(vectorSecret, vectorTime, []byte(vectorBody))
	if want := "t=1700000000,v1=" + vectorMAC; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify_AcceptsOnlyAFreshSignatureOfTheExactBody(t *testing.T) {
	good := "t=1700000000,v1=" + vectorMAC
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		want   error // nil: accepted
	}{
		{"the reference vector", vectorSecret, good, vectorBody, vectorTime, nil},
		{"spaces after commas", vectorSecret, "t=1700000000, v1=" + vectorMAC, vectorBody, vectorTime, nil},
		{"upper-case hex", vectorSecret, "t=1700000000,v1=" + strings.ToUpper(vectorMAC), vectorBody, vectorTime, nil},
		{"keys in another order", vectorSecret, "v1=" + vectorMAC + ",t=1700000000", vectorBody, vectorTime, nil},
		{"an unknown scheme beside v1", vectorSecret, good + ",v2=abc", vectorBody, vectorTime, nil},
		{"one of two v1 matches (a secret being replaced)", vectorSecret, "t=1700000000,v1=" + otherMAC + ",v1=" + vectorMAC, vectorBody, vectorTime, nil},
		{"4m59s old", vectorSecret, good, vectorBody, vectorTime.Add(4*time.Minute + 59*time.Second), nil},
		{"exactly 5 minutes old", vectorSecret, good, vectorBody, vectorTime.Add(5 * time.Minute), nil},
		{"a replay 5m01s later", vectorSecret, good, vectorBody, vectorTime.Add(5*time.Minute + time.Second), webhook.ErrTimestamp},
		{"a replay a day later", vectorSecret, good, vectorBody, vectorTime.Add(24 * time.Hour), webhook.ErrTimestamp},
		{"signed 6 minutes in the future", vectorSecret, good, vectorBody, vectorTime.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"another secret", "whsec_wrong", good, vectorBody, vectorTime, webhook.ErrMismatch},
		{"the body changed", vectorSecret, good, vectorBody + " ", vectorTime, webhook.ErrMismatch},
		{"the timestamp changed", vectorSecret, "t=1700000001,v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrMismatch},
		{"no header", vectorSecret, "", vectorBody, vectorTime, webhook.ErrNoSignature},
		{"no timestamp", vectorSecret, "v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrNoSignature},
		{"no v1", vectorSecret, "t=1700000000", vectorBody, vectorTime, webhook.ErrNoSignature},
		{"two timestamps", vectorSecret, "t=1700000000,t=1700000000,v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrNoSignature},
		{"a timestamp with a sign", vectorSecret, "t=+1700000000,v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrNoSignature},
		{"a timestamp with a leading zero", vectorSecret, "t=01700000000,v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrNoSignature},
		{"a timestamp in milliseconds", vectorSecret, "t=1700000000000,v1=" + vectorMAC, vectorBody, vectorTime, webhook.ErrTimestamp},
		{"a short v1", vectorSecret, "t=1700000000,v1=" + vectorMAC[:62], vectorBody, vectorTime, webhook.ErrNoSignature},
		{"v1 not hex", vectorSecret, "t=1700000000,v1=" + strings.Repeat("zz", 32), vectorBody, vectorTime, webhook.ErrNoSignature},
		{"a part without =", vectorSecret, good + ",junk", vectorBody, vectorTime, webhook.ErrNoSignature},
		{"the sha256= form of other services", vectorSecret, "sha256=" + vectorMAC, vectorBody, vectorTime, webhook.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, []byte(tt.body), tt.now)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify refused a good signature: %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerify_AcceptsWhatSignMakes(t *testing.T) {
	now := time.Now()
	body := []byte(`{"data":{"message":{"text":"héllo\u0000"}}}`)
	if err := webhook.Verify("s3cret", webhook.Sign("s3cret", now, body), body, now); err != nil {
		t.Fatal(err)
	}
}

func TestParseSignature_RefusesHeadersThatWouldCostWork(t *testing.T) {
	many := "t=1700000000" + strings.Repeat(",v1="+vectorMAC, 9)
	if _, err := webhook.ParseSignature(many); !errors.Is(err, webhook.ErrNoSignature) {
		t.Errorf("nine v1 values: %v, want ErrNoSignature", err)
	}
	long := "t=1700000000,v1=" + vectorMAC + ",x=" + strings.Repeat("a", 5000)
	if _, err := webhook.ParseSignature(long); !errors.Is(err, webhook.ErrNoSignature) {
		t.Errorf("a 5 KB header: %v, want ErrNoSignature", err)
	}
}

// FuzzParseSignature checks that no header makes the parser panic, that
// what it accepts has a timestamp and at least one 32-byte value, and that
// a header rebuilt from an accepted one parses to the same.
func FuzzParseSignature(f *testing.F) {
	f.Add("t=1700000000,v1=" + vectorMAC)
	f.Add("t=1700000000, v1=" + vectorMAC + ",v1=" + otherMAC + ",v0=x")
	f.Add("v1=" + vectorMAC + ",t=1")
	f.Add("t=,v1=")
	f.Add(",,,")
	f.Add("t=99999999999999999999,v1=" + vectorMAC)
	f.Fuzz(func(t *testing.T, header string) {
		sig, err := webhook.ParseSignature(header)
		if err != nil {
			if !errors.Is(err, webhook.ErrNoSignature) {
				t.Fatalf("error %v does not wrap ErrNoSignature", err)
			}
			return
		}
		if sig.Timestamp <= 0 || len(sig.V1) == 0 {
			t.Fatalf("accepted %q without a timestamp or value: %+v", header, sig)
		}
		for _, v := range sig.V1 {
			if len(v) != 32 {
				t.Fatalf("accepted a %d-byte value from %q", len(v), header)
			}
		}
		rebuilt := "t=" + strconv.FormatInt(sig.Timestamp, 10)
		for _, v := range sig.V1 {
			rebuilt += ",v1=" + hex.EncodeToString(v)
		}
		again, err := webhook.ParseSignature(rebuilt)
		if err != nil || !reflect.DeepEqual(again, sig) {
			t.Fatalf("%q parsed to %+v, rebuilt as %q it parses to %+v (%v)", header, sig, rebuilt, again, err)
		}
		// Whatever the header, Verify must not panic on it either.
		_ = webhook.Verify("k", header, []byte("b"), time.Unix(sig.Timestamp, 0))
	})
}
