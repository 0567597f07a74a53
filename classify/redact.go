package classify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// Errors returned (wrapped in *SyntaxError or *DepthError where noted) by
// the redaction functions. None of them carries document content.
var (
	// ErrSyntax is matched by a *SyntaxError: the document is not JSON.
	ErrSyntax = errors.New("classify: not a valid JSON document")
	// ErrTooDeep is matched by a *DepthError: the document nests deeper
	// than Options.MaxDepth.
	ErrTooDeep = errors.New("classify: document nested too deeply")
	// ErrUnknownKind is returned by ParseKind.
	ErrUnknownKind = errors.New("classify: unknown object kind")
	// ErrUnknownClass is returned by ParseClass.
	ErrUnknownClass = errors.New("classify: unknown class")
	// ErrUnknownLabel is returned by ParseLabel.
	ErrUnknownLabel = errors.New("classify: unknown label")
	// ErrConfig is returned by New for an unusable configuration.
	ErrConfig = errors.New("classify: invalid configuration")
	// ErrUnsupportedValue is returned by RedactValue for a value that
	// cannot be encoded as JSON (a channel, a function, a cycle).
	ErrUnsupportedValue = errors.New("classify: value cannot be encoded as JSON")
)

// SyntaxError reports where a document stops being JSON. It matches ErrSyntax.
type SyntaxError struct {
	// Offset is the byte offset of the problem.
	Offset int
	// Reason describes the problem without quoting the document.
	Reason string
}

// Error describes the problem and its offset, never the document's text.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("classify: invalid JSON at byte %d: %s", e.Offset, e.Reason)
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// DepthError reports a document nested deeper than the limit. It matches ErrTooDeep.
type DepthError struct {
	// Limit is the maximum depth that was in force.
	Limit int
	// Offset is the byte offset where the limit was crossed (0 for Go values).
	Offset int
}

// Error gives the limit and where it was crossed.
func (e *DepthError) Error() string {
	return fmt.Sprintf("classify: document nested deeper than %d levels (at byte %d); raise Options.MaxDepth if this is legitimate", e.Limit, e.Offset)
}

// Is reports whether target is ErrTooDeep.
func (e *DepthError) Is(target error) bool { return target == ErrTooDeep }

// IdentifierMode says what happens to Identifier fields.
type IdentifierMode uint8

// Identifier modes.
const (
	// KeepIdentifiers leaves identifiers as they are, for look-ups (the default).
	KeepIdentifiers IdentifierMode = iota
	// PseudonymiseIdentifiers replaces each identifier with a keyed
	// HMAC-SHA256 pseudonym ("[ID:…]"), stable under one key, for output
	// meant for display.
	PseudonymiseIdentifiers
)

// DefaultMaxDepth is the nesting limit used when Options.MaxDepth is zero.
const DefaultMaxDepth = 256

// Options configures a Redactor. The zero value is usable: content is
// scanned by a pii engine with its default options and policy, PII fields
// are replaced with their tag, identifiers are kept, and the default
// sensitive custom attribute names are PII.
type Options struct {
	// Content scans Content fields. Nil means a redactor over
	// pii.NewEngine(pii.Options{}) with the zero pii.Policy.
	Content *pii.Redactor
	// PII is the operator for PII fields; the zero value replaces the value
	// with the field's tag, such as "[EMAIL]". Mask keeps Operator.KeepLast
	// trailing characters; HMAC needs HMACKey; Remove writes an empty
	// string (the key stays, so the document keeps its shape); Keep leaves
	// the value.
	PII pii.Operator
	// PerLabel overrides PII for some labels.
	PerLabel map[Label]pii.Operator
	// Identifiers says whether identifiers are kept or pseudonymised.
	Identifiers IdentifierMode
	// HMACKey keys pseudonyms (at least 16 bytes); required when an
	// operator is HMAC or Identifiers is PseudonymiseIdentifiers. It is
	// never written anywhere.
	HMACKey []byte
	// CustomAttributes overrides the classification of custom attributes,
	// by name (matched case-insensitively, ignoring '_', '-' and spaces).
	// A Field{Class: ClassPII, Label: LabelAddress} makes an attribute PII;
	// Field{Class: ClassSystem} keeps it; Field{} scans it.
	CustomAttributes map[string]Field
	// Keys are the key rules for generic documents and unknown fields; nil
	// means the defaults.
	Keys *KeyRules
	// MaxDepth caps nesting; zero means DefaultMaxDepth.
	MaxDepth int
}

