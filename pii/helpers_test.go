package pii

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

// TestGroupHelpers checks the per-run helpers of eval against what they
// stand for, on random runs of digit groups and separators: the running
// digit counts against the group lengths, separator numbers against the
// separator bytes, subDigits against the digits written out, luhnGroups
// against luhn on them, cardIINGroups against cardIIN on them and lead00
// against their first three digits.
func TestGroupHelpers(t *testing.T) {
	seps := []string{" ", "-", ".", "(", ")", "/", "  ", " -", "- ", "--", ". ", "/ ", ") ", " ("}
	r := rand.New(rand.NewPCG(1, 16))
	for it := 0; it < 20000; it++ {
		var text []byte
		var s scanner
		ng := 1 + r.IntN(maxGroups)
		var all []byte
		for g := 0; g < ng; g++ {
			if g > 0 {
				st := len(text)
				text = append(text, seps[r.IntN(len(seps))]...)
				s.sep[g] = span{st, len(text)}
			}
			st := len(text)
			for k := 1 + r.IntN(6); k > 0; k-- {
				c := byte('0' + r.IntN(10))
				if r.IntN(3) == 0 {
					c = '0'
				}
				text = append(text, c)
			}
			s.g[g] = span{st, len(text)}
			all = append(all, text[st:]...)
		}
		s.t, s.ng = text, ng
		s.sumGroups()
		for a := 0; a < ng; a++ {
			for b := a + 1; b <= ng; b++ {
				var want []byte
				for g := a; g < b; g++ {
					want = append(want, text[s.g[g].s:s.g[g].e]...)
				}
				if got := int(s.gsum.cum[b] - s.gsum.cum[a]); got != len(want) {
					t.Fatalf("%q [%d,%d): cum says %d digits, want %d", text, a, b, got, len(want))
				}
				if len(want) > len(s.digits) {
					continue
				}
				d := s.subDigits(a, b)
				if !bytes.Equal(d, want) {
					t.Fatalf("%q [%d,%d): subDigits %q, want %q", text, a, b, d, want)
				}
				if s.luhnGroups(a, b) != luhn(want) {
					t.Fatalf("%q [%d,%d): luhnGroups differs from luhn", text, a, b)
				}
				if len(want) >= 12 && len(want) <= 19 && s.cardIINGroups(a, b, len(want)) != cardIIN(want) {
					t.Fatalf("%q [%d,%d): cardIINGroups differs from cardIIN", text, a, b)
				}
				if len(want) >= 3 {
					if got, w := s.lead00(a), want[0] == '0' && want[1] == '0' && want[2] != '0'; got != w {
						t.Fatalf("%q [%d,%d): lead00 %v, want %v", text, a, b, got, w)
					}
				}
			}
		}
		for g := 1; g < ng; g++ {
			sg := text[s.sep[g].s:s.sep[g].e]
			if (s.gsum.sepk[g] < 256) != (len(sg) == 1) {
				t.Fatalf("%q: separator %q has number %d", text, sg, s.gsum.sepk[g])
			}
			for h := 1; h < ng; h++ {
				sh := text[s.sep[h].s:s.sep[h].e]
				if (s.gsum.sepk[g] == s.gsum.sepk[h]) != bytes.Equal(sg, sh) {
					t.Fatalf("%q: separators %q and %q numbered %d and %d", text, sg, sh, s.gsum.sepk[g], s.gsum.sepk[h])
				}
			}
			if len(sg) == 1 && byte(s.gsum.sepk[g]) != sg[0] {
				t.Fatalf("%q: separator %q numbered %d", text, sg, s.gsum.sepk[g])
			}
		}
	}
}

