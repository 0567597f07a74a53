package pii

import (
	"net/netip"

	"github.com/nyaruka/phonenumbers"
)

// groupSums holds, per digit run that reaches eval, the running count of
// digits (cum[g] is the number in groups [0,g); such a run spans at most 64
// bytes, so a byte holds it) and each separator, one or two non-zero bytes,
// as one number (sepk[g], for g > 0): equal separators are equal numbers
// and a one-byte separator is below 256. Every sub-run eval looks at then
// costs a subtraction and a few compares instead of loops over its groups.
type groupSums struct {
	cum  [maxGroups + 1]uint8
	sepk [maxGroups]uint16
}

// sumGroups fills s.gsum for the s.ng groups of the current run.
func (s *scanner) sumGroups() {
	t := s.t
	ng := min(s.ng, maxGroups) // s.ng is at most maxGroups; min lets the compiler drop the bounds checks
	c := uint8(s.g[0].e - s.g[0].s)
	s.gsum.cum[0] = 0
	for g := 1; g < ng; g++ {
		sp := s.sep[g]
		k := uint16(t[sp.s])
		if sp.e-sp.s == 2 {
			k |= uint16(t[sp.s+1]) << 8
		}
		s.gsum.sepk[g] = k
		s.gsum.cum[g] = c
		c += uint8(s.g[g].e - s.g[g].s)
	}
	s.gsum.cum[ng] = c
}

// sepBytes marks the bytes that may separate the digit groups of a run.
// A table: the switch it replaces compiled to a chain of compares, run on
// every byte after a digit group (here and in run's fast paths).
var sepBytes = [256]bool{' ': true, '-': true, '.': true, '(': true, ')': true, '/': true}

func isSepByte(c byte) bool { return sepBytes[c] }

// ctxClosed is !s.anyCtx(pos) for run's digit fast paths: whether no
// context window is open at pos. One unsigned compare of the smallest
// distance instead of a loop of two compares per context (a window is
// open when 0 <= pos-ctx[k] <= ctxWindow, i.e. uint(pos-ctx[k]) <=
// ctxWindow). TestCtxClosed compares it with anyCtx.
func (s *scanner) ctxClosed(pos int) bool {
	c := &s.ctx
	d := min(uint(pos-c[0]), uint(pos-c[1]), uint(pos-c[2]), uint(pos-c[3]),
		uint(pos-c[4]), uint(pos-c[5]), uint(pos-c[6]), uint(pos-c[7]))
	return d > ctxWindow
}

// groupEnds reports whether numeric's group loop stops at the separator
// t[j] (j < len(t)) after a group: no digit follows it, nor a second
// separator and a digit.
func groupEnds(t []byte, j int) bool {
	m := j + 1
	return m == len(t) || !isDigit(t[m]) && (!isSepByte(t[m]) || m+1 == len(t) || !isDigit(t[m+1]))
}

// joinedLeft reports whether numeric finds the digit run at i joined to a
// word on its left by one of the bytes it tests first ("HTTP/1.1",
// "id-123", "user@123", "#12"), with no '+' or '(' before the run (which
// would move its left edge): numeric then evaluates nothing and returns
// the end of the run's groups (groupsEnd). The blank after an IBAN block,
// which numeric also treats as a join, is left to it.
func joinedLeft(t []byte, i int) bool {
	if i == 0 {
		return false
	}
	switch t[i-1] {
	case '-', '_', '.', '/':
		return i >= 2 && isWordByte(t[i-2])
	case '@':
		return true
	case '#':
		return i >= 2 && isAlnum(t[i-2])
	}
	return false
}

// groupsEnd is the end numeric returns for a run whose first group ends at
// j and which it evaluates no further: its group loop without the spans.
func groupsEnd(t []byte, j int) int {
	n := len(t)
	ng := 1
	k := j
	for {
		m := k // at most two separators
		if m < n && isSepByte(t[m]) {
			m++
			if m < n && isSepByte(t[m]) {
				m++
			}
		}
		if m == k || m >= n || !isDigit(t[m]) {
			return k
		}
		e := m + 1
		for e < n && isDigit(t[e]) {
			e++
		}
		if e < n && isWordByte(t[e]) {
			return k // the next group is part of a word such as "12ms"
		}
		if ng == maxGroups {
			for k < n && (isDigit(t[k]) || isSepByte(t[k])) {
				k++
			}
			return k
		}
		ng++
		k = e
	}
}

// shortRun is for run's short digit runs: t[i:j], fewer than 7 digits
// with class bits f, outside a date-of-birth context, followed by a
// separator and a digit within the two separators numeric joins
// (groupEnds(t, j) is false). When the run has one group (the next is
// glued to a word: "217.384ms", "v2.5rc") or two of fewer than 7 digits
// in all and no third ("rt=0.123", "1.1\""), numeric returns their end
// and evaluates nothing, whatever stands on either side: eval needs 7
// digits or 3 groups, the DNI with a separated letter 8 digits, and the
// written date of birth its context. With two groups of 7 digits or more
// ("200 44821") numeric evaluates the two together only, in which eval
// finds nothing when twoGroupsQuiet says so. shortRun then makes the IPv6
// attempt word makes before numeric and returns the run's end. A run of
// three groups or more before a '.' may be an IPv4 address (dottedQuad).
// Otherwise shortRun returns -1 and does nothing.
func (s *scanner) shortRun(i, j int, f uint8) int {
	t := s.t
	n := len(t)
	m := j + 1
	if !isDigit(t[m]) {
		m++ // a second separator, then a digit (groupEnds)
	}
	e := m + 1
	for e < n && isDigit(t[e]) {
		e++
	}
	end := j // the next group is part of a word: one group
	if e == n || !isWordByte(t[e]) {
		// Two groups: is there a third?
		if e < n && isSepByte(t[e]) {
			k := e + 1
			if k < n && isSepByte(t[k]) {
				k++
			}
			if k < n && isDigit(t[k]) {
				m2 := k
				k++
				for k < n && isDigit(t[k]) {
					k++
				}
				if k == n || !isWordByte(t[k]) {
					if t[j] == '.' {
						return s.dottedQuad(i, j)
					}
					if !s.threeGroupsQuiet(i, j, m, e, m2, k) {
						return -1
					}
					end = k
				}
			}
		}
		if end == j {
			if j-i+e-m >= 7 && !s.twoGroupsQuiet(i, j, m, e) {
				return -1
			}
			end = e
		}
	}
	if s.ipv6Candidate(i, j, f) {
		s.ipv6(i)
	}
	return end
}

