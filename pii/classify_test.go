package pii

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// refMasks is the definition of blockMasks, one byte at a time from the
// class table: the masks of t[base:base+64], bytes past the end in no class.
func refMasks(t []byte, base int) blockMasks {
	var m blockMasks
	for k := 0; k < 64 && base+k < len(t); k++ {
		c := t[base+k]
		b := uint64(1) << k
		f := class[c]
		set := func(p *uint64, on bool) {
			if on {
				*p |= b
			}
		}
		set(&m.word, f&cWord != 0)
		set(&m.upper, f&cUpper != 0)
		stop := f&cWord != 0 || c == '.' || c == '/' || c == '-' || c == '_' || c == '@' || c == '=' || c == '$' || c == '#'
		if stop != nameStopByte[c] {
			panic(fmt.Sprintf("nameStopByte[%#x] = %v", c, !stop))
		}
		set(&m.nameStop, stop)
	}
	return m
}

// checkClassify compares, for the block classifyBlock gives for each
// position of t, the reference masks with classifyBlock's through the
// pure-Go classifier and, when the CPU has it, through the AVX2 one.
func checkClassify(tb testing.TB, t []byte) {
	tb.Helper()
	for i := 0; i < len(t); i++ {
		var got blockMasks
		base := classifyBlock(t, i, &got, true)
		if base > i || base+64 <= i || base+64 > max(len(t), 64) || base < 0 {
			tb.Fatalf("block for %d of %d bytes at %d", i, len(t), base)
		}
		want := refMasks(t, base)
		if got != want {
			tb.Fatalf("Go classifier, block %d of %q:\n got %+v\nwant %+v", base, t, got, want)
		}
		if !haveAVX2 {
			continue
		}
		got = blockMasks{}
		if b := classifyBlock(t, i, &got, false); b != base {
			tb.Fatalf("AVX2 block at %d, Go block at %d", b, base)
		}
		if got != want {
			tb.Fatalf("AVX2 classifier, block %d of %q:\n got %+v\nwant %+v", base, t, got, want)
		}
	}
}

func TestClassifyEveryByte(t *testing.T) {
	if !haveAVX2 {
		t.Log("no AVX2 on this CPU: only the Go classifier is checked")
	}
	// All 256 byte values at every position of a block.
	all := make([]byte, 256+64)
	for sh := 0; sh < 64; sh++ {
		for k := range all {
			all[k] = byte(k - sh)
		}
		checkClassify(t, all)
	}
}

func TestClassifyLengthsAndAlignments(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 64))
	buf := make([]byte, 300)
	// Bytes the classes care about, more often than at random.
	const hot = "09afgzAFGZ_@&%.-/#$=\x80\xff\x00 "
	for round := 0; round < 4; round++ {
		for k := range buf {
			if round&1 == 0 {
				buf[k] = byte(r.Uint32())
			} else {
				buf[k] = hot[r.IntN(len(hot))]
			}
		}
		for n := 0; n <= 200; n++ {
			for a := 0; a < 64; a++ {
				checkClassify(t, buf[a:a+n])
				// The same bytes with a short capacity: nothing past
				// the slice may be read (the race detector and the
				// bounds checks of the Go paths would see it).
				checkClassify(t, buf[a:a+n:a+n])
			}
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte("2024-05-01T12:27:58.719Z INFO user=jane@example.com path=/a%40b&#64;c Ünïcode_x"))
	f.Add(make([]byte, 130))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkEmailBytes(t, b)
		checkClassify(t, b)
		if len(b) > 1 {
			checkClassify(t, b[1:])
		}
	})
}

// checkEmailBytes compares emailBytesAVX2 (where the CPU has AVX2) with
// the presence of each byte in t.
func checkEmailBytes(tb testing.TB, t []byte) {
	tb.Helper()
	if !haveAVX2 || len(t) < 32 {
		if got := emailBytes(t, false); !haveAVX2 && got != ebAt|ebAmp|ebPct {
			tb.Fatalf("emailBytes without AVX2 = %b", got)
		}
		return
	}
	var want uint8
	for _, c := range t {
		switch c {
		case '@':
			want |= ebAt
		case '&':
			want |= ebAmp
		case '%':
			want |= ebPct
		}
	}
	if got := emailBytes(t, false); got != want {
		tb.Fatalf("emailBytes(%q) = %b, want %b", t, got, want)
	}
	if got := emailBytes(t, true); got != ebAt|ebAmp|ebPct {
		tb.Fatalf("emailBytes forced to Go = %b", got)
	}
}

func TestEmailBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(40, 64))
	buf := make([]byte, 300)
	for round := 0; round < 200; round++ {
		for k := range buf {
			buf[k] = "ab @&%"[r.IntN(3)] // mostly without the three
		}
		// One or two of the three at random places, sometimes none.
		for m := r.IntN(3); m > 0; m-- {
			buf[r.IntN(len(buf))] = "@&%"[r.IntN(3)]
		}
		n := r.IntN(201)
		a := r.IntN(64)
		checkEmailBytes(t, buf[a:a+n:a+n])
	}
	// Each byte alone at every position of every length up to 100.
	for n := 0; n <= 100; n++ {
		for p := 0; p < n; p++ {
			for _, c := range []byte("@&%") {
				b := make([]byte, n)
				b[p] = c
				checkEmailBytes(t, b)
			}
		}
	}
}

// TestNextNameStart compares nextNameStart, from every position and with
// each classifier, with the scalar test of names on random text made of
// the bytes that matter (upper-case letters, the name stops, blanks).
func TestNextNameStart(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 16))
	const hot = "AZaz09_./-@=$# \n,\x80"
	cand := func(b []byte, p int) bool {
		return isUpper(b[p]) && (p == 0 || !(isWordByte(b[p-1]) || b[p-1] == '.' || b[p-1] == '/' || b[p-1] == '-' ||
			b[p-1] == '_' || b[p-1] == '@' || b[p-1] == '=' || b[p-1] == '$' || b[p-1] == '#'))
	}
	for round := 0; round < 300; round++ {
		b := make([]byte, r.IntN(260))
		for k := range b {
			b[k] = hot[r.IntN(len(hot))]
		}
		for _, goClass := range []bool{true, false} {
			if !goClass && !haveAVX2 {
				continue
			}
			for i := 0; i <= len(b); i++ {
				s := scanner{t: b, goClass: goClass, mb: -64}
				// Also from a block loaded for an earlier position.
				if i > 0 {
					s.nextNameStart(r.IntN(i))
				}
				want := i
				for want < len(b) && !cand(b, want) {
					want++
				}
				if got := s.nextNameStart(i); got != want {
					t.Fatalf("goClass %v: nextNameStart(%d) of %q = %d, want %d", goClass, i, b, got, want)
				}
			}
		}
	}
}
