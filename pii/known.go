package pii

import (
	"strings"
	"unicode/utf8"
)

// Known is a compiled set of a person's known values (name, e-mail, phone,
// address, external id). All values are matched by one case-insensitive
// Aho-Corasick automaton, however many there are, with word boundaries;
// phone values are also matched by their digits, ignoring separators.
// A Known is immutable and safe for concurrent use; a nil *Known holds
// no values.
type Known struct {
	cls    [256]uint8 // folded byte -> alphabet class (0: not in any value)
	ncls   int
	delta  []int32 // state*ncls + class-1 -> next state
	out    []int32 // state -> index into pats of the longest value ending here, or -1
	dict   []int32 // state -> nearest state on the failure chain with an output, or -1
	pats   []knownPat
	phones []knownPhone
}

type knownPat struct {
	typ       Type
	n         int  // length in bytes
	wordStart bool // first byte is a word byte: needs a boundary before
	wordEnd   bool // last byte is a word byte: needs a boundary after
}

type knownPhone struct {
	typ    Type
	digits string // national significant digits, leading zeros removed
}

// foldAt returns the case-folded form of t[i]: ASCII upper case and the
// Latin-1 upper-case letters (U+00C0..U+00DE, encoded C3 80..C3 9E) map to
// lower case.
func foldAt(t []byte, i int) byte {
	c := t[i]
	if c-'A' < 26 {
		return c + 32
	}
	if c >= 0x80 && c <= 0x9E && c != 0x97 && i > 0 && t[i-1] == 0xC3 {
		return c + 0x20
	}
	return c
}

// NewKnown compiles values into one automaton. Values shorter than two
// bytes or not valid UTF-8 are ignored, and so is a value that would take
// the automaton's alphabet past 255 distinct bytes (only possible with
// values made of unusual binary-looking text). Phone values (TypeKnownPhone or
// TypePhone) are also matched by digits.
func NewKnown(values []KnownValue) *Known {
	k := &Known{}
	type node struct {
		next map[byte]int32
		out  int32
	}
	nodes := []node{{next: map[byte]int32{}, out: -1}}
	for _, v := range values {
		val := strings.TrimSpace(v.Value)
		if len(val) < 2 || !utf8.ValidString(val) || v.Type >= NumTypes {
			continue
		}
		if v.Type == TypeKnownPhone || v.Type == TypePhone {
			if d := phoneDigits(val); len(d) >= 6 {
				k.phones = append(k.phones, knownPhone{typ: v.Type, digits: d})
			}
		}
		b := []byte(val)
		// The alphabet holds at most 255 distinct (folded) bytes; a value
		// that would overflow it is skipped rather than cut short.
		extra := 0
		var seen [256]bool
		for i := range b {
			if c := foldAt(b, i); k.cls[c] == 0 && !seen[c] {
				seen[c] = true
				extra++
			}
		}
		if k.ncls+extra > 255 {
			continue
		}
		st := int32(0)
		for i := range b {
			c := foldAt(b, i)
			if k.cls[c] == 0 {
				k.ncls++
				k.cls[c] = uint8(k.ncls)
			}
			nx, ok := nodes[st].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[byte]int32{}, out: -1})
				nodes[st].next[c] = nx
			}
			st = nx
		}
		if prev := nodes[st].out; prev < 0 || k.pats[prev].n < len(b) {
			nodes[st].out = int32(len(k.pats))
		}
		k.pats = append(k.pats, knownPat{
			typ: v.Type, n: len(b),
			wordStart: isWordByte(b[0]), wordEnd: isWordByte(b[len(b)-1]),
		})
	}
	if len(k.pats) == 0 && len(k.phones) == 0 {
		return k
	}
	// Breadth-first construction of the full transition table.
	ns := len(nodes)
	nc := k.ncls
	k.delta = make([]int32, ns*nc)
	k.out = make([]int32, ns)
	k.dict = make([]int32, ns)
	fail := make([]int32, ns)
	for i := range nodes {
		k.out[i] = nodes[i].out
		k.dict[i] = -1
	}
	queue := make([]int32, 0, ns)
	for c := 0; c < 256; c++ {
		cl := k.cls[c]
		if cl == 0 {
			continue
		}
		if nx, ok := nodes[0].next[byte(c)]; ok {
			k.delta[int(cl)-1] = nx
			fail[nx] = 0
			queue = append(queue, nx)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		st := queue[qi]
		if f := fail[st]; k.out[f] >= 0 {
			k.dict[st] = f
		} else {
			k.dict[st] = k.dict[f]
		}
		for c := 0; c < 256; c++ {
			cl := k.cls[c]
			if cl == 0 {
				continue
			}
			if nx, ok := nodes[st].next[byte(c)]; ok {
				fail[nx] = k.delta[int(fail[st])*nc+int(cl)-1]
				k.delta[int(st)*nc+int(cl)-1] = nx
				queue = append(queue, nx)
			} else {
				k.delta[int(st)*nc+int(cl)-1] = k.delta[int(fail[st])*nc+int(cl)-1]
			}
		}
	}
	return k
}

