package pii

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Errors returned (wrapped) by NewRedactor.
var (
	// ErrNoEngine: the engine is nil.
	ErrNoEngine = errors.New("pii: redactor needs an engine")
	// ErrHMACKey: an HMAC operator is configured without a key of at least 16 bytes.
	ErrHMACKey = errors.New("pii: HMAC operator needs Policy.HMACKey of at least 16 bytes")
	// ErrOperator: an operator kind or mask character is not valid.
	ErrOperator = errors.New("pii: invalid operator")
)

// Redactor applies a Policy to the findings of an Engine. It is immutable
// and safe for concurrent use.
type Redactor struct {
	e       *Engine
	ops     [NumTypes]Operator
	key     []byte
	scratch sync.Pool // *redactScratch
	macs    sync.Pool // hash.Hash
}

// redactScratch is what one Redact or RedactLines call reuses: the
// findings of a pass and the buffer of a second pass (or of the text made
// valid UTF-8).
type redactScratch struct {
	fs  []Finding
	tmp []byte
	s   scanner // for findReuse
}

// NewRedactor returns a Redactor that finds with e and redacts by p.
func NewRedactor(e *Engine, p Policy) (*Redactor, error) {
	if e == nil {
		return nil, ErrNoEngine
	}
	r := &Redactor{e: e}
	needKey := false
	for t := Type(0); t < NumTypes; t++ {
		op := p.Default
		if o, ok := p.PerType[t]; ok {
			op = o
		}
		if op.Kind > Keep {
			return nil, fmt.Errorf("%w: kind %d for %s", ErrOperator, uint8(op.Kind), t)
		}
		if op.MaskChar == 0 {
			op.MaskChar = '*'
		}
		if op.MaskChar < 0 || !utf8.ValidRune(op.MaskChar) || unicode.IsLetter(op.MaskChar) || unicode.IsDigit(op.MaskChar) ||
			unicode.IsSpace(op.MaskChar) || op.MaskChar == '[' || op.MaskChar == ']' || op.MaskChar == utf8.RuneError {
			return nil, fmt.Errorf("%w: mask character for %s must be a symbol such as '*' (letters, digits, spaces and brackets would be detected again)", ErrOperator, t)
		}
		if op.KeepLast < 0 {
			return nil, fmt.Errorf("%w: negative KeepLast for %s", ErrOperator, t)
		}
		if op.Kind == HMAC {
			needKey = true
		}
		r.ops[t] = op
	}
	for t := range p.PerType {
		if t >= NumTypes {
			return nil, fmt.Errorf("%w: %d", ErrBadType, uint8(t))
		}
	}
	if needKey {
		if len(p.HMACKey) < 16 {
			return nil, ErrHMACKey
		}
		r.key = append([]byte(nil), p.HMACKey...)
		r.macs.New = func() any { return hmac.New(sha256.New, r.key) }
	}
	r.scratch.New = func() any { return &redactScratch{fs: make([]Finding, 0, 16)} }
	return r, nil
}

// Engine returns the engine r finds with.
func (r *Redactor) Engine() *Engine { return r.e }

// RedactString is Redact for strings.
func (r *Redactor) RedactString(s string, known *Known) string {
	return string(r.Redact(make([]byte, 0, len(s)+16), []byte(s), known, nil))
}

// Redact appends text with every finding redacted to dst and returns the
// extended slice; dst must not overlap text. Invalid UTF-8 is replaced by
// U+FFFD. counts, if not nil, is incremented per finding type. Redact does
// not allocate when text has no findings and dst has room for it.
//
// Redaction is idempotent: when a redaction changes what surrounds a
// value (a tag now stands where digits stood), the result is scanned again
// until nothing more is found (at most maxRounds passes; text without
// findings is scanned once).
func (r *Redactor) Redact(dst, text []byte, known *Known, counts *Counts) []byte {
	sc := r.scratch.Get().(*redactScratch)
	dst = r.redact(dst, text, known, counts, sc)
	r.putScratch(sc)
	return dst
}

