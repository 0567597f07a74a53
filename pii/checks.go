package pii

import "hash/crc32"

// luhn reports whether the digits pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// cardIIN reports whether a card number of len(d) digits has an issuer
// prefix that issues numbers of that length.
func cardIIN(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65: // Discover
		return n >= 16 && n <= 19
	case p2 == 35: // JCB
		return n >= 16 && n <= 19
	case p4 == 1800 || p4 == 2131: // JCB, the old 15-digit ranges
		return n == 15
	case p2 == 36, p3 >= 300 && p3 <= 305, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p2 == 50, p2 >= 56 && p2 <= 69: // Maestro (12 digits only with a card cue: see card)
		return n >= 12 && n <= 19
	}
	return false
}

// ibanLengths maps a country code (two upper-case letters packed as
// c0<<8|c1) to its IBAN length (ISO 13616 registry).
var ibanLengths = map[uint16]uint8{}

func init() {
	for _, e := range []struct {
		cc string
		n  uint8
	}{
		{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
		{"BG", 22}, {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
		{"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24},
		{"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
		{"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23},
		{"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
		{"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22},
		{"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
		{"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
		{"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28},
		{"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
	} {
		ibanLengths[uint16(e.cc[0])<<8|uint16(e.cc[1])] = e.n
	}
}

// ibanMod97 reports whether the compact upper-case IBAN s passes ISO 13616
// mod-97 (the remainder of the rearranged number is 1).
func ibanMod97(s []byte) bool {
	if len(s) < 5 {
		return false
	}
	r := 0
	add := func(c byte) bool {
		switch {
		case isDigit(c):
			r = (r*10 + int(c-'0')) % 97
		case isUpper(c):
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range s[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range s[:4] {
		if !add(c) {
			return false
		}
	}
	return r == 1
}

// deTaxID reports whether the 11 digits are a valid German Steuer-ID:
// first digit not zero, in the first ten digits exactly one digit repeats
// (two or three times), and the ISO 7064 MOD 11,10 check digit matches.
func deTaxID(d []byte) bool {
	if len(d) != 11 || d[0] == '0' || !deTaxRepeats(d[:10]) {
		return false
	}
	return iso7064Mod1110(d[:10]) == int(d[10]-'0')
}

// deTaxRepeats reports whether exactly one digit of d repeats, two or
// three times, as in the first ten digits of a Steuer-ID.
func deTaxRepeats(d []byte) bool {
	var cnt [10]int
	for _, c := range d {
		cnt[c-'0']++
	}
	rep := 0
	for _, n := range cnt {
		if n > 3 {
			return false
		}
		if n > 1 {
			rep++
		}
	}
	return rep == 1
}

func iso7064Mod1110(d []byte) int {
	product := 10
	for _, c := range d {
		sum := (int(c-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = (sum * 2) % 11
	}
	check := 11 - product
	if check == 10 {
		check = 0
	}
	return check
}

// frNIR reports whether s (15 characters: 13 digits, where positions 6-7 may
// be 2A or 2B for Corsica, then a two-digit key) is a valid French NIR.
func frNIR(s []byte) bool {
	if len(s) != 15 {
		return false
	}
	switch s[0] {
	case '1', '2', '3', '4', '7', '8':
	default:
		return false
	}
	mm := int(s[3]-'0')*10 + int(s[4]-'0')
	if !isDigit(s[3]) || !isDigit(s[4]) || mm == 0 || (mm > 12 && mm < 20) {
		return false
	}
	var n uint64
	if s[5] == '2' && (s[6] == 'A' || s[6] == 'B') {
		if n = corsica(s); n == 0 {
			return false
		}
	} else {
		for _, c := range s[:13] {
			if !isDigit(c) {
				return false
			}
			n = n*10 + uint64(c-'0')
		}
	}
	if !isDigit(s[13]) || !isDigit(s[14]) {
		return false
	}
	key := int(s[13]-'0')*10 + int(s[14]-'0')
	return key == 97-int(n%97)
}

// corsica returns the numeric value of a Corsican NIR's first 13 characters
// with 2A read as 19 and 2B as 18, or 0 if a character is not valid.
func corsica(s []byte) uint64 {
	var n uint64
	for i := 0; i < 13; i++ {
		c := s[i]
		switch {
		case i == 5:
			if c != '2' {
				return 0
			}
			n = n*10 + 1
		case i == 6:
			switch c {
			case 'A':
				n = n*10 + 9
			case 'B':
				n = n*10 + 8
			default:
				return 0
			}
		case isDigit(c):
			n = n*10 + uint64(c-'0')
		default:
			return 0
		}
	}
	return n
}

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// esDNI reports whether s is a Spanish DNI (8 digits + letter) or NIE
// (X, Y or Z + 7 digits + letter) with the right mod-23 letter.
func esDNI(s []byte) bool {
	if len(s) != 9 {
		return false
	}
	n := 0
	switch s[0] {
	case 'X':
	case 'Y':
		n = 1
	case 'Z':
		n = 2
	default:
		if !isDigit(s[0]) {
			return false
		}
		n = int(s[0] - '0')
	}
	for _, c := range s[1:8] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return s[8] == dniLetters[n%23]
}

var cfOdd = [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23} // A-Z

// itFiscalCode reports whether the upper-case 16-character s is a
// structurally valid Italian codice fiscale with the right check character.
func itFiscalCode(s []byte) bool {
	if len(s) != 16 {
		return false
	}
	// Shape: 6 letters, 2 digits, month letter, 2 digits, letter, 3 digits,
	// check letter; digit positions may hold omocodia letters LMNPQRSTUV.
	for i, c := range s {
		switch i {
		case 0, 1, 2, 3, 4, 5, 11, 15:
			if !isUpper(c) {
				return false
			}
		case 8:
			switch c {
			case 'A', 'B', 'C', 'D', 'E', 'H', 'L', 'M', 'P', 'R', 'S', 'T':
			default:
				return false
			}
		default:
			if !isDigit(c) {
				switch c {
				case 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U', 'V':
				default:
					return false
				}
			}
		}
	}
	sum := 0
	for i, c := range s[:15] {
		var v int
		if isDigit(c) {
			v = int(c - '0')
		} else {
			v = int(c-'A') + 10
		}
		if i%2 == 0 { // odd position, 1-based
			sum += cfOdd[v]
		} else if isDigit(c) {
			sum += int(c - '0')
		} else {
			sum += int(c - 'A')
		}
	}
	return s[15] == byte('A'+sum%26)
}

// nlBSN reports whether the 9 digits pass the Dutch 11-proof.
func nlBSN(d []byte) bool {
	if len(d) != 9 || d[0] == '0' && d[1] == '0' {
		return false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += (9 - i) * int(d[i]-'0')
	}
	sum -= int(d[8] - '0')
	return sum%11 == 0 && sum != 0
}

// ssnValid applies the US SSN format rules to 9 digits.
func ssnValid(d []byte) bool {
	if len(d) != 9 {
		return false
	}
	if d[0] == '9' || d[0] == '0' && d[1] == '0' && d[2] == '0' || d[0] == '6' && d[1] == '6' && d[2] == '6' {
		return false
	}
	if d[3] == '0' && d[4] == '0' {
		return false
	}
	if d[5] == '0' && d[6] == '0' && d[7] == '0' && d[8] == '0' {
		return false
	}
	same := true
	for _, c := range d[1:] {
		if c != d[0] {
			same = false
		}
	}
	if same {
		return false
	}
	switch string(d) {
	case "123456789", "078051120", "219099999", "457555462":
		return false
	}
	return true
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// tokenCRC reports whether body (30 base62 characters followed by 6)
// carries the CRC32 checksum GitHub and npm put in the last 6 characters.
func tokenCRC(body []byte) bool {
	if len(body) != 36 {
		return false
	}
	want := crc32.ChecksumIEEE(body[:30])
	var enc [6]byte
	for i := 5; i >= 0; i-- {
		enc[i] = base62[want%62]
		want /= 62
	}
	return string(enc[:]) == string(body[30:])
}