// phoneDigits returns the digits of s with leading zeros removed.
func phoneDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			if b.Len() == 0 && s[i] == '0' {
				continue
			}
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Len returns the number of values compiled into k.
func (k *Known) Len() int {
	if k == nil {
		return 0
	}
	return len(k.pats) + len(k.phones)
}

func (s *scanner) known(k *Known) {
	t := s.t
	if len(k.pats) > 0 {
		nc := k.ncls
		st := int32(0)
		for i := range t {
			cl := k.cls[foldAt(t, i)]
			if cl == 0 {
				st = 0
				continue
			}
			st = k.delta[int(st)*nc+int(cl)-1]
			for o := st; o > 0; o = k.dict[o] {
				pi := k.out[o]
				if pi < 0 {
					continue
				}
				p := &k.pats[pi]
				start, end := i+1-p.n, i+1
				if p.wordStart && start > 0 && isWordByte(t[start-1]) {
					continue
				}
				if p.wordEnd && end < len(t) && isWordByte(t[end]) {
					continue
				}
				s.emit(p.typ, start, end, 1, "known")
			}
		}
	}
	if len(k.phones) > 0 {
		s.knownPhones(k)
	}
}

// knownPhones matches the digits of every digit run (with separators)
// against the known phone numbers.
func (s *scanner) knownPhones(k *Known) {
	t := s.t
	n := len(t)
	for i := 0; i < n; {
		if !isDigit(t[i]) || i > 0 && isWordByte(t[i-1]) {
			i++
			continue
		}
		start := i
		if i > 0 && t[i-1] == '+' {
			start = i - 1
		}
		var buf [24]byte
		nd := 0
		e := i
		last := i
		for e < n && nd < len(buf) {
			c := t[e]
			if isDigit(c) {
				if !(nd == 0 && c == '0') {
					buf[nd] = c
					nd++
				}
				last = e + 1
			} else if !isSepByte(c) || e+1 >= n || !(isDigit(t[e+1]) || isSepByte(t[e+1])) {
				break
			}
			e++
		}
		i = max(e, i+1)
		if last < n && isWordByte(t[last]) {
			continue
		}
		d := buf[:nd]
		for _, p := range k.phones {
			if phoneMatch(d, p.digits) {
				s.emit(p.typ, start, last, 1, "known-phone")
				break
			}
		}
	}
}

// phoneMatch reports whether two digit strings (leading zeros removed) are
// the same number, allowing one of them to carry a country code of up to
// three digits.
func phoneMatch(d []byte, p string) bool {
	if len(d) < 6 {
		return false
	}
	if string(d) == p {
		return true
	}
	if len(d) > len(p) {
		return len(d)-len(p) <= 3 && len(p) >= 7 && string(d[len(d)-len(p):]) == p
	}
	return len(p)-len(d) <= 3 && len(d) >= 7 && p[len(p)-len(d):] == string(d)
}
