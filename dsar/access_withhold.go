package dsar

import (
	"slices"
	"strings"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/disclosure"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// Safe disclosure in access packages.
//
// Some values are never written into a package (package disclosure says which and
// why): a government id, a financial account or card number, a password or security
// answer, a secret, a health id, biometric data. Custom attributes are judged by
// their configured class, their name, then their content; every other string of a
// profile, a cached copy or a webhook payload by its content; conversation,
// ticket and note bodies lose such values in the redaction's first pass (every
// non-known finding becomes its tag, "[CARD]", "[SSN]", "[PASSWORD]"), the person's
// own included. In place of a withheld attribute the package holds a sentence
// saying what the business holds and why it is not shown (worded per
// jurisdiction), and Package.Withheld lists every kind withheld, where, and how
// many. An attribute an operator allowed (config disclosure.allow) is disclosed,
// and recorded with its reason in the package step.

// NoticeWithheld is the notice of a package that withholds values.
const NoticeWithheld = "withheld_values"

// withholder judges and replaces values while a package is assembled. It is safe
// for concurrent use.
type withholder struct {
	pol disclosure.Policy
	jur string

	mu      sync.Mutex
	items   []accesspkg.Withheld
	allowed map[string]string // attribute -> reason, for those disclosed by allowance
}

func newWithholder(s *Service, eng *pii.Engine, jurisdiction string) *withholder {
	cfg := s.config()
	pol := disclosure.Policy{Classes: map[string]disclosure.Kind{}, Allowed: map[string]string{}, Engine: eng}
	for name, class := range cfg.CustomAttributes {
		if k, ok := disclosure.ParseKind(class); ok {
			pol.Classes[name] = k
		}
	}
	for name, reason := range cfg.Disclosure.Allow {
		pol.Allowed[name] = reason
	}
	return &withholder{pol: pol, jur: jurisdiction, allowed: map[string]string{}}
}

// note adds n values of verdict v found in where (and attribute) to the list.
func (w *withholder) note(where, attribute string, v disclosure.Verdict, n int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.items {
		it := &w.items[i]
		if it.Where == where && it.Attribute == attribute && it.Kind == string(v.Kind) && it.What == v.What && it.Basis == string(v.Basis) {
			it.Count += n
			return
		}
	}
	w.items = append(w.items, accesspkg.Withheld{Where: where, Attribute: attribute, Kind: string(v.Kind),
		What: v.What, Basis: string(v.Basis), Count: n})
}

// attributes returns a copy of a custom attribute map with every value that must
// not be disclosed replaced by its placeholder.
func (w *withholder) attributes(where string, attrs map[string]any) map[string]any {
	out := make(map[string]any, len(attrs))
	for name, v := range attrs {
		d := w.pol.Attribute(name, v)
		switch {
		case d.Withhold:
			out[name] = disclosure.Placeholder(d.Verdict, w.jur)
			w.note(where, name, d.Verdict, 1)
		case d.AllowedReason != "":
			out[name] = v
			w.mu.Lock()
			w.allowed[name] = d.AllowedReason
			w.mu.Unlock()
		default:
			out[name] = v
		}
	}
	return out
}

// value returns a copy of a decoded JSON value (a profile group, a cached row, a
// webhook payload) in which every custom attribute map is judged as attributes and
// every other string by its content.
func (w *withholder) value(where string, v any) any {
	switch t := v.(type) {
	case string:
		if vd, ok := disclosure.ByContent(w.pol.Engine, t); ok {
			w.note(where, "", vd, 1)
			return disclosure.Placeholder(vd, w.jur)
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if m, ok := x.(map[string]any); ok && isAttributeMap(k) {
				out[k] = w.attributes(where, m)
				continue
			}
			out[k] = w.value(where, x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = w.value(where, x)
		}
		return out
	}
	return v
}

// isAttributeMap reports whether a key holds named attributes judged one by one.
func isAttributeMap(key string) bool {
	switch key {
	case "custom_attributes", "attributes", "ticket_attributes":
		return true
	}
	return false
}

// record applies value to a Record in place.
func (w *withholder) record(where string, r accesspkg.Record) {
	for k, x := range r {
		if m, ok := x.(map[string]any); ok && isAttributeMap(k) {
			r[k] = w.attributes(where, m)
			continue
		}
		r[k] = w.value(where, x)
	}
}

// fromRedaction adds what the redaction's first pass replaced in conversations,
// tickets and notes (the person's own values included) for the kinds never
// disclosed.
func (w *withholder) fromRedaction(c pii.Counts) {
	for _, t := range disclosure.Types() {
		if c[t] == 0 {
			continue
		}
		k, what, _ := disclosure.OfType(t)
		w.note("messages", "", disclosure.Verdict{Kind: k, Basis: disclosure.BasisContent, What: what}, c[t])
	}
}

// list returns the items sorted by place, attribute, kind and wording.
func (w *withholder) list() []accesspkg.Withheld {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Clone(w.items)
	slices.SortFunc(out, func(a, b accesspkg.Withheld) int {
		return strings.Compare(a.Where+"\x00"+a.Attribute+"\x00"+a.Kind+"\x00"+a.What+"\x00"+a.Basis,
			b.Where+"\x00"+b.Attribute+"\x00"+b.Kind+"\x00"+b.What+"\x00"+b.Basis)
	})
	return out
}

// allowances returns the attributes disclosed under an operator's allowance, with
// the reasons, sorted by name.
func (w *withholder) allowances() []Allowance {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Allowance, 0, len(w.allowed))
	for name, reason := range w.allowed {
		out = append(out, Allowance{Attribute: name, Reason: reason})
	}
	slices.SortFunc(out, func(a, b Allowance) int { return strings.Compare(a.Attribute, b.Attribute) })
	return out
}

// Allowance records an attribute disclosed although it would have been withheld,
// under an operator's allowance (config disclosure.allow).
type Allowance struct {
	Attribute string `json:"attribute"`
	Reason    string `json:"reason"`
}

// notice is the package notice listing what was withheld, or false.
func (w *withholder) notice(items []accesspkg.Withheld) (accesspkg.Notice, bool) {
	if len(items) == 0 {
		return accesspkg.Notice{}, false
	}
	var kinds []string
	for _, it := range items {
		d := disclosure.Describe(disclosure.Kind(it.Kind))
		if !slices.Contains(kinds, d) {
			kinds = append(kinds, d)
		}
	}
	return accesspkg.Notice{Code: NoticeWithheld, Text: "Some values we hold are not shown in this copy: " +
		strings.Join(kinds, "; ") + ". Where such a value appeared, this copy says that we hold it and of what kind; " +
		"in conversations, tickets and notes it is replaced by a label such as [CARD] or [SSN], even when you wrote it yourself. " +
		disclosure.Reason(w.jur)}, true
}
