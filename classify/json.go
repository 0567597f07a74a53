package classify

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// walker rewrites one JSON document in a single pass. It recurses once per
// nesting level and refuses to go deeper than the Redactor's maxDepth, so
// hostile nesting cannot exhaust the stack.
type walker struct {
	r           *Redactor
	in          []byte
	pos         int
	out         []byte
	known       *pii.Known
	counts      *Counts
	localCounts Counts
	kbuf        []byte // decoded key
	sbuf        []byte // decoded string value
	rbuf        []byte // redacted value
	findings    []pii.Finding
	// skipContent is set when a scan of the whole document found nothing,
	// so values need no content scan of their own.
	skipContent bool
}

func (w *walker) syntax(reason string) error {
	return &SyntaxError{Offset: w.pos, Reason: reason}
}

func (w *walker) document(kind ObjectKind) error {
	w.ws()
	if w.pos >= len(w.in) {
		return w.syntax("empty document")
	}
	if err := w.value(rootSlot(kind), 0); err != nil {
		return err
	}
	w.ws()
	if w.pos != len(w.in) {
		return w.syntax("unexpected data after the top-level value")
	}
	return nil
}

// ws copies insignificant whitespace.
func (w *walker) ws() {
	start := w.pos
	w.skipWS()
	w.out = append(w.out, w.in[start:w.pos]...)
}

func (w *walker) value(s slot, depth int) error {
	if w.pos >= len(w.in) {
		return w.syntax("unexpected end of document")
	}
	switch c := w.in[w.pos]; {
	case c == '{':
		return w.object(s, depth+1)
	case c == '[':
		return w.array(s, depth+1)
	case c == '"':
		return w.stringValue(s)
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == 'n':
		return w.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return w.number(s)
	default:
		return w.syntax("unexpected character")
	}
}

func (w *walker) literal(lit string) error {
	if len(w.in)-w.pos < len(lit) || string(w.in[w.pos:w.pos+len(lit)]) != lit {
		return w.syntax("invalid literal")
	}
	w.out = append(w.out, lit...)
	w.pos += len(lit)
	return nil
}

func (w *walker) object(s slot, depth int) error {
	if depth > w.r.maxDepth {
		return &DepthError{Limit: w.r.maxDepth, Offset: w.pos}
	}
	if s.mode == modeAuto {
		s = autoSlot(peekType(w.in[w.pos:]))
	}
	w.out = append(w.out, '{')
	w.pos++
	w.ws()
	if w.pos < len(w.in) && w.in[w.pos] == '}' {
		w.out = append(w.out, '}')
		w.pos++
		return nil
	}
	for {
		if w.pos >= len(w.in) || w.in[w.pos] != '"' {
			return w.syntax("expected a string key")
		}
		rawStart := w.pos
		key, escaped, err := w.scanString(&w.kbuf)
		if err != nil {
			return err
		}
		raw := w.in[rawStart:w.pos]
		if red, changed := w.redactKey(key); changed || (!escaped && !utf8.Valid(key)) {
			w.out = appendJSONString(w.out, red)
		} else {
			w.out = append(w.out, raw...)
		}
		w.ws()
		if w.pos >= len(w.in) || w.in[w.pos] != ':' {
			return w.syntax("expected ':' after a key")
		}
		w.out = append(w.out, ':')
		w.pos++
		w.ws()
		if err := w.value(w.r.child(s, key), depth); err != nil {
			return err
		}
		if end, err := w.next('}', "unterminated object", "expected ',' or '}' in an object"); end || err != nil {
			return err
		}
	}
}

// next copies what follows a member or an element: a ',' (more follow) or
// the container's closing byte, which ends it (end is true).
func (w *walker) next(closing byte, unterminated, unexpected string) (end bool, err error) {
	w.ws()
	if w.pos >= len(w.in) {
		return false, w.syntax(unterminated)
	}
	switch c := w.in[w.pos]; c {
	case ',', closing:
		w.out = append(w.out, c)
		w.pos++
		if c == closing {
			return true, nil
		}
		w.ws()
		return false, nil
	}
	return false, w.syntax(unexpected)
}

func (w *walker) array(s slot, depth int) error {
	if depth > w.r.maxDepth {
		return &DepthError{Limit: w.r.maxDepth, Offset: w.pos}
	}
	w.out = append(w.out, '[')
	w.pos++
	w.ws()
	if w.pos < len(w.in) && w.in[w.pos] == ']' {
		w.out = append(w.out, ']')
		w.pos++
		return nil
	}
	for {
		if err := w.value(s, depth); err != nil {
			return err
		}
		if end, err := w.next(']', "unterminated array", "expected ',' or ']' in an array"); end || err != nil {
			return err
		}
	}
}

func (w *walker) stringValue(s slot) error {
	rawStart := w.pos
	v, escaped, err := w.scanString(&w.sbuf)
	if err != nil {
		return err
	}
	raw := w.in[rawStart:w.pos]
	red, changed := w.redactScalar(s, v)
	if changed || (!escaped && !utf8.Valid(v)) {
		w.out = appendJSONString(w.out, red)
	} else {
		w.out = append(w.out, raw...)
	}
	return nil
}

