package domain

import "strings"

// Limits of a postal address: a letter's address window holds a handful of
// short lines.
const (
	MaxAddressBytes = 1000
	MaxAddressLines = 10
)

// PostalAddress normalises a postal address typed or pasted in any form:
// CR and CRLF become line breaks, each line is trimmed, blank lines are
// dropped. Too long or too many lines are refused with invalid_address.
func PostalAddress(s string) (string, error) {
	s = CleanText(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	out := strings.Join(lines, "\n")
	if len(out) > MaxAddressBytes || len(lines) > MaxAddressLines {
		return "", Invalid("invalid_address", "a postal address is at most 10 lines and 1000 bytes")
	}
	return out, nil
}
