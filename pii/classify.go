package pii

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// blockMasks classifies a 64-byte block of the text: bit k of each mask is
// set when byte k of the block is in the class. Bytes past the end of the
// text are in no class. The field order is the layout classify_amd64.s
// writes.
type blockMasks struct {
	word  uint64 // cWord: letters, digits, '_' and bytes >= 0x80
	upper uint64 // A-Z
	// nameStop: a byte after which an upper-case letter does not start a
	// name for the names pass: a word byte or one of . / - @ = $ #
	nameStop uint64
}

// classifyBlock fills m for 64 bytes of t that hold t[i] (0 <= i < len(t))
// and returns the offset in t of the first of them: i itself when 64
// bytes are left from i, else the last 64 bytes of t, or, when t is
// shorter than 64 bytes, a zero-padded copy of t (offset 0; a zero byte is
// in no class, so the masks are zero past the end). It never reads
// outside t. goClass forces the pure-Go classifier (tests).
func classifyBlock(t []byte, i int, m *blockMasks, goClass bool) int {
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
	if haveAVX2 && !goClass {
		classifyAVX2(p, m)
	} else {
		classifyGo((*[64]byte)(unsafe.Slice(p, 64)), m)
	}
	return base
}

// swarRange returns the high bit of each byte of x that lies in [lo, hi]
// (both below 0x80); y is x without the high bits. The additions cannot
// carry across bytes: each byte of y is at most 0x7f and each addend at
// most 0x80.
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
		upper := swarRange(x, y, 'A', 'Z')
		word := swarRange(x, y, '0', '9') | swarRange(x, y, 'a', 'z') | upper | swarRange(x, y, '_', '_') | x&swarHigh
		stop := word | swarRange(x, y, '-', '/') | swarRange(x, y, '#', '$') | swarRange(x, y, '=', '=') | swarRange(x, y, '@', '@')
		r.word |= swarBits(word) << sh
		r.upper |= swarBits(upper) << sh
		r.nameStop |= swarBits(stop) << sh
	}
	*m = r
}

// nextNameStart returns the first position p >= i of s.t that holds an
// upper-case ASCII letter at the start of the text or after a byte that is
// neither a word byte nor one of . / - _ @ = $ # (the test of the scalar
// scan in names), or len(s.t) when there is none, with the block masks.
func (s *scanner) nextNameStart(i int) int {
	t := s.t
	n := len(t)
	for i < n {
		off := uint(i - s.mb)
		if off >= 64 {
			// i is not in the current block (or there is none): take
			// the 64 bytes from i (classifyBlock written out for the
			// common case: AVX2 and 64 bytes left).
			if i+64 <= n && haveAVX2 && !s.goClass {
				classifyAVX2(&t[i], &s.m)
				s.mb = i
			} else {
				s.mb = classifyBlock(t, i, &s.m, s.goClass)
			}
			s.mEnd = s.mb + 64
			s.prevStop = 0
			if s.mb > 0 && nameStopByte[t[s.mb-1]] {
				s.prevStop = 1
			}
			off = uint(i - s.mb)
		}
		if c := (s.m.upper &^ (s.m.nameStop<<1 | s.prevStop)) >> off; c != 0 {
			return i + bits.TrailingZeros64(c)
		}
		i = s.mEnd
	}
	return n
}

// nameStopByte: the bytes after which names does not look for a name, the
// bytes of blockMasks.nameStop: word bytes and . / - @ = $ #
// (Not from the class table, which init fills after this is set.)
var nameStopByte = func() (a [256]bool) {
	for c := range a {
		a[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 ||
			strings.IndexByte("_./-@=$#", byte(c)) >= 0
	}
	return a
}()

// Bits of emailBytes: which of the bytes that start an e-mail address or
// its escapes the text holds.
const (
	ebAt  = 1 << iota // '@'
	ebAmp             // '&' (&#64;, &#x40;)
	ebPct             // '%' (%40)
)

// emailBytes returns which of '@', '&' and '%' occur in t, in one pass,
// so that emails skips the look-ups for the absent ones. Without AVX2, and
// for texts shorter than 32 bytes, it says all three (the look-ups find
// out). goClass forces that answer (tests).
func emailBytes(t []byte, goClass bool) uint8 {
	if haveAVX2 && !goClass && len(t) >= 32 {
		return emailBytesAVX2(&t[0], len(t))
	}
	return ebAt | ebAmp | ebPct
}
