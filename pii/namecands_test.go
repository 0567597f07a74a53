package pii

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The names pass walks the candidates run recorded instead of scanning the
// text (names.go). These tests hold the list to the scan: every candidate
// of the scan is on the list, in order, except those the capsWord rule
// leaves out, and nothing else is.

// scanNameCands is the names pass's old candidate scan: the upper-case
// ASCII letters at the start of t or after a byte that is not a word byte
// nor one of . / - _ @ = $ #.
func scanNameCands(t []byte) []int {
	var out []int
	for p, c := range t {
		if isUpper(c) && (p == 0 || !(isWordByte(t[p-1]) || strings.IndexByte("./-_@=$#", t[p-1]) >= 0)) {
			out = append(out, p)
		}
	}
	return out
}

// capsWordAt reports whether the word at p (the word bytes from p) is one
// the capsWord rule lets run leave out: two or more ASCII letters without a
// lower-case one, a word with a digit or '_', or ASCII letters followed by
// '/', '@' or '='.
func capsWordAt(t []byte, p int) bool {
	e := p
	for e < len(t) && isWordByte(t[e]) {
		e++
	}
	w := t[p:e]
	if bytes.ContainsAny(w, "0123456789_") {
		return true
	}
	upper, letters := true, true
	for _, c := range w {
		upper = upper && isUpper(c)
		letters = letters && isLetter(c)
	}
	return len(w) >= 2 && upper || letters && e < len(t) && strings.IndexByte("/@=", t[e]) >= 0
}

// recordNameCands runs the main pass (run, or runSlow when slow is set) as
// find sets it up and returns the candidates it recorded; ok is false when
// they did not fit.
func recordNameCands(e *Engine, text []byte, slow bool) (cands []int, ok bool) {
	var s scanner
	s.e, s.t, s.ipv6Until, s.pemEnd = e, text, -1, -2
	s.ctx = ctxNone
	if len(text) > maxNameCandPos {
		s.nc = nameCands + 1<<40
	}
	if slow {
		s.runSlow()
	} else {
		s.run()
	}
	if s.nc > nameCands {
		return nil, false
	}
	for _, p := range s.cands[:s.nc] {
		cands = append(cands, int(p))
	}
	return cands, true
}

// checkNameCands compares the recorded candidates of text with the scan,
// for run and runSlow; it returns whether the list fitted.
func checkNameCands(t testing.TB, e *Engine, text []byte) bool {
	t.Helper()
	want := scanNameCands(text)
	fitted := false
	for _, slow := range []bool{false, true} {
		got, ok := recordNameCands(e, text, slow)
		if !ok {
			continue
		}
		fitted = true
		k := 0
		for _, p := range want {
			if k < len(got) && got[k] == p {
				k++
				continue
			}
			if !capsWordAt(text, p) {
				t.Fatalf("slow=%v: candidate %d (%q) not recorded in %q\n got  %v\n scan %v", slow, p, text[p:min(len(text), p+12)], text, got, want)
			}
			if capWord(text, p) != p {
				t.Fatalf("slow=%v: candidate %d (%q) left out but capWord takes it, in %q", slow, p, text[p:min(len(text), p+12)], text)
			}
		}
		if k != len(got) {
			t.Fatalf("slow=%v: recorded %v, not the candidates of the scan %v (in order) in %q", slow, got, want, text)
		}
	}
	return fitted
}

