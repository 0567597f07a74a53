package pii

import "testing"

func TestValidators(t *testing.T) {
	ok := func(name string, got bool) {
		t.Helper()
		if !got {
			t.Errorf("%s: want valid", name)
		}
	}
	bad := func(name string, got bool) {
		t.Helper()
		if got {
			t.Errorf("%s: want invalid", name)
		}
	}
	ok("luhn visa", luhn([]byte("4111111111111111")))
	bad("luhn off by one", luhn([]byte("4111111111111112")))
	ok("iin mastercard 2-series", cardIIN([]byte("2221000000000009")))
	bad("iin mastercard 2-series 19 digits", cardIIN([]byte("2221000000000000009")))
	bad("iin unknown prefix", cardIIN([]byte("9111111111111111")))
	ok("iban DE", ibanMod97([]byte("DE89370400440532013000")))
	bad("iban DE one digit changed", ibanMod97([]byte("DE89370400440532013001")))
	ok("iban GB", ibanMod97([]byte("GB82WEST12345698765432")))
	ok("steuer-id", deTaxID([]byte("86095742719")))
	bad("steuer-id check digit", deTaxID([]byte("86095742718")))
	bad("steuer-id leading zero", deTaxID([]byte("06095742719")))
	bad("steuer-id no repeated digit", deTaxID([]byte("12345678903")))
	ok("nir", frNIR([]byte("184127645108946")))
	bad("nir key", frNIR([]byte("184127645108947")))
	ok("dni", esDNI([]byte("12345678Z")))
	bad("dni letter", esDNI([]byte("12345678A")))
	ok("nie", esDNI([]byte("X1234567L")))
	ok("codice fiscale", itFiscalCode([]byte("RSSMRA85T10A562S")))
	bad("codice fiscale check", itFiscalCode([]byte("RSSMRA85T10A562T")))
	ok("bsn", nlBSN([]byte("111222333")))
	bad("bsn 11-proof", nlBSN([]byte("111222334")))
	ok("ssn", ssnValid([]byte("536221234")))
	for _, s := range []string{"000221234", "666221234", "936221234", "536001234", "536220000", "123456789", "078051120", "111111111"} {
		bad("ssn "+s, ssnValid([]byte(s)))
	}
	ok("nino", ninoValid([]byte("AB123456C")))
	for _, s := range []string{"GB123456C", "DA123456C", "AO123456C", "AB123456E"} {
		bad("nino "+s, ninoValid([]byte(s)))
	}
}

func TestSecretChecks(t *testing.T) {
	e, _ := NewEngine(Options{})
	g := newGen(1)
	good := g.githubToken("ghp_")
	flip := []byte(good)
	if flip[10] == 'a' {
		flip[10] = 'b'
	} else {
		flip[10] = 'a'
	}
	cases := []struct {
		text string
		want bool
	}{
		{good, true},
		{string(flip), false}, // CRC32 no longer matches
		{g.githubToken("npm_"), true},
		{"AKIAIOSFODNN7EXAMPLE", true},
		{"AKIAIOSFODNN7EXAMPL", false},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", true},
		{"eyJub3RoaW5nIjoxfQ.eyJzdWIiOiIxIn0.c2ln", false}, // header has no alg
		{"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", true},
		{"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", false},
		{"sk_live_abcdefghijklmnop1234", true},
		{"sk_test_abcdefghijklmnop1234", false},
		{"xoxb-123456789012-abcdefghij", true},
		{"AIzaSyA1234567890abcdefghijklmnopqrstuv", true},
	}
	for _, c := range cases {
		fs := e.FindString("k "+c.text+" end", nil)
		got := len(fs) == 1 && fs[0].Type == TypeSecret && fs[0].End-fs[0].Start == len(c.text)
		if got != c.want {
			t.Errorf("%q: found=%v want %v (%v)", c.text, got, c.want, fs)
		}
	}
}
