package pii

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Engine runs the detectors. It is immutable after NewEngine and safe for
// concurrent use; a nil *Engine finds nothing.
type Engine struct {
	on         [NumTypes]bool
	privateIPs bool
	regions    regionSet
}

// regionSet says which national phone formats are accepted.
type regionSet struct {
	trunk0   []string // regions whose national numbers start with a 0 trunk prefix (or 0 area codes)
	nanp     []string // US, CA
	es, it   bool
	in, br   bool
	anyPhone bool
}

// ErrBadRegion is returned (wrapped) by NewEngine for a phone region that
// libphonenumber does not know.
var ErrBadRegion = errors.New("pii: unknown phone region")

// ErrBadType is returned (wrapped) by NewEngine and NewRedactor for a Type
// value out of range.
var ErrBadType = errors.New("pii: type out of range")

// NewEngine returns an Engine configured by opts.
func NewEngine(opts Options) (*Engine, error) {
	e := &Engine{privateIPs: opts.PrivateIPs}
	if opts.Types == nil {
		for t := range e.on {
			e.on[t] = true
		}
	}
	for _, t := range opts.Types {
		if t >= NumTypes {
			return nil, fmt.Errorf("%w: %d", ErrBadType, uint8(t))
		}
		e.on[t] = true
	}
	regions := opts.PhoneRegions
	if regions == nil {
		regions = DefaultPhoneRegions
	}
	supported := phonenumbers.GetSupportedRegions()
	for _, r := range regions {
		r = strings.ToUpper(strings.TrimSpace(r))
		if r == "UK" {
			r = "GB"
		}
		if !supported[r] {
			if len(r) > 8 {
				r = r[:8]
			}
			return nil, fmt.Errorf("%w %q: use ISO 3166 two-letter codes such as US or GB", ErrBadRegion, r)
		}
		switch r {
		case "US", "CA":
			e.regions.nanp = append(e.regions.nanp, r)
		case "ES":
			e.regions.es = true
		default:
			e.regions.trunk0 = append(e.regions.trunk0, r)
			switch r {
			case "IT":
				e.regions.it = true
			case "IN":
				e.regions.in = true
			case "BR":
				e.regions.br = true
			}
		}
	}
	e.regions.anyPhone = e.on[TypePhone]
	return e, nil
}

// Enabled reports whether e detects t.
func (e *Engine) Enabled(t Type) bool { return e != nil && t < NumTypes && e.on[t] }

// FindString is Find for a string; it returns a new slice.
func (e *Engine) FindString(s string, known *Known) []Finding {
	return e.Find([]byte(s), known, nil)
}

// Find appends the findings in text to dst and returns the extended slice.
// The appended findings are sorted by Start and do not overlap: where two
// candidates overlap, the longer one wins, then the more confident one.
// Find does not allocate when nothing is found and dst has capacity for
// what is found; only candidates that reach libphonenumber (a digit run of
// phone shape) or an IPv6 parse allocate. known may be nil. Find runs in
// time linear in len(text) and uses memory proportional to the findings.
func (e *Engine) Find(text []byte, known *Known, dst []Finding) []Finding {
	return e.find(text, known, dst, runAuto)
}

// Variants for find: runAuto is what Find uses; the others are for tests,
// which compare them (FuzzFastPaths).
const (
	runAuto        = iota // run, and the AVX2 names and e-mail passes where the CPU has AVX2
	runSlowMode           // runSlow (every word through word, no fast paths), scalar names and e-mail passes
	runNamesScalar        // run, scalar names and e-mail passes
	runNamesGo            // run, names with the block masks of the pure-Go classifier
	runNamesAVX2          // run, the AVX2 names and e-mail passes (needs AVX2)
)

// find is Find with the variant mode (runAuto for Find).
func (e *Engine) find(text []byte, known *Known, dst []Finding, mode int) []Finding {
	return e.findEB(text, known, dst, mode, ebUnknown)
}