func (w *walker) number(s slot) error {
	start := w.pos
	in := w.in
	p := w.pos
	if p < len(in) && in[p] == '-' {
		p++
	}
	switch {
	case p < len(in) && in[p] == '0':
		p++
	case p < len(in) && in[p] >= '1' && in[p] <= '9':
		for p < len(in) && in[p] >= '0' && in[p] <= '9' {
			p++
		}
	default:
		w.pos = p
		return w.syntax("invalid number")
	}
	if p < len(in) && in[p] == '.' {
		p++
		d := p
		for p < len(in) && in[p] >= '0' && in[p] <= '9' {
			p++
		}
		if p == d {
			w.pos = p
			return w.syntax("invalid number")
		}
	}
	if p < len(in) && (in[p] == 'e' || in[p] == 'E') {
		p++
		if p < len(in) && (in[p] == '+' || in[p] == '-') {
			p++
		}
		d := p
		for p < len(in) && in[p] >= '0' && in[p] <= '9' {
			p++
		}
		if p == d {
			w.pos = p
			return w.syntax("invalid number")
		}
	}
	w.pos = p
	raw := in[start:p]
	if red, changed := w.redactScalar(s, raw); changed {
		// A number that held personal data becomes a string.
		w.out = appendJSONString(w.out, red)
	} else {
		w.out = append(w.out, raw...)
	}
	return nil
}

// scanString reads the string literal at w.pos and returns its decoded
// bytes (aliasing the input when it has no escapes, else decoded into
// *buf) and whether it had escapes. Escapes are decoded into valid UTF-8
// (lone surrogates become U+FFFD); raw bytes are returned as they are.
func (w *walker) scanString(buf *[]byte) ([]byte, bool, error) {
	in := w.in
	p := w.pos + 1
	start := p
	for p < len(in) {
		c := in[p]
		if c == '"' {
			w.pos = p + 1
			return in[start:p], false, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			w.pos = p
			return nil, false, w.syntax("control character in a string")
		}
		p++
	}
	if p >= len(in) {
		w.pos = p
		return nil, false, w.syntax("unterminated string")
	}
	b := append((*buf)[:0], in[start:p]...)
	for p < len(in) {
		c := in[p]
		switch {
		case c == '"':
			w.pos = p + 1
			*buf = b
			return b, true, nil
		case c < 0x20:
			w.pos = p
			return nil, false, w.syntax("control character in a string")
		case c != '\\':
			b = append(b, c)
			p++
			continue
		}
		if p+1 >= len(in) {
			break
		}
		switch e := in[p+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r1, ok := hex4(in, p+2)
			if !ok {
				w.pos = p
				return nil, false, w.syntax("invalid \\u escape")
			}
			p += 6
			r := rune(r1)
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(in, p+2); ok && p+1 < len(in) && in[p] == '\\' && in[p+1] == 'u' {
					if d := utf16.DecodeRune(r, rune(r2)); d != utf8.RuneError {
						p += 6
						r = d
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			w.pos = p
			return nil, false, w.syntax("invalid escape")
		}
		p += 2
	}
	w.pos = p
	*buf = b
	return nil, false, w.syntax("unterminated string")
}

func hex4(in []byte, p int) (uint16, bool) {
	if p+4 > len(in) {
		return 0, false
	}
	var v uint16
	for _, c := range in[p : p+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= uint16(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// peekType returns the value of the top-level "type" member of the object
// that doc starts with, or nil. It is a light scan that tolerates errors
// (the main pass reports them) and stops at the object's end.
func peekType(doc []byte) []byte {
	w := walker{in: doc, pos: 1}
	var kb, vb []byte
	for {
		w.skipWS()
		if w.pos >= len(doc) || doc[w.pos] != '"' {
			return nil
		}
		key, _, err := w.scanString(&kb)
		if err != nil {
			return nil
		}
		w.skipWS()
		if w.pos >= len(doc) || doc[w.pos] != ':' {
			return nil
		}
		w.pos++
		w.skipWS()
		if string(key) == "type" && w.pos < len(doc) && doc[w.pos] == '"' {
			v, _, err := w.scanString(&vb)
			if err != nil {
				return nil
			}
			return v
		}
		if !w.skipValue() {
			return nil
		}
		w.skipWS()
		if w.pos >= len(doc) || doc[w.pos] != ',' {
			return nil
		}
		w.pos++
	}
}

func (w *walker) skipWS() {
	for w.pos < len(w.in) {
		switch w.in[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
			continue
		}
		return
	}
}

// skipValue skips one value without validating it fully; it iterates
// rather than recursing, so depth costs nothing.
func (w *walker) skipValue() bool {
	depth := 0
	var buf []byte
	for w.pos < len(w.in) {
		switch c := w.in[w.pos]; c {
		case '"':
			if _, _, err := w.scanString(&buf); err != nil {
				return false
			}
		case '{', '[':
			depth++
			w.pos++
		case '}', ']':
			depth--
			w.pos++
			if depth < 0 {
				return false
			}
		default:
			if depth == 0 && (c == ',') {
				return true
			}
			w.pos++
		}
		if depth == 0 {
			// A scalar ends at ',' or '}' (handled above); a container
			// ends when its closing bracket brings depth back to zero.
			if c := w.in[w.pos-1]; c == '"' || c == '}' || c == ']' {
				return true
			}
		}
	}
	return false
}
