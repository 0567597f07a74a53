package pii

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
	w := t[i : i+19 : i+19]
	if w[4] != '-' || w[7] != '-' || w[10] != 'T' || w[13] != ':' || w[16] != ':' ||
		!isDigit(w[5]) || !isDigit(w[6]) || !isDigit(w[8]) || !isDigit(w[9]) ||
		!isDigit(w[11]) || !isDigit(w[12]) || !isDigit(w[14]) || !isDigit(w[15]) ||
		!isDigit(w[17]) || !isDigit(w[18]) {
		return -1
	}
	e := i + 19
	if t[e] == '.' {
		d := 0
		for e+1+d < len(t) && d < 7 && isDigit(t[e+1+d]) {
			d++
		}
		if d == 0 || d > 6 {
			return -1
		}
		e += 1 + d
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