// findEB is find with what the caller knows of the e-mail bytes of text
// (see emailBytes): eb holds at least the ebAt, ebAmp and ebPct bits of
// the bytes text holds, or is ebUnknown (the e-mail pass finds out).
func (e *Engine) findEB(text []byte, known *Known, dst []Finding, mode int, eb uint8) []Finding {
	if e == nil || len(text) == 0 {
		return dst
	}
	// Declared zero and filled in field by field: a composite literal of
	// this 600-byte struct is built in a temporary and copied twice
	// (about 260 instructions a call, 3 % of the engine on log lines).
	var s scanner
	s.init(e, text, dst, mode, eb)
	return s.find(known, mode, len(dst))
}

// findReuse is findEB(text, known, dst, runAuto, eb) on s, a scanner
// kept from one call to the next (a redactor's scratch): reset sets only
// the fields a call starts from, not the scratch arrays the numeric
// passes write before they read them, which is cheaper than a zeroed
// scanner a call (TestScannerReset, TestFindReuse).
func (e *Engine) findReuse(s *scanner, text []byte, known *Known, dst []Finding, eb uint8) []Finding {
	if e == nil || len(text) == 0 {
		return dst
	}
	s.reset(e, text, dst, eb)
	return s.find(known, runAuto, len(dst))
}

// init fills in the fields of a zero scanner that a find call does not
// start from zero.
func (s *scanner) init(e *Engine, text []byte, dst []Finding, mode int, eb uint8) {
	s.e, s.t, s.out, s.ipv6Until, s.pemEnd = e, text, dst, -1, -2
	s.ctx = ctxNone
	s.eb = eb
	switch mode {
	case runAuto:
		s.vecPasses = haveAVX2
	case runNamesGo:
		s.vecPasses, s.goClass = true, true
	case runNamesAVX2:
		s.vecPasses = true
	}
	if mode == runSlowMode || len(text) > maxNameCandPos {
		// names finds its candidates itself: the reference for the
		// list run records, or positions that do not fit.
		s.nc = nameCands + 1<<40
	}
}

// reset leaves s as init(e, text, dst, runAuto, eb) leaves a zero scanner,
// but for the scratch arrays g, sep, gsum, digits and cands, which keep
// what the last call left in them (a digit run writes them before it
// reads them; cands[:nc] is written by run before names reads it).
// A field added to scanner must be set here too (TestScannerReset).
func (s *scanner) reset(e *Engine, text []byte, dst []Finding, eb uint8) {
	s.e, s.t, s.out = e, text, dst
	s.ctx = ctxNone
	s.ipv6Until, s.urlUntil, s.jwtUntil, s.slkUntil, s.pemEnd = -1, 0, 0, 0, -2
	s.ng, s.idk, s.keyPhone = 0, 0, span{}
	s.m, s.mb, s.mEnd, s.prevStop = blockMasks{}, 0, 0, 0
	s.vecPasses, s.goClass, s.slow, s.eb = haveAVX2, false, false, eb
	s.nc = 0
	if len(text) > maxNameCandPos {
		s.nc = nameCands + 1<<40 // as init
	}
}

// find runs the passes of a find call on s, set up by init or reset,
// and returns the findings, resolved, appended to s.out[:base].
func (s *scanner) find(known *Known, mode int, base int) []Finding {
	if mode == runSlowMode {
		s.runSlow()
	} else {
		s.run()
	}
	if s.eb != 0 { // else the text holds no '@', '&' or '%': no address
		s.emails()
	}
	s.names()
	if known != nil {
		s.known(known)
	}
	if len(s.out)-base < 2 {
		return s.out // nothing to sort or resolve
	}
	return resolve(s.out, base)
}

// resolve sorts out[base:] by Start and removes overlaps in place.
func resolve(out []Finding, base int) []Finding {
	fs := out[base:]
	if len(fs) < 2 {
		return out
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return (b.End - b.Start) - (a.End - a.Start)
	})
	w := 0
	for _, f := range fs {
		if w > 0 && f.Start < fs[w-1].End {
			p := fs[w-1]
			fl, pl := f.End-f.Start, p.End-p.Start
			if fl > pl || fl == pl && f.Confidence > p.Confidence {
				fs[w-1] = f
			}
			continue
		}
		fs[w] = f
		w++
	}
	return out[:base+w]
}

