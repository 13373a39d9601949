package sms

import "unicode/utf16"

// Encodings a text travels in.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsm7Basic is the GSM 03.38 default alphabet: one septet each.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension is the GSM 03.38 extension table: an escape septet plus
// one, so two each.
const gsm7Extension = "^{}\\[~]|€\f"

var gsm7Units = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Extension {
		m[r] = 2
	}
	return m
}()

// Segments reports how text travels as SMS: in GSM-7 when every character
// is in the GSM alphabet (extension characters such as € and [ count as
// two), otherwise in UCS-2 (characters outside the Basic Multilingual
// Plane, such as most emoji, count as two). chars is the length in those
// units; segments is 1 up to 160 GSM-7 or 70 UCS-2 units, and beyond that
// the number of concatenated parts of 153 or 67 units, where a two-unit
// character is never split across parts. An empty text has no segments.
func Segments(text string) (encoding string, chars int, segments int) {
	units := make([]int, 0, len(text))
	encoding = EncodingGSM7
	for _, r := range text {
		n, ok := gsm7Units[r]
		if !ok {
			encoding = EncodingUCS2
			break
		}
		units = append(units, n)
	}
	single, part := 160, 153
	if encoding == EncodingUCS2 {
		single, part = 70, 67
		units = units[:0]
		for _, r := range text {
			n := 1
			if utf16.RuneLen(r) == 2 {
				n = 2
			}
			units = append(units, n)
		}
	}
	for _, n := range units {
		chars += n
	}
	switch {
	case chars == 0:
		return encoding, 0, 0
	case chars <= single:
		return encoding, chars, 1
	}
	segments, used := 1, 0
	for _, n := range units {
		if used+n > part {
			segments, used = segments+1, 0
		}
		used += n
	}
	return encoding, chars, segments
}
