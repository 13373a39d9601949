package pii

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		text string
		want []Finding
	}{
		{"Thanks for your review, we are sorry!", nil},
		{"Mail us at jan.jansen@example.nl please", []Finding{{Email, "jan.jansen@example.nl", 11}}},
		{"Call 06-12345678 or +31 20 123 4567.", []Finding{{Phone, "06-12345678", 5}, {Phone, "+31 20 123 4567", 20}}},
		{"Your customer number C-000042 is fine", []Finding{{CustomerNumber, "C-000042", 21}}},
		{"About ticket #1234 and [#99]", []Finding{{TicketNumber, "ticket #1234", 6}, {TicketNumber, "[#99]", 23}}},
		{"Your order A-1001 ships today", []Finding{{OrderNumber, "A-1001", 11}}},
		{"Bestelling nr. 4711-22 is onderweg", []Finding{{OrderNumber, "4711-22", 15}}},
		{"Refund to NL91 ABNA 0417 1643 00", []Finding{{IBAN, "NL91 ABNA 0417 1643 00", 10}}},
		{"NL92 ABNA 0417 1643 00 fails its check", []Finding{{Phone, "0417 1643 00", 10}}},
		{"We open at 9:00 on 12.10.2026", nil},
		{"3 items, 2 days, 1 week", nil},
	}
	for _, tt := range tests {
		got := Find(tt.text)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Find(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func FuzzFind(f *testing.F) {
	f.Add("Mail jan@example.nl, order A-1001, call 0612345678")
	f.Add("NL91ABNA0417164300 [#12] C-000001")
	f.Fuzz(func(t *testing.T, text string) {
		for _, fd := range Find(text) {
			if fd.Start < 0 || fd.Start+len(fd.Text) > len(text) || text[fd.Start:fd.Start+len(fd.Text)] != fd.Text {
				t.Fatalf("finding %+v is not in the text", fd)
			}
		}
	})
}