// Context kinds: a keyword of the kind seen recently enables the detectors
// that need context.
const (
	ctxDOB = iota
	ctxSSN
	ctxBSN
	ctxPhone
	ctxCard
	ctxTax
	ctxDL       // driver's licence
	ctxPassport // passport
	numCtx
)

// ctxNone is the context of a scanner before any keyword: no window open.
var ctxNone = func() (c [numCtx]int) {
	for k := range c {
		c[k] = -1 << 40
	}
	return c
}()

// ctxWindow is how far (in bytes) after a context keyword its value may start.
const ctxWindow = 48

type span struct{ s, e int }

const maxGroups = 12

// scanner holds the state of one Find call; it lives on the stack.
type scanner struct {
	e         *Engine
	t         []byte
	out       []Finding
	ctx       [numCtx]int
	ipv6Until int
	urlUntil  int             // a scheme before this offset is inside a URL already inspected
	jwtUntil  int             // an "eyJ" before this offset is inside a run already inspected
	slkUntil  int             // the same for Slack tokens
	pemEnd    int             // position of the next "-----END " after the last BEGIN line's body; -1 none; -2 not searched
	g         [maxGroups]span // digit groups of the current numeric run
	ng        int
	sep       [maxGroups]span // separator before each group (sep[0] unused)
	gsum      groupSums       // what eval reads of the current run (numeric.go)
	idk       int8            // idKey of the current digit run: 0 unknown, 1 yes, 2 no
	keyPhone  span            // the last value found as a phone by its key (keys.go)
	digits    [48]byte        // the digits of the sub-run eval evaluates
	// vecPasses: the names pass finds its candidates with the masks m of
	// the block t[mb:mEnd] (mEnd = mb+64, past the end of t for a text
	// shorter than 64 bytes; prevStop is 1 when the byte before the
	// block is a name stop), and the e-mail pass looks only for the
	// bytes emailBytes says the text holds. goClass forces the pure-Go
	// classifier (tests).
	m         blockMasks
	mb        int
	mEnd      int
	prevStop  uint64
	vecPasses bool
	goClass   bool
	// slow: set by runSlow, the reference of the tests, in which numeric
	// also evaluates the sub-runs evalQuiet says nothing can come of.
	slow bool
	// The names pass's candidates, recorded by run (names.go, noteCand):
	// cands[:nc] in increasing order, when nc <= nameCands; a larger nc
	// says that names must find them itself.
	nc    int
	cands [nameCands]uint16
	// eb: the e-mail bytes of t as the caller of find knows them, or
	// ebUnknown.
	eb uint8
}

func (s *scanner) emit(t Type, start, end int, conf float32, validator string) {
	if !s.e.on[t] || end <= start {
		return
	}
	s.out = append(s.out, Finding{Type: t, Start: start, End: end, Confidence: conf, Validator: validator})
}

// anyCtx reports whether any context window is open at pos.
func (s *scanner) anyCtx(pos int) bool {
	for _, c := range s.ctx {
		if d := pos - c; d >= 0 && d <= ctxWindow {
			return true
		}
	}
	return false
}

func (s *scanner) hasCtx(k, pos int) bool {
	d := pos - s.ctx[k]
	return d >= 0 && d <= ctxWindow
}

