package pii

// Byte classes used by the scanner. One table lookup classifies a byte.
const (
	cDigit  = 1 << iota // 0-9
	cLower              // a-z
	cUpper              // A-Z
	cUnder              // _
	cHigh               // >= 0x80 (part of a UTF-8 letter, treated as a word byte)
	cHexNot             // a letter that is not a hex digit
	cLocal              // may appear in an e-mail local part
	cDomain             // may appear in an e-mail domain

	cWord   = cDigit | cLower | cUpper | cUnder | cHigh
	cLetter = cLower | cUpper
	cAlnum  = cDigit | cLetter
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k = cDigit | cLocal | cDomain
		case c >= 'a' && c <= 'z':
			k = cLower | cLocal | cDomain
			if c > 'f' {
				k |= cHexNot
			}
		case c >= 'A' && c <= 'Z':
			k = cUpper | cLocal | cDomain
			if c > 'F' {
				k |= cHexNot
			}
		case c == '_':
			k = cUnder | cLocal
		case c >= 0x80:
			k = cHigh
		}
		switch c {
		case '.', '-':
			k |= cLocal | cDomain
		case '+', '%', '\'':
			k |= cLocal
		}
		class[c] = k
	}
}

func isDigit(c byte) bool { return c-'0' < 10 }
func isAlnum(c byte) bool { return class[c]&cAlnum != 0 }
func isWordByte(c byte) bool {
	return class[c]&cWord != 0
}
func isUpper(c byte) bool  { return c-'A' < 26 }
func isLetter(c byte) bool { return class[c]&cLetter != 0 }
func lower(c byte) byte {
	if c-'A' < 26 {
		return c + 32
	}
	return c
}
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// hasPrefixFold reports whether b starts with the lower-case ASCII prefix p,
// ignoring ASCII case.
func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lower(b[i]) != p[i] {
			return false
		}
	}
	return true
}

// hasSuffixFold reports whether b ends with the lower-case ASCII suffix p,
// ignoring ASCII case.
func hasSuffixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	return hasPrefixFold(b[len(b)-len(p):], p)
}
