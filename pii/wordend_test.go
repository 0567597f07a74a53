package pii

import (
	"math/rand/v2"
	"testing"
)

// wordEndPlain is the byte loop run used before wordEnd: the reference.
func wordEndPlain(t []byte, j int, f uint8) (int, uint8) {
	for j < len(t) && class[t[j]]&cWord != 0 {
		f |= class[t[j]]
		j++
	}
	return j, f
}

// checkWordEnd compares wordEnd with the plain loop from every start in t,
// with every first-byte class run passes in (the class of t[j-1], or 0).
func checkWordEnd(t *testing.T, b []byte) {
	t.Helper()
	for j := 0; j <= len(b); j++ {
		var f0 uint8
		if j > 0 {
			f0 = class[b[j-1]]
		}
		wj, wf := wordEndPlain(b, j, f0)
		gj, gf := wordEnd(b, j, f0)
		if gj != wj || gf != wf {
			t.Fatalf("wordEnd(%q, %d, %#x) = %d, %#x; the byte loop gives %d, %#x", b, j, f0, gj, gf, wj, wf)
		}
	}
}

// wordEndAlphabet is weighted towards the bytes of log lines: word bytes
// of every class, the separators next to them, and the bytes at the edges
// of the class ranges.
var wordEndAlphabet = []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_" +
	"0099aaffggzzAAFFGGZZ__" + " =\":-./,[]{}\n\t@`\x7f\x80\xbf\xc3\xe2\xff\x00\x2f\x3a\x40\x5b\x5e\x60\x7b")

func TestWordEnd(t *testing.T) {
	// Every byte value at every position of a word of each class, from
	// every start: the end and the classes at every offset and length.
	for _, fill := range []byte{'a', 'z', 'G', '7', '_', 0xc3} {
		for n := 1; n <= 40; n++ {
			b := make([]byte, n)
			for p := 0; p < n; p++ {
				for v := 0; v < 256; v++ {
					for k := range b {
						b[k] = fill
					}
					b[p] = byte(v)
					checkWordEnd(t, b)
				}
			}
		}
	}
	// Two bytes of every pair of values in a short text.
	b := []byte("ab__")
	for v := 0; v < 256; v++ {
		for w := 0; w < 256; w++ {
			b[1], b[2] = byte(v), byte(w)
			checkWordEnd(t, b)
		}
	}
	// Random texts of every length up to 100 from the alphabet, and of
	// random bytes.
	r := rand.New(rand.NewPCG(16, 2026))
	for k := 0; k < 20000; k++ {
		b := make([]byte, r.IntN(100))
		for i := range b {
			if k%4 == 3 {
				b[i] = byte(r.Uint32())
			} else {
				b[i] = wordEndAlphabet[r.IntN(len(wordEndAlphabet))]
			}
		}
		checkWordEnd(t, b)
	}
}

func FuzzWordEnd(f *testing.F) {
	for _, s := range []string{"", "a", "abc def", "2024-05-01T12:27:58.719Z", "d2ecb149-fb32-4ab1-afd7-ff74e7ea10f0",
		"request_id=5aadb1be6fa801922852d18d4720edad", "INFO GET Thanks", "Ünïcödé wörds", "x\x80y\xffz_1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkWordEnd(t, b)
	})
}