// run is the main pass: it walks the input word by word (a word is a run of
// letters, digits, '_' and non-ASCII bytes) and dispatches on the shape of
// each word.
func (s *scanner) run() {
	// Capacity cut to the length: the compiler then knows that a window
	// t[i:i+16] with i+16 <= n needs no check against the capacity.
	t := s.t[:len(s.t):len(s.t)]
	n := len(t)
	i := 0
	for uint(i) < uint(len(t)) {
		f := class[t[i]]
		if f&cWord == 0 {
			i++
			continue
		}
		// Eight bytes at a time (SWAR) over the lower-case ASCII letters
		// that start a word; the commonest word of all, 1 to 15 of them,
		// not all hex digits, ended by a byte that is not a word byte, is
		// handled here whole. Its length comes from the masks instead of
		// a byte loop, whose exit branch at the word's end the CPU
		// mispredicts about once a word. Any other word goes on to the
		// byte loop after its lower-case letters. (lowerRun, and
		// kwMaybeSWAR for the filters of lowerKeyword, are inlined.)
		j := i + 1
		if f&cLower != 0 && i+16 <= n {
			w := (*[16]byte)(t[i : i+16])
			x := binary.LittleEndian.Uint64(w[:8])
			stop, hx := lowerRun(x)
			var k int
			if stop != 0 {
				k = bits.TrailingZeros64(stop) >> 3
			} else {
				stop2, hx2 := lowerRun(binary.LittleEndian.Uint64(w[8:]))
				k = 8 + bits.TrailingZeros64(stop2)>>3 // 16 when stop2 is 0
				hx |= hx2
			}
			j = i + k
			if hx != 0 {
				if k < 16 && class[w[k&15]]&cWord == 0 {
					if kwMaybeSWAR(x, k) {
						s.keyword(i, j)
					}
					i = j + 1
					continue
				}
				f |= cHexNot
			}
		} else if i+16 <= n {
			// Any other word: the byte loop written out over the next
			// 15 bytes, read at constant offsets of one 16-byte slice:
			// no loop counter, end test or bounds check per byte, and
			// a branch of its own for each length. A word that goes on
			// goes on in wordEnd. The steps are generated; edit
			// unrolledWordSteps in wordend_test.go, not them.
			w := (*[16]byte)(t[i : i+16])
			// unrolled word steps: begin
			if c := class[w[1]]; c&cWord == 0 {
				j = i + 1
				goto end
			} else {
				f |= c
			}
			if c := class[w[2]]; c&cWord == 0 {
				j = i + 2
				goto end
			} else {
				f |= c
			}
			if c := class[w[3]]; c&cWord == 0 {
				j = i + 3
				goto end
			} else {
				f |= c
			}
			if c := class[w[4]]; c&cWord == 0 {
				j = i + 4
				goto end
			} else {
				f |= c
			}
			if c := class[w[5]]; c&cWord == 0 {
				j = i + 5
				goto end
			} else {
				f |= c
			}
			if c := class[w[6]]; c&cWord == 0 {
				j = i + 6
				goto end
			} else {
				f |= c
			}
			if c := class[w[7]]; c&cWord == 0 {
				j = i + 7
				goto end
			} else {
				f |= c
			}
			if c := class[w[8]]; c&cWord == 0 {
				j = i + 8
				goto end
			} else {
				f |= c
			}
			if c := class[w[9]]; c&cWord == 0 {
				j = i + 9
				goto end
			} else {
				f |= c
			}
			if c := class[w[10]]; c&cWord == 0 {
				j = i + 10
				goto end
			} else {
				f |= c
			}
			if c := class[w[11]]; c&cWord == 0 {
				j = i + 11
				goto end
			} else {
				f |= c
			}
			if c := class[w[12]]; c&cWord == 0 {
				j = i + 12
				goto end
			} else {
				f |= c
			}
			if c := class[w[13]]; c&cWord == 0 {
				j = i + 13
				goto end
			} else {
				f |= c
			}
			if c := class[w[14]]; c&cWord == 0 {
				j = i + 14
				goto end
			} else {
				f |= c
			}
			if c := class[w[15]]; c&cWord == 0 {
				j = i + 15
				goto end
			} else {
				f |= c
			}
			j = i + 16
			// unrolled word steps: end
		}
		j, f = wordEnd(t, j, f)
	end:
		// Fast path for the commonest word: lower-case ASCII letters, not
		// all hex digits. Only a keyword can matter.
		if f&(cWord|cHexNot) == cLower|cHexNot {
			if wl := j - i; wl < 32 {
				s.lowerKeyword(i, wl)
			}
			i = j + 1 // t[j], if there is one, is not a word byte: skip it too
			continue
		}
		// Fast paths for short digit runs, outside a date-of-birth context.
		if f&cWord == cDigit && j-i < 7 && !s.hasCtx(ctxDOB, i) {
			// A run that stands alone ("200", "12" of "12:34"): with no
			// separator after it, it is one group of fewer than 7
			// digits, which numeric never reports, so only an IPv6
			// address or a date of birth ("3 March 1985") can start here.
			if j == n || !isSepByte(t[j]) {
				if s.ipv6Candidate(i, j, f) {
					// A time of day ("2026:23:18:45", "12:34:56"):
					// skipped whole (see clock).
					if e := s.clock(i, j); e >= 0 {
						i = e + 1 // t[e], if there is one, is not a word byte
						continue
					}
					s.ipv6(i)
				}
				i = j + 1
				continue
			}
			// A separator after it, but no digit after the one or two
			// separators numeric would join ("200 OK", "04/Nov",
			// "4 - "): the same one group, which numeric returns at
			// once (the DNI with a separated letter needs 8 digits).
			if m := j + 1; m == n || !isDigit(t[m]) && (!isSepByte(t[m]) || m+1 == n || !isDigit(t[m+1])) {
				if s.ipv6Candidate(i, j, f) {
					s.ipv6(i)
				}
				i = j + 1 // t[j] is a separator, not a word byte
				continue
			}
			// An ISO-8601 UTC timestamp ("2024-05-01T12:27:58.719Z"):
			// word and numeric find nothing in it (see isoStampEnd) and
			// only the IPv6 attempt at the minutes leaves state behind,
			// which is reproduced here. Not after ':' (an IPv6 "::" may
			// end there).
			if j-i == 4 && t[j] == '-' {
				if e := s.skipStamp(i); e >= 0 {
					i = e + 1 // t[e], if there is one, is not a word byte
					continue
				}
			}
			// Further groups, but the run is joined to a word on its left
			// ("HTTP/1.1", "Nov/2026 12:", the digit groups of a UUID):
			// numeric gathers its groups and returns their end, evaluating
			// nothing (see joinedLeft). No IPv6 attempt: t[j] is a
			// separator, not ':', and t[i-1] is a joiner, '@' or '#'.
			if joinedLeft(t, i) {
				i = groupsEnd(t, j)
				continue
			}
			// One group (the next is glued to a word: "217.384ms"), two
			// in which eval finds nothing ("rt=0.123", "200 44821"), or
			// an IPv4 address: see shortRun.
			if e := s.shortRun(i, j, f); e >= 0 {
				i = e
				continue
			}
		} else if wl := j - i; f&cWord == cDigit && wl >= 7 && wl <= 11 &&
			(j == n || !isSepByte(t[j]) || groupEnds(t, j) && !(wl == 8 && j+1 < n && isUpper(t[j+1]))) &&
			(i == 0 || t[i-1] != '+' && t[i-1] != '(') && (t[i] != '0' || t[i+1] != '0') && s.ctxClosed(i) {
			// A lone run of 7 to 11 digits with no separator after it, or
			// a separator but no further group ("resourceVersion=28209290
			// count=", "order_id=155232064 amount"; not 8 digits before a
			// capital, a DNI "12345678 Z"), no '+' or '(' before it, not
			// starting "00", and no context word before it
			// ("/orders/780770133?"): numeric makes it one group and eval
			// finds nothing in it, since a lone group is a card only from
			// 12 digits, a phone only after a phone word or with a '+' or
			// "00", and a national id, licence, passport or date only
			// after its context word.
			i = j + 1 // t[j], if there is one, is not a word byte
			continue
		}
		// Fast paths for two more shapes on which word does nothing but
		// what is done here (the conditions mirror word, numeric and
		// token; TestFastPathsMatchWord checks them against word):
		// a word that starts with a digit and holds letters, '_' or
		// non-ASCII bytes ("01T12", "652ms", "45e1107f"), where only a
		// 9- or 15-byte DNI/NIR or an IPv6 group can start, and a
		// snake_case word ("request_id"), where only a keyword can.
		if wl := j - i; isDigit(t[i]) && f&(cLetter|cUnder|cHigh) != 0 {
			if (f&(cUnder|cHigh) != 0 || wl != 9 && wl != 15) && !s.ipv6Candidate(i, j, f) {
				i = j + 1
				continue
			}
		} else if f&(cDigit|cUnder|cHigh|cUpper) == cUpper &&
			(uint(wl) < 64 && letterShapeRare[t[i]]>>uint(wl)&1 == 0 || letterShapeOK(t, i, j)) && (f&cHexNot != 0 || !s.ipv6Candidate(i, j, f)) {
			// ASCII letters with an upper-case letter ("INFO", "GET",
			// "Thanks", "Dec"; all hex digits only if no IPv6 group can
			// start there): token ignores the shape, and a keyword is
			// all word looks for. The filters of lowerKeyword, on the
			// letters folded to lower case (c|0x20 folds an ASCII
			// letter).
			if isUpper(t[i]) && (f&cLower != 0 && (j == n || !capGlue[t[j]]) || j-i == 1) && (i == 0 || !nameStopByte[t[i-1]]) {
				s.noteCand(i) // a candidate of the names pass (names.go)
			}
			if wl < 32 && wl >= 2 {
				var c2 byte
				if wl > 2 {
					c2 = t[i+2] | 0x20
				}
				if kwMaybe(t[i]|0x20, t[i+1]|0x20, c2, wl) {
					s.keyword(i, j)
				}
			}
			i = j + 1
			continue
		} else if f&cWord == cLower|cDigit && (wl < 15 && wl != 9 || wl > 34) {
			// Lower-case letters and digits, starting with a letter
			// ("v2", "sha256", "e1107f45"): every token prefix needs an
			// upper-case letter or '_', lowerIDs wants 9 or 15 to 34
			// bytes, and no keyword has a digit (TestKeywordsHaveNoDigits),
			// so only an IPv6 group can start here.
			if !s.ipv6Candidate(i, j, f) && !(wl == 4 && t[i] == 'y' && t[i+1] == 'a' && t[i+2] == '2' && t[i+3] == '9') {
				i = j + 1
				continue
			}
		} else if f&cWord == cLower|cUnder && wl < 40 {
			if wl < 32 && kwLen[t[i]]&(1<<wl) != 0 {
				s.keyword(i, j)
			}
			i = j + 1
			continue
		} else if f&(cLetter|cDigit|cUnder|cHigh) > cDigit && f&(cDigit|cUnder|cHigh) == cDigit && wl <= 3 {
			// Letters and digits, two or three bytes, starting with a
			// letter ("R02", "M1", "U11"): no token shape is this short
			// (a NINO group is two letters), no keyword has a digit and
			// word notes no capital before a digit, so only an IPv6
			// group can start here.
			if !s.ipv6Candidate(i, j, f) {
				i = j + 1
				continue
			}
		} else if f&cWord == cLower && !s.ipv6Candidate(i, j, f) {
			// Lower-case hex digits ("added", "be", "a"), not an IPv6
			// group: as the lower-case fast path above.
			if wl < 32 {
				s.lowerKeyword(i, wl)
			}
			i = j + 1
			continue
		} else if c0 := t[i]; c0 == '_' || c0 >= 0x80 {
			// A word that starts with '_' or a non-ASCII byte: word
			// returns at once (not an IPv6 group: '_' or a high byte).
			i = j + 1
			continue
		} else if f&(cUnder|cHigh) == cUnder && (wl < 24 && f&cUpper == 0 || underShapeOK(t[i:j], f)) {
			// A letter, then letters, digits and '_' ("Step_LSC",
			// "blk_7128370237687728475", "CBS_E_MANIFEST_INVALID_ITEM"):
			// no token shape (see underShapeOK), no IPv6 group ('_'),
			// no capital noted ('_'): only a keyword can matter.
			if wl < 32 && kwLen[lower(c0)]&(1<<wl) != 0 {
				s.keyword(i, j)
			}
			i = j + 1
			continue
		}
		r := s.word(i, j, f)
		if r > j+1 && !plainSkip(t, j+1, r) {
			s.noteCandsIn(j+1, r) // word skipped past later words
		}
		i = r
	}
}

