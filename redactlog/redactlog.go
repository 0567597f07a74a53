// Package redactlog provides an slog.Handler that removes personal data and
// secrets from log records before another handler writes them.
//
// The Handler redacts by key and by content:
//
//   - an attribute whose key is sensitive (email, phone, name, token,
//     password, secret, authorization, cookie, ... see classify.KeyRules)
//     has its whole value replaced with a tag such as "[SECRET]";
//   - every other string is scanned by the pii engine: the message text,
//     attribute values and keys, group members and group names, the
//     resolved values of slog.LogValuers, the text of errors
//     (Error()) and fmt.Stringers (String()), []byte, and numbers (a card
//     number logged as an int is still a card number);
//   - maps, slices, structs and pointers are redacted structurally by key
//     and content through classify (KindGeneric), after a JSON encoding;
//   - a value that cannot be walked that way (a struct holding a channel or
//     a func, a map with struct keys, one nested deeper than MaxDepth) is
//     replaced with a placeholder: its fmt form would show the values of
//     sensitive fields, which only the key rules catch. No value is passed
//     through raw: the handler fails closed. A method that panics while
//     being formatted yields a placeholder instead of crashing the program.
//
// Attributes given to WithAttrs are redacted once, when WithAttrs is called.
package redactlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/classify"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// ErrUnknownFormat is returned by NewLogger for a format other than "text"
// or "json".
var ErrUnknownFormat = errors.New("redactlog: unknown log format (want text or json)")

// Options configures a Handler. The zero value uses the default sensitive
// key rules and no known values.
type Options struct {
	// Keys are the key rules; nil means classify's defaults. Build rules
	// with extra key names with classify.NewKeyRules.
	Keys *classify.KeyRules
	// Known are values of a particular person to find in every string
	// (nil for none). Loggers are usually long-lived and not about one
	// person, so this is rarely set.
	Known *pii.Known
	// MaxDepth caps the nesting of groups and structured values; deeper
	// values are replaced with a placeholder. Zero means 32.
	MaxDepth int
}

// Handler is an slog.Handler that redacts records and passes them to
// another handler. It is safe for concurrent use when the wrapped handler is.
type Handler struct {
	next slog.Handler
	c    *core
}

// core is what Handler values derived with WithAttrs and WithGroup share.
type core struct {
	r        *pii.Redactor // nil: fail closed, every scanned string is replaced
	keys     *classify.KeyRules
	known    *pii.Known
	values   *classify.Redactor
	maxDepth int
	bufs     sync.Pool
}

type buffers struct{ in, out []byte }

// Placeholders written for values that cannot be shown.
const (
	placeholderUnscannable = "[REDACTED]"
	placeholderPanic       = "[REDACTED: formatting the value panicked]"
	placeholderTooDeep     = "[REDACTED: nested too deeply]"
)

// New returns a Handler that redacts with r and passes records to next. A
// nil r means classify.DefaultContentRedactor(); if that cannot be built,
// every scanned string is replaced with "[REDACTED]" (fail closed).
func New(next slog.Handler, r *pii.Redactor, opts Options) *Handler {
	if r == nil {
		r, _ = classify.DefaultContentRedactor()
	}
	c := &core{r: r, keys: opts.Keys, known: opts.Known, maxDepth: opts.MaxDepth}
	if c.maxDepth <= 0 {
		c.maxDepth = 32
	}
	if r != nil {
		// classify.New fails only for operator and key configuration,
		// which is not used here.
		c.values, _ = classify.New(classify.Options{Content: r, Keys: opts.Keys, MaxDepth: c.maxDepth})
	}
	c.bufs.New = func() any { return &buffers{} }
	return &Handler{next: next, c: c}
}

// NewLogger returns a logger writing text ("text") or JSON ("json") records
// at level and above to w, through a redacting Handler with the default
// engine and key rules. It is the project's own logger.
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	hopts := &slog.HandlerOptions{Level: level}
	var next slog.Handler
	switch strings.ToLower(format) {
	case "text", "":
		next = slog.NewTextHandler(w, hopts)
	case "json":
		next = slog.NewJSONHandler(w, hopts)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnknownFormat, ShownOption(format))
	}
	r, err := classify.DefaultContentRedactor()
	if err != nil {
		return nil, fmt.Errorf("redactlog: building the pii engine: %w", err)
	}
	return slog.New(New(next, r, Options{})), nil
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts the message and attributes of rec and passes the result
// to the wrapped handler. rec is not modified.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	nr := slog.NewRecord(rec.Time, rec.Level, h.c.scan(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(h.c.attr(a, 0))
		return true
	})
	return h.next.Handle(ctx, nr)
}

// WithAttrs redacts attrs once and returns a Handler whose wrapped handler
// carries them.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.c.attr(a, 0)
	}
	return &Handler{next: h.next.WithAttrs(red), c: h.c}
}

// WithGroup returns a Handler whose wrapped handler opens group name (itself
// scanned for personal data).
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(h.c.scan(name)), c: h.c}
}

