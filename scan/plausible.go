package scan

import (
	"strings"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// plausible drops two kinds of engine findings that would make a redaction
// delete a customer's message for nothing (measured by TestRedactionPrecision
// on generated conversations; both belong in package pii eventually):
//
//   - a PASSWORD whose value is only mask characters ("********", "•••••"):
//     the password was hidden already;
//   - a CARD that is a slice of a longer grouped number, such as a 22-digit
//     USPS tracking number printed in groups of four ("9400 1234 5678 ...").
//     A group after the number that ends in '/' (an expiry such as 12/27)
//     does not count;
//   - a CARD introduced as another kind of number: "tracking number",
//     "order", "invoice", "parcel", "reference" in the 40 bytes before it, with
//     no card word ("card", "visa", ...) in between: 15-digit FedEx tracking
//     numbers pass the Luhn check one time in ten.
func plausible(f pii.Finding, text string) bool {
	v := text[f.Start:f.End]
	switch f.Type {
	case pii.TypePassword:
		return strings.Trim(v, "*•·●xX#-_ ") != ""
	case pii.TypeCard:
		return !embeddedGroup(text, f.Start, f.End) && !introducedAsOther(text, f.Start)
	}
	return true
}

var otherNumberWords = []string{"tracking", "order", "invoice", "parcel", "shipment", "reference", "ref "}
var cardWords = []string{"card", "visa", "mastercard", "amex", "discover", "cc ", "credit", "debit"}

// introducedAsOther reports a number whose last 40 bytes of lead-in name
// another kind of number after any card word.
func introducedAsOther(text string, start int) bool {
	lead := strings.ToLower(text[max(0, start-40):start])
	other := -1
	for _, w := range otherNumberWords {
		other = max(other, strings.LastIndex(lead, w))
	}
	if other < 0 {
		return false
	}
	for _, w := range cardWords {
		if strings.LastIndex(lead, w) > other {
			return false
		}
	}
	return true
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// embeddedGroup reports whether the digits at text[start:end] continue, on
// either side, into another group of digits joined by the separator they use.
func embeddedGroup(text string, start, end int) bool {
	v := text[start:end]
	sep := byte(0)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' || v[i] == '-' || v[i] == '.' {
			sep = v[i]
			break
		}
	}
	if sep == 0 {
		// An ungrouped run: digits right next to it would have been part of it.
		return (start > 0 && isDigitByte(text[start-1])) || (end < len(text) && isDigitByte(text[end]))
	}
	if start >= 2 && text[start-1] == sep && isDigitByte(text[start-2]) {
		return true
	}
	if end+1 < len(text) && text[end] == sep && isDigitByte(text[end+1]) {
		j := end + 1
		for j < len(text) && isDigitByte(text[j]) {
			j++
		}
		return j >= len(text) || text[j] != '/'
	}
	return false
}
