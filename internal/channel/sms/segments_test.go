package sms

import (
	"strings"
	"testing"
)

func TestSegments_CountsGSM7AndUCS2Units(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		encoding string
		chars    int
		segments int
	}{
		{"empty", "", EncodingGSM7, 0, 0},
		{"plain", "Hello", EncodingGSM7, 5, 1},
		{"GSM accents stay GSM-7", "Café à Ñoño", EncodingGSM7, 11, 1},
		{"extension characters count double", "€5 [x]", EncodingGSM7, 9, 1},
		{"160 GSM-7 in one", strings.Repeat("a", 160), EncodingGSM7, 160, 1},
		{"161 GSM-7 in two", strings.Repeat("a", 161), EncodingGSM7, 161, 2},
		{"306 GSM-7 in two", strings.Repeat("a", 306), EncodingGSM7, 306, 2},
		{"307 GSM-7 in three", strings.Repeat("a", 307), EncodingGSM7, 307, 3},
		{"80 euro signs fill one", strings.Repeat("€", 80), EncodingGSM7, 160, 1},
		{"an escape pair is not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), EncodingGSM7, 164, 2},
		{"an escape pair at a boundary moves on", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), EncodingGSM7, 306, 3},
		{"one non-GSM character makes UCS-2", "Hello ç", EncodingUCS2, 7, 1},
		{"70 UCS-2 in one", strings.Repeat("ж", 70), EncodingUCS2, 70, 1},
		{"71 UCS-2 in two", strings.Repeat("ж", 71), EncodingUCS2, 71, 2},
		{"134 UCS-2 in two", strings.Repeat("ж", 134), EncodingUCS2, 134, 2},
		{"135 UCS-2 in three", strings.Repeat("ж", 135), EncodingUCS2, 135, 3},
		{"emoji count double", "Thanks 👍", EncodingUCS2, 9, 1},
		{"a surrogate pair is not split", strings.Repeat("ж", 66) + "👍" + strings.Repeat("ж", 5), EncodingUCS2, 73, 2},
		{"a surrogate pair at a boundary moves on", strings.Repeat("ж", 66) + "👍" + strings.Repeat("ж", 66), EncodingUCS2, 134, 3},
		{"GSM extension in UCS-2 counts once", "€ж", EncodingUCS2, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, chars, segs := Segments(tt.text)
			if enc != tt.encoding || chars != tt.chars || segs != tt.segments {
				t.Errorf("Segments = %s, %d chars, %d segments; want %s, %d, %d", enc, chars, segs, tt.encoding, tt.chars, tt.segments)
			}
		})
	}
}