// RedactLines is Redact for each line of text on its own: lines end with
// "\n" (the last may not), and a line's "\n" or "\r\n" is copied as it
// is, outside the redacted body. The result is the same as calling Redact
// on each line's body and appending its ending, without the per-call
// costs; it returns the extended slice and the number of lines.
func (r *Redactor) RedactLines(dst, text []byte, known *Known, counts *Counts) ([]byte, int) {
	sc := r.scratch.Get().(*redactScratch)
	// With AVX2, quietLines passes the lines that come out as they went
	// in, in a loop of its own. Without it, valid UTF-8 as a whole means
	// every line is valid ('\n' never sits inside a multi-byte sequence),
	// so one check of the whole text, fast on ASCII, stands for a check
	// per line.
	vec := haveAVX2
	valid := !vec && validUTF8(text)
	lines := 0
	// text[same:i] is whole lines that come out as they went in: they are
	// appended in one piece when a line that changes (or the end) is
	// reached, instead of a copy and an ending appended per line.
	same := 0
	for i := 0; i < len(text); {
		k := -1                       // the line's '\n' (or len(text)), if known
		fl := uint8(lsEmail | lsHigh) // what the line may hold
		var fs []Finding              // its findings, if found already
		if vec {
			var quiet int
			i, k, quiet, fl, fs = r.quietLines(sc, text, i, known)
			lines += quiet
			if i == len(text) {
				break
			}
		}
		if k < 0 {
			if k = bytes.IndexByte(text[i:], '\n'); k < 0 {
				k = len(text)
			} else {
				k += i
			}
		}
		next, n := len(text), k // the next line's start, the body's end
		if k < len(text) {
			next = k + 1
			if k > i && text[k-1] == '\r' {
				n = k - 1
			}
		}
		lines++
		body := text[i:n]
		if len(fs) == 0 && (valid || fl&lsHigh == 0 || utf8.Valid(body)) {
			eb := uint8(ebUnknown)
			if fl&lsEmail == 0 {
				eb = 0
			}
			if fs = r.e.findReuse(&sc.s, body, known, sc.fs[:0], eb); len(fs) == 0 {
				i = next
				continue
			}
		}
		dst = append(dst, text[same:i]...)
		if len(fs) != 0 {
			dst = r.redactFound(dst, body, fs, known, counts, sc)
		} else {
			dst = r.redact(dst, body, known, counts, sc)
		}
		dst = append(dst, text[n:next]...)
		i = next
		same = i
	}
	dst = append(dst, text[same:]...)
	r.putScratch(sc)
	return dst, lines
}

// quietLines runs the engine over the lines of text from i, each found
// with lineScanAVX2, while they are ASCII and have no findings, and
// returns where it stopped and how many lines it passed: at the end of
// text, at a line with findings (k is its '\n' or len(text), fl what
// lineScanAVX2 says of it, fs its findings, in sc.fs's array), at a line
// that may not be ASCII (k and fl, no findings: not scanned), or with
// fewer than 32 bytes left (k = -1). Its loop holds fewer values across
// the calls than RedactLines' would.
func (r *Redactor) quietLines(sc *redactScratch, text []byte, i int, known *Known) (start, k, lines int, fl uint8, fs []Finding) {
	for len(text)-i >= 32 {
		rest := text[i:]
		k, fl = lineScanAVX2(&rest[0], len(rest))
		if fl&lsHigh != 0 {
			return i, i + k, lines, fl, nil
		}
		n, next := k, len(rest)
		if k < len(rest) {
			next = k + 1
			if k > 0 && rest[k-1] == '\r' {
				n = k - 1
			}
		}
		eb := uint8(ebUnknown)
		if fl&lsEmail == 0 {
			eb = 0
		}
		if fs = r.e.findReuse(&sc.s, rest[:n], known, sc.fs[:0], eb); len(fs) != 0 {
			return i, i + k, lines, fl, fs
		}
		lines++
		i += next
	}
	return i, -1, lines, lsEmail | lsHigh, nil
}

func (r *Redactor) putScratch(sc *redactScratch) {
	if cap(sc.tmp) <= 1<<20 && cap(sc.fs) <= 4096 {
		sc.tmp, sc.fs = sc.tmp[:0], sc.fs[:0]
		sc.s.e, sc.s.t, sc.s.out = nil, nil, nil // keep nothing of the call alive
		r.scratch.Put(sc)
	}
}