// TestIPv6ShortNeedsDoubleColon checks the claim ipv6's early return rests
// on: an IPv6 address of fewer than 15 bytes has a "::" (8 groups, or 10
// around a dotted quad, need 15 bytes at least), on random strings of the
// bytes ipv6 gathers.
func TestIPv6ShortNeedsDoubleColon(t *testing.T) {
	const alphabet = "0123456789abcdefABCDEF:::...."
	r := rand.New(rand.NewPCG(6, 16))
	for it := 0; it < 300000; it++ {
		b := make([]byte, 1+r.IntN(14))
		for k := range b {
			b[k] = alphabet[r.IntN(len(alphabet))]
		}
		dc := bytes.Contains(b, []byte("::"))
		if a, err := netip.ParseAddr(string(b)); err == nil && a.Is6() && !dc {
			t.Fatalf("%q is an IPv6 address of %d bytes without \"::\"", b, len(b))
		}
	}
	for _, s := range []string{"1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4"} {
		if a, err := netip.ParseAddr(s); err != nil || !a.Is6() || len(s) < 15 && !bytes.Contains([]byte(s), []byte("::")) {
			t.Fatalf("%q: %v %v", s, a, err)
		}
	}
	for b := 0; b < 256; b++ {
		if v6Bytes[b] != (isHex(byte(b)) || b == ':' || b == '.') {
			t.Fatalf("v6Bytes[%#x] = %v", b, v6Bytes[b])
		}
	}
}

// isoStampEndRef is isoStampEnd written byte by byte, as it was before
// the 8-byte loads; TestISOStampEndMatchesRef compares the two.
func isoStampEndRef(t []byte, i int) int {
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

// TestISOStampEndMatchesRef compares isoStampEnd with isoStampEndRef on
// timestamps with every fraction length and with one to three bytes
// replaced by bytes around the digits and separators (and any byte),
// truncated at every length.
func TestISOStampEndMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 16))
	near := []byte("/0123456789:;-.TZtz \x00\x7f\x80\xb0\xff")
	bases := []string{"2024-05-01T12:27:58Z", "2024-05-01T12:27:58.719Z x", "2024-05-01T12:27:58.7Zab",
		"2024-05-01T12:27:58.719012Z", "2024-05-01T12:27:58.7190123Z", "2024-05-01T12:27:58.Z"}
	for it := 0; it < 200000; it++ {
		b := []byte(bases[r.IntN(len(bases))])
		for m := r.IntN(4); m > 0; m-- {
			c := near[r.IntN(len(near))]
			if r.IntN(4) == 0 {
				c = byte(r.IntN(256))
			}
			b[r.IntN(len(b))] = c
		}
		b = b[:r.IntN(len(b)+1)]
		for i := 0; i < 2 && i <= len(b); i++ {
			if got, want := isoStampEnd(b, i), isoStampEndRef(b, i); got != want {
				t.Fatalf("isoStampEnd(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	}
}

// TestCardGrouping checks the groupings card accepts.
func TestCardGrouping(t *testing.T) {
	for _, c := range []struct {
		lens []int
		want bool
	}{
		{[]int{16}, true}, {[]int{4, 4, 4, 4}, true}, {[]int{4, 4, 4, 1}, true}, {[]int{4, 4, 4, 4, 3}, true},
		{[]int{4, 6, 5}, true}, {[]int{4, 6, 4}, true}, {[]int{4, 6, 6}, false}, {[]int{4, 4}, false},
		{[]int{4, 4, 4, 5}, false}, {[]int{3, 4, 4, 4}, false}, {[]int{4, 4, 4, 4, 4, 4, 4, 4}, true},
		{[]int{4, 4, 4, 4, 4, 4, 4, 4, 1}, false}, {[]int{4, 5, 4, 4}, false},
	} {
		var s scanner
		var text []byte
		for g, l := range c.lens {
			if g > 0 {
				text = append(text, ' ')
			}
			st := len(text)
			text = append(text, bytes.Repeat([]byte("4"), l)...)
			s.g[g] = span{st, len(text)}
		}
		s.t = text
		for a := 0; a < 2; a++ { // the groups at a shifted start
			if a == 1 {
				copy(s.g[1:], s.g[:len(c.lens)])
			}
			if got := s.cardGrouping(a, len(c.lens)); got != c.want {
				t.Errorf("%v at %d: cardGrouping %v, want %v", c.lens, a, got, c.want)
			}
		}
	}
}

// TestPublicAddr4 compares publicAddr4 with publicAddr (netip's tests) on
// every first and second byte with random last two, and on the edges of
// each range.
func TestPublicAddr4(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 16))
	check := func(o [4]byte) {
		if got, want := publicAddr4(o), publicAddr(netip.AddrFrom4(o)); got != want {
			t.Fatalf("%v: publicAddr4 %v, publicAddr %v", o, got, want)
		}
	}
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			for _, cd := range [][2]byte{{0, 0}, {0, 1}, {255, 255}, {255, 254}, {byte(r.IntN(256)), byte(r.IntN(256))}} {
				check([4]byte{byte(a), byte(b), cd[0], cd[1]})
			}
		}
	}
}

