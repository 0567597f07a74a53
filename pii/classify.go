package pii

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// blockMasks classifies a 64-byte block of the text: bit k of each mask is
// set when byte k of the block is in the class, and cls[k] holds byte k's
// class bits cDigit, cLower, cUpper, cUnder, cHigh and cHexNot (class[c]
// without cLocal and cDomain). Bytes past the end of the text are in no
// class. The field order is the layout classify_amd64.s writes (offsets 0,
// 8, ... 40, cls at 48).
type blockMasks struct {
	word  uint64 // cWord: letters, digits, '_' and bytes >= 0x80
	upper uint64 // A-Z
	at    uint64 // '@'
	amp   uint64 // '&'
	pct   uint64 // '%'
	// nameStop: a byte after which an upper-case letter does not start a
	// name for the names pass: a word byte or one of . / - @ = $ #
	nameStop uint64
	// cls has eight bytes of padding (never written, always zero) so
	// that eight bytes can be loaded from any of the 64.
	cls [72]byte
}

// Classifiers for classifyBlock.
const (
	clsAVX2      = iota // classifyAVX2 (needs AVX2)
	clsWordsAVX2        // wordsAVX2: m.word and m.cls only (needs AVX2)
	clsGo               // classifyGo
)

// classifyBlock fills m for 64 bytes of t that hold t[i] (0 <= i < len(t))
// with the classifier kind, and returns the offset in t of the first of
// them: i itself when 64 bytes are left from i, else the last 64 bytes of
// t, or, when t is shorter than 64 bytes, a zero-padded copy of t (offset
// 0; a zero byte is in no class, so the masks are zero past the end). It
// never reads outside t.
func classifyBlock(t []byte, i int, m *blockMasks, kind int) int {
	n := len(t)
	base := i
	if i+64 > n {
		base = n - 64
	}
	var p *byte
	var buf [64]byte
	if base >= 0 {
		p = &t[base]
	} else {
		copy(buf[:], t)
		p, base = &buf[0], 0
	}
	switch kind {
	case clsAVX2:
		classifyAVX2(p, m)
	case clsWordsAVX2:
		wordsAVX2(p, m)
	default:
		classifyGo((*[64]byte)(unsafe.Slice(p, 64)), m)
	}
	return base
}

// swarRange returns the high bit of each byte of x that lies in [lo, hi]
// (both below 0x80). The additions cannot carry across bytes: each byte of
// y is at most 0x7f and each addend at most 0x80.
func swarRange(x, y uint64, lo, hi byte) uint64 {
	ge := y + swarOnes*uint64(0x80-lo)
	gt := y + swarOnes*uint64(0x7f-hi)
	return ge &^ gt &^ x & swarHigh
}

// swarBits gathers the high bit of each byte of v (the others zero) into
// the low eight bits, byte k to bit k.
func swarBits(v uint64) uint64 {
	return (v >> 7) * 0x0102040810204080 >> 56
}

// classifyGo is the pure-Go classifier: eight bytes at a time (SWAR), the
// same masks as classifyAVX2 (TestClassifyLengthsAndAlignments, FuzzClassify).
func classifyGo(p *[64]byte, m *blockMasks) {
	var r blockMasks
	for k := 0; k < 8; k++ {
		x := binary.LittleEndian.Uint64(p[8*k:])
		y := x &^ swarHigh
		sh := uint(8 * k)
		digit := swarRange(x, y, '0', '9')
		lowerM := swarRange(x, y, 'a', 'z')
		upper := swarRange(x, y, 'A', 'Z')
		under := swarRange(x, y, '_', '_')
		high := x & swarHigh
		hexNot := swarRange(x, y|swarOnes*0x20, 'g', 'z')
		at := swarRange(x, y, '@', '@')
		word := digit | lowerM | upper | under | high
		stop := word | at | swarRange(x, y, '-', '/') | swarRange(x, y, '#', '$') | swarRange(x, y, '=', '=')
		r.word |= swarBits(word) << sh
		r.upper |= swarBits(upper) << sh
		r.at |= swarBits(at) << sh
		r.amp |= swarBits(swarRange(x, y, '&', '&')) << sh
		r.pct |= swarBits(swarRange(x, y, '%', '%')) << sh
		r.nameStop |= swarBits(stop) << sh
		// Each mask has the high bit of its bytes: shift it to the class bit.
		cls := digit>>7*cDigit | lowerM>>7*cLower | upper>>7*cUpper | under>>7*cUnder |
			high>>7*cHigh | hexNot>>7*cHexNot
		binary.LittleEndian.PutUint64(r.cls[8*k:], cls)
	}
	*m = r
}

// wordClass returns the OR of cls[off:off+k] (k >= 1, off+k <= 64): the
// class bits of k bytes, eight at a time.
func (m *blockMasks) wordClass(off uint, k int) uint8 {
	off &= 63 // no bounds checks: off+8 <= 71
	var x uint64
	for ; k > 8; k -= 8 {
		x |= binary.LittleEndian.Uint64(m.cls[off : off+8])
		off = (off + 8) & 63
	}
	x |= binary.LittleEndian.Uint64(m.cls[off:off+8]) & (^uint64(0) >> (64 - 8*uint(k)))
	x |= x >> 32
	x |= x >> 16
	x |= x >> 8
	return uint8(x)
}

// fullClass adds to a set of the six class bits cDigit..cHexNot the
// cLocal and cDomain bits that the class table gives those bytes (256
// entries so that a byte indexes it without a bounds check): the
// class bits of a word, the OR of class[c] over its bytes, from the OR of
// their cls bytes.
var fullClass = func() (a [256]uint8) {
	for f := range 64 {
		k := uint8(f)
		if k&cAlnum != 0 {
			k |= cLocal | cDomain
		}
		if k&cUnder != 0 {
			k |= cLocal
		}
		a[f] = k
	}
	return a
}()

// loadBlock makes a block that holds t[i] the scanner's current block.
func (s *scanner) loadBlock(i int) {
	kind := clsWordsAVX2
	if s.goClass {
		kind = clsGo
	}
	s.mb = classifyBlock(s.t, i, &s.m, kind)
	s.mEnd = s.mb + 64
}

// wordAcross finishes a word that starts at bit off of the current block
// and runs to its end: it moves through the next blocks to the word's end
// j and returns j and the word's six class bits (cls bits; fullClass adds
// the others). The current block is then the one that holds j, or the
// last one.
func (s *scanner) wordAcross(off uint) (j int, f uint8) {
	f = s.m.wordClass(off, 64-int(off))
	n := len(s.t)
	for j = s.mEnd; j < n; {
		s.loadBlock(j)
		o := uint(j - s.mb) // 0, or more in the last block of t
		stop := ^s.m.word >> o
		if stop == 0 {
			f |= s.m.wordClass(o, 64-int(o))
			j = s.mEnd
			continue
		}
		k := bits.TrailingZeros64(stop)
		f |= s.m.wordClass(o, k)
		j += k
		break
	}
	return j, f
}
