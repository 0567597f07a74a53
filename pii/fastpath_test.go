package pii

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The fast paths of the main loop (run) and the SWAR block walker must be
// pure optimisations: sending every word through word (runSlow) finds
// exactly the same things. These tests compare the two on the accuracy
// corpus, the benchmark corpora and fuzzed input.

func fastPathEngines(t testing.TB) []*Engine {
	var es []*Engine
	for _, o := range []Options{{}, {PrivateIPs: true}, {Types: []Type{TypeEmail, TypeCard, TypeSSN, TypeIPv4}}} {
		e, err := NewEngine(o)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

func findingsString(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%v:%d-%d:%.2f:%s ", f.Type, f.Start, f.End, f.Confidence, f.Validator)
	}
	return b.String()
}

func compareFastSlow(t testing.TB, es []*Engine, in []byte, k *Known) {
	t.Helper()
	for n, e := range es {
		slow := findingsString(e.find(in, k, nil, runSlowMode))
		// run, with the names pass's scalar scan and its mask walk
		// with each classifier (runNamesAVX2 only where the CPU has AVX2).
		for _, mode := range fastModes() {
			fast := findingsString(e.find(in, k, nil, mode))
			if fast != slow {
				t.Fatalf("engine %d, mode %d: fast paths change the findings on %q:\n fast %s\n slow %s", n, mode, in, fast, slow)
			}
		}
	}
}

// fastModes are the variants of find the fast-path tests compare with
// runSlow: run with each of the names pass's candidate scans.
func fastModes() []int {
	if haveAVX2 {
		return []int{runNamesScalar, runNamesGo, runNamesAVX2}
	}
	return []int{runNamesScalar, runNamesGo}
}

func TestFastPathsMatchWord(t *testing.T) {
	es := fastPathEngines(t)
	corpus := buildCorpus(20261128, 3000)
	if testing.Short() {
		corpus = corpus[:500]
	}
	for _, s := range corpus {
		var k *Known
		if s.Known != nil {
			k = NewKnown(s.Known)
		}
		for _, v := range []string{s.Text, strings.ToLower(s.Text), strings.ToUpper(s.Text)} {
			compareFastSlow(t, es, []byte(v), k)
		}
		// Every cut, so that words meet the end of the input and the
		// edges of the 64-byte blocks at every offset.
		for c := 1; c < len(s.Text); c += 5 {
			compareFastSlow(t, es, []byte(s.Text[c:]), nil)
		}
	}
	logs := logCorpus(1 << 20)
	compareFastSlow(t, es, logs, nil)
	for _, l := range bytes.SplitAfter(logs[:64<<10], []byte("\n")) {
		compareFastSlow(t, es, l, nil)
	}
	compareFastSlow(t, es, conversationPart(), nil)
}

// loneDigitRuns are runs of 1 to 14 digits (the fast path takes 7 to 11)
// in the places that change what numeric and eval do with them: after a
// context word of every kind, a '+', '(' or "00", a key, a joiner, and
// before a separator, a letter or the end.
func loneDigitRuns() []string {
	var out []string
	runs := []string{"0", "12", "123456", "2079460958", "4111111111", "0079460958", "00447911123456", "30123456", "123456789",
		"12345678901", "79114567890", "987654321012", "0612345678", "5551234567", "020",
		// 8 digits with a separated DNI letter after them ("12345678 Z").
		"12345678"}
	before := []string{"", "x ", "order_id=", "+", "(", "+(", "id-", "#", "@", "phone: ", "call ", "tel. ", "ssn ",
		"BSN ", "Steuer-ID ", "passport ", "licence ", "DL ", "born ", "dob ", "geb ", "card ", "Telefon ", "IBAN DE89 "}
	after := []string{"", " ", "\n", "?", "\"", ")", "-1", ".5", " 42", "x", "/", ":1", ",",
		// A separator and no digit within the two separators numeric joins.
		" OK", "/Nov/", " - 5", "--", "-- 5", ". ", "..5", " -5", "( 1", " Z", "-Z", ".", " -", "/ /5",
		" -7946 0958", "..7946.0958", "/ 7946 0958", "-.79460958",
		// Two groups, and a third after them or not.
		"/1.1", ".5.5", ". 5 .5", "-12ms", " 7 x", "..5 5", ".5-", "-5:", " 12345 6", ".1 - 2", " 1234567", "/12/x", ".5--5",
		// A separator and no further group, before a capital (the DNI
		// letter) or not; then groups a sub-run of which is a finding.
		" Zx", "-Z-", " A", "(Z", " z", ") ", " -x", "  y", " 4111 1111 1111 1111", " 10.1.2.3", " 81.2.3.4",
		"-4111-1111-1111-1111", " (020) 7946 0958", " 020 7946 0958"}
	for _, r := range runs {
		for _, b := range before {
			for _, a := range after {
				out = append(out, b+r+a)
			}
		}
	}
	return out
}

// TestFastPathJoinedDigits compares the fast paths of run for short digit
// runs joined to a word on their left (joinedLeft, groupsEnd) and for
// short runs of one or two groups before a '.' (shortRun) with word, on
// runs after every byte numeric tests on the left, after those bytes
// without a word before them, after '+' and '(' (which move the run's left
// edge), before groups that numeric gathers or not (two separators, a
// group glued to a word, more than maxGroups groups) and values a sub-run
// of which would be a finding; after context words, and ':' for IPv6.
func TestFastPathJoinedDigits(t *testing.T) {
	es := fastPathEngines(t)
	before := []string{"HTTP/", "id-", "blk_", "v.", "a@", "@", "x#", "1#", "#", " #", "-", " -", "a -", "a/+", "a-(", "a.+(",
		"DE89 ", "x/", "\u00e9/", "_/", "a//", "a-.", "::", "fe80::", "a:", "phone a-", "dob x/", "ssn id-", "card a/",
		"", "rt=", "Views: ", "(", "+", "a::", "phone ", "dob ", "born ", "ssn ", "card ", "Steuer-ID ", "IBAN DE89 ",
		"order_id=", "passport ", "tel: ", "phone=", "licence ", "BSN ", "+44 ", "00 "}
	runs := []string{"1", "12", "123", "2026", "12345", "123456", "0", "200", "333", "98765", "020", "0201", "07911", "4111", "212", "3782", "3056"}
	after := []string{"", ".1\"", " 12:34:56", "-4a", ".1.1", "..5", "-- 5", " 12ms", "-12ms", ".5x", ":1", "::1", "-Z",
		".5.5.5.5.5.5.5.5.5.5.5", ".5.5.5.5.5.5.5.5.5.5.5.5", ".5.5.5.5.5.5.5.5.5.5.5.5.5 5", " 5 5 5 5 5 5 5 5 5 5 5 5 5 5-x",
		" 4111 1111 1111 1111", ".1 4111 1111 1111 1111", " 10.1.2.3", " 81.2.3.4", "/81.2.3.4", " 020 7946 0958", " (020) 7946 0958",
		"-0958 x", ". 5 .5", " 536221234", "-45-6789", " 45 6789",
		// A DNI glued after a group ends the run before it; so does
		// the thirteenth group, which numeric consumes with what follows.
		" 12345678Z", ".1 12345678Z", ".5.5.5.5.5.5.5.5.5.5.5 5 12345678Z", ".5.5.5.5.5.5.5.5.5.5 5 12345678Z",
		// One group before a word, two, three.
		".384ms", ".5rc", ".123", ".5.5x", ".5 5", ".5 5x", ".5 55555", ".12345 6", ".123456", ".5. 5", ".5..5",
		".1234567", ".12 345", ".12 345x", ".1-2", ".1-2-3", ".1 2 3 4", ".1\u00e9", ".5_", ".5.\u00e9", ".12.345 12345678Z",
		". 5", ". 5ms", ".-5", "..5ms", ".5 (5", ".5)", ".5.5.", ".34 56 78 90", ".456 7890",
		// A glued DNI or IPv6 group after the first group; a third
		// group after two separators, then a card the run's id key
		// hides.
		".12345678Z", ".5a::1", ".5ab:cd::1", ".cafe::1", ".5  4111 1111 1111 1111", ".5 4111 1111 1111 1111",
		// Two groups of 7 digits or more in all, the second of fewer
		// than 7 or not, and a third.
		" 44821", " 43210", " 1234", " 123456", " 1234567", " 44821 5", " 44821 5ms", "  44821", "-44821", "/44821",
		" 7946 0958", " 946 0958", " 591695", " 1234567890", " 555 0123", ") 123456", " 44821\n", " 654321x", " 4111111111111111", "-4111111111111111",
		// Three groups after blanks: quiet or not (threeGroupsQuiet).
		" 123456789 1234567", " 59986318 441965", " 12 3456", " 45 6789", " 123 4567", " 736 5000", " 1234 5678",
		" 98765 43210", " 333 1234567", " 012345678 1234", " 123456789 0123456", " 123456789012 1", " 12345678901 1234567",
		" 1234567 12345678901", " 1234567 4111111111111111", " 123456789 1234567 5", " 123456789 1234567 5ms",
		" 123456789 1234567-x", " 123456789  1234567", " 123456789-1234567", " 4111 1111 1111", " 1111 1111 1111",
		" 1111 1111 1111 1111", " 2 3", " 23 45", " 1234567 00447911123456", " 0044 7911123456", " 1234567 7911 123456",
		" 7911 123456", " 91234 56789", " 98765 43210 1", " 1234567 98765 43210", " 123456789 1234567\n",
		" 123456789 1234567 4111111111111111", " 4111111111111111 1234", " 822463 10005", " 930902 5904", " 43210 1234567"}
	for _, b := range before {
		for _, r := range runs {
			for _, a := range after {
				compareFastSlow(t, es, []byte(b+r+a), nil)
			}
		}
	}
}

// TestFastPathClock compares the time-of-day fast path of run (clock)
// with word on times and near misses (other group lengths, more groups,
// letters, fractions, IPv6 addresses) after and before every byte that
// changes the IPv6 attempt or what numeric does with the last group, and
// with a date-of-birth context whose window ends at every byte of the
// time.
func TestFastPathClock(t *testing.T) {
	es := fastPathEngines(t)
	times := []string{"2026:23:18:45", "12:34:56", "2026 12:34:56", "28 12:34:56", "2026-11-28 12:34:56", "Nov/2026:23:18:45",
		"12:34:5", "12:34:567", "1:23:45", "12:3a:45", "2026:23:18:45:12", "2026:23:18", "123:45:67", "12:34:56:78",
		"12:34:56.789", "20261:23:18:45", "12:34:56:78:90:ab:cd:ef", "2026:12:34:56:78:90:ab:cd", "12:34 56", "12::34:56",
		"10:20:30", "2026:23:18:12"}
	befores := []string{"", "[", "/", "a/", ":", "::", "a:", "fe80::", "1.", ".", "x ", "-", "+", "(", "dob ", "born: ",
		"phone ", "ssn ", "card "}
	afters := []string{"", " ", " +0000]", "]", "Z", ".5", ":1", "::1", "a", "g", " 12345", " 555 1234", " March 1985",
		".", "-", ":", " 4111 1111 1111 1111", "-7", "\n", "\u00e9", "_", " -", ". 5", "/x",
		"xssn 536221234", ".81.2.3.4", " 81.2.3.4", "-81.2.3.4"}
	for _, tm := range times {
		for _, b := range befores {
			for _, a := range afters {
				compareFastSlow(t, es, []byte(b+tm+a), nil)
			}
		}
		for k := 20; k <= 50; k++ {
			compareFastSlow(t, es, []byte("dob "+strings.Repeat("x", k)+" "+tm+" March 1985"), nil)
		}
	}
}

// TestFastPathDottedQuad compares the IPv4 fast path of run (dottedQuad,
// from shortRun) with word on addresses public, private and invalid, near
// misses with three or five groups, after every byte numeric and
// isVersionContext look at on the left and before every byte that ends,
// extends or joins the run on the right.
func TestFastPathDottedQuad(t *testing.T) {
	es := fastPathEngines(t)
	quads := []string{"10.1.2.3", "81.2.3.4", "192.168.1.2", "256.1.2.3", "01.2.3.4", "81.2.3.04", "1.2.3.4567", "127.0.0.1",
		"1.2.3", "1.2.3.4.5", "8.8.8.8", "203.0.113.255", "81..2.3.4", "81.2.3.4.", "255.255.255.255", "0.0.0.0",
		"01.23.45.6789", "06.12.34.5678", "555.123.4567", "1.212.736.5000", "01.23.456.789"}
	befores := []string{"", " ", "x ", "v ", "version ", "firmware: ", "DE89 ", "a DE89 ", "+", "(", "+(", ":", "::", "a:", "=",
		"ip=", "client_ip=\"", "a/", "/", "-", "a-", "#", "a#", "@", "order_id=", "phone ", "card ", "dob ", ".", "a."}
	afters := []string{"", " ", " - -", ":80", ".", ".5", "..5", " 5", " 5ms", "-x", "-5", "/x", "/24", "a", "_", "\u00e9",
		"\n", "\"", ",", ". 5", " 1234567", " (5", ")", " 4111 1111 1111 1111", ".5.5.5", "-"}
	for _, q := range quads {
		for _, b := range befores {
			for _, a := range afters {
				compareFastSlow(t, es, []byte(b+q+a), nil)
			}
		}
	}
}

// TestCtxClosed compares ctxClosed, run's test of the context windows in
// its digit fast paths, with anyCtx, for windows opened at every distance
// around the window's ends, before and after pos, one context at a time
// and several at once.
func TestCtxClosed(t *testing.T) {
	var s scanner
	for k := 0; k < numCtx; k++ {
		for d := -3; d <= ctxWindow+3; d++ {
			for _, other := range []int{-1 << 40, -200, 60, 1000} {
				s.ctx = ctxNone
				for m := range s.ctx {
					if m != k && other != -1<<40 {
						s.ctx[m] = 100 - other
					}
				}
				s.ctx[k] = 100 - d
				if got, want := s.ctxClosed(100), !s.anyCtx(100); got != want {
					t.Fatalf("ctx %v at 100: ctxClosed %v, anyCtx %v", s.ctx, got, !want)
				}
			}
		}
	}
}

// TestFastPathLoneDigits compares the lone-digit-run fast path of run with
// word on loneDigitRuns, alone, behind 60 bytes that move them past the
// context window of an earlier word, and after a phone word that far back.
func TestFastPathLoneDigits(t *testing.T) {
	es := fastPathEngines(t)
	pad := strings.Repeat("word ", 12)
	for _, s := range loneDigitRuns() {
		compareFastSlow(t, es, []byte(s), nil)
		compareFastSlow(t, es, []byte(pad+s), nil)
		compareFastSlow(t, es, []byte("phone "+pad+s), nil)
	}
}

func FuzzFastPaths(f *testing.F) {
	fuzzSeeds(f)
	for k, s := range loneDigitRuns() {
		if k%7 == 0 {
			f.Add([]byte(s))
		}
	}
	for _, s := range []string{"[password]: abcdefgh", "cafe:beef::1 a:b", "INFO GET POST Thanks AIzaSy eyJhbGc",
		"steueridentifikationsnummer 12345678901", "geburtsdatum 01.02.1990", "telefonnummer 030 1234567",
		"mot de passe: hunter22", "Bearer abcdefghijklmnopqrstuvwxyz", "xoxb-abcdefghijklmnopqrstu", "request_id=45e1107f dur=652ms",
		"2024-05-01T12:27:58.719Z", "12345678Z 1ABCDEFGHIJKLMNO 2A", "ab:cd::ef _snake_case __x__ a_b_c_d",
		"SSN 123456789 PASSWORD=Hunter22 HTTPS://u:p@h.io/?token=abc"} {
		f.Add([]byte(s))
	}
	for _, v := range timestampVariants() {
		f.Add([]byte(v))
	}
	// The digit shapes of the log corpus that run's digit fast paths take
	// (joinedLeft, shortRun, dottedQuad, twoGroupsQuiet, threeGroupsQuiet,
	// clock, the lone run before a separator).
	for _, v := range []string{`10.42.7.1 - - [03/Nov/2026:23:18:45 +0000] "GET /api/v2/orders/155232064?page=7 HTTP/1.1" 200 44821 "-" rt=0.123`,
		`192.168.1.2 - - [01/Nov/2026:22:52:47 +0100] "GET /download/x.tar.gz HTTP/1.1" 200 693265100 4701688`,
		`[05/Nov/2026 12:34:56] INFO "GET /api/tickets/12345678/ HTTP/1.1" 200 1234 ticket_id=12345678901 sha=ab`,
		`Completed 200 OK in 12ms (Views: 217.384ms | ActiveRecord: 4.5ms) resourceVersion=28209290 count=3 client_ip=81.2.3.4`} {
		f.Add([]byte(v))
	}
	// Lines of the real log samples and the word shapes of run's letter
	// fast paths (fastpath_shapes_test.go).
	for _, v := range realLogFuzzSeeds {
		f.Add([]byte(v))
	}
	f.Add([]byte(strings.Join(realLogShapes, " ")))
	f.Add([]byte(strings.Join(realLogShapes, ":")))
	// Real log lines (testdata/loghub) whose digit runs numeric gathers
	// and evalQuiet settles: dates, times, decimals, counters, columns.
	for _, v := range []string{"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660",
		"- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO",
		"03-17 16:13:38.811  1702  2395 D WindowManager: acquire lock=233570404, flags=0x1, uid=10037, pid=2227",
		"20171223-22:15:29:606|Step_LSC|30002312|onExtend:1514038530000 14 0 4",
		"nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO status: 200 len: 1893 time: 0.2477829",
		"2015-07-29 19:04:12,394 - INFO  [/10.10.34.11:3888:QuorumCnxManager$Listener@493] - Received connection request",
		"[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy", "17/06/09 20:10:40 INFO executor",
		"350766 node-109 unix.hw state_change.unavailable 1084680778 1 Component", "Fan speeds ( 3552 3534 3375 4245 3515 3479 )",
		"081110 001250 4631 INFO", "REPORT : 7007 5002 150089 240"} {
		f.Add([]byte(v))
	}
	// Names and e-mail escapes where the names pass's 64-byte blocks and
	// emails' 32-byte steps begin and end.
	for _, k := range []int{30, 31, 62, 63, 64, 65, 126, 127} {
		f.Add([]byte(strings.Repeat("x", k) + " Hi John Smith, mail jane%40example.com"))
		f.Add([]byte(strings.Repeat("a.", k/2) + "Mr Smith x/Anna Meyer &#64; j@example.org"))
	}
	es := fastPathEngines(f)
	k := NewKnown([]KnownValue{{TypeKnownName, "Jane Doe"}, {TypeKnownPhone, "+44 20 7946 0958"}})
	f.Fuzz(func(t *testing.T, in []byte) {
		compareFastSlow(t, es, in, k)
		// The same input behind a prefix that moves it across the
		// block boundaries.
		compareFastSlow(t, es, append([]byte("padding words before "), in...), nil)
	})
}

// asciiUpper upper-cases the ASCII letters of s only, as the scanner folds
// ASCII case only.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// TestKeywordFiltersPassEveryKeyword: the filters in front of the keyword
// table (kwLen, kw2, kw3) must never reject a keyword, in any ASCII case.
func TestKeywordFiltersPassEveryKeyword(t *testing.T) {
	n := 0
	for _, e := range kwTable {
		if e.w == "" {
			continue
		}
		n++
		for _, w := range []string{e.w, asciiUpper(e.w[:1]) + e.w[1:], asciiUpper(e.w)} {
			b := []byte(w)
			if kwLen[b[0]]&(1<<len(b)) == 0 || kw2Bits(b[0], b[1])&(1<<len(b)) == 0 || !kw3Maybe(b) {
				t.Errorf("keyword %q is rejected by a filter", w)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d keywords in the table", n)
	}
	e, _ := NewEngine(Options{})
	for _, kw := range []string{"ssn", "SSN", "Ssn", "social"} {
		if fs := e.FindString(kw+" 536221234", nil); len(fs) != 1 || fs[0].Type != TypeSSN {
			t.Errorf("%q before a bare SSN: %v", kw, fs)
		}
	}
}

// timestampVariants are ISO-8601 timestamps and near misses around the
// timestamp fast path (isoStampEnd): every fraction length, no 'Z', an
// offset, letters or digit groups after, '::', '+', '(' or '.' before,
// context words that enable dates of birth, phones and national ids.
func timestampVariants() []string {
	stamps := []string{
		"2024-05-01T12:27:58Z", "2024-05-01T12:27:58.7Z", "2024-05-01T12:27:58.71Z", "2024-05-01T12:27:58.719Z",
		"2024-05-01T12:27:58.7190Z", "2024-05-01T12:27:58.71901Z", "2024-05-01T12:27:58.719012Z",
		"2024-05-01T12:27:58.7190123Z", "2024-05-01T12:27:58.71901234Z", "2024-05-01T12:27:58.719", "2024-05-01T12:27:58",
		"2024-05-01T12:27:58+02:00", "2024-05-01 12:27:58.719Z", "2024-05-01t12:27:58.719z", "1985-03-02T00:00:00Z",
		"2024-05-01T12:27:58.Z", "2024-05-01T12:27:58.719ZZ", "2024-05-01T12:27:58.719Z1", "2024-05-01T12:27:58.719Z_",
		"2024-05-01T12:27:5", "2024-05-01T1a:27:58Z", "9999-99-99T99:99:99.999999Z",
	}
	befores := []string{"", " ", "ts=", "::", "fe80::", "+", "(", "+(", ".", "v1.", "a-", "dob ", "born: ", "phone ",
		"ssn ", "BSN ", "Steuer-ID ", "card ", "cafe:beef:", "[", "\"", "DE89 "}
	afters := []string{"", " ", " INFO", " 555 1234", ".5", "-1", ":1", "::1", "\n", "é", " 12345678Z", ":", "/x"}
	var out []string
	for _, st := range stamps {
		for _, b := range befores {
			for _, a := range afters {
				out = append(out, b+st+a)
			}
		}
	}
	return out
}

// TestFastPathTimestamps compares the scanner with and without its fast
// paths on timestamps and near misses in every context that could change
// what numeric, token or ipv6 do with them.
func TestFastPathTimestamps(t *testing.T) {
	es := fastPathEngines(t)
	for _, v := range timestampVariants() {
		compareFastSlow(t, es, []byte(v), nil)
		compareFastSlow(t, es, []byte(v+" "+v), nil)
	}
}

// TestISOStampEnd checks the shapes the timestamp fast path accepts.
func TestISOStampEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"2024-05-01T12:27:58Z", 20},
		{"2024-05-01T12:27:58.719Z rest", 24},
		{"2024-05-01T12:27:58.719012Z", 27},
		{"2024-05-01T12:27:58.7190123Z", -1},
		{"2024-05-01T12:27:58.Z", -1},
		{"2024-05-01T12:27:58.719", -1},
		{"2024-05-01T12:27:58.719Za", -1},
		{"2024-05-01 12:27:58.719Z", -1},
		{"2024-05-01T12:27:58", -1},
		{"2024-05-01T12:27:5", -1},
		{"", -1},
	} {
		if got := isoStampEnd([]byte(c.in), 0); got != c.want {
			t.Errorf("isoStampEnd(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestFastPathLowerWords compares the scanner with and without its fast
// paths on lower-case words of every length from 1 to 20 around the SWAR
// path's limits (15 letters in two 8-byte loads, 16 bytes left in the
// input): hex-only letters ("cafe"), letters after 'f', keywords and their
// prefixes, ended by every class of byte or by the end of the input, at
// every distance from the end, and followed by a value the keyword reads.
func TestFastPathLowerWords(t *testing.T) {
	es := fastPathEngines(t)
	letters := []string{"abcdefabcdefabcdefab", "ghijklmnopqrstuvwxyz", "acebadfacedcabbagezz", "passwordpasswordpass",
		"telephonetelephonete", "steueridentifikation", "httpshttpshttpshttps", "ssnggggggggggggggggg", "pwgggggggggggggggggg"}
	ends := []string{"", " ", "\n", "=", ":", "_", "1", "A", "\u00e9", ".", "-", "@", "://u:p@h.io/x", " 415-555-0132",
		": Hunter22x", " is Hunter22x", "=0123456789", "-abcdefghijklmnopqrstuvwx",
		" 536221234", "_x 536221234", "1 536221234", "A 536221234", "\u00e9 536221234", "_: Hunter22x", "9: Hunter22x", "::1", ":beef::1", ":0:0:0:0:0:0:1", ":beef:cafe:dead:beef:cafe:dead:beef", ":beef:cafe::dead"}
	var in []byte
	for _, l := range letters {
		for n := 1; n <= len(l); n++ {
			for _, e := range ends {
				for pad := 0; pad <= 17; pad += 17 {
					in = append(in[:0], strings.Repeat("x ", pad/2)...)
					in = append(append(in, l[:n]...), e...)
					compareFastSlow(t, es, in, nil)
					// Followed by 0 to 16 more bytes, so that the 16 bytes
					// the SWAR path loads end before, at and after the input.
					for m := 0; m <= 16; m += 4 {
						compareFastSlow(t, es, append(in, strings.Repeat(" y", m)[:m]...), nil)
					}
				}
			}
		}
	}
}

// TestKeywordsHaveNoDigits: the main loop's fast path for words of
// lower-case letters and digits ("sha256") skips the keyword look-up.
func TestKeywordsHaveNoDigits(t *testing.T) {
	for _, e := range kwTable {
		if strings.ContainsAny(e.w, "0123456789") {
			t.Errorf("keyword %q has a digit: the fast path for lower-case letters and digits in run would miss it", e.w)
		}
	}
}

// issue16Shapes are the shapes added for issue #16 (context keys, secrets
// with published shapes, identity documents, names): each must give the
// same findings through the fast paths and through word.
var issue16Shapes = []string{
	"ya29.a0AfH6SMBabcdefghijklmnopqrstuvwxyz0123456789", "ya29 ya2 ya29x ya290.a", "Ya29.abc",
	"sk-proj-abcDEF1234567890abcdefGHIJKLmnopqrstu12345 sk-ant-api03-abcDEF1234567890abcdefGHIJKL",
	"SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG sg.x",
	"GOCSPX-abcdefghijklmnopqrstuvwx12 gocspx-abc", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "glpat-abcdefghij0123456789",
	"key-0123456789abcdef0123456789abcdef X-Api-Key: abc Ocp-Apim-Subscription-Key: 0123abcd key=x dob=1.2.1990",
	"AccountKey=abcDEF123+/abc==; aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "abc8Q~abcdefghijklmnopqrstuvwxyz01234",
	"driver's license: D1234567 DL 123456789 passport number 123456789 passeport 12AB34567",
	`order_id=202555014 trace_id=be71096123456769 "span_id": "de89370400440532013000" duration_ms=5551234567`,
	`name="Jane Doe" user.name=Jane service.name=api ssn=123.45.6789 secret=abc token=Token{a1} address=0x01`,
	"Authorization: Basic dXNlcjpwYXNz\nCookie: a=1; b=2", "phone: 020 7946 0958 x1234 (555) 123-4567 ext. 12 #12",
	"Hi Sarah, Dear Mr. Thompson, Thanks,\nMaria Rossi; my name is Jean-Luc Picard. May Will Bill",
	"081109 203615 148 INFO 03-17 16:13:38.811  1702  2395 D 0.10004553 IRQs 3 4 5 6 7 10 11 12",
	"born March 3, 1985 DOB 3/15/1985 card 5018 0000 0009 JCB 180000000000002",
	"https://app.example.com/users/jane.doe@example.com/profile https://x.io/reset/9f8e7d6c5b4a3f2e1d0c",
}

func TestFastPathsIssue16Shapes(t *testing.T) {
	es := fastPathEngines(t)
	for _, s := range issue16Shapes {
		for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
			compareFastSlow(t, es, []byte(v), nil)
			for cut := 1; cut < len(v); cut += 7 {
				compareFastSlow(t, es, []byte(v[:cut]), nil)
				compareFastSlow(t, es, []byte(v[cut:]), nil)
			}
		}
	}
}

// TestFastPathEvalQuiet compares numeric with and without evalQuiet (run
// and runSlow) on values eval finds (cards of every grouping, IPv4, the
// "00" prefix, national phones of each region phone tries, NIR, the
// grouped tax id, SSN) and near misses, as sub-runs of longer runs: after
// groups that precede them in one run (dates, times, counters) and before
// groups, ':' and glued words, behind '+', '(', context words and keys
// that find a phone.
func TestFastPathEvalQuiet(t *testing.T) {
	es := fastPathEngines(t)
	values := []string{"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "4222222222222", "3782 822463 10005",
		"4000000000000000006", "4000 0000 0000 0000 006", "5500 0000 0000 0004", "4111 1111 1111 1112", "81.2.3.4",
		"212.58.244.20", "10.1.2.3", "1.2.3.4567", "00685 22123", "0068522123", "0049 800 1234567890", "0044 20 7946 0958", "0044 7911 123456", "00 44 20 7946 0958", "020 7946 0958", "0201 234 5678", "07911 123456",
		"212 736 5000", "1 212 736 5000", "612 345 678", "333 1234567", "312 345 678", "98765 43210", "91234 56789",
		"1 84 12 76 451 089 46", "1841276451089 46", "184127645108946", "86 095 742 719", "536-22-1234", "536 22 1234",
		"000-12-3456", "536221234", "2005-06-03", "15.42.50.675872", "081109 203615", "38.811  1702  2395", "0.2477829"}
	prefixes := []string{"", "5 ", "12 ", "2005-06-03 ", "081109 ", "7 5 ", "0 ", "1 ", "0.", "12.34 ", "5- "}
	suffixes := []string{"", " 5", " 12", ":5", "  7", ".5", "-5", " x", "x", "- 5"}
	befores := []string{"", "x ", "+", "(", "phone ", "card ", "ssn ", "Steuer-ID ", "phone: ", "phone=+44 ", ":"}
	for _, v := range values {
		for _, p := range prefixes {
			for _, q := range suffixes {
				for _, b := range befores {
					compareFastSlow(t, es, []byte(b+p+v+q), nil)
				}
			}
		}
	}
}

// TestFastPathsRealLogs compares run with runSlow on the real log samples
// (testdata/loghub), whose shapes the fast paths of the fifth pass were
// measured on: every line alone, one line in ten behind a phone word and
// a card word, and the lines of each system joined (words then meet the
// 64-byte blocks of the names pass at every offset).
func TestFastPathsRealLogs(t *testing.T) {
	es := fastPathEngines(t)
	for _, ls := range realLogLines(t) {
		if testing.Short() {
			ls = ls[:200]
		}
		for k, l := range ls {
			compareFastSlow(t, es, []byte(l), nil)
			if k%10 == 0 {
				compareFastSlow(t, es, []byte("phone "+l), nil)
				compareFastSlow(t, es, []byte("card "+l), nil)
			}
		}
		compareFastSlow(t, es, []byte(strings.Join(ls, "\n")), nil)
	}
}
