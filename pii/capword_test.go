package pii

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// capWordRef is capWord as it was written before the SWAR skip: one byte
// at a time, at most 24 bytes.
func capWordRef(t []byte, i int) int {
	n := len(t)
	if i >= n || !isUpper(t[i]) {
		return i
	}
	e := i + 1
	lowers := false
	w := t[:min(n, i+24)]
	for e < len(w) {
		c := w[e]
		switch {
		case c-'a' < 26:
			lowers = true
		case c >= 0x80 || c == '\'' || c == '-' && e+1 < n && isUpper(t[e+1]):
		case isUpper(c) && (w[e-1] == '\'' || e-i == 2 && w[i] == 'M' && w[i+1] == 'c'):
		default:
			goto done
		}
		e++
	}
done:
	if e < n && (capGlue[t[e]] || t[e] == '.' && e+1 < n && isLetter(t[e+1]) || t[e] == ':' && e+1 < n && t[e+1] != ' ') {
		return i
	}
	if e-i < 2 || !lowers || e-i >= 24 {
		return i
	}
	return e
}

// capWordQuick is the code namesList has written out for capWord(t, i),
// t[i] an upper-case ASCII letter: the lines between the markers are the
// same as there (TestCapWordQuickIsNamesList).
func capWordQuick(t []byte, i int) int {
	n := len(t)
	// capWordQuick: begin
	w := t[:min(n, i+24)]
	e := i + 1
	for uint(e) < uint(len(w)) && capClass[w[e]] == ccLower {
		e++
	}
	if uint(e) >= uint(len(w)) {
		e = capWord(t, i)
	} else if k := capClass[w[e]]; k == ccUpper && !(e-i == 2 && w[i] == 'M' && w[i+1] == 'c') {
		e = i // glued: capWord returns i
	} else if k != ccStop || e-i < 2 {
		e = capWord(t, i)
	}
	// capWordQuick: end
	return e
}

// TestCapWordQuickIsNamesList: the lines capWordQuick tests are the lines
// namesList runs (both files read, the lines between the markers compared
// without their indentation).
func TestCapWordQuickIsNamesList(t *testing.T) {
	block := func(file, fn string) []string {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		f := strings.Index(text, "func "+fn)
		if f < 0 {
			t.Fatalf("%s: no func %s", file, fn)
		}
		text = text[f:]
		a := strings.Index(text, "// capWordQuick: begin\n")
		b := strings.Index(text, "// capWordQuick: end\n")
		if a < 0 || b < a {
			t.Fatalf("%s: %s has no capWordQuick markers", file, fn)
		}
		var lines []string
		for _, l := range strings.Split(text[a:b], "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
		return lines
	}
	quick, list := block("capword_test.go", "capWordQuick("), block("names.go", "(s *scanner) namesList(")
	if strings.Join(quick, "\n") != strings.Join(list, "\n") {
		t.Fatalf("capWordQuick (capword_test.go) and namesList (names.go) differ between their markers:\n%s\n----\n%s",
			strings.Join(quick, "\n"), strings.Join(list, "\n"))
	}
}

// TestCapWordMatchesRef compares capWord (and capWordQuick) with the byte loop at every
// position of texts made of the bytes that matter (lower- and upper-case
// letters, 'M' 'c', apostrophes, hyphens, non-ASCII bytes, the glue and
// stop bytes), with words of every length around the 8-byte steps and the
// 24-byte limit, and at every cut near the end of the text.
func TestCapWordMatchesRef(t *testing.T) {
	const alpha = "abcxyzzaaaaaaaaaaaaaaaaaaaaaaAZMc'-\x80\xc3\xa9 .:/=@_09\n`{@[\x7f"
	r := rand.New(rand.NewPCG(1, 2))
	check := func(b []byte) {
		for i := range len(b) + 1 {
			want := capWordRef(b, i)
			if got := capWord(b, i); got != want {
				t.Fatalf("capWord(%q, %d) = %d, want %d", b, i, got, want)
			}
			if i < len(b) && isUpper(b[i]) {
				if got := capWordQuick(b, i); got != want {
					t.Fatalf("capWordQuick(%q, %d) = %d, want %d", b, i, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "A", "Ab", "Abc", "McDonald", "O'Brien", "Anna-Lena", "Anna-", "Anna-lena", "Müller",
		"Abcdefghijklmnopqrstuvw", "Abcdefghijklmnopqrstuvwx", "Abcdefghijklmnopqrstuvwxy", "Abcdefg", "Abcdefgh", "Abcdefghi",
		"Abcdefghijklmnop", "Abcdefghijklmnopq", "Abcdefghijklmnopqrstuvw ", "Abcdefghijklmnopqrstuvwx ", "ABC", "AbC", "Ab1",
		"Ab.c", "Ab. c", "Ab:c", "Ab: c", "Ab/", "Ab=", "Ab@", "Ab_", "Abc'Def", "Ab'", "A'B", "Abcdefgh'Ijklmnop qr",
		"Mcdonald", "McD", "MMcD", "Abcdéfghijklmnopqrstu x", "Abcdefghijklmnopqrstuvw-X"} {
		for _, pre := range []string{"", " "} {
			for _, post := range []string{"", " ", "\n", " x y z w v u t", "abcdefghijklmnopqrstuvwxyz"} {
				check([]byte(pre + s + post))
			}
		}
	}
	for range 200000 {
		b := make([]byte, 1+r.IntN(40))
		for k := range b {
			b[k] = alpha[r.IntN(len(alpha))]
		}
		b[r.IntN(len(b))] = "ABCMOZ"[r.IntN(6)]
		check(b)
	}
}