// threeGroupsQuiet reports whether numeric evaluates nothing in the run
// of exactly three groups t[i:j], t[m1:e1] and t[m2:e2] (the first of fewer
// than 7 digits) each after one blank, with no group after them
// ("200 123456789 1234567", Apache's status, bytes and time): with no '+'
// or '(' before the run and no context window open at it, eval finds
// nothing in any of its sub-runs when
//   - the whole: not a card's grouping (a first group of 4), no SSN (9
//     digits) and no phone (7 to 13 digits: here 14 or more, or fewer
//     than 7), no '+' or "00";
//   - the first two (a sub-run only from 7 digits), and the last two: a
//     phone only by twoGroupPhone, whose rules fail on these first
//     groups (not '0'-led, not "3dd", not the first half of an Indian
//     mobile), no card in two groups, no NIR (a first group of 13);
//   - the second and the third alone (from 7 digits): fewer than 12
//     digits (no card), not '0'-led (no "00" prefix), and a lone group is
//     a phone only after a phone word.
//
// (A value found as a phone by its key makes eval stop with nothing
// either.) TestFastPathJoinedDigits checks these against word.
func (s *scanner) threeGroupsQuiet(i, j, m1, e1, m2, e2 int) bool {
	t := s.t
	n := len(t)
	l0, l1, l2 := j-i, e1-m1, e2-m2
	nd := l0 + l1 + l2
	in := s.e.regions.in
	return m1 == j+1 && t[j] == ' ' && m2 == e1+1 && t[e1] == ' ' &&
		(e2 == n || !isSepByte(t[e2]) || groupEnds(t, e2)) &&
		(i == 0 || t[i-1] != '+' && t[i-1] != '(') &&
		t[i] != '0' && t[m1] != '0' && t[m2] != '0' && l1 < 12 && l2 < 12 &&
		l0 != 4 && (nd >= 14 || nd < 7) &&
		!(t[i] == '3' && l0 == 3) && !(in && l0 == 5 && l1 == 5 && t[i] >= '6') &&
		!(t[m1] == '3' && l1 == 3) && !(in && l1 == 5 && l2 == 5 && t[m1] >= '6') &&
		s.ctxClosed(i)
}

// twoGroupsQuiet reports whether eval finds nothing, and sets nothing,
// in a run of exactly two groups t[i:j] and t[m:e], the first of fewer
// than 7 digits, with 7 or more in all (eval's only sub-run when the
// second has fewer than 7 digits too: "200 44821"). With no '+' or '('
// before the run and no context window open at it, no ipv4 (four groups),
// '+' or "00" phone (the first digit is not '0'), card (two groups never
// have a card's grouping), licence, passport, tax id, BSN or SSN (each
// needs its context word or three groups or more), NIR (a first group of
// 13 digits) or date (three groups); and a phone of two groups without a
// phone word needs twoGroupPhone, whose rules are written out here for
// the first group: '0'-led, in brackets, "3dd" (Italian mobile), or the
// first half of an Indian mobile. (A value found as a phone by its key
// makes eval stop with nothing either.)
func (s *scanner) twoGroupsQuiet(i, j, m, e int) bool {
	t := s.t
	return e-m < 7 && t[i] != '0' && (i == 0 || t[i-1] != '+' && t[i-1] != '(') &&
		!(t[i] == '3' && j-i == 3) && !(j-i == 5 && e-m == 5 && t[i] >= '6' && s.e.regions.in) && s.ctxClosed(i)
}

// dottedQuad is shortRun's way out for a run of three groups or more:
// an IPv4 address of four dot-separated groups that ipv4 accepts
// ("10.42.7.1 - -", "client_ip=81.2.3.4"), with nothing numeric would see
// otherwise. The run is t[i:j] and its groups; its left edge is t[i] (no
// '+' or '(' before it), it is not joined on the left (joinedLeft, run's
// test before shortRun, and the grouped IBAN block before a blank), and
// it ends after the fourth group, where numeric's group loop stops and
// nothing joins it on the right. numeric then evaluates the four groups
// first, and eval tries ipv4 before anything else; when ipv4 accepts
// (consuming the run, with or without a finding) nothing more is
// evaluated. dottedQuad reads the octets as ipv4 does, applies the
// address policy ipv4 applies (ipv4Addr) and returns the end of the run;
// where ipv4 would reject the run (more than three digits in a group, an
// octet above 255, a leading zero) it returns -1, having emitted nothing,
// and run takes word's path. So does it for any other shape, and when
// word would make an IPv6 attempt first.
func (s *scanner) dottedQuad(i, j int) int {
	t := s.t
	n := len(t)
	if i > 0 {
		switch t[i-1] {
		case '+', '(', ':':
			return -1
		case ' ':
			if i >= 5 && ibanHead(t[i-5:i-1]) && (i == 5 || !isWordByte(t[i-6])) {
				return -1
			}
		}
	}
	// The octets as ipv4 reads them: one to three digits, no leading
	// zero, at most 255 (else ipv4 rejects the run).
	var o [4]byte
	k := i
	for g := range 4 {
		if g > 0 {
			if k+1 >= n || t[k] != '.' || !isDigit(t[k+1]) {
				return -1
			}
			k++
		}
		v := int(t[k] - '0')
		e := k + 1
		for ; e < n && isDigit(t[e]); e++ {
			if e-k == 3 {
				return -1
			}
			v = v*10 + int(t[e]-'0')
		}
		if e-k > 1 && t[k] == '0' || v > 255 {
			return -1
		}
		o[g] = byte(v)
		k = e
	}
	// The end: neither a word byte (the fourth group would be part of a
	// word) nor a further group or a joiner before a word byte.
	if k < n && (isWordByte(t[k]) || isSepByte(t[k]) && !groupEnds(t, k) || isJoiner(t[k]) && k+1 < n && isAlnum(t[k+1])) {
		return -1
	}
	s.ipv4Addr(i, k, o)
	return k
}

