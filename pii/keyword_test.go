package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// kwShortFindCopy is keyword's look-up of a word of at most 16 bytes in
// kwShort, on a copy of w followed by filler, as keyword reads it from a
// text.
func kwShortFindCopy(w []byte, fill byte) (kw, bool) {
	t := append([]byte(nil), w...)
	for len(t) < len(w)+16 {
		t = append(t, fill)
	}
	lo, hi := kwPack(t[:len(w)])
	for p := kwShortHash(lo, hi); ; p = (p + 1) & (uint32(len(kwShort)) - 1) {
		e := &kwShort[p]
		if e.lo == lo && e.hi == hi && int(e.n) == len(w) {
			return e.k, true
		}
		if e.n == 0 {
			return kw{}, false
		}
	}
}

// TestKeywordTables: for words of 2 to 16 bytes, kwShort answers as
// kwTable (kwFind): every keyword in every mix of case, each with a byte
// changed (to another word byte), cut or extended, and random words of
// letters, digits, '_' and bytes >= 0x80 (the bytes of a word, which is
// all keyword is called on), with any byte after them.
func TestKeywordTables(t *testing.T) {
	check := func(w []byte) {
		t.Helper()
		for _, fill := range []byte{' ', 'a', 0, 0xff, '_'} {
			got, ok := kwShortFindCopy(w, fill)
			want := kwFind(w)
			if got != want || ok != (want != kw{}) {
				t.Fatalf("kwShort look-up of %q (then %q) = %+v, %v; kwTable %+v", w, fill, got, ok, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(8, 8))
	n8 := 0
	for _, e := range kwTable {
		if e.w == "" || len(e.w) > 16 {
			continue
		}
		n8++
		w := []byte(e.w)
		for m := 0; m < 1<<min(len(w), 10); m++ { // every mix of upper and lower case (of the first 10)
			v := []byte(strings.ToLower(e.w))
			for k := range v {
				if m&(1<<k) != 0 && v[k] >= 'a' && v[k] <= 'z' {
					v[k] -= 32
				}
			}
			check(v)
		}
		for k := range w {
			v := append([]byte(nil), w...)
			if v[k] ^= 1 << r.IntN(8); class[v[k]]&cWord != 0 {
				check(v)
			}
			if k >= 2 {
				check(w[:k])
			}
		}
		if len(w) < 16 {
			check(append(append([]byte(nil), w...), 's'))
		}
	}
	if n8 < 150 {
		t.Fatalf("only %d keywords of at most 16 bytes", n8)
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_\xc3\xa9\xe3\x80\xff\xdf"
	for round := 0; round < 200000; round++ {
		w := make([]byte, 2+r.IntN(15))
		for k := range w {
			w[k] = alphabet[r.IntN(len(alphabet))]
		}
		check(w)
	}
}