// nameCandPieces are the pieces genNameCandText joins: the shapes after
// which word returns past the end of the word (digit groups, a DNI with a
// separated letter, written-out dates after a birth word, tokens that run
// on, a PEM block), timestamps, capitalised words after every kind of byte,
// the capsWord shapes and the ones next to them.
var nameCandPieces = []string{
	"Anna", "Jan", "I", "I'm", "I-Bar", "O'Brien", "McDonald", "Hi Jane Smith,", "Dear Mr Smith", "Dr. Jane Doe",
	"GET", "HTTP/1.1", "INFO", "OK", "A", "AB", "ABc", "AbC", "ActiveRecord", "Mozilla/5.0", "GB82WEST12345698765432",
	"API_KEY", "X1", "Ab1", "Müller", "Émile", "ÄB", "Zoë", "MÜLLER",
	"12345678 Z", "12345678-Z", "12345678 Z Anna", "12345667 A", "12345667 A.", "born 3 June 1985", "born 3 Mai 1985", "born 3 March 1985 Anna", "dob 3. März 1985", "geboren March 3, 1985 Jan",
	"10.97.170.233", "200 44821", "1 2 3 4 5 6 7 8 9 10 11 12 13 Anna", "1 2 3 4 5 6 7 8 9 10 11 12 13Anna",
	"+44 20 7946 0958", "(020) 7946 0958", "4111 1111 1111 1111", "2024-05-01T12:27:58.719Z", "2024-05-01T12:27:58Z",
	"ya29.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "abc8Q~Abcdefghijklmnopqrstuvwxyz12345", "abc8Q~ Anna",
	"AIzaSyAbCdEfGhIjKlMnOpQrStUvWxYz0123456", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJBbm5hIn0.Abc-Def_Ghi",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIE Anna Smith\n-----END RSA PRIVATE KEY-----",
	"-----BEGIN PRIVATE KEY-----\nMIIEvQ Jan Z", "DE89 3704 0044 0532 0130 00", "AB 12 34 56 C",
	"name=Jane Doe", "user.name=Anna", "x/Anna", "Anna/", "Anna@x", "Anna=", "Anna=x", "I/O", "Ab/", "ÄB/", "Müller/", "Anna:x", "Anna.x", "x.Anna", "x-Anna", "x_Anna", "x@Anna", "x=Anna", "$Anna", "#Anna",
	"~Anna", "'Anna'", "\"Anna\"", "(Anna)", "[Anna]", "\tAnna", "\nAnna", ":Anna", ",Anna", "9Anna", "éAnna",
	"12:34:56", "::1 Anna", "fe80::1", "2001:db8::ff00:42:8329", "v2", "sha256", "request_id=45e1107f", "652ms", "01T12",
}

// nameCandSeps are what genNameCandText puts between pieces.
var nameCandSeps = []string{" ", "", "  ", ", ", ". ", "\n", "/", "-", "_", "=", ":", "'", "~", "\t", "é", "(", ")"}

func genNameCandText(g *gen) string {
	var b strings.Builder
	for k := 1 + g.r.IntN(8); k > 0; k-- {
		if g.r.IntN(4) == 0 {
			b.WriteString(g.pick(nameCandSeps...))
		}
		switch g.r.IntN(10) {
		case 0:
			b.WriteString(g.digits(1 + g.r.IntN(12)))
		case 1:
			// Random bytes from the ones that matter.
			for m := g.r.IntN(8); m > 0; m-- {
				b.WriteByte(" AZaz09._-/@=$#'~:\n\xc3\xa9"[g.r.IntN(20)])
			}
		default:
			b.WriteString(g.pick(nameCandPieces...))
		}
		b.WriteString(g.pick(nameCandSeps...))
	}
	return b.String()
}

// TestNameCandsMatchScan: the candidates run and runSlow record are those
// of the scan (but for the capsWord rule) on the pieces alone and after
// every kind of byte, on generated texts and every cut of them, and on the
// corpora; the findings of Find (which walks the list) are those of the
// scan (runSlow's names pass).
func TestNameCandsMatchScan(t *testing.T) {
	es := fastPathEngines(t)
	e := es[0]
	for _, p := range nameCandPieces {
		for _, pre := range append([]string{""}, nameCandSeps...) {
			in := []byte(pre + p)
			checkNameCands(t, e, in)
			compareFastSlow(t, es[:1], in, nil)
		}
	}
	g := newGen(20261207)
	fitted := 0
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for k := 0; k < n; k++ {
		in := genNameCandText(g)
		if checkNameCands(t, e, []byte(in)) {
			fitted++
		}
		if k%10 == 0 {
			compareFastSlow(t, es[:1], []byte(in), nil)
			for c := 1; c < len(in); c += 3 {
				checkNameCands(t, e, []byte(in[c:]))
			}
		}
	}
	if fitted < n/2 {
		t.Errorf("only %d of %d generated texts had their candidates fit in the list", fitted, n)
	}
	for _, s := range buildCorpus(20261128, 1000) {
		checkNameCands(t, e, []byte(s.Text))
	}
	for _, l := range bytes.SplitAfter(logCorpus(1<<18), []byte("\n")) {
		checkNameCands(t, e, l)
	}
}