// Counts are the number of values a Redactor changed: content findings by
// pii type, and PII fields redacted whole by label. Never values.
type Counts struct {
	// Findings counts content findings per pii type.
	Findings pii.Counts
	// Fields counts PII fields redacted whole, per label.
	Fields [NumLabels]int64
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	c.Findings.Add(&o.Findings)
	for i := range c.Fields {
		c.Fields[i] += o.Fields[i]
	}
}

// Total returns the number of findings and fields counted.
func (c *Counts) Total() int64 {
	n := c.Findings.Total()
	for _, v := range c.Fields {
		n += v
	}
	return n
}

// Redactor redacts JSON documents and Go values by the classification
// table. It is immutable and safe for concurrent use.
type Redactor struct {
	content  *pii.Redactor
	ops      [NumLabels]pii.Operator
	idMode   IdentifierMode
	key      []byte
	hmacPool sync.Pool
	walkers  sync.Pool
	attrs    map[string]Field
	keys     *KeyRules
	maxDepth int
}

var (
	defaultContentOnce sync.Once
	defaultContent     *pii.Redactor
	defaultContentErr  error
)

// DefaultContentRedactor returns a shared pii redactor with the engine's
// default options and the zero policy (replace with tags).
func DefaultContentRedactor() (*pii.Redactor, error) {
	defaultContentOnce.Do(func() {
		e, err := pii.NewEngine(pii.Options{})
		if err != nil {
			defaultContentErr = err
			return
		}
		defaultContent, defaultContentErr = pii.NewRedactor(e, pii.Policy{})
	})
	return defaultContent, defaultContentErr
}

// New returns a Redactor for opts.
func New(opts Options) (*Redactor, error) {
	r := &Redactor{
		content:  opts.Content,
		idMode:   opts.Identifiers,
		attrs:    normalizeAttributeConfig(opts.CustomAttributes),
		keys:     opts.Keys,
		maxDepth: opts.MaxDepth,
	}
	if r.content == nil {
		c, err := DefaultContentRedactor()
		if err != nil {
			return nil, fmt.Errorf("%w: building the default content redactor: %w", ErrConfig, err)
		}
		r.content = c
	}
	if r.maxDepth <= 0 {
		r.maxDepth = DefaultMaxDepth
	}
	if r.keys == nil {
		r.keys = defaultKeyRules
	}
	needKey := opts.Identifiers == PseudonymiseIdentifiers
	for l := range r.ops {
		op := opts.PII
		if o, ok := opts.PerLabel[Label(l)]; ok {
			op = o
		}
		if op.Kind > pii.Keep {
			return nil, fmt.Errorf("%w: unknown operator kind %d for label %s", ErrConfig, op.Kind, Label(l))
		}
		if op.Kind == pii.HMAC {
			needKey = true
		}
		r.ops[l] = op
	}
	if opts.Identifiers > PseudonymiseIdentifiers {
		return nil, fmt.Errorf("%w: unknown identifier mode %d", ErrConfig, opts.Identifiers)
	}
	if needKey {
		if len(opts.HMACKey) < 16 {
			return nil, fmt.Errorf("%w: HMACKey must be at least 16 bytes for HMAC pseudonyms", ErrConfig)
		}
		r.key = append([]byte(nil), opts.HMACKey...)
		r.hmacPool.New = func() any { return hmac.New(sha256.New, r.key) }
	}
	return r, nil
}

// Redact returns a redacted copy of the JSON document doc, whose top-level
// value is an object of the given kind (or an array of them). doc is not
// modified. The output keeps the document's layout (whitespace, key order);
// values that change are re-encoded; invalid UTF-8 is replaced with U+FFFD.
func Redact(doc []byte, kind ObjectKind, opts Options) ([]byte, error) {
	r, err := New(opts)
	if err != nil {
		return nil, err
	}
	return r.Redact(doc, kind)
}

// RedactValue is Redactor.RedactValue with a Redactor built from opts.
func RedactValue(v any, kind ObjectKind, opts Options) (any, error) {
	r, err := New(opts)
	if err != nil {
		return nil, err
	}
	return r.RedactValue(v, kind)
}

// Redact returns a redacted copy of the JSON document doc (see the
// package-level Redact).
func (r *Redactor) Redact(doc []byte, kind ObjectKind) ([]byte, error) {
	return r.AppendRedact(nil, doc, kind, nil, nil)
}

