package domain

import "testing"

func TestPostalAddress_NormalisesLinesAndRefusesTooLong(t *testing.T) {
	long := ""
	for range 11 {
		long += "line\n"
	}
	for _, tc := range []struct {
		name, in, want string
		err            bool
	}{
		{"empty", "", "", false},
		{"crlf and spaces", " Jan  Jansen\r\n\r\nDorpsstraat 1 \r1234 AB  Ede\n", "Jan Jansen\nDorpsstraat 1\n1234 AB Ede", false},
		{"accents kept", "Müller\nStraße 5", "Müller\nStraße 5", false},
		{"too many lines", long, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PostalAddress(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("PostalAddress(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzPostalAddress: any typed or pasted text is normalised into lines
// that normalise to themselves, or refused with invalid_address.
func FuzzPostalAddress(f *testing.F) {
	f.Add("Jan Jansen\r\nDorpsstraat 1\n\n1234 AB Ede")
	f.Add("\x00\xff\r\r\n \t")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := PostalAddress(s)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != "invalid_address" {
				t.Fatalf("PostalAddress(%q) error %v, want invalid_address", s, err)
			}
			return
		}
		if again, err := PostalAddress(got); err != nil || again != got {
			t.Fatalf("PostalAddress(%q) = %q, which normalises to %q, %v", s, got, again, err)
		}
	})
}
