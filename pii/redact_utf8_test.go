package pii

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// TestValidUTF8 compares validUTF8 (64 bytes a step over ASCII) with
// utf8.Valid on ASCII text of every length up to 200 with a valid or
// broken sequence at every position, so that a step that skips a
// non-ASCII byte, or a tail that is not checked, fails.
func TestValidUTF8(t *testing.T) {
	pieces := [][]byte{
		[]byte("\u00e9"), []byte("\u20ac"), []byte("\U0001F600"), // valid, 2 to 4 bytes
		{0x80}, {0xff}, {0xc3}, {0xe2, 0x82}, {0xed, 0xa0, 0x80}, // broken
	}
	for n := 0; n <= 200; n++ {
		ascii := bytes.Repeat([]byte("a"), n)
		if !validUTF8(ascii) {
			t.Fatalf("%d ASCII bytes reported invalid", n)
		}
		for p := 0; p <= n; p++ {
			for _, piece := range pieces {
				b := append(append(append([]byte(nil), ascii[:p]...), piece...), ascii[p:]...)
				if got, want := validUTF8(b), utf8.Valid(b); got != want {
					t.Fatalf("validUTF8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// TestRedactLinesUnchangedRuns: lines without findings are copied in runs
// between lines that change, in text that is valid UTF-8 as a whole and
// in text where one line is not (which is checked line by line).
func TestRedactLinesUnchangedRuns(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRedactor(e, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"a\nb\r\nmail jane@example.com\nc\r\nd",
		"a\nb\nc\n",
		"mail jane@example.com\nb\nc\nmail jane@example.com",
		"caf\u00e9 ok\nb\nmail jane@example.com\r\nno\xffmail jane@example.com\nstill caf\u00e9\nlast",
		"x\n\xc3\nphone +44 20 7946 0958\n\n\r\n",
	} {
		checkRedactLines(t, r, []byte(in), nil)
	}
}