// TestValueStop checks keyValue's table of value ends against the tests
// it replaced, on every byte.
func TestValueStop(t *testing.T) {
	for b := 0; b < 256; b++ {
		c := byte(b)
		end := c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '|' || c == '\t'
		word := c == ' ' || c == ',' || c == ';' || c == '&' || c == '}' || c == ']' || c == ')' || c == '<' || c == '>' || c == '{' || c == '('
		if (valueStop[c]&vEnd != 0) != end || (valueStop[c]&vWord != 0) != word {
			t.Errorf("valueStop[%#x] = %d", c, valueStop[c])
		}
	}
}

// ipv6Ref is ipv6 as it was before the byte table and the early return
// for short runs without "::"; TestIPv6MatchesRef compares the two.
func (s *scanner) ipv6Ref(i int) {
	t := s.t
	n := len(t)
	start := i
	for start > 0 && i-start < 45 && (isHex(t[start-1]) || t[start-1] == ':' || t[start-1] == '.') {
		start--
	}
	if start > 0 && isWordByte(t[start-1]) {
		s.ipv6Until = i + 1
		return
	}
	e := i
	for e < n && e-start < 46 && (isHex(t[e]) || t[e] == ':' || t[e] == '.') {
		e++
	}
	s.ipv6Until = e
	for e > start && t[e-1] == '.' {
		e--
	}
	if e < n && (isWordByte(t[e]) || t[e] == ':') {
		return
	}
	if e > start+1 && t[e-1] == ':' && t[e-2] != ':' {
		e--
	}
	// Shape: hex groups of at most 4, at most one "::", 8 groups without it.
	groups, dc, hasDigit, dots := 0, 0, false, 0
	gl := 0
	for k := start; k < e; k++ {
		c := t[k]
		switch {
		case c == ':':
			if k+1 < e && t[k+1] == ':' {
				dc++
				k++
			}
			if gl > 0 {
				groups++
			}
			gl = 0
		case c == '.':
			dots++
			gl = 0
		default:
			if isDigit(c) {
				hasDigit = true
			}
			gl++
			if gl > 4 {
				return
			}
		}
	}
	if gl > 0 {
		groups++
	}
	if dc > 1 || !hasDigit || dc == 0 && groups != 8 && !(dots == 3 && groups == 10) || groups > 10 {
		return
	}
	addr, err := netip.ParseAddr(string(t[start:e]))
	if err != nil || !addr.Is6() {
		return
	}
	if !s.e.privateIPs && !publicAddr(addr) {
		return
	}
	s.emit(TypeIPv6, start, e, 0.9, "netip")
}