// scan returns s with the content findings redacted; s itself (no copy)
// when nothing was found.
func (c *core) scan(s string) string {
	if s == "" {
		return s
	}
	if c.r == nil {
		return placeholderUnscannable
	}
	b := c.bufs.Get().(*buffers)
	b.in = append(b.in[:0], s...)
	b.out = c.r.Redact(b.out[:0], b.in, c.known, nil)
	res := s
	if !bytes.Equal(b.out, b.in) {
		res = string(b.out)
	}
	if cap(b.in) <= 64<<10 {
		c.bufs.Put(b)
	}
	return res
}

// scanKey scans an attribute key, skipping the common keys made of
// lower-case letters, '_', '.' and '-' that no detector matches.
func (c *core) scanKey(k string) string {
	if c.known == nil && len(k) <= 40 {
		plain := true
		for i := 0; i < len(k); i++ {
			ch := k[i]
			if !(ch >= 'a' && ch <= 'z' || ch == '_' || ch == '.' || ch == '-') {
				plain = false
				break
			}
		}
		if plain {
			return k
		}
	}
	return c.scan(k)
}

// attr returns the redacted form of a.
func (c *core) attr(a slog.Attr, depth int) (out slog.Attr) {
	key := c.scanKey(a.Key)
	defer func() {
		if recover() != nil {
			out = slog.String(key, placeholderPanic)
		}
	}()
	v := a.Value.Resolve()
	if l, ok := c.keys.Match(a.Key); ok && a.Key != "" {
		if v.Kind() == slog.KindString && v.String() == "" {
			return slog.String(key, "")
		}
		return slog.String(key, "["+l.String()+"]")
	}
	return slog.Attr{Key: key, Value: c.value(v, depth)}
}

// value returns the redacted form of a resolved value.
func (c *core) value(v slog.Value, depth int) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(c.scan(v.String()))
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
		return c.number(v)
	case slog.KindBool, slog.KindDuration, slog.KindTime:
		return v
	case slog.KindGroup:
		if depth >= c.maxDepth {
			return slog.StringValue(placeholderTooDeep)
		}
		attrs := v.Group()
		red := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			red[i] = c.attr(a, depth+1)
		}
		return slog.GroupValue(red...)
	case slog.KindLogValuer:
		// Resolve gave up (a LogValuer chain too long): do not call it again.
		return slog.StringValue(placeholderUnscannable)
	default:
		return c.anyValue(v.Any(), depth)
	}
}

// number scans the decimal text of a number: a card or phone number logged
// as an integer is still personal data. A number that held some becomes a
// string.
func (c *core) number(v slog.Value) slog.Value {
	if c.r == nil {
		return slog.StringValue(placeholderUnscannable)
	}
	b := c.bufs.Get().(*buffers)
	switch v.Kind() {
	case slog.KindInt64:
		b.in = strconv.AppendInt(b.in[:0], v.Int64(), 10)
	case slog.KindUint64:
		b.in = strconv.AppendUint(b.in[:0], v.Uint64(), 10)
	default:
		b.in = strconv.AppendFloat(b.in[:0], v.Float64(), 'f', -1, 64)
	}
	b.out = c.r.Redact(b.out[:0], b.in, c.known, nil)
	if !bytes.Equal(b.out, b.in) {
		v = slog.StringValue(string(b.out))
	}
	c.bufs.Put(b)
	return v
}

// anyValue redacts a value of kind Any.
func (c *core) anyValue(x any, depth int) slog.Value {
	switch t := x.(type) {
	case nil:
		return slog.AnyValue(nil)
	case error:
		return slog.StringValue(c.scan(t.Error()))
	case fmt.Stringer:
		return slog.StringValue(c.scan(t.String()))
	case []byte:
		return slog.StringValue(c.scan(string(t)))
	case string:
		return slog.StringValue(c.scan(t))
	}
	if c.values == nil {
		return slog.StringValue(placeholderUnscannable)
	}
	red, err := c.values.RedactValue(x, classify.KindGeneric)
	switch {
	case errors.Is(err, classify.ErrTooDeep):
		return slog.StringValue(placeholderTooDeep)
	case err != nil:
		// Fail closed: a value that cannot be walked by key is not shown.
		// Its fmt form would carry the values of sensitive fields (a
		// struct's Name or Token next to a channel) that only the key
		// rules catch.
		return slog.StringValue(placeholderUnscannable)
	}
	switch r := red.(type) {
	case string:
		return slog.StringValue(r)
	case nil:
		return slog.AnyValue(nil)
	}
	return slog.AnyValue(red)
}

// ShownOption returns s quoted when it is short and made only of letters, digits,
// '_', '.' and '-' (a mistyped option name), and a placeholder otherwise: an
// error is printed and logged, and a value given in the wrong place may be
// personal data or a secret. Errors about an option's value use it.
func ShownOption(s string) string {
	const max = 16
	if len(s) == 0 || len(s) > max {
		return "(value not shown)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "(value not shown)"
		}
	}
	return strconv.Quote(s)
}
