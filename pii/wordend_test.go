package pii

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
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

// TestKwMaybeSWAR compares run's keyword filter on the eight bytes of a
// word with kwMaybe on its first three bytes, for every pair of first
// bytes, third bytes of each kind, every length and random bytes after.
func TestKwMaybeSWAR(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 16))
	check := func(x uint64, k int) {
		c2 := byte(x >> 16)
		if k == 2 {
			c2 = 0
		}
		if got, want := kwMaybeSWAR(x, k), kwMaybe(byte(x), byte(x>>8), c2, k); got != want {
			t.Fatalf("kwMaybeSWAR(%#x, %d) = %v, kwMaybe says %v", x, k, got, want)
		}
	}
	passed := 0
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			for _, c := range []uint64{0, 'a', 'e', 'r', 'z', 'A', 'Z', ' ', '_', '1', 0x80, 0xff, uint64(r.Uint32() & 0xff)} {
				for k := 1; k < 16; k++ {
					x := uint64(a) | uint64(b)<<8 | c<<16 | r.Uint64()<<24
					check(x, k)
					if kwMaybeSWAR(x, k) {
						passed++
					}
				}
			}
		}
	}
	for n := 0; n < 1<<20; n++ {
		check(r.Uint64(), 1+r.IntN(15))
	}
	// Every keyword of up to 15 letters passes, lower-case as run sees it.
	for _, e := range kwTable {
		if e.w == "" || len(e.w) >= 16 {
			continue
		}
		var b [8]byte
		copy(b[:], e.w)
		if len(e.w) < 8 {
			b[len(e.w)] = ' '
		}
		x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if !kwMaybeSWAR(x, len(e.w)) {
			t.Errorf("keyword %q is rejected by kwMaybeSWAR", e.w)
		}
	}
	if passed == 0 {
		t.Fatal("no input passed the filter")
	}
}

// lowerRunPlain is lowerRun byte by byte: the reference.
func lowerRunPlain(x uint64) (stop, hx uint64) {
	in := true // still in the run of lower-case letters that starts x
	for k := 0; k < 8; k++ {
		c := byte(x >> (8 * k))
		if c < 'a' || c > 'z' {
			stop |= 0x80 << (8 * k)
			in = false
		} else if in && c > 'f' {
			hx |= 0x80 << (8 * k)
		}
	}
	return stop, hx
}

