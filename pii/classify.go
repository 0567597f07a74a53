package pii

import (
	"encoding/binary"
	"math/bits"
)

// blockMasks classifies a 64-byte block of the text: bit k of each mask is
// set when byte k of the block is in the class. Bytes past the end of the
// text are in no class. The field order is the layout classify_amd64.s
// writes (offsets 0, 8, ... 80).
type blockMasks struct {
	word   uint64 // cWord: letters, digits, '_' and bytes >= 0x80
	digit  uint64 // 0-9
	lower  uint64 // a-z
	upper  uint64 // A-Z
	under  uint64 // _
	high   uint64 // >= 0x80
	hexNot uint64 // a letter after 'f' or 'F'
	at     uint64 // '@'
	amp    uint64 // '&'
	pct    uint64 // '%'
	// nameStop: a byte after which an upper-case letter does not start a
	// name for the names pass: a word byte or one of . / - @ = $ #
	nameStop uint64
}

// classifyBlock fills m for the 64-byte block of t that starts at base
// (0 <= base < len(t)). It never reads outside t: a block that runs past
// the end is classified as the last 64 bytes of t, shifted, or, when t is
// shorter than 64 bytes, from a zero-padded copy (a zero byte is in no
// class, so the masks past the end are zero either way). goClass forces
// the pure-Go classifier (tests).
func classifyBlock(t []byte, base int, m *blockMasks, goClass bool) {
	n := len(t)
	avx := haveAVX2 && !goClass
	if base+64 <= n {
		if avx {
			classifyAVX2(&t[base], m)
		} else {
			classifyGo((*[64]byte)(t[base:]), m)
		}
		return
	}
	if n >= 64 {
		if avx {
			classifyAVX2(&t[n-64], m)
		} else {
			classifyGo((*[64]byte)(t[n-64:]), m)
		}
		d := uint(base - (n - 64))
		m.word >>= d
		m.digit >>= d
		m.lower >>= d
		m.upper >>= d
		m.under >>= d
		m.high >>= d
		m.hexNot >>= d
		m.at >>= d
		m.amp >>= d
		m.pct >>= d
		m.nameStop >>= d
		return
	}
	var buf [64]byte
	copy(buf[:], t[base:])
	if avx {
		classifyAVX2(&buf[0], m)
	} else {
		classifyGo(&buf, m)
	}
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
// same masks as classifyAVX2 (TestClassifyAVX2MatchesGo, FuzzClassify).
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
		r.digit |= swarBits(digit) << sh
		r.lower |= swarBits(lowerM) << sh
		r.upper |= swarBits(upper) << sh
		r.under |= swarBits(under) << sh
		r.high |= swarBits(high) << sh
		r.hexNot |= swarBits(hexNot) << sh
		r.at |= swarBits(at) << sh
		r.amp |= swarBits(swarRange(x, y, '&', '&')) << sh
		r.pct |= swarBits(swarRange(x, y, '%', '%')) << sh
		r.nameStop |= swarBits(stop) << sh
	}
	*m = r
}

// nz is 1 when x is not zero, else 0, without a branch.
func nz(x uint64) uint8 { return uint8((x | -x) >> 63) }

// maskClass returns the class bits (as in the class table, cLocal and
// cDomain included) of the bytes selected by r in m: the OR of class[c]
// over those bytes, which are all word bytes.
func maskClass(m *blockMasks, r uint64) uint8 {
	f := nz(m.digit&r) | nz(m.lower&r)<<1 | nz(m.upper&r)<<2 | nz(m.under&r)<<3 |
		nz(m.high&r)<<4 | nz(m.hexNot&r)<<5
	return fullClass[f]
}

// fullClass adds to a set of the six class bits cDigit..cHexNot the
// cLocal and cDomain bits that the class table gives those bytes.
var fullClass = func() (a [64]uint8) {
	for f := range a {
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

// loadBlock makes the block that holds t[i] the scanner's current block.
func (s *scanner) loadBlock(i int) {
	base := i &^ 63
	classifyBlock(s.t, base, &s.m, s.goClass)
	s.mb, s.mEnd = base, base+64
}

// wordAcross finishes a word that starts at bit off of the current block
// and runs to its end: it moves through the next blocks to the word's end
// j and returns j and the word's class bits. The current block is then the
// one that holds j (or the last one).
func (s *scanner) wordAcross(off uint) (j int, f uint8) {
	f = maskClass(&s.m, ^uint64(0)<<off)
	n := len(s.t)
	for j = s.mEnd; j < n; {
		s.loadBlock(j)
		stop := ^s.m.word
		if stop == 0 {
			f |= maskClass(&s.m, ^uint64(0))
			j += 64
			continue
		}
		k := bits.TrailingZeros64(stop)
		f |= maskClass(&s.m, uint64(1)<<k-1)
		j += k
		break
	}
	return j, f
}