func isJoiner(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c == '/'
}

// numeric handles a word that starts with a digit: it gathers the run of
// digit groups joined by single separators and evaluates the sub-runs.
func (s *scanner) numeric(i, j int, f uint8) int {
	t := s.t
	n := len(t)
	if f&(cUnder|cHigh) != 0 {
		return j
	}
	if f&cLetter != 0 {
		s.digitsLetters(i, j)
		return j
	}
	// Left edge: an optional '+' or '(' (or "+(") before the first group.
	start := i
	plus := false
	if i > 0 && (t[i-1] == '+' || t[i-1] == '(') {
		start = i - 1
		if t[start] == '(' && start > 0 && t[start-1] == '+' {
			start--
		}
		plus = t[start] == '+'
	}
	// Joined on the left: one switch on the byte before the run.
	joined := false
	if start >= 1 {
		switch t[start-1] {
		case '-', '_', '.', '/': // "id-123", "blk_-5195..."
			joined = start >= 2 && isWordByte(t[start-2])
		case '@':
			joined = true
		case '#':
			joined = start >= 2 && isAlnum(t[start-2])
		case ' ':
			// The digits after a grouped IBAN's first block ("DE89
			// 3704 ...") belong to that IBAN, valid or not.
			joined = start >= 5 && ibanHead(t[start-5:start-1]) && (start == 5 || !isWordByte(t[start-6]))
		}
	}
	s.g[0] = span{i, j}
	ng := 1
	k := j
	for {
		m := k // at most two separators
		if m < n && isSepByte(t[m]) {
			m++
			if m < n && isSepByte(t[m]) {
				m++
			}
		}
		if m == k || m >= n || !isDigit(t[m]) {
			break
		}
		e := m + 1
		for e < n && isDigit(t[e]) {
			e++
		}
		if e < n && isWordByte(t[e]) {
			break // the next group is part of a word such as "12ms"
		}
		if ng == maxGroups {
			// Too long to be one value: consume it and evaluate nothing.
			joined = true
			for k < n && (isDigit(t[k]) || isSepByte(t[k])) {
				k++
			}
			break
		}
		s.sep[ng] = span{k, m}
		s.g[ng] = span{m, e}
		ng++
		k = e
	}
	end := k
	// DNI with a separated letter: "12345678-Z", "12345678 Z".
	if ng == 1 && j-i == 8 && !joined && j+2 <= n && (t[j] == '-' || t[j] == ' ') && isUpper(t[j+1]) && (j+2 == n || !isWordByte(t[j+2])) {
		var b [9]byte
		copy(b[:], t[i:j])
		b[8] = t[j+1]
		if esDNI(b[:]) {
			s.emit(TypeESDNI, i, j+2, 0.9, "mod23")
			return j + 2
		}
	}
	// A date of birth written with a month name: "3 March 1985", "3. März 1985".
	if ng == 1 && j-i <= 2 && !joined && s.hasCtx(ctxDOB, i) {
		if e := s.textDate(i, j); e > 0 {
			s.emit(TypeDateOfBirth, i, e, 0.8, "date+context")
			return e
		}
		if b, e := s.monthFirstDate(i, j); e > 0 {
			s.emit(TypeDateOfBirth, b, e, 0.8, "date+context")
			return e
		}
	}
	if end < n {
		c := t[end]
		if isWordByte(c) || isJoiner(c) && end+1 < n && isAlnum(t[end+1]) {
			joined = true
		}
	}
	if joined || end-start > 64 {
		return end
	}
	if ng < 3 {
		// eval needs 7 digits or 3 groups: a run below both ("200",
		// "1.498", "500 10868"'s "500") has no sub-run to evaluate.
		nd := s.g[0].e - s.g[0].s
		if ng == 2 {
			nd += s.g[1].e - s.g[1].s
		}
		if nd < 7 {
			return end
		}
	}
	s.ng = ng
	s.idk = 0
	s.sumGroups()
	cum := &s.gsum.cum
	// A run with no '+' or '(' before it, no context window open at it,
	// and beyond the last value found as a phone by its key: evalQuiet
	// tells most of the sub-runs eval finds nothing in at a glance.
	quiet := start == i && s.keyPhone.e <= i && !s.slow && s.ctxClosed(i)
	for a := 0; a < ng && a < 4; a++ {
		for b := ng; b > a; b-- {
			// eval needs 7 digits or 3 groups; a shorter b has fewer of
			// both, so the first sub-run below both ends this a.
			nd := int(cum[b] - cum[a])
			if nd < 7 && b-a < 3 {
				break
			}
			// (evalQuiet's first answer written out: fewer than 7 or
			// more than 19 digits, not four groups.)
			if nd > len(s.digits) || quiet && (uint(nd-7) > 12 && b-a != 4 || s.evalQuiet(a, b, nd)) {
				continue
			}
			if s.eval(a, b, nd, start, plus) {
				a = b - 1
				break
			}
		}
	}
	return end
}