func TestLowerRun(t *testing.T) {
	check := func(x uint64) {
		gs, gh := lowerRun(x)
		ws, wh := lowerRunPlain(x)
		if gs != ws || gh != wh {
			t.Fatalf("lowerRun(%#016x) = %#x, %#x; the byte loop gives %#x, %#x", x, gs, gh, ws, wh)
		}
	}
	// Every byte value at every position of eight letters of each kind,
	// and after a stop byte at every position before it.
	for _, fill := range []byte{'a', 'f', 'g', 'z', '0', 0xe1} {
		for p := 0; p < 8; p++ {
			for v := 0; v < 256; v++ {
				var x uint64
				for k := 0; k < 8; k++ {
					x |= uint64(fill) << (8 * k)
				}
				x = x&^(0xff<<(8*p)) | uint64(v)<<(8*p)
				check(x)
				for q := 0; q < p; q++ {
					check(x&^(0xff<<(8*q)) | ' '<<(8*q))
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(8, 16))
	for n := 0; n < 1<<20; n++ {
		var x uint64
		for k := 0; k < 8; k++ {
			x |= uint64(wordEndAlphabet[r.IntN(len(wordEndAlphabet))]) << (8 * k)
		}
		check(x)
		check(r.Uint64())
	}
}

// TestFastPathsLowerWords: the keywords run finds with lowerRun and
// kwMaybeSWAR (lower-case words of up to 15 letters read eight bytes at a
// time), each cut short, lengthened, with a byte of each kind after it and
// at several distances from the end of the text, give the findings of
// runSlow.
func TestFastPathsLowerWords(t *testing.T) {
	es := fastPathEngines(t)
	var words []string
	for _, e := range kwTable {
		w := e.w
		if w == "" || len(w) >= 16 || strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
			continue
		}
		words = append(words, w, w[:len(w)-1], w+"s", w+"ghij")
	}
	sort.Strings(words)
	for n, w := range words {
		after := []string{" ", ":", "=", "x", "A", "1", "_", "\xc3\xa9", "-", "."}
		for k, a := range after {
			pad := strings.Repeat(" ", (n+k)%17)
			for _, tail := range []string{" 536-22-1234 x", " 536221234", " +44 20 7946 0958 and more words after it"} {
				compareFastSlow(t, es, []byte(pad+w+a+tail), nil)
			}
		}
	}
}

// unrolledWordSteps is the source of the steps run takes over the 15 bytes
// after a word's first byte when it does not start with a lower-case
// letter: the byte loop written out, one step a byte, then wordEnd from
// the 16th byte. TestUnrolledWordSteps checks that engine.go holds
// exactly these lines; paste them there after a change here.
func unrolledWordSteps() []string {
	var l []string
	for k := 1; k < 16; k++ {
		l = append(l,
			fmt.Sprintf("if c := class[w[%d]]; c&cWord == 0 {", k),
			fmt.Sprintf("j = i + %d", k),
			"goto end",
			"} else {",
			"f |= c",
			"}")
	}
	return append(l, "j = i + 16")
}

// unrolledWordEnd is what the steps compute, as a loop: the end of the
// word that starts at w[0], from its class f0, and its classes.
func unrolledWordEnd(t []byte, i int, f0 uint8) (int, uint8) {
	w := (*[16]byte)(t[i : i+16])
	f := f0
	for k := 1; k < 16; k++ {
		c := class[w[k]]
		if c&cWord == 0 {
			return i + k, f
		}
		f |= c
	}
	return wordEnd(t, i+16, f)
}

func TestUnrolledWordSteps(t *testing.T) {
	src, err := os.ReadFile("engine.go")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	in, after := false, 0
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "// unrolled word steps: begin":
			if in || got != nil {
				t.Fatal("engine.go: a second begin marker")
			}
			in = true
		case l == "// unrolled word steps: end":
			in, after = false, 1
		case in:
			got = append(got, l)
		case after > 0:
			// What follows the steps: the byte loop from the 16th byte,
			// then the label the steps jump to.
			if want := []string{"}", "j, f = wordEnd(t, j, f)", "end:"}[after-1]; l != want {
				t.Fatalf("engine.go: %q after the unrolled steps, want %q", l, want)
			}
			if after++; after > 3 {
				after = 0
			}
		}
	}
	want := unrolledWordSteps()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("engine.go's unrolled word steps are not unrolledWordSteps():\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What the steps compute is the byte loop's end and classes, from
	// every start with 16 bytes left, for every byte value at every
	// position and random texts.
	check := func(b []byte) {
		for i := 0; i+16 <= len(b); i++ {
			f0 := class[b[i]]
			if f0&cWord == 0 {
				continue
			}
			gj, gf := unrolledWordEnd(b, i, f0)
			wj, wf := wordEndPlain(b, i+1, f0)
			if gj != wj || gf != wf {
				t.Fatalf("the unrolled steps on %q from %d give %d, %#x; the byte loop %d, %#x", b, i, gj, gf, wj, wf)
			}
		}
	}
	for _, fill := range []byte{'7', 'A', '_', 0xc3, 'a'} {
		b := make([]byte, 40)
		for p := 0; p < 20; p++ {
			for v := 0; v < 256; v++ {
				for k := range b {
					b[k] = fill
				}
				b[p] = byte(v)
				check(b)
			}
		}
	}
	r := rand.New(rand.NewPCG(15, 16))
	for n := 0; n < 20000; n++ {
		b := make([]byte, 16+r.IntN(48))
		for k := range b {
			b[k] = wordEndAlphabet[r.IntN(len(wordEndAlphabet))]
		}
		check(b)
	}
}