// AppendRedact appends the redacted form of doc to dst and returns it.
// known are the person's own values, found exactly in content (nil for
// none); counts, when not nil, accumulates what was redacted. On error
// dst is returned unchanged (truncated to its original length) with the
// error.
func (r *Redactor) AppendRedact(dst, doc []byte, kind ObjectKind, known *pii.Known, counts *Counts) ([]byte, error) {
	w := r.getWalker(doc, dst, known, counts)
	defer r.putWalker(w)
	if kind == KindGeneric && bytes.IndexByte(doc, '\\') < 0 {
		// Fast path for logs: when the engine finds nothing in the whole
		// raw document, it finds nothing in any of its strings either
		// (without escapes, each string is a quote-delimited part of the
		// raw text), so only the key rules remain to apply. One scan of the
		// document costs far less than one per value.
		w.findings = r.content.Engine().Find(doc, known, w.findings[:0])
		w.skipContent = len(w.findings) == 0
	}
	start := len(dst)
	if err := w.document(kind); err != nil {
		return dst[:start], err
	}
	return w.out, nil
}

// getWalker returns a walker from the pool, set up for one document, so
// that its scratch buffers are reused across calls.
func (r *Redactor) getWalker(doc, dst []byte, known *pii.Known, counts *Counts) *walker {
	w, _ := r.walkers.Get().(*walker)
	if w == nil {
		w = &walker{}
	}
	w.r, w.in, w.pos, w.out, w.known = r, doc, 0, dst, known
	w.counts = counts
	if counts == nil {
		w.localCounts = Counts{}
		w.counts = &w.localCounts
	}
	return w
}

func (r *Redactor) putWalker(w *walker) {
	w.in, w.out, w.known, w.counts, w.skipContent = nil, nil, nil, nil, false
	if cap(w.sbuf)+cap(w.rbuf)+cap(w.kbuf) > 1<<20 {
		return // do not keep buffers grown by one huge value
	}
	r.walkers.Put(w)
}

// operate applies the PII operator of label l to value v, appending the
// result (not JSON-encoded) to dst.
func (r *Redactor) operate(dst []byte, l Label, v []byte) []byte {
	op := r.ops[l]
	switch op.Kind {
	case pii.Keep:
		return append(dst, v...)
	case pii.Remove:
		return dst
	case pii.Mask:
		return mask(dst, v, op)
	case pii.HMAC:
		return r.pseudonym(dst, l.String(), v)
	default:
		dst = append(dst, '[')
		dst = append(dst, l.String()...)
		return append(dst, ']')
	}
}

// pseudonym appends "[TAG:hex]" where hex is the first 16 hex digits of the
// keyed HMAC-SHA256 of v.
func (r *Redactor) pseudonym(dst []byte, tag string, v []byte) []byte {
	h := r.hmacPool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(tag))
	h.Write([]byte{0})
	h.Write(v)
	var sum [sha256.Size]byte
	s := h.Sum(sum[:0])
	r.hmacPool.Put(h)
	dst = append(dst, '[')
	dst = append(dst, tag...)
	dst = append(dst, ':')
	dst = hex.AppendEncode(dst, s[:8])
	return append(dst, ']')
}

// mask overwrites every letter and digit of v with the mask character,
// keeping the last op.KeepLast letters or digits.
func mask(dst, v []byte, op pii.Operator) []byte {
	mc := op.MaskChar
	if mc == 0 {
		mc = '*'
	}
	keepFrom := len(v)
	for i, n := len(v), 0; i > 0 && n < op.KeepLast; {
		c, size := utf8.DecodeLastRune(v[:i])
		i -= size
		if isAlnum(c) {
			n++
		}
		keepFrom = i
	}
	for i := 0; i < len(v); {
		c, size := utf8.DecodeRune(v[i:])
		switch {
		case i >= keepFrom:
			dst = utf8.AppendRune(dst, c)
		case isAlnum(c):
			dst = utf8.AppendRune(dst, mc)
		default:
			dst = utf8.AppendRune(dst, c)
		}
		i += size
	}
	return dst
}

func isAlnum(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 && c != utf8.RuneError
}

// isTag reports whether v is already a redaction tag or pseudonym written
// by this package or by pii ("[EMAIL]", "[NAME:0a1b…]"), so that redacting
// twice changes nothing.
func isTag(v []byte) bool {
	if len(v) < 3 || v[0] != '[' || v[len(v)-1] != ']' {
		return false
	}
	inner := v[1 : len(v)-1]
	i := 0
	for i < len(inner) && (inner[i] >= 'A' && inner[i] <= 'Z' || inner[i] == '_' || inner[i] >= '0' && inner[i] <= '9') {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(inner) {
		return true
	}
	if inner[i] != ':' || len(inner)-i-1 != 16 {
		return false
	}
	for _, c := range inner[i+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