// evalQuiet reports whether eval(a, b, nd, s.g[0].s, false) returns
// false having emitted nothing, for the sub-run of groups [a,b) (nd
// digits, 7 or more or in 3 groups or more) of a run that numeric is
// evaluating, with no '+' or '(' before it (start == s.g[0].s, plus
// false), no context window open at its start (nor, then, at any later
// sub-run's start: a context position never lies after the word being
// scanned) and ending after the last value found as a phone by its key
// (keyPhone.e <= s.g[0].s: eval's keyPhone test fails). It settles at a
// glance the sub-runs of log lines (dates, times, decimals, counters and
// columns: "2005-06-03-15.42.50.675872", "38.811  1702  2395", "081109
// 203615 148"), following eval's branches with their context closed:
//   - ipv4: four groups joined by single dots, each of at most 3 digits;
//   - the "00" international prefix: 10 to 17 digits starting "00" whose
//     edges phoneShape accepts (phoneEdges);
//   - a card: 13 to 19 digits (12 need a card word) in a lone group or
//     groups that cardGrouping accepts, joined by one blank or '-', with
//     an issuer prefix for their length (cardIINGroups);
//   - a NIR (15 digits in one group, 13 and 2, or seven groups after
//     blanks), the grouped tax id (11 digits, 2-3-3-3 after blanks) and
//     the SSN shape (9 digits, 3-2-4 after one blank or '-', which eval
//     consumes even when invalid);
//   - a national phone: 7 to 13 digits in two groups or more (a lone
//     group needs a phone word), two only when twoGroupPhone accepts the
//     first, edges phoneShape accepts, and digits phone tries a region
//     for: a '0' first, or 9 digits from '6' or '3' (ES, IT), 10 from '2'
//     (NANP, BR, IN, IT) or 11 from '1' (NANP; BR's '(' first is excluded).
//
// The date branch finds nothing without its context word; licences,
// passports, BSNs, SSNs and tax ids by their context words are excluded
// by the closed windows. Each test is conservative: evalQuiet may answer
// false where eval finds nothing, never true where eval could return true
// (which would change the sub-runs numeric evaluates after it).
func (s *scanner) evalQuiet(a, b, nd int) bool {
	t := s.t
	ngr := b - a
	sk := &s.gsum.sepk
	l0 := s.g[a].e - s.g[a].s
	if ngr == 4 && sk[a+1] == '.' && sk[a+2] == '.' && sk[a+3] == '.' &&
		l0 <= 3 && s.g[a+1].e-s.g[a+1].s <= 3 && s.g[a+2].e-s.g[a+2].s <= 3 && s.g[a+3].e-s.g[a+3].s <= 3 {
		return false // ipv4 may accept it
	}
	if nd < 7 || nd > 19 {
		return true // (only ipv4 and the date need no 7 to 19 digits)
	}
	d0 := t[s.g[a].s]
	if nd >= 9 {
		switch nd {
		case 9: // the SSN shape
			if ngr == 3 && l0 == 3 && s.g[a+1].e-s.g[a+1].s == 2 && sk[a+1] == sk[a+2] && (sk[a+1] == ' ' || sk[a+1] == '-') {
				return false
			}
		case 11: // the grouped tax id
			if ngr == 4 && l0 == 2 && sk[a+1] == ' ' {
				return false
			}
		case 15: // NIR
			if ngr == 1 || ngr == 2 && l0 == 13 || ngr == 7 {
				return false
			}
		}
		if nd >= 13 && (ngr == 1 || l0 == 4 && ngr >= 3) && s.cardGrouping(a, ngr) && s.cardIINGroups(a, b, nd) {
			return false // a card if the separators and Luhn agree
		}
		if d0 == '0' && nd >= 10 && nd <= 17 && s.second(a) == '0' && s.phoneEdges(a, b) {
			return false // the "00" prefix
		}
	}
	if nd > 13 || ngr == 1 || d0 != '0' && !(nd == 9 && (d0 >= '6' || d0 == '3') || nd == 10 && d0 >= '2' || nd == 11 && d0 == '1') {
		return true
	}
	// The tests of eval's phone branch before phone, cheapest first
	// (phoneEdges is the start of phoneShape).
	return ngr == 2 && !s.twoGroupPhone(a) || !s.phoneEdges(a, b) || !s.phoneShape(a, b, s.g[b-1].e) || !s.nationalPhoneShape(a, b, false)
}

// second returns the second digit of the sub-run from group a (which
// has two digits at least).
func (s *scanner) second(a int) byte {
	if g := s.g[a]; g.e-g.s > 1 {
		return s.t[g.s+1]
	}
	return s.t[s.g[a+1].s]
}

// phoneEdges is phoneShape's test of the edges of the sub-run [a,b): a
// blank in the separators before and after it, no ":d" after it.
func (s *scanner) phoneEdges(a, b int) bool {
	sk := &s.gsum.sepk
	if a > 0 && byte(sk[a]) != ' ' && sk[a]>>8 != ' ' || b < s.ng && byte(sk[b]) != ' ' && sk[b]>>8 != ' ' {
		return false
	}
	t := s.t
	end := s.g[b-1].e
	return !(end+1 < len(t) && t[end] == ':' && isDigit(t[end+1]))
}

// ibanHead reports whether w is the first or a later 4-character block of a
// grouped IBAN: upper-case letters and digits with at least one letter.
func ibanHead(w []byte) bool {
	letters := 0
	for _, c := range w {
		switch {
		case isUpper(c):
			letters++
		case isDigit(c):
		default:
			return false
		}
	}
	return letters > 0
}

// digitsLetters handles a word that starts with a digit and holds letters:
// a compact DNI ("12345678Z") or a compact Corsican NIR ("2..2A.....").
func (s *scanner) digitsLetters(i, j int) {
	w := s.t[i:j]
	switch len(w) {
	case 9:
		if esDNI(w) {
			s.emit(TypeESDNI, i, j, 0.9, "mod23")
		} else if s.hasCtx(ctxPassport, i) && s.idDocument(i, j) {
			return
		}
	case 15:
		if frNIR(w) {
			s.emit(TypeFRNIR, i, j, 0.95, "mod97-key")
		}
	}
}

