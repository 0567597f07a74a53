package pii

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// checkLineScan compares lineScanAVX2 on t (at least 32 bytes) with the
// byte loop: the offset of the first '\n' exactly, and flags that hold at
// least what the line before it holds.
func checkLineScan(tb testing.TB, t []byte) {
	tb.Helper()
	k, fl := lineScanAVX2(&t[0], len(t))
	want := bytes.IndexByte(t, '\n')
	if want < 0 {
		want = len(t)
	}
	if k != want {
		tb.Fatalf("lineScanAVX2(%q): k = %d, want %d", t, k, want)
	}
	for _, c := range t[:k] {
		if c >= 0x80 && fl&lsHigh == 0 {
			tb.Fatalf("lineScanAVX2(%q): no lsHigh for byte %#x before %d", t, c, k)
		}
		if (c == '@' || c == '&' || c == '%') && fl&lsEmail == 0 {
			tb.Fatalf("lineScanAVX2(%q): no lsEmail for %q before %d", t, c, k)
		}
	}
	// The flags come only from bytes of t: none for a text without them.
	if fl&lsHigh != 0 && bytes.IndexFunc(t, func(r rune) bool { return r >= 0x80 }) < 0 {
		tb.Fatalf("lineScanAVX2(%q): lsHigh for ASCII", t)
	}
	if fl&lsEmail != 0 && bytes.IndexAny(t, "@&%") < 0 {
		tb.Fatalf("lineScanAVX2(%q): lsEmail without '@', '&' or '%%'", t)
	}
}

// TestLineScan: lineScanAVX2 on every length from 32 to 200 with a '\n',
// an e-mail byte or a byte >= 0x80 at every position, alone and at random.
func TestLineScan(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	for n := 32; n <= 200; n++ {
		for p := 0; p < n; p++ {
			for _, c := range []byte("\n@&%\x80\xff\xc3") {
				b := bytes.Repeat([]byte{'a'}, n+1)[:n] // a byte past the end, never read
				b[p] = c
				checkLineScan(t, b)
			}
		}
		checkLineScan(t, bytes.Repeat([]byte{'x'}, n))
	}
	r := rand.New(rand.NewPCG(16, 32))
	buf := make([]byte, 400)
	for round := 0; round < 20000; round++ {
		for k := range buf {
			buf[k] = "ab ;\n@&%\r\x80\xe9\x7f\x0a\x0b"[r.IntN(14)]
			if r.IntN(4) != 0 {
				buf[k] = 'a' + byte(r.IntN(26))
			}
		}
		n := 32 + r.IntN(300)
		a := r.IntN(64)
		checkLineScan(t, buf[a:a+n:a+n])
	}
}

// TestRedactLinesScan: RedactLines, which takes each line's end and what
// it may hold from lineScanAVX2, against Redact line by line, on lines of
// every length around the scan's 32- and 64-byte steps, holding e-mail
// addresses (plain, "&#64;", "%40"), valid and invalid non-ASCII bytes,
// at the start, the middle and the end, with "\n" and "\r\n" endings.
func TestRedactLinesScan(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRedactor(e, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"jane@example.com", "jane&#64;example.com", "jane%40example.com", "Zoë", "bad \xff\xfe", "cut \xe2\x82", "x"}
	for _, v := range values {
		for n := 1; n <= 140; n++ {
			var text []byte
			for _, at := range []int{0, n / 2, n} { // where v goes in the filler
				fill := bytes.Repeat([]byte("ab "), n)[:n]
				line := append(append(append([]byte(nil), fill[:at]...), " "+v+" "...), fill[at:]...)
				text = append(text, line...)
				if at == n/2 {
					text = append(text, '\r')
				}
				text = append(text, '\n')
			}
			checkRedactLines(t, r, text, nil)
			checkRedactLines(t, r, text[:len(text)-1], nil) // no final newline
		}
	}
}
