package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of every delivery.
const (
	HeaderEvent     = "X-Loket-Event"     // the event type, such as ticket.created
	HeaderDelivery  = "X-Loket-Delivery"  // the delivery's id; a redelivery has its own
	HeaderSignature = "X-Loket-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256>
)

// Tolerance is how far a signature's timestamp may be from the receiver's
// clock. A receiver that refuses older signatures cannot be fed a captured
// delivery again later (a replay).
const Tolerance = 5 * time.Minute

// Reasons Verify refuses a delivery; test with errors.Is.
var (
	ErrNoSignature = errors.New("webhook signature: header missing or malformed")
	ErrTimestamp   = errors.New("webhook signature: timestamp outside the tolerance")
	ErrMismatch    = errors.New("webhook signature: no signature matches the body")
)

// Sign returns the X-Loket-Signature header for body sent at t: the Unix
// time in seconds and the hex HMAC-SHA256, keyed with the webhook's
// secret, of "<seconds>.<body>". Binding the time into the signature is
// what makes an old delivery impossible to pass off as new.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Signature is a parsed X-Loket-Signature header.
type Signature struct {
	Timestamp int64    // Unix seconds
	V1        [][]byte // HMAC-SHA256 values; more than one while a secret is being replaced
}

// maxSignatures bounds the work one header can ask of a receiver.
const maxSignatures = 8

// ParseSignature reads a header of comma-separated key=value pairs: exactly
// one t (Unix seconds) and one or more v1 (64 hex digits). Keys it does not
// know are skipped, so that a later scheme can be sent beside v1.
func ParseSignature(header string) (Signature, error) {
	var sig Signature
	if len(header) > 4096 {
		return sig, fmt.Errorf("%w: longer than 4096 bytes", ErrNoSignature)
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Signature{}, fmt.Errorf("%w: %q is not key=value", ErrNoSignature, part)
		}
		switch k {
		case "t":
			ts, err := strconv.ParseInt(v, 10, 64)
			if seenT || err != nil || ts <= 0 || strconv.FormatInt(ts, 10) != v {
				return Signature{}, fmt.Errorf("%w: t must be one positive number of seconds, without sign or leading zeros", ErrNoSignature)
			}
			sig.Timestamp, seenT = ts, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return Signature{}, fmt.Errorf("%w: v1 must be 64 hex digits", ErrNoSignature)
			}
			if len(sig.V1) == maxSignatures {
				return Signature{}, fmt.Errorf("%w: more than %d v1 values", ErrNoSignature, maxSignatures)
			}
			sig.V1 = append(sig.V1, b)
		}
	}
	if !seenT || len(sig.V1) == 0 {
		return Signature{}, fmt.Errorf("%w: t and v1 are required", ErrNoSignature)
	}
	return sig, nil
}

// Verify is the reference check of a delivery, as a receiver makes it:
// header is X-Loket-Signature, body the raw request body (before any JSON
// decoding), now the receiver's clock. It refuses a timestamp more than
// Tolerance from now, in either direction, and accepts a v1 that is the
// HMAC of "<t>.<body>" under secret, compared in constant time.
func Verify(secret, header string, body []byte, now time.Time) error {
	sig, err := ParseSignature(header)
	if err != nil {
		return err
	}
	age := now.Unix() - sig.Timestamp
	if age > int64(Tolerance/time.Second) || age < -int64(Tolerance/time.Second) {
		return fmt.Errorf("%w: signed %d seconds from now", ErrTimestamp, -age)
	}
	want := mac(secret, strconv.FormatInt(sig.Timestamp, 10), body)
	for _, v := range sig.V1 {
		if hmac.Equal(v, want) {
			return nil
		}
	}
	return ErrMismatch
}