// wordEnd returns the end of the word that goes on at t[j] (the first
// byte at or after j that is not a word byte, or len(t)) and f OR-ed with
// the classes of the bytes before it. The unsigned comparison tells the
// compiler that t[j] is in range, which saves the bounds check of every
// byte (TestWordEnd compares it with the plain loop).
func wordEnd(t []byte, j int, f uint8) (int, uint8) {
	for uint(j) < uint(len(t)) {
		c := class[t[j]]
		if c&cWord == 0 {
			break
		}
		f |= c
		j++
	}
	return j, f
}

// lowerKeyword looks up t[i:i+wl], lower-case ASCII letters (wl < 32), as a
// keyword when it passes both filters in one branch: kw2 (first two bytes
// and length) and kw3 (first three bytes and length).
func (s *scanner) lowerKeyword(i, wl int) {
	if wl < 2 {
		return
	}
	t := s.t
	var c2 byte
	if wl > 2 {
		c2 = t[i+2]
	}
	if kwMaybe(t[i], t[i+1], c2, wl) {
		s.keyword(i, i+wl)
	}
}

// lowerRun returns, for the eight bytes x (little-endian), the high bit of
// each byte that is not a lower-case ASCII letter (stop), and the high bit
// of each letter after 'f' (not a hex digit) among the letters before the
// first such byte (all eight when stop is 0). hx and stop have no bit in
// common, so hx&(stop-1) keeps the bits of hx below the lowest bit of
// stop (TestLowerRun compares it with a byte loop).
func lowerRun(x uint64) (stop, hx uint64) {
	lo, hx := lowerMask(x)
	stop = ^lo & swarHigh
	return stop, hx & (stop - 1)
}