// eval evaluates the sub-run of groups [a,b), nd digits (at most
// len(s.digits), and 7 or more or in 3 groups or more), and emits at most
// one finding.
func (s *scanner) eval(a, b, nd, runStart int, plus bool) bool {
	ngr := b - a
	t := s.t
	start := s.g[a].s
	if a == 0 {
		start = runStart
		if t[start] == '(' && ngr == 1 {
			start = s.g[0].s
		}
	} else {
		plus = false
	}
	end := s.g[b-1].e
	// Separator summary.
	uniform := true
	sepc := byte(0)
	if ngr > 1 {
		k0 := s.gsum.sepk[a+1]
		for g := a + 2; g < b; g++ {
			if s.gsum.sepk[g] != k0 {
				uniform = false
				break
			}
		}
		if uniform && k0 < 256 {
			sepc = byte(k0)
		}
	}
	glen := func(g int) int { return s.g[a+g].e - s.g[a+g].s }

	// IPv4: four dot-separated octets, not inside a longer dotted run.
	if ngr == 4 && sepc == '.' && !plus {
		if (a == 0 || t[s.sep[a].s] != '.') && !s.nextSepDot(b) {
			if s.ipv4(start, end, a) {
				return true
			}
		}
	}
	if start >= s.keyPhone.s && end <= s.keyPhone.e && (plus || nd >= 7) {
		return true // inside a value found as a phone by its key ("phone=+44 20 ...")
	}
	if plus && t[start] == '+' && nd >= 8 && nd <= 15 {
		return s.e.on[TypePhone] && !s.idKey(runStart) && s.phone(start, end, s.subDigits(a, b), true, ngr, uniform)
	}
	if !plus && nd >= 10 && nd <= 17 && t[s.g[a].s] == '0' && s.lead00(a) && s.phoneShape(a, b, end) && s.phoneSeps(a, b) {
		return s.e.on[TypePhone] && !s.idKey(runStart) && s.phone(start, end, s.subDigits(a, b), true, ngr, uniform) // 00 international prefix
	}
	switch {
	case nd >= 12 && nd <= 19 && (ngr == 1 || sepc == ' ' || sepc == '-'):
		// card's own cheap tests first: the grouping, then without a card
		// cue a known issuer prefix for this length from 13 digits. Then
		// Luhn.
		if s.cardGrouping(a, ngr) && (s.hasCtx(ctxCard, start) || nd >= 13 && s.cardIINGroups(a, b, nd)) &&
			s.luhnGroups(a, b) && !s.idKey(runStart) && s.card(start, end, s.subDigits(a, b), a, ngr) {
			return true
		}
	}
	if (s.hasCtx(ctxDL, start) || s.hasCtx(ctxPassport, start)) && (ngr == 1 || uniform && (sepc == '-' || sepc == ' ')) &&
		s.documentDigits(start, end, nd) {
		return true
	}
	switch nd {
	case 15:
		if (ngr == 1 || (sepc == ' ' && ngr == 7) || (ngr == 2 && glen(0) == 13)) && frNIR(s.subDigits(a, b)) {
			s.emit(TypeFRNIR, start, end, 0.95, "mod97-key")
			return true
		}
	case 11:
		ctx := s.hasCtx(ctxTax, start)
		grouped := ngr == 4 && sepc == ' ' && glen(0) == 2 && glen(1) == 3 && glen(2) == 3
		if (ctx && (ngr == 1 || uniform)) || grouped {
			if deTaxID(s.subDigits(a, b)) {
				s.emit(TypeDETaxID, start, end, 0.9, "iso7064")
				return true
			}
		}
	case 9:
		if s.hasCtx(ctxBSN, start) && (ngr == 1 || uniform && (sepc == '.' || sepc == ' ' || sepc == '-')) {
			if nlBSN(s.subDigits(a, b)) {
				s.emit(TypeNLBSN, start, end, 0.85, "11-proof+context")
				return true
			}
		}
		if ngr == 3 && (sepc == '-' || sepc == ' ') && glen(0) == 3 && glen(1) == 2 {
			if ssnValid(s.subDigits(a, b)) {
				s.emit(TypeSSN, start, end, 0.85, "ssn-format")
			}
			return true // SSN-shaped: never a phone
		} else if ngr == 1 && s.hasCtx(ctxSSN, start) && ssnValid(s.subDigits(a, b)) {
			s.emit(TypeSSN, start, end, 0.75, "ssn-context")
			return true
		}
	}
	if ngr == 3 && isDateShape(t, s.g[a:b], sepc) {
		if s.hasCtx(ctxDOB, start) && plausibleDOB(t, s.g[a:b]) {
			s.emit(TypeDateOfBirth, start, end, 0.8, "date+context")
			return true
		}
		return false
	}
	if nd >= 7 && nd <= 13 && s.e.regions.anyPhone {
		// The cheap tests of shape and context first: a libphonenumber
		// call (microseconds) only for a run that may be a phone. A lone
		// group without a phone word, and two groups that do not start
		// with a trunk or area code, are rejected before phoneShape.
		ctx := s.hasCtx(ctxPhone, start)
		if ngr == 1 && !ctx || ngr == 2 && !ctx && !s.twoGroupPhone(a) || !s.phoneShape(a, b, end) || ngr > 4 && !ctx && !uniform || !s.nationalPhoneShape(a, b, ctx) || s.idKey(runStart) {
			return false
		}
		return s.phone(start, end, s.subDigits(a, b), false, ngr, uniform)
	}
	return false
}

// subDigits returns the digits of groups [a,b) of the current run. A lone
// group is returned in place; the digits of several are copied into
// s.digits, once eval knows it needs them (most sub-runs are rejected by
// their length, separators or context first). The callers only read it.
func (s *scanner) subDigits(a, b int) []byte {
	if b-a == 1 {
		return s.t[s.g[a].s:s.g[a].e]
	}
	nd := 0
	for g := a; g < b; g++ {
		nd += copy(s.digits[nd:], s.t[s.g[g].s:s.g[g].e])
	}
	return s.digits[:nd]
}