// TestNameCandsOverflow: a text with more candidates than the list holds,
// or longer than its positions reach, is scanned by names: the findings are
// those of runSlow, and the list is not used.
func TestNameCandsOverflow(t *testing.T) {
	es := fastPathEngines(t)
	var b strings.Builder
	for k := 0; k < nameCands; k++ {
		fmt.Fprintf(&b, "Word%d Anna Smith x ", k)
		compareFastSlow(t, es, []byte(b.String()), nil)
	}
	if _, ok := recordNameCands(es[0], []byte(b.String()), false); ok {
		t.Fatalf("the list held the %d candidates of %q", len(scanNameCands([]byte(b.String()))), b.String())
	}
	long := []byte(strings.Repeat("x ", maxNameCandPos/2) + "Hi Anna, Dear Jan Smith")
	if _, ok := recordNameCands(es[0], long, false); ok {
		t.Fatalf("a text of %d bytes had a list", len(long))
	}
	compareFastSlow(t, es, long, nil)
}

// FuzzNameCands: the recorded candidates match the scan on any input.
func FuzzNameCands(f *testing.F) {
	fuzzSeeds(f)
	for _, p := range nameCandPieces {
		f.Add([]byte(p))
	}
	e, err := NewEngine(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkNameCands(t, e, in)
	})
}

// TestNameSkipHelpers holds plainSkip and noteCandsIn, which run calls on
// the bytes word skipped, to the scan on every range of short texts of the
// bytes that matter: plainSkip only for a range without a candidate (and
// for every range of at most eight bytes below 'A' that ends at 8 or
// later), noteCandsIn recording exactly the candidates of the range.
func TestNameSkipHelpers(t *testing.T) {
	g := newGen(7)
	const alphabet = " 09.-/:@AZaz\xc3\xa9~'"
	for k := 0; k < 3000; k++ {
		b := make([]byte, 1+g.r.IntN(24))
		for m := range b {
			b[m] = alphabet[g.r.IntN(len(alphabet))]
		}
		want := scanNameCands(b)
		for lo := 1; lo < len(b); lo++ {
			for hi := lo + 1; hi <= len(b); hi++ {
				var in []int
				for _, p := range want {
					if p >= lo && p < hi {
						in = append(in, p)
					}
				}
				below := true
				for _, c := range b[lo:hi] {
					below = below && c < 'A'
				}
				if got := plainSkip(b, lo, hi); got && !below || !got && below && hi-lo <= 8 && hi >= 8 {
					t.Fatalf("plainSkip(%q, %d, %d) = %v", b, lo, hi, got)
				}
				var s scanner
				s.t = b
				s.noteCandsIn(lo, hi)
				got := []int{}
				for _, p := range s.cands[:s.nc] {
					got = append(got, int(p))
				}
				if fmt.Sprint(got) != fmt.Sprint(append([]int{}, in...)) {
					t.Fatalf("noteCandsIn(%q, %d, %d) recorded %v, want %v", b, lo, hi, got, in)
				}
			}
		}
	}
}

// TestTitleLensPassEveryTitle: the filter in front of the title set must
// let every title through, capitalised as names finds it.
func TestTitleLensPassEveryTitle(t *testing.T) {
	if len(nameTitles.m) < 30 {
		t.Fatalf("%d titles", len(nameTitles.m))
	}
	for w := range nameTitles.m {
		if len(w) < 2 {
			continue // "m": capWord returns no one-byte word
		}
		for _, c1 := range []byte{w[1], w[1] - 32} { // "Dr", "DR"
			u := append([]byte{w[0] - 32, c1}, w[2:]...)
			if !titleMaybe(u) {
				t.Errorf("title %q (%d bytes) is rejected by titleMaybe", u, len(w))
			}
		}
	}
}

// TestCueLastPassesEveryCue: the filter in front of the cue set must let
// every cue through, in either ASCII case.
func TestCueLastPassesEveryCue(t *testing.T) {
	if len(nameCues.m) < 50 {
		t.Fatalf("%d cues", len(nameCues.m))
	}
	for w := range nameCues.m {
		c := w[len(w)-1]
		u := c
		if c >= 'a' && c <= 'z' {
			u = c - 32
		}
		if !cueLast[c] || !cueLast[u] {
			t.Errorf("cue %q is rejected by cueLast", w)
		}
	}
}