// kwMaybeSWAR is kwMaybe for a word of k bytes (1 <= k < 16) that starts
// with the bytes of x, read as run reads them (little-endian): the first
// three bytes packed as kw3Bit packs them, the third zero for a two-byte
// word, in a few instructions instead of three byte extractions. A
// one-letter word passes no kw2 entry, whatever its third byte.
func kwMaybeSWAR(x uint64, k int) bool {
	m := uint64(0xffffff)
	if k == 2 {
		m = 0xffff
	}
	h := uint32((x&m|uint64(k)<<24)*0x9E3779B97F4A7C15>>(64-12)) & (64*64 - 1)
	return uint64(kw2[x&31][x>>8&31])>>k&(kw3[h>>6]>>(h&63))&1 != 0
}

// SWAR constants: one byte repeated eight times, and the high bit of each.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// lowerMask returns the high bit of each byte of x that is a lower-case
// ASCII letter, and separately of each that is one after 'f' (not a hex
// digit). The additions cannot carry from one byte into the next: each
// byte is at most 0x7f before the addition of at most 0x1f.
func lowerMask(x uint64) (lower, hexNot uint64) {
	y := x &^ swarHigh
	geA := y + swarOnes*(0x80-'a') // high bit set: y >= 'a'
	gtZ := y + swarOnes*(0x7f-'z') // high bit set: y > 'z'
	gtF := y + swarOnes*(0x7f-'f') // high bit set: y > 'f'
	lower = geA &^ gtZ &^ x & swarHigh
	return lower, gtF & lower
}