// luhnGroups is luhn on the digits of groups [a,b), read in place: each
// digit's value, doubled or not by its position from the right, from a
// table indexed by the byte itself.
func (s *scanner) luhnGroups(a, b int) bool {
	t := s.t
	sum := 0
	odd := 0 // 1: the next digit from the right is doubled
	for g := b - 1; g >= a; g-- {
		d := t[s.g[g].s:s.g[g].e]
		for i := len(d) - 1; i >= 0; i-- {
			sum += int(luhnTab[odd][d[i]])
			odd ^= 1
		}
	}
	return sum%10 == 0
}

// luhnTab[0][c] is the value of the digit c, luhnTab[1][c] that of the
// digit doubled, less 9 when above 9 (Luhn).
var luhnTab = func() (tab [2][256]uint8) {
	for v := uint8(0); v < 10; v++ {
		tab[0]['0'+v] = v
		d := 2 * v
		if d > 9 {
			d -= 9
		}
		tab[1]['0'+v] = d
	}
	return tab
}()

// cardIINGroups is cardIIN on the nd digits (12 to 19) of groups [a,b)
// without copying them: cardIIN reads the first four digits and the count
// only (TestGroupHelpers holds it to that), so the rest are left zero.
func (s *scanner) cardIINGroups(a, b, nd int) bool {
	var p [19]byte
	k := 0
	for g := a; g < b && k < 4; g++ {
		for x := s.g[g].s; x < s.g[g].e && k < 4; x++ {
			p[k] = s.t[x]
			k++
		}
	}
	return cardIIN(p[:nd])
}

// lead00 reports whether the digits of the sub-run starting at group a
// start with "00" and a third digit that is not '0' (an international
// prefix). The sub-run has at least 10 digits, so three exist.
func (s *scanner) lead00(a int) bool {
	var p [3]byte
	k := 0
	for g := a; k < 3; g++ {
		for x := s.g[g].s; x < s.g[g].e && k < 3; x++ {
			p[k] = s.t[x]
			k++
		}
	}
	return p[0] == '0' && p[1] == '0' && p[2] != '0'
}

// phoneShape rejects sub-runs that are pieces of something else: cut out
// of a dotted or hyphenated run, holding a date, or followed by a time.
func (s *scanner) phoneShape(a, b, end int) bool {
	t := s.t
	if a > 0 && !bytesHasSpace(t[s.sep[a].s:s.sep[a].e]) {
		return false
	}
	if b < s.ng && !bytesHasSpace(t[s.sep[b].s:s.sep[b].e]) {
		return false
	}
	if end+1 < len(t) && t[end] == ':' && isDigit(t[end+1]) {
		return false
	}
	for g := a; g+3 <= b; g++ {
		sp1, sp2 := s.sep[g+1], s.sep[g+2]
		if sp1.e-sp1.s != 1 || sp2.e-sp2.s != 1 || t[sp1.s] != t[sp2.s] {
			continue
		}
		c := t[sp1.s]
		if c != '-' && c != '/' && c != '.' {
			continue
		}
		l0, l1, l2 := s.g[g].e-s.g[g].s, s.g[g+1].e-s.g[g+1].s, s.g[g+2].e-s.g[g+2].s
		if (l0 <= 2 && l1 <= 2 && l2 == 4) || (l0 == 4 && l1 <= 2 && l2 <= 2) {
			return false
		}
	}
	return true
}

func bytesHasSpace(b []byte) bool {
	for _, c := range b {
		if c == ' ' {
			return true
		}
	}
	return false
}

// nextSepDot reports whether group b of the current run exists and is
// joined to the one before it by a dot.
func (s *scanner) nextSepDot(b int) bool {
	return b < s.ng && s.t[s.sep[b].s] == '.'
}