func (r *Redactor) redact(dst, text []byte, known *Known, counts *Counts, sc *redactScratch) []byte {
	if !utf8.Valid(text) {
		// Detect on the text as it will be written, so that a second
		// pass sees exactly what the first one saw.
		sc.tmp = appendValid(sc.tmp[:0], text)
		text = sc.tmp
		sc.tmp = nil
	}
	fs := r.e.findReuse(&sc.s, text, known, sc.fs[:0], ebUnknown)
	if len(fs) == 0 {
		sc.fs = fs
		return append(dst, text...)
	}
	return r.redactFound(dst, text, fs, known, counts, sc)
}

// redactFound is redact once the first pass has found fs (in sc.fs's
// array) in text, which is valid UTF-8 (and so is every later pass's
// input, the output of a pass).
func (r *Redactor) redactFound(dst, text []byte, fs []Finding, known *Known, counts *Counts, sc *redactScratch) []byte {
	base := len(dst)
	dst, n := r.applyFindings(dst, text, fs, counts, true)
	sc.fs = fs[:0]
	if n == 0 {
		return dst
	}
	for round := 1; round < maxRounds; round++ {
		// Another pass over what the last one wrote; the text is not
		// copied when the pass finds nothing (the usual second pass).
		out := dst[base:]
		fs = r.e.findReuse(&sc.s, out, known, sc.fs[:0], ebUnknown)
		if len(fs) == 0 {
			sc.fs = fs
			break
		}
		var tmp []byte
		tmp, n = r.applyFindings(sc.tmp[:0], out, fs, counts, false)
		sc.fs, sc.tmp = fs[:0], tmp
		if n == 0 {
			break
		}
		dst = append(dst[:base], tmp...)
	}
	return dst
}

const maxRounds = 4

// applyFindings appends text, which is valid UTF-8, with the findings fs
// of one pass redacted to dst, and returns how many changed the text. The
// first pass counts every finding; later passes count only new
// redactions, so values a mask leaves unchanged are not counted twice.
func (r *Redactor) applyFindings(dst, text []byte, fs []Finding, counts *Counts, first bool) ([]byte, int) {
	n := 0
	last := 0
	for _, f := range fs {
		dst = appendCut(dst, text, last, f.Start)
		before := len(dst)
		dst = r.apply(dst, f.Type, text[f.Start:f.End])
		changed := string(dst[before:]) != string(text[f.Start:f.End])
		if changed {
			n++ // Keep, or a mask that is already masked, changes nothing
		}
		if counts != nil && (first || changed) {
			counts[f.Type]++
		}
		last = f.End
	}
	return appendCut(dst, text, last, len(text)), n
}