// runSlow is run without its fast paths: every word goes to word. The
// fast paths must not change any finding (FuzzFastPaths).
func (s *scanner) runSlow() {
	s.slow = true
	t := s.t
	n := len(t)
	for i := 0; i < n; {
		f := class[t[i]]
		if f&cWord == 0 {
			i++
			continue
		}
		j := i + 1
		for j < n && class[t[j]]&cWord != 0 {
			f |= class[t[j]]
			j++
		}
		r := s.word(i, j, f)
		if r > j+1 && !plainSkip(t, j+1, r) {
			s.noteCandsIn(j+1, r) // the names pass's list, as run records it
		}
		i = r
	}
}

// ipv6Candidate reports whether the word t[i:j] with class bits f may be
// a group of an IPv6 address: at most 4 hex digits next to a ':'.
func (s *scanner) ipv6Candidate(i, j int, f uint8) bool {
	t := s.t
	return i >= s.ipv6Until && f&(cHexNot|cUnder|cHigh) == 0 && j-i <= 4 &&
		(j < len(t) && t[j] == ':' || i >= 2 && t[i-1] == ':' && t[i-2] == ':')
}

// letterShapeOK reports whether t[i:j], ASCII letters with at least one
// upper-case letter, has none of the shapes token looks
// at: two upper-case letters before a space and a digit (NINO group),
// "BEGIN", "SK" and 32 more (Twilio key, hex digits), 39 and more, the
// prefixes "AIza" (Google API key) and "eyJ" (JWT). Letters alone cannot
// make an IBAN, a DNI or an NINO. Nor an AWS key id or a codice fiscale
// (omocodia letters in place of its digits): token returns at once on
// upper-case letters alone, other than 2 or 5 of them, and both need
// upper case throughout.
func letterShapeOK(t []byte, i, j int) bool {
	w := t[i:j]
	switch len(w) {
	case 2:
		return !(isUpper(w[0]) && isUpper(w[1]) && j+2 < len(t) && t[j] == ' ' && isDigit(t[j+1]))
	case 5:
		return string(w) != "BEGIN"
	case 34:
		return !(w[0] == 'S' && w[1] == 'K')
	}
	return len(w) < 39 && !(len(w) >= 3 && w[0] == 'e' && w[1] == 'y' && w[2] == 'J') &&
		!(len(w) >= 4 && w[0] == 'A' && w[1] == 'I' && w[2] == 'z' && w[3] == 'a')
}

