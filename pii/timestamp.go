package pii

import "encoding/binary"

// isoStampEnd recognises, at t[i:], an ISO-8601 UTC timestamp of the exact
// shape the main loop can skip in one step: "dddd-dd-ddTdd:dd:ddZ" or
// "dddd-dd-ddTdd:dd:dd.fZ" with 1 to 6 fraction digits, followed by the end
// of the input or a byte that is not a word byte. It returns the offset
// just after the 'Z', or -1 for any other shape. The caller has checked
// that t[i:i+4] are digits.
//
// On exactly this shape the word-by-word scanner (word, numeric) finds
// nothing, whatever the digits:
//   - "dddd-dd" is a digit run joined by '-' to "ddTdd", so numeric
//     evaluates nothing (the date is never a date of birth here: numeric
//     stops at the 'T');
//   - "ddTdd", and "dddZ" up to "ddddddZ", are digit-led words with a
//     letter of 3 to 7 bytes: only a 9- or 15-byte DNI/NIR is looked for;
//   - the minutes are one group of two digits followed by ':', which
//     numeric never reports; the IPv6 attempt there stops at the 'T'
//     before the hour and only sets ipv6Until (which run does itself);
//   - the seconds are either "ddZ" or "dd" joined by '.' to the fraction;
//     the caller excludes a date-of-birth context, in which numeric would
//     try a written-out date after a lone one- or two-digit group.
//
// The 'Z' matters: without it the seconds or the fraction could start a
// run of digit groups ("58.719 555 1234") that numeric evaluates.
// FuzzFastPaths and TestFastPathsMatchWord compare the findings with and
// without this path.
func isoStampEnd(t []byte, i int) int {
	if len(t)-i < 20 {
		return -1
	}
	// w[5:13] is "dd-ddTdd" and w[11:19] "dd:dd:dd": two 8-byte loads,
	// each with its two separators at bytes 2 and 5 compared at once and
	// its six digits tested together (stampDigits).
	if t[i+4] != '-' {
		return -1
	}
	x1 := binary.LittleEndian.Uint64(t[i+5:])
	x2 := binary.LittleEndian.Uint64(t[i+11:])
	if x1&stampSeps != stampSeps1 || x2&stampSeps != stampSeps2 || !stampDigits(x1) || !stampDigits(x2) {
		return -1
	}
	e := i + 19
	if t[e] == '.' {
		if e+4 < len(t) && isDigit(t[e+1]) && isDigit(t[e+2]) && isDigit(t[e+3]) && t[e+4] == 'Z' {
			e += 4 // milliseconds, the commonest fraction
		} else {
			d := 0
			for e+1+d < len(t) && d < 7 && isDigit(t[e+1+d]) {
				d++
			}
			if d == 0 || d > 6 {
				return -1
			}
			e += 1 + d
		}
	}
	if e >= len(t) || t[e] != 'Z' {
		return -1
	}
	e++
	if e < len(t) && isWordByte(t[e]) {
		return -1
	}
	return e
}

// The separators of the two 8-byte pieces of a timestamp isoStampEnd
// loads: bytes 2 and 5 of "dd-ddTdd" and of "dd:dd:dd".
const (
	stampSeps  = 0x0000ff0000ff0000
	stampSeps1 = 'T'<<40 | '-'<<16
	stampSeps2 = ':'<<40 | ':'<<16
)

// stampDigits reports whether the six bytes of x other than its
// separators (bytes 2 and 5) are ASCII digits: each, xor '0', is below 10,
// so adding 0x76 leaves its high bit clear (no carry between bytes when
// no byte has its high bit set; one that has fails anyway).
func stampDigits(x uint64) bool {
	d := (x ^ 0x3030303030303030) &^ stampSeps
	return (d+0x7676767676767676|d)&0x8080808080808080 == 0
}

// skipStamp is the timestamp fast path of run for a 4-digit word at i
// followed by '-': it returns isoStampEnd(s.t, i), or -1 after ':' (an IPv6
// "::" may end there), and reproduces the state the IPv6 attempt at the
// minutes leaves behind.
func (s *scanner) skipStamp(i int) int {
	t := s.t
	if i > 0 && t[i-1] == ':' {
		return -1
	}
	e := isoStampEnd(t, i)
	if e >= 0 {
		if m := i + 14; m >= s.ipv6Until {
			s.ipv6Until = m + 1 // what ipv6 does at the minutes
		}
	}
	return e
}

// clock is the time-of-day fast path of run for a digit word t[i:j],
// outside a date-of-birth context, followed by ':' where word would make
// an IPv6 attempt (ipv6Candidate). It recognises "hh:mm:ss" (the 8 bytes
// checked as in isoStampEnd) as the whole run of IPv6 bytes (hex digits,
// ':', '.') around the word, in three places: the word is "hh", or a
// 4-digit year before it ("Nov/2026:23:18:45"), or the word is the
// minutes after an "hh:" already passed ("2026 12:34:56", whose "12"
// numeric took with the year). Then ipv6 finds nothing (fewer than 15
// bytes without "::") and only sets ipv6Until to the end of the run, which
// clock does; the groups after the word are two digits after ':', each a
// lone group numeric returns at once, with no IPv6 attempt before
// ipv6Until, and the last is left alone: it is followed by the end of the
// input or a byte that is not a word byte, and no further group (the
// date of birth written out, "12 March 1985", is excluded by the context
// test at the last group: a context window open there is open at every
// group before it, since a context position never lies after the word
// being scanned). clock returns the end of the run, or -1 and does
// nothing for any other shape.
func (s *scanner) clock(i, j int) int {
	t := s.t
	n := len(t)
	st, vs := i, i // start of "hh:mm:ss" and of the IPv6 bytes
	switch j - i {
	case 4:
		st = j + 1
	case 2:
		if i >= 3 && t[i-1] == ':' {
			st, vs = i-3, i-3
		}
	default:
		return -1
	}
	e := st + 8
	if e > n || vs > 0 && v6Bytes[t[vs-1]] {
		return -1
	}
	x := binary.LittleEndian.Uint64(t[st:])
	if x&stampSeps != stampSeps2 || !stampDigits(x) {
		return -1
	}
	if e < n && (v6Bytes[t[e]] || isWordByte(t[e]) || isSepByte(t[e]) && !groupEnds(t, e)) || s.hasCtx(ctxDOB, e-2) {
		return -1
	}
	s.ipv6Until = e
	return e
}