// validUTF8 is utf8.Valid, 64 bytes a step over ASCII text (utf8.Valid
// tests eight bytes a step) and from the first step with a non-ASCII byte
// on utf8.Valid itself. (The index form, with a sub-slice of fixed length,
// leaves no bounds checks in the loop.)
func validUTF8(b []byte) bool {
	i := 0
	for ; i <= len(b)-64; i += 64 {
		c := b[i : i+64 : i+64]
		w := binary.LittleEndian.Uint64(c) | binary.LittleEndian.Uint64(c[8:]) |
			binary.LittleEndian.Uint64(c[16:]) | binary.LittleEndian.Uint64(c[24:]) |
			binary.LittleEndian.Uint64(c[32:]) | binary.LittleEndian.Uint64(c[40:]) |
			binary.LittleEndian.Uint64(c[48:]) | binary.LittleEndian.Uint64(c[56:])
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	return utf8.Valid(b[i:])
}

// appendCut appends text[a:b] to dst, where text is valid UTF-8: as it is
// when a and b are rune boundaries, else (a finding that ends inside a
// rune) with the broken rune replaced by U+FFFD, as appendValid does.
func appendCut(dst, text []byte, a, b int) []byte {
	if (a == len(text) || utf8.RuneStart(text[a])) && (b == len(text) || utf8.RuneStart(text[b])) {
		return append(dst, text[a:b]...)
	}
	return appendValid(dst, text[a:b])
}

// appendValid appends b to dst, replacing invalid UTF-8 with U+FFFD.
func appendValid(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}

func (r *Redactor) apply(dst []byte, t Type, v []byte) []byte {
	op := r.ops[t]
	switch op.Kind {
	case Keep:
		return appendValid(dst, v)
	case Remove:
		return dst
	case Mask:
		return mask(dst, t, v, op)
	case HMAC:
		return r.pseudonym(dst, t, v)
	}
	dst = append(dst, '[')
	dst = append(dst, typeNames[t]...)
	return append(dst, ']')
}

// mask overwrites letters and digits (every character for secrets) with
// the mask character, keeping the last op.KeepLast letters or digits.
func mask(dst []byte, t Type, v []byte, op Operator) []byte {
	all := t == TypeSecret || t == TypePassword || t == TypeURLSecret
	total := 0
	for i := 0; i < len(v); {
		c, size := utf8.DecodeRune(v[i:])
		if all || unicode.IsLetter(c) || unicode.IsDigit(c) {
			total++
		}
		i += size
	}
	keepFrom := total - op.KeepLast
	if all {
		keepFrom = total // secrets are never partly shown
	}
	var mb [4]byte
	m := mb[:utf8.EncodeRune(mb[:], op.MaskChar)]
	idx := 0
	for i := 0; i < len(v); {
		c, size := utf8.DecodeRune(v[i:])
		if all || unicode.IsLetter(c) || unicode.IsDigit(c) {
			if idx >= keepFrom {
				dst = append(dst, v[i:i+size]...)
			} else {
				dst = append(dst, m...)
			}
			idx++
		} else if c == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, v[i:i+size]...)
		}
		i += size
	}
	return dst
}

// pseudonymAlphabet has 16 consonants, so a token is a lower-case word
// that no detector matches.
const pseudonymAlphabet = "bcdfghjklmnpqrst"

// family maps known-value types to the content type they share tokens
// with, so the same address gets the same pseudonym either way.
func family(t Type) Type {
	switch t {
	case TypeKnownEmail:
		return TypeEmail
	case TypeKnownPhone:
		return TypePhone
	case TypeIPv6:
		return TypeIPv4
	case TypePerson:
		return TypeKnownName
	}
	return t
}

// normalise writes the canonical form of v that the HMAC is computed over:
// e-mail and names lower-case; numbers digits only (phones E.164 where
// libphonenumber can place them); IBAN and ids upper-case without
// separators.
func normalise(dst []byte, t Type, v []byte) []byte {
	switch family(t) {
	case TypeEmail, TypeKnownName, TypeKnownAddress, TypeIPv4, TypePerson:
		for i := range v {
			dst = append(dst, foldAt(v, i))
		}
		return dst
	case TypePhone, TypeCard, TypeSSN, TypeDETaxID, TypeNLBSN:
		for _, c := range v {
			if isDigit(c) {
				dst = append(dst, c)
			}
		}
		return dst
	case TypeIBAN, TypeUKNINO, TypeESDNI, TypeITFiscalCode, TypeFRNIR, TypeDriverLicense, TypePassport:
		for _, c := range v {
			if isAlnum(c) {
				if c >= 'a' && c <= 'z' {
					c -= 32
				}
				dst = append(dst, c)
			}
		}
		return dst
	}
	return append(dst, v...)
}

// pseudonym writes "[TAG:xxxxxxxxxxxxxxxx]", where x is the first 64 bits
// of HMAC-SHA256(key, family || normalised value) in a consonant alphabet.
func (r *Redactor) pseudonym(dst []byte, t Type, v []byte) []byte {
	var nb [256]byte
	norm := normalise(nb[:0], t, v)
	if family(t) == TypePhone {
		if e164 := r.e.phoneE164(v); e164 != "" {
			norm = append(nb[:0], e164...) // "+442079460958" for any written form
		}
	}
	h := r.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte{byte(family(t))})
	h.Write(norm)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	r.macs.Put(h)
	dst = append(dst, '[')
	dst = append(dst, typeNames[t]...)
	dst = append(dst, ':')
	for _, b := range sum[:8] {
		dst = append(dst, pseudonymAlphabet[b>>4], pseudonymAlphabet[b&15])
	}
	return append(dst, ']')
}
