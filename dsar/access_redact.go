package dsar

import (
	"bytes"
	"strings"
	"sync"

	"golang.org/x/net/html"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// Third-party redaction in access packages.
//
// Conversations, tickets and notes can hold other people's personal data: another
// customer who wrote in a shared thread, a third party named in a note. An access
// package must not disclose it (GDPR Art. 15(4)), while it must give the person
// their own data in full. Redaction runs in two passes over each HTML body:
//
//  1. keepOwn: every detector of the PII engine runs with the person's own known
//     values (their e-mails, phones, names, external ids, from the identifiers
//     given and from every resolved contact). The engine resolves overlaps in
//     favour of a known value (same span, confidence 1), and the policy keeps the
//     Known* types while it replaces every other finding with its tag ("[EMAIL]",
//     "[PHONE]", "[CARD]", "[IBAN]", ...). So the person's own e-mail stays and a
//     stranger's e-mail goes.
//  2. others: the names of the other customers who wrote in the person's threads
//     are matched as known values and replaced with "[NAME]", and the names the
//     engine finds in free text (greetings, signatures, titles) with "[PERSON]".
//     The person's own values and the teammates' names enter this pass as known
//     values it keeps, so they win over the free-text detector: the person's name
//     and the staff's names stay. Free-text names wait for this pass because a
//     teammate's name may only be learnt from a later conversation.
//
// The author of a part written by another customer becomes "another person"; their
// id and e-mail are not copied. Teammates (the organisation's staff) and bots keep
// their names. A value the person wrote that is not one of their known identifiers
// (for example a card number) is treated as possibly someone else's and redacted:
// the package errs on the side of the third party, and a notice says so.
type redaction struct {
	own     *pii.Known
	ownVals map[string]bool

	keepOwn *pii.Redactor
	names   *pii.Redactor

	mu      sync.Mutex
	others  map[string]bool
	staff   map[string]bool
	otherK  *pii.Known
	counts  pii.Counts
	changed int64
}

func newRedaction(engine *pii.Engine, own []pii.KnownValue) (*redaction, error) {
	keep := map[pii.Type]pii.Operator{}
	replaceNames := map[pii.Type]pii.Operator{}
	for _, t := range pii.AllTypes() {
		if isKnownType(t) {
			keep[t] = pii.Operator{Kind: pii.Keep}
			replaceNames[t] = pii.Operator{Kind: pii.Replace}
		}
	}
	// Names the engine finds in free text are decided in pass 2, once every
	// teammate's name is known: pass 1 keeps them, pass 2 replaces them unless
	// they are the person's own or a teammate's (entered into pass 2 as known
	// values of keptNameType, which that pass keeps).
	keep[pii.TypePerson] = pii.Operator{Kind: pii.Keep}
	replaceNames[pii.TypePerson] = pii.Operator{Kind: pii.Replace}
	replaceNames[keptNameType] = pii.Operator{Kind: pii.Keep}
	keepOwn, err := pii.NewRedactor(engine, pii.Policy{Default: pii.Operator{Kind: pii.Replace}, PerType: keep})
	if err != nil {
		return nil, err
	}
	names, err := pii.NewRedactor(engine, pii.Policy{Default: pii.Operator{Kind: pii.Keep}, PerType: replaceNames})
	if err != nil {
		return nil, err
	}
	r := &redaction{own: pii.NewKnown(own), ownVals: map[string]bool{}, keepOwn: keepOwn, names: names,
		others: map[string]bool{}, staff: map[string]bool{}}
	for _, v := range own {
		r.ownVals[fold(v.Value)] = true
	}
	return r, nil
}

// keptNameType carries the person's own values and the teammates' names into
// pass 2 as known values, so that they win over the free-text name detector there
// (a known value wins an overlap) and are kept. The engine matches known values the
// same whatever their type (phones aside); the type only chooses the operator.
const keptNameType = pii.TypeKnownAddress

func isKnownType(t pii.Type) bool {
	switch t {
	case pii.TypeKnownName, pii.TypeKnownEmail, pii.TypeKnownPhone, pii.TypeKnownAddress, pii.TypeKnownExternalID:
		return true
	}
	return false
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// addOther records the name of another customer seen in the person's threads.
func (r *redaction) addOther(name string) {
	if len(strings.TrimSpace(name)) < 2 {
		return
	}
	r.mu.Lock()
	r.others[fold(name)] = true
	r.otherK = nil
	r.mu.Unlock()
}

// addStaff records a teammate's name, which is never redacted.
func (r *redaction) addStaff(name string) {
	if name == "" {
		return
	}
	r.mu.Lock()
	r.staff[fold(name)] = true
	r.otherK = nil
	r.mu.Unlock()
}

// otherKnown compiles the other customers' names (minus the person's own values
// and staff names) once all were added.
func (r *redaction) otherKnown() *pii.Known {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.otherK != nil {
		return r.otherK
	}
	var vals []pii.KnownValue
	for n := range r.others {
		if !r.ownVals[n] && !r.staff[n] {
			vals = append(vals, pii.KnownValue{Type: pii.TypeKnownName, Value: n})
		}
	}
	for n := range r.ownVals {
		vals = append(vals, pii.KnownValue{Type: keptNameType, Value: n})
	}
	for n := range r.staff {
		vals = append(vals, pii.KnownValue{Type: keptNameType, Value: n})
	}
	r.otherK = pii.NewKnown(vals)
	return r.otherK
}

// html redacts an HTML body (both passes) and returns it with its plain text.
func (r *redaction) html(body string) (string, string) {
	return r.finish(r.first(body))
}

// first runs pass 1 (every detector, the person's own values kept) over an HTML
// body. It does not depend on the other customers' names, so it can run while the
// rest of the person's data is still being fetched.
func (r *redaction) first(body string) string {
	if body == "" {
		return ""
	}
	var c1 pii.Counts
	out := r.keepOwn.RedactHTML(nil, []byte(body), r.own, &c1)
	r.account(&c1, nil)
	return string(out)
}

// finish runs pass 2 (the other customers' names) over a body that went through
// first, and returns it with its plain text.
func (r *redaction) finish(body string) (string, string) {
	if body == "" {
		return "", ""
	}
	var c2 pii.Counts
	out := r.names.RedactHTML(nil, []byte(body), r.otherKnown(), &c2)
	r.account(nil, &c2)
	s := string(out)
	return s, htmlText(s)
}

// text redacts plain text (ticket titles, attribute values).
func (r *redaction) text(s string) string {
	if s == "" {
		return s
	}
	var c1, c2 pii.Counts
	out := r.keepOwn.Redact(nil, []byte(s), r.own, &c1)
	out = r.names.Redact(nil, out, r.otherKnown(), &c2)
	r.account(&c1, &c2)
	return string(out)
}

// value redacts every string inside a decoded JSON value.
func (r *redaction) value(v any) any {
	switch t := v.(type) {
	case string:
		return r.text(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = r.value(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.value(x)
		}
		return out
	default:
		return v
	}
}

// account adds the redactions made (every non-Known finding of pass 1, every
// finding of pass 2); either may be nil.
func (r *redaction) account(c1, c2 *pii.Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c1 != nil {
		for t := range pii.NumTypes {
			if !isKnownType(pii.Type(t)) {
				r.counts[t] += c1[t]
				r.changed += c1[t]
			}
		}
	}
	if c2 != nil {
		r.counts[pii.TypeKnownName] += c2.Total()
		r.changed += c2.Total()
	}
}

// countsSnapshot returns the redactions made so far per type.
func (r *redaction) countsSnapshot() pii.Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts
}

// total is the number of values redacted so far.
func (r *redaction) total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// htmlText renders an HTML fragment as plain text: text nodes in order, a line
// break for block elements and <br>, scripts and styles dropped.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b bytes.Buffer
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlankLines(b.String()))
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre":
				b.WriteByte('\n')
			}
		}
	}
}

func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
