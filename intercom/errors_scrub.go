package intercom

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// scrubMessage removes from an Intercom error message the parts that may
// repeat a value of the request: Intercom's messages are free text, and some
// quote what was sent ("Invalid sort order 'desc'", "Export job not found for
// identifier: job1"); for a contact that could be an e-mail address or a phone
// number, and an Error is printed and logged. It replaces
//
//   - a quoted span ('...', "...", `...`) with '…';
//   - a word holding '@' (an e-mail address) with [redacted];
//   - a number of 7 digits or more, spaces, '-', '.', '(', ')', '+' and '/'
//     between its digits included (a phone, card or account number), with
//     [number].
//
// Intercom ids (hex or short decimal) and the words of the message are kept,
// so the message stays useful. A value without any of these shapes (an
// external id in clear words) is not recognised: callers never put such
// values in errors they build, and Error.Message is documented as Intercom's
// text.
func scrubMessage(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			// A quote that closes later in the message delimits a value;
			// an apostrophe inside a word ("isn't") does not open one.
			if c == '\'' && i > 0 && isWordByte(s[i-1]) {
				b.WriteByte(c)
				i++
				continue
			}
			if j := strings.IndexByte(s[i+1:], c); j >= 0 {
				b.WriteString("'…'")
				i += j + 2
				continue
			}
			b.WriteByte(c)
			i++
		case c >= '0' && c <= '9' || c == '+' || c == '(':
			end, digits := numberRun(s, i)
			if digits >= 7 {
				b.WriteString("[number]")
				i = end
				continue
			}
			b.WriteByte(c)
			i++
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	out := b.String()
	if strings.IndexByte(out, '@') < 0 {
		return out
	}
	words := strings.FieldsFunc(out, unicode.IsSpace)
	for k, w := range words {
		if strings.IndexByte(w, '@') >= 0 {
			words[k] = "[redacted]"
		}
	}
	return strings.Join(words, " ")
}

// numberRun returns the end of the run of digits and number separators that
// starts at i, and how many digits it holds. A run ends before trailing
// separators.
func numberRun(s string, i int) (end, digits int) {
	end = i
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			digits++
			end = j + 1
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' || c == '/':
		default:
			return end, digits
		}
	}
	return end, digits
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