// letterShapeRare[c] has bit n set when letterShapeOK may reject a word of
// n letters that starts with c: 2, 34 and 39 or more letters, 5 after 'B'
// ("BEGIN"), any after 'e' or 'A'. run calls letterShapeOK only for those.
var letterShapeRare = func() (m [256]uint64) {
	for c := range m {
		m[c] = 1<<2 | 1<<34 | (1<<64-1)&^(1<<39-1)
	}
	m['B'] |= 1 << 5
	m['e'] = ^uint64(0)
	m['A'] = ^uint64(0)
	return m
}()

// underShapeOK reports whether w, a letter followed by ASCII letters,
// digits and at least one '_' (class bits f), has none of the shapes
// token looks at. The prefixed secrets of 24 bytes and more start with
// 's', 'r', 'w', 'h' ("sk_live_", "rk_live_", "whsec_", "hf_", "shpat_")
// or are 40 and longer ("ghp_", "github_pat_", "npm_", "dop_v1_"; a "ghp_"
// word shorter is returned untouched). With an upper-case letter also:
// the Azure secret "abc8Q~" (5 bytes), "AIza" and "eyJ". A '_' fails
// the IBAN (ibanMod97; a grouped IBAN starts with four bytes of its
// shape), DNI, NINO and codice fiscale checks, and lowerIDs and
// idDocument take no '_'.
func underShapeOK(w []byte, f uint8) bool {
	wl := len(w)
	if wl >= 40 {
		return false
	}
	c0 := w[0]
	if wl >= 24 && (c0 == 's' || c0 == 'r' || c0 == 'w' || c0 == 'h') {
		return false
	}
	if f&cUpper == 0 {
		return true
	}
	return !(wl == 5 && w[4] == 'Q') && c0 != 'e' && c0 != 'A'
}

func (s *scanner) word(i, j int, f uint8) int {
	t := s.t
	c0 := t[i]
	if s.ipv6Candidate(i, j, f) {
		s.ipv6(i)
	}
	if isDigit(c0) {
		return s.numeric(i, j, f)
	}
	if !isLetter(c0) {
		return j
	}
	if isUpper(c0) && f&(cDigit|cUnder) == 0 {
		s.noteCap(i) // for the names pass (names.go)
	}
	next := j
	if f&(cDigit|cUnder|cUpper) != 0 {
		next = s.token(i, j, f)
	}
	if wl := j - i; wl < 32 && kwLen[lower(c0)]&(1<<wl) != 0 {
		s.keyword(i, j)
	}
	return next
}
