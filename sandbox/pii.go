package sandbox

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// rng is a small deterministic random source for the generator. It is not safe for
// concurrent use; the workspace guards it with its lock.
type rng struct{ r *rand.Rand }

func newRNG(seed int64, stream uint64) *rng {
	return &rng{rand.New(rand.NewPCG(uint64(seed), stream^0x9e3779b97f4a7c15))}
}

func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return r.r.IntN(n)
}

func (r *rng) chance(p float64) bool { return r.r.Float64() < p }

func (r *rng) pick(xs []string) string { return xs[r.intn(len(xs))] }

func (r *rng) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.intn(10))
	}
	return string(b)
}

func (r *rng) upper(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.intn(26))
	}
	return string(b)
}

func (r *rng) hex(n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.intn(16)]
	}
	return string(b)
}

// phone returns a phone number in one of several national and international formats.
func (r *rng) phone() string {
	switch r.intn(8) {
	case 0: // US, national
		return "(" + r.pick([]string{"212", "415", "646", "312", "617"}) + ") " + strconv.Itoa(200+r.intn(800)) + "-" + r.digits(4)
	case 1: // US, E.164
		return "+1" + r.pick([]string{"212", "415", "646"}) + strconv.Itoa(200+r.intn(800)) + r.digits(4)
	case 2: // UK mobile
		return "+44 7" + strconv.Itoa(400+r.intn(600)) + " " + r.digits(6)
	case 3: // UK national
		return "07" + strconv.Itoa(400+r.intn(600)) + " " + r.digits(3) + " " + r.digits(3)
	case 4: // Germany mobile
		return "+49 15" + strconv.Itoa(1+r.intn(9)) + " " + r.digits(8)
	case 5: // France mobile
		return "+33 6 " + r.digits(2) + " " + r.digits(2) + " " + r.digits(2) + " " + r.digits(2)
	case 6: // Ireland mobile
		return "+353 8" + strconv.Itoa(3+r.intn(7)) + " " + r.digits(3) + " " + r.digits(4)
	default: // Spain mobile
		return "+34 6" + r.digits(2) + " " + r.digits(3) + " " + r.digits(3)
	}
}

// card returns a 16-digit card number with a valid Luhn check digit, grouped by four
// (or not).
func (r *rng) card() string {
	prefix := r.pick([]string{"4", "51", "52", "53", "54", "55"})
	num := prefix + r.digits(15-len(prefix))
	num += strconv.Itoa(luhnDigit(num))
	if r.chance(0.5) {
		return num[0:4] + " " + num[4:8] + " " + num[8:12] + " " + num[12:16]
	}
	return num
}

// luhnDigit returns the check digit that makes payload+digit pass the Luhn test.
func luhnDigit(payload string) int {
	sum := 0
	double := true // the rightmost payload digit is doubled once the check digit is appended
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// luhnValid reports whether s (digits, spaces allowed) passes the Luhn test.
func luhnValid(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 2 {
		return false
	}
	return luhnDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// iban returns an IBAN with valid mod-97 check digits, printed in groups of four or not.
func (r *rng) iban() string {
	var country, bban string
	switch r.intn(4) {
	case 0:
		country, bban = "DE", r.digits(18)
	case 1:
		country, bban = "GB", r.upper(4)+r.digits(14)
	case 2:
		country, bban = "FR", r.digits(23)
	default:
		country, bban = "IE", r.upper(4)+r.digits(14)
	}
	check := 98 - ibanMod97(bban+country+"00")
	s := country + twoDigits(check) + bban
	if r.chance(0.5) {
		var b strings.Builder
		for i := 0; i < len(s); i += 4 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i:min(i+4, len(s))])
		}
		return b.String()
	}
	return s
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ibanMod97 computes the ISO 13616 remainder of s with letters expanded to 10..35.
func ibanMod97(s string) int {
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		}
	}
	return rem
}

// ibanValid reports whether s (spaces allowed) has valid IBAN check digits.
func ibanValid(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 5 {
		return false
	}
	return ibanMod97(s[4:]+s[:4]) == 1
}