// TestIPv6MatchesRef runs ipv6 and ipv6Ref at every offset of random
// strings of hex digits, ':', '.', letters after 'f' and blanks (and any
// byte now and then), with private addresses reported and not, and
// compares the findings and ipv6Until.
func TestIPv6MatchesRef(t *testing.T) {
	const alphabet = "0123456789abcdefABCDEF::::::....gxZ _-/"
	r := rand.New(rand.NewPCG(66, 16))
	var engines []*Engine
	for _, priv := range []bool{false, true} {
		e, err := NewEngine(Options{PrivateIPs: priv})
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, e)
	}
	seeds := []string{"fe80::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1", "1:2:3:4:5:6:7:8", "2606:4700:4700::1111",
		"21:19:44", "2026:21:19:44", "::", "a::b::c", "1:2:3:4:5:6:1.2.3.4"}
	for it := 0; it < 100000; it++ {
		var b []byte
		if r.IntN(2) == 0 {
			b = append(b, seeds[r.IntN(len(seeds))]...)
			for m := r.IntN(3); m > 0; m-- {
				b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
			}
		}
		for k := r.IntN(30); k > 0; k-- {
			c := alphabet[r.IntN(len(alphabet))]
			if r.IntN(20) == 0 {
				c = byte(r.IntN(256))
			}
			b = append(b, c)
		}
		if r.IntN(2) == 0 && len(b) > 0 {
			b = append(b[:r.IntN(len(b))], append([]byte(seeds[r.IntN(len(seeds))]), b[r.IntN(len(b)):]...)...)
		}
		for _, e := range engines {
			for i := range b {
				var s1, s2 scanner
				s1.e, s1.t, s1.ipv6Until = e, b, -1
				s2.e, s2.t, s2.ipv6Until = e, b, -1
				s1.ipv6(i)
				s2.ipv6Ref(i)
				if s1.ipv6Until != s2.ipv6Until || len(s1.out) != len(s2.out) || len(s1.out) == 1 && s1.out[0] != s2.out[0] {
					t.Fatalf("%q at %d: ipv6 %v until %d, ipv6Ref %v until %d", b, i, s1.out, s1.ipv6Until, s2.out, s2.ipv6Until)
				}
			}
		}
	}
}

// ipv4Ref is ipv4 as it was on main (octets through atoi, netip's
// publicAddr after the version look-back); TestIPv4MatchesRef compares.
func (s *scanner) ipv4Ref(start, end, a int) bool {
	t := s.t
	var o [4]byte
	for k := 0; k < 4; k++ {
		g := s.g[a+k]
		if g.e-g.s > 3 || g.e-g.s > 1 && t[g.s] == '0' {
			return false
		}
		v := atoi(t[g.s:g.e])
		if v > 255 {
			return false
		}
		o[k] = byte(v)
	}
	if isVersionContext(t, start) {
		return true // consumed: a version number, not an address
	}
	addr := netip.AddrFrom4(o)
	if !s.e.privateIPs && !publicAddr(addr) {
		return true
	}
	s.emit(TypeIPv4, start, end, 0.9, "netip")
	return true
}

// TestIPv4MatchesRef runs ipv4 and ipv4Ref on dotted runs of four groups
// of one to four digits (leading zeros, values past 255, the edges of the
// reserved ranges), after a version word or not, with private addresses
// reported and not, and compares results and findings.
func TestIPv4MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(44, 16))
	var engines []*Engine
	for _, priv := range []bool{false, true} {
		e, err := NewEngine(Options{PrivateIPs: priv})
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, e)
	}
	octets := []string{"0", "00", "01", "1", "9", "10", "99", "100", "127", "169", "172", "16", "31", "32", "192", "168",
		"223", "224", "239", "240", "254", "255", "256", "299", "300", "999", "0255", "1000"}
	for it := 0; it < 50000; it++ {
		var b []byte
		if r.IntN(3) == 0 {
			b = append(b, "version "...)
		}
		var gs [4]span
		for k := range gs {
			if k > 0 {
				b = append(b, '.')
			}
			o := octets[r.IntN(len(octets))]
			if r.IntN(3) == 0 {
				o = strconv.Itoa(r.IntN(1000))
			}
			gs[k] = span{len(b), len(b) + len(o)}
			b = append(b, o...)
		}
		for _, e := range engines {
			var s1, s2 scanner
			s1.e, s1.t = e, b
			s2.e, s2.t = e, b
			copy(s1.g[1:], gs[:])
			copy(s2.g[1:], gs[:])
			got, want := s1.ipv4(gs[0].s, gs[3].e, 1), s2.ipv4Ref(gs[0].s, gs[3].e, 1)
			if got != want || len(s1.out) != len(s2.out) || len(s1.out) == 1 && s1.out[0] != s2.out[0] {
				t.Fatalf("%q: ipv4 %v %v, ipv4Ref %v %v", b, got, s1.out, want, s2.out)
			}
		}
	}
}
