package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The cheap tests in front of the names pass's look-ups (names.go) must
// let through every word the look-up could accept.

// TestCueFilterPassesEveryCue: cueFirst and cueEnd let every cue through,
// in lower case, capitalised and in upper case.
func TestCueFilterPassesEveryCue(t *testing.T) {
	if len(nameCues.m) < 50 {
		t.Fatalf("%d cues", len(nameCues.m))
	}
	for w := range nameCues.m {
		for _, v := range []string{w, strings.ToUpper(w[:1]) + w[1:], strings.ToUpper(w)} {
			if len(v) != len(w) {
				continue // ToUpper of a non-ASCII letter may change its length; getFold folds ASCII only
			}
			if (cueFirst[v[0]&31]&cueEnd[v[len(v)-1]&31])>>(uint(len(v))&31)&1 == 0 {
				t.Errorf("cue %q is rejected by cueFirst/cueEnd", v)
			}
		}
	}
}

// cueTexts returns texts with a capitalised word after every cue and after
// other words, behind every kind of blank, comma and line break, and
// random texts of the bytes cueBefore looks at.
func cueTexts() []string {
	var out []string
	words := []string{"x", "Bye", "bye", "Hi", "HI", "hI", "dear", "Thanks", "thank you", "Regards", "gruß", "Grüße", "my name is",
		"this is", "name is", "I am", "I ben", "ik ben", "Im", "I'm", "from", "by", "signed", "CBS", "Sun", "at", "is", "Is",
		"o'hi", "xhi", "x.hi", "congratulations", "Congratulations", "xcongratulations", "a,hi", "-hi"}
	for w := range nameCues.m {
		words = append(words, w)
	}
	seps := []string{" ", "  ", "\t", "\r\n", "\n", ", ", ",\n", ",\r\n", ",", " \n", "\n\n", " ,", "         ", "        ", ":", ". ", "\n "}
	for _, w := range words {
		for _, sep := range seps {
			for _, pre := range []string{"", " ", "x", "1"} {
				out = append(out, pre+w+sep+"Jane")
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	const alpha = "hiyeoHIYEO ,\n\t\r'xas\xc3\x9fJ"
	for range 100000 {
		b := make([]byte, 1+r.IntN(14))
		for k := range b {
			b[k] = alpha[r.IntN(len(alpha))]
		}
		out = append(out, string(b)+"Jane")
	}
	return out
}

// TestCueMaybeAndFilterExact: cueMaybe says no only where cueBefore says no,
// and cueBefore with the first/last-letter filter answers as the set alone
// (cueBeforeRef) at every position of the cue texts. Some must be cues.
func TestCueMaybeAndFilterExact(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cues := 0
	for _, text := range cueTexts() {
		s := scanner{e: e, t: []byte(text)}
		for i := range len(text) + 1 {
			want := cueBeforeRef(s.t, i)
			if i < len(text) {
				if got := s.cueBefore(i); got != want {
					t.Fatalf("cueBefore(%q, %d) = %v, want %v", text, i, got, want)
				}
			}
			if want {
				cues++
				if !cueMaybe(s.t, i) {
					t.Fatalf("cueMaybe(%q, %d) = false, but a cue stands before", text, i)
				}
			}
		}
	}
	if cues < 1000 {
		t.Fatalf("only %d cues found in the texts", cues)
	}
}

// cueBeforeRef is cueBefore without the filters: the set decides.
func cueBeforeRef(t []byte, i int) bool {
	k := i
	nl := 0
	for k > max(i-8, 0) {
		c := t[k-1]
		if c != ' ' && c != '\t' && c != '\r' {
			if c != '\n' {
				break
			}
			nl++
		}
		k--
	}
	if k == i || nl > 1 {
		return false
	}
	comma := false
	if k > 0 && t[k-1] == ',' {
		comma = true
		k--
	} else if nl > 0 {
		return false
	}
	e := k
	for k > max(e-16, 0) {
		if c := t[k-1]; !isLetter(c) && c < 0x80 && c != '\'' {
			break
		}
		k--
	}
	if k == e || k > 0 && isWordByte(t[k-1]) {
		return false
	}
	w := t[k:e]
	if !nameCues.getFold(w) {
		return false
	}
	switch {
	case eqFold(w, "is"):
		if comma {
			return false
		}
		b := k
		for b > 0 && t[b-1] == ' ' {
			b--
		}
		pe := b
		for b > 0 && pe-b < 8 && isLetter(t[b-1]) {
			b--
		}
		pw := t[b:pe]
		return eqFold(pw, "name") || eqFold(pw, "this") || eqFold(pw, "naam") || eqFold(pw, "here")
	case eqFold(w, "name") || eqFold(w, "naam") || eqFold(w, "nombre") || eqFold(w, "nom") || eqFold(w, "nome"):
		return false
	case eqFold(w, "am") || eqFold(w, "ben"):
		if comma {
			return false
		}
		b := k
		for b > 0 && t[b-1] == ' ' {
			b--
		}
		return b > 0 && (t[b-1] == 'I' || t[b-1] == 'k') && (b < 2 || !isWordByte(t[b-2]))
	case eqFold(w, "im") || eqFold(w, "i'm"):
		return !comma
	case eqFold(w, "from") || eqFold(w, "by") || eqFold(w, "signed"):
		return false
	}
	return true
}

// TestTitleMaybeExact: with titleMaybe in front, the title set answers as
// alone for every word capWord returns from texts of title-like words.
func TestTitleMaybeExact(t *testing.T) {
	var words []string
	for w := range nameTitles.m {
		words = append(words, w, strings.ToUpper(w[:1])+w[1:], strings.ToUpper(w))
	}
	words = append(words, "Dec", "Mon", "Sun", "Scheduled", "Mrx", "Mrss", "Dott", "Professors", "Don'", "Doña", "DOÑA", "Doñas")
	hits := 0
	for _, w := range words {
		for _, text := range []string{w, w + " Jane", "x " + w + ". Jane"} {
			b := []byte(text)
			for i := range b {
				e := capWord(b, i)
				if e == i {
					continue
				}
				want := nameTitles.getFold(b[i:e])
				if want {
					hits++
				}
				if got := titleMaybe(b[i:e]) && nameTitles.getFold(b[i:e]); got != want {
					t.Fatalf("title test of %q in %q: %v, want %v", b[i:e], text, got, want)
				}
			}
		}
	}
	if hits < 30 {
		t.Fatalf("only %d titles seen", hits)
	}
}

// TestNamesAfterRejectedWords: a name right after a word the names pass
// rejects (capWord, title, cue or lexicon tests) or passes over is found
// as by the scan of runSlow: walking the list, names goes on at the next
// candidate after such a word, however close.
func TestNamesAfterRejectedWords(t *testing.T) {
	es := fastPathEngines(t)
	words := []string{"A", "I", "AB", "KB", "HTTPS", "QuorumCnxManager", "McDonaldS", "McDonald", "Ab1", "O'BRIEN", "O'Brien",
		"Abcdefghijklmnopqrstuvwxyz", "Abcdefghijklmnopqrstuvw", "Anna_", "Anna/x", "Anna.b", "Anna:x", "Anna-", "Anna-Lena",
		"X-", "Received", "Dec", "Mon", "Sun", "Mr", "Dr.", "Hi", "Bye", "Dear", "Thanks,", "Regards,\n", "CBS", "Info", "É", "Ém"}
	seps := []string{" ", "  ", ", ", ",", "\n", "-", "(", "'", ". ", ": "}
	names := []string{"Jane Smith", "Jane", "John Doe,", "Anna Müller", "Mr Smith", "Hi Jane", "Dear John,", "I Jane Smith", "A Jane Smith"}
	for _, pre := range []string{"", "Hi ", "x "} {
		for _, w := range words {
			for _, sep := range seps {
				for _, nm := range names {
					compareFastSlow(t, es, []byte(pre+w+sep+nm), nil)
					compareFastSlow(t, es, []byte(pre+w+sep+nm+" "+w+sep+nm+"\n"), nil)
				}
			}
		}
	}
}