// isDateShape reports whether three groups form d[d]/m[m]/yy[yy] or yyyy-mm-dd.
func isDateShape(t []byte, g []span, sepc byte) bool {
	if sepc != '.' && sepc != '/' && sepc != '-' {
		return false
	}
	l0, l1, l2 := g[0].e-g[0].s, g[1].e-g[1].s, g[2].e-g[2].s
	return (l0 <= 2 && l1 <= 2 && (l2 == 4 || l2 == 2)) || (l0 == 4 && l1 <= 2 && l2 <= 2)
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func plausibleDOB(t []byte, g []span) bool {
	v0, v1, v2 := atoi(t[g[0].s:g[0].e]), atoi(t[g[1].s:g[1].e]), atoi(t[g[2].s:g[2].e])
	var y, m, d int
	if g[0].e-g[0].s == 4 {
		y, m, d = v0, v1, v2
	} else {
		y = v2
		d, m = v0, v1
		if m > 12 && d <= 12 { // US order m/d/y
			d, m = m, d
		}
		if g[2].e-g[2].s == 2 {
			y += 1900
		}
	}
	return y >= 1900 && y <= 2030 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// ipv4 validates four octets and applies the private-address policy.
func (s *scanner) ipv4(start, end, a int) bool {
	t := s.t
	var o [4]byte
	gs := s.g[a : a+4 : a+4]
	for k := range 4 {
		// One to three digits, no leading zero; the value written out.
		x := t[gs[k].s:gs[k].e]
		var v int
		switch len(x) {
		case 1:
			v = int(x[0] - '0')
		case 2:
			v = int(x[0]-'0')*10 + int(x[1]-'0')
		case 3:
			v = int(x[0]-'0')*100 + int(x[1]-'0')*10 + int(x[2]-'0')
		default:
			return false
		}
		if len(x) > 1 && x[0] == '0' || v > 255 {
			return false
		}
		o[k] = byte(v)
	}
	s.ipv4Addr(start, end, o)
	return true
}

// ipv4Addr applies the private-address policy to the valid IPv4 address
// o written at t[start:end] (ipv4, dottedQuad).
func (s *scanner) ipv4Addr(start, end int, o [4]byte) {
	// Both tests consume the run without a finding; the address test on
	// the four bytes is the cheaper and settles most log addresses
	// (10.x, 192.168.x).
	if !s.e.privateIPs && !publicAddr4(o) || isVersionContext(s.t, start) {
		return // consumed: a private address, or a version number
	}
	s.emit(TypeIPv4, start, end, 0.9, "netip")
}

// publicAddr4 is publicAddr for the IPv4 address o, on its bytes:
// not private (10/8, 172.16/12, 192.168/16), loopback (127/8), link-local
// (169.254/16), multicast (224/4, which holds the link-local multicast
// 224.0.0/24), unspecified (0.0.0.0) or the broadcast address.
// TestPublicAddr4 compares it with publicAddr.
func publicAddr4(o [4]byte) bool {
	switch {
	case o[0] == 10, o[0] == 172 && o[1]&0xf0 == 16, o[0] == 192 && o[1] == 168,
		o[0] == 127, o[0] == 169 && o[1] == 254, o[0]&0xf0 == 224,
		o == [4]byte{}, o == [4]byte{255, 255, 255, 255}:
		return false
	}
	return true
}

// publicAddr reports whether addr is a routable unicast address.
func publicAddr(a netip.Addr) bool {
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	if a.Is4() && a.As4() == [4]byte{255, 255, 255, 255} {
		return false
	}
	return true
}

// isVersionContext reports whether the dotted quad at start follows a word
// such as "version" or "v".
func isVersionContext(t []byte, start int) bool {
	k := start
	for m := 0; m < 3 && k > 0 && (t[k-1] == ' ' || t[k-1] == ':' || t[k-1] == '=' || t[k-1] == '\t'); m++ {
		k--
	}
	we := k
	for k > 0 && we-k < 12 && isLetter(t[k-1]) {
		k--
	}
	w := t[k:we]
	if len(w) == 0 || k > 0 && isWordByte(t[k-1]) {
		return false
	}
	for _, v := range [...]string{"v", "ver", "version", "release", "build", "firmware", "fw", "os", "app", "sdk", "agent", "chrome", "firefox", "safari"} {
		if len(w) == len(v) && hasPrefixFold(w, v) {
			return true
		}
	}
	return false
}

// cardGrouping reports whether the ngr groups from group a are grouped as
// card numbers are written: 4-4-4-4 (at least three groups, the last of 1
// to 4 digits) or 4-6-5 and 4-6-4 (American Express, Diners); a lone group
// always is.
func (s *scanner) cardGrouping(a, ngr int) bool {
	if ngr == 1 {
		return true
	}
	if ngr < 3 || ngr > 8 {
		return false
	}
	gl := func(g int) int { return s.g[a+g].e - s.g[a+g].s }
	if ngr == 3 && gl(0) == 4 && gl(1) == 6 && (gl(2) == 5 || gl(2) == 4) {
		return true
	}
	for g := 0; g < ngr-1; g++ {
		if gl(g) != 4 {
			return false
		}
	}
	last := gl(ngr - 1)
	return last >= 1 && last <= 4
}

// card validates a payment card candidate.
//
// A run with a card cue before it (card, visa, Kreditkarte, ...) needs
// only Luhn and a consistent grouping, whatever its issuer prefix, from 12
// digits; without one, a known issuer prefix and length, from 13.
func (s *scanner) card(start, end int, d []byte, a, ngr int) bool {
	if !luhn(d) {
		return false
	}
	ctx := s.hasCtx(ctxCard, start)
	nd := len(d)
	if !ctx && (nd < 13 || !cardIIN(d)) {
		return false
	}
	if ngr == 1 && nd > 16 && !ctx || !s.cardGrouping(a, ngr) {
		return false
	}
	s.emit(TypeCard, start, end, 0.95, "luhn+iin")
	return true
}

// phone validates a phone candidate with libphonenumber. It is reached only
// by digit runs whose shape fits a phone number, so the parse cost (about
// 16 µs and some allocations) is never paid on text without candidates.
func (s *scanner) phone(start, end int, d []byte, plus bool, ngr int, uniform bool) bool {
	if !s.e.on[TypePhone] {
		return false
	}
	ctx := s.hasCtx(ctxPhone, start)
	if !plus && ngr == 1 && !ctx {
		return false // a bare digit run is an id more often than a phone
	}
	if !plus && ngr > 1 && !ctx && !uniform && ngr > 4 {
		return false
	}
	t := s.t
	if plus {
		str := string(t[start:end])
		if t[start] != '+' {
			str = "+" + string(d[2:])
		}
		num, err := phonenumbers.Parse(str, "ZZ")
		if err == nil && phonenumbers.IsValidNumber(num) {
			s.emit(TypePhone, start, phoneExt(t, end), 0.9, "libphonenumber")
			return true
		}
		return false
	}
	r := &s.e.regions
	nd := len(d)
	try := func(region string) bool {
		num, err := phonenumbers.Parse(string(t[start:end]), region)
		if err == nil && phonenumbers.IsValidNumberForRegion(num, region) {
			s.emit(TypePhone, start, phoneExt(t, end), 0.85, "libphonenumber")
			return true
		}
		return false
	}
	switch {
	case d[0] == '0':
		for _, reg := range r.trunk0 {
			if try(reg) {
				return true
			}
		}
	case (nd == 10 && d[0] >= '2' && d[3] >= '2') || (nd == 11 && d[0] == '1' && d[1] >= '2'):
		for _, reg := range r.nanp {
			if try(reg) {
				return true
			}
		}
		if r.br && try("BR") {
			return true
		}
	case nd == 9 && d[0] >= '6' && r.es:
		if try("ES") {
			return true
		}
	}
	if nd == 10 && r.in && d[0] >= '6' && try("IN") {
		return true
	}
	if d[0] == '3' && nd >= 9 && nd <= 10 && r.it && try("IT") {
		return true
	}
	if d[0] != '0' && (nd == 10 || nd == 11) && r.br && t[start] == '(' && try("BR") {
		return true
	}
	return false
}

var monthNames = map[string]bool{}

func init() {
	for _, m := range []string{
		"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
		"januar", "februar", "m\u00e4rz", "maerz", "mai", "juni", "juli", "oktober", "dezember",
		"janvier", "f\u00e9vrier", "mars", "avril", "juin", "juillet", "ao\u00fbt", "septembre", "octobre", "novembre", "d\u00e9cembre",
		"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
		"gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre",
		"januari", "februari", "maart", "mei", "augustus",
	} {
		monthNames[m] = true
	}
}

// textDate matches "<day>[.] [de ]<month>[ de] <year>" where the day is the
// word t[i:j]; it returns the end of the date or 0.
func (s *scanner) textDate(i, j int) int {
	t := s.t
	n := len(t)
	k := j
	if k < n && t[k] == '.' {
		k++
	}
	if k >= n || t[k] != ' ' {
		return 0
	}
	k++
	if k+3 <= n && (hasPrefixFold(t[k:], "de ") || hasPrefixFold(t[k:], "di ")) {
		k += 3
	}
	ms := k
	for k < n && k-ms < 12 && (isLetter(t[k]) || t[k] >= 0x80) {
		k++
	}
	if k-ms < 3 || k-ms > 12 {
		return 0
	}
	var buf [12]byte
	mw := buf[:k-ms]
	for m, c := range t[ms:k] {
		mw[m] = lower(c)
	}
	if !monthNames[string(mw)] {
		return 0
	}
	if k < n && t[k] == '.' {
		k++
	}
	if k+4 <= n && hasPrefixFold(t[k:], " de ") {
		k += 3
	}
	if k >= n || t[k] != ' ' {
		return 0
	}
	k++
	ys := k
	for k < n && isDigit(t[k]) {
		k++
	}
	if k-ys != 4 || (k < n && isWordByte(t[k])) {
		return 0
	}
	day, year := atoi(t[i:j]), atoi(t[ys:k])
	if day < 1 || day > 31 || year < 1900 || year > 2030 {
		return 0
	}
	return k
}

// phoneE164 returns v in E.164 form ("+442079460958") if v is a valid
// international number or a valid national number of one of the engine's
// regions (tried in the order they were configured), else "".
func (e *Engine) phoneE164(v []byte) string {
	str := string(v)
	digits := 0
	for _, c := range v {
		if isDigit(c) {
			digits++
		}
	}
	if digits < 6 {
		return ""
	}
	try := func(region string) string {
		num, err := phonenumbers.Parse(str, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			return ""
		}
		return phonenumbers.Format(num, phonenumbers.E164)
	}
	if len(v) > 0 && v[0] == '+' {
		return try("ZZ")
	}
	for _, list := range [][]string{e.regions.nanp, e.regions.trunk0} {
		for _, reg := range list {
			if s := try(reg); s != "" {
				return s
			}
		}
	}
	if e.regions.es {
		return try("ES")
	}
	return ""
}

// phoneExt returns the end of the extension written after the phone
// number that ends at end (" x1234", " ext. 12", " ext 12", " #123",
// " extension 55", ",ext=7"), or end when there is none.
func phoneExt(t []byte, end int) int {
	n := len(t)
	k := end
	if k < n && (t[k] == ' ' || t[k] == ',' || t[k] == ';') {
		k++
	}
	if k < n && t[k] == ' ' {
		k++
	}
	switch {
	case k < n && (t[k] == 'x' || t[k] == 'X' || t[k] == '#'):
		k++
	case k+3 <= n && hasPrefixFold(t[k:], "ext"):
		k += 3
		if k+6 <= n && hasPrefixFold(t[k:], "ension") {
			k += 6
		}
		if k < n && (t[k] == '.' || t[k] == '=' || t[k] == ':') {
			k++
		}
		if k < n && t[k] == ' ' {
			k++
		}
	case k+3 <= n && hasPrefixFold(t[k:], "dw."): // Dutch "toestel" is rare; German "Durchwahl"
		k += 3
		if k < n && t[k] == ' ' {
			k++
		}
	default:
		return end
	}
	e := k
	for e < n && isDigit(t[e]) && e-k < 6 {
		e++
	}
	if e == k || e < n && isWordByte(t[e]) {
		return end
	}
	return e
}

// monthFirstDate matches "<month>[.] <day>[,] <year>" ("March 3, 1985",
// "Mar. 3 1985") where the day is the word t[i:j]; it returns the start
// and end of the date, or 0, 0.
func (s *scanner) monthFirstDate(i, j int) (int, int) {
	t := s.t
	n := len(t)
	if i < 4 || t[i-1] != ' ' {
		return 0, 0
	}
	me := i - 1
	if t[me-1] == '.' {
		me--
	}
	ms := me
	for ms > 0 && me-ms < 12 && (isLetter(t[ms-1]) || t[ms-1] >= 0x80) {
		ms--
	}
	if me-ms < 3 || ms > 0 && isWordByte(t[ms-1]) {
		return 0, 0
	}
	var buf [12]byte
	mw := buf[:me-ms]
	for m, c := range t[ms:me] {
		mw[m] = lower(c)
	}
	if !monthNames[string(mw)] {
		return 0, 0
	}
	k := j
	if k < n && (t[k] == ',' || t[k] == '.') {
		k++
	}
	if k >= n || t[k] != ' ' {
		return 0, 0
	}
	k++
	ys := k
	for k < n && isDigit(t[k]) {
		k++
	}
	if k-ys != 4 || k < n && isWordByte(t[k]) {
		return 0, 0
	}
	day, year := atoi(t[i:j]), atoi(t[ys:k])
	if day < 1 || day > 31 || year < 1900 || year > 2030 {
		return 0, 0
	}
	return ms, k
}
