// Package pii finds personal data in a text about to be posted in public:
// e-mail addresses, phone numbers, bank accounts, customer, ticket and
// order numbers. It flags for a person to look at; it does not redact, and
// it errs on the side of flagging.
package pii

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Kind names what a finding looks like.
type Kind string

// The kinds of personal data found.
const (
	Email          Kind = "email"
	Phone          Kind = "phone"
	IBAN           Kind = "iban"
	CustomerNumber Kind = "customer_number"
	TicketNumber   Kind = "ticket_number"
	OrderNumber    Kind = "order_number"
)

// Finding is one piece of personal data: its kind, the text as written
// and where it starts, in bytes.
type Finding struct {
	Kind  Kind   `json:"kind"`
	Text  string `json:"text"`
	Start int    `json:"start"`
}

var (
	email    = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}`)
	iban     = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`)
	customer = regexp.MustCompile(`\bC-[0-9]{4,}\b`)
	ticket   = regexp.MustCompile(`(?i)(?:\[#[0-9]+\]|#[0-9]{3,}\b|\b(?:ticket|case|zaak|vorgang|dossier)\s*(?:nr\.?|no\.?|number|nummer)?\s*#?:?\s*[0-9]{3,}\b)`)
	// An order number: a word for order, then a token with digits.
	order = regexp.MustCompile(`(?i)\b(?:order|bestelling|bestel|bestellung|commande|pedido|ordine|invoice|factuur|rechnung)\s*(?:nr\.?|no\.?|number|nummer|#)?\s*:?\s*([A-Z]{0,4}-?[0-9][0-9A-Z-]{3,})\b`)
	// A token of letters, a dash and four or more digits (A-1001).
	code  = regexp.MustCompile(`\b[A-Z]{1,4}-[0-9]{4,}\b`)
	phone = regexp.MustCompile(`\+?\(?[0-9][0-9 ().-]{6,}[0-9]`)
	date  = regexp.MustCompile(`^[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}$`)
)

// Find returns the personal data in text, in the order it appears. A piece
// matched as one kind is not reported again as another.
func Find(text string) []Finding {
	var out []Finding
	taken := func(start, end int) bool {
		for _, f := range out {
			if start < f.Start+len(f.Text) && f.Start < end {
				return true
			}
		}
		return false
	}
	add := func(kind Kind, start, end int) {
		if !taken(start, end) {
			out = append(out, Finding{Kind: kind, Text: text[start:end], Start: start})
		}
	}
	for _, m := range email.FindAllStringIndex(text, -1) {
		add(Email, m[0], m[1])
	}
	for _, m := range iban.FindAllStringIndex(text, -1) {
		if validIBAN(text[m[0]:m[1]]) {
			add(IBAN, m[0], m[1])
		}
	}
	for _, m := range customer.FindAllStringIndex(text, -1) {
		add(CustomerNumber, m[0], m[1])
	}
	for _, m := range order.FindAllStringSubmatchIndex(text, -1) {
		add(OrderNumber, m[2], m[3])
	}
	for _, m := range ticket.FindAllStringIndex(text, -1) {
		add(TicketNumber, m[0], m[1])
	}
	for _, m := range code.FindAllStringIndex(text, -1) {
		add(OrderNumber, m[0], m[1])
	}
	for _, m := range phone.FindAllStringIndex(text, -1) {
		if s := text[m[0]:m[1]]; digits(s) >= 8 && !date.MatchString(s) {
			add(Phone, m[0], m[1])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// validIBAN checks an IBAN's ISO 7064 mod-97 check digits, so that other
// codes of capitals and digits are not taken for one.
func validIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	s = s[4:] + s[:4]
	rem := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			rem = (rem*100 + int(r-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}
