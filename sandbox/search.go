package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Search grammar limits (intercom-api-notes.md §5).
const (
	maxNesting      = 2  // levels of AND/OR groups
	maxGroupFilters = 15 // filters (or groups) per group
	maxBodyBytes    = 1 << 20
)

// searchError reports a search body the sandbox refuses, with Intercom's error code.
// Its message names fields and operators, never the values searched for.
type searchError struct {
	Code    string // parameter_invalid, invalid_sort_order, ...
	Message string
}

// Error implements error.
func (e *searchError) Error() string { return "sandbox: search: " + e.Code + ": " + e.Message }

func searchErr(code, format string, args ...any) *searchError {
	return &searchError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// value is a decoded filter value or a field's value.
type value struct {
	kind byte // 's' string, 'n' number, 'b' bool, 'z' null
	s    string
	n    int64
}

// fieldKind says how a field compares.
type fieldKind int

const (
	kString fieldKind = iota
	kNumber
	kDate
	kBool
	kIDs   // multi-valued id fields: tag_id, segment_id, contact_ids, ...
	kWords // free text matched by whole words with "="
)

// dateRules says which operators a resource allows on dates, and whether > and < include
// the day given ("or equal", as conversation search documents).
type dateRules struct {
	orEqual   bool
	allowGeLe bool
}

type fieldSpec[T any] struct {
	kind fieldKind
	get  func(T) []value
}

// filter is a parsed query node: a single filter or an AND/OR group.
type filter struct {
	op       string // operator; for groups "AND" or "OR"
	field    string
	val      value
	list     []value // IN / NIN
	children []*filter
}

// searchRequest is a parsed search body.
type searchRequest struct {
	query     *filter
	perPage   int
	cursor    string
	sortField string
	desc      bool
}

type rawSearch struct {
	Query      json.RawMessage `json:"query"`
	Pagination *struct {
		PerPage       json.RawMessage `json:"per_page"`
		StartingAfter *string         `json:"starting_after"`
	} `json:"pagination"`
	Sort *struct {
		Field string `json:"field"`
		Order string `json:"order"`
	} `json:"sort"`
}

// parseSearch parses and checks a search body against the fields of one resource.
func parseSearch[T any](body []byte, fields map[string]fieldSpec[T], dr dateRules, defPerPage int) (*searchRequest, error) {
	var raw rawSearch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, searchErr("parameter_invalid", "the request body is not a valid search (JSON object expected)")
	}
	if len(bytes.TrimSpace(raw.Query)) == 0 || bytes.Equal(bytes.TrimSpace(raw.Query), []byte("null")) {
		return nil, searchErr("parameter_not_found", "query is required")
	}
	q, err := parseFilter(raw.Query, 0, fields, dr)
	if err != nil {
		return nil, err
	}
	sr := &searchRequest{query: q, perPage: defPerPage}
	if p := raw.Pagination; p != nil {
		if len(p.PerPage) > 0 && string(p.PerPage) != "null" {
			n, err := parsePerPage(strings.Trim(string(p.PerPage), `"`))
			if err != nil {
				return nil, err
			}
			sr.perPage = n
		}
		if p.StartingAfter != nil {
			sr.cursor = *p.StartingAfter
		}
	}
	if s := raw.Sort; s != nil {
		switch s.Order {
		case "", "ascending":
		case "descending":
			sr.desc = true
		default:
			return nil, searchErr("invalid_sort_order", "Must be one of: ascending, descending")
		}
		if s.Field != "" {
			f, ok := fields[s.Field]
			if !ok || f.kind == kIDs || f.kind == kWords {
				return nil, searchErr("parameter_invalid", "sort field %q is not sortable", safeName(s.Field))
			}
			sr.sortField = s.Field
		}
	}
	return sr, nil
}

// safeName returns a field name for an error message, or a placeholder when it does not
// look like a field name (so no searched value can leak through it).
func safeName(s string) string {
	if len(s) > 64 {
		return "(field)"
	}
	for _, c := range s {
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "(field)"
		}
	}
	return s
}

// perPageMessage is the error message for a per_page that is not a valid page size.
const perPageMessage = "per_page must be an integer between 1 and 150"

// parsePerPage applies Intercom's page-size rule: at least 1, at most 150 (larger
// values are capped).
func parsePerPage(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, searchErr("parameter_invalid", perPageMessage)
	}
	return min(n, 150), nil
}

// queryPerPage reads the per_page query parameter of a GET list (def when absent),
// answering the error itself and returning ok=false when it is not a valid page size.
func queryPerPage(w http.ResponseWriter, r *http.Request, q url.Values, def int) (int, bool) {
	v := q.Get("per_page")
	if v == "" {
		return def, true
	}
	n, err := parsePerPage(v)
	if err != nil {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", perPageMessage, "per_page")
		return 0, false
	}
	return n, true
}

type rawFilter struct {
	Field    *string         `json:"field"`
	Operator *string         `json:"operator"`
	Value    json.RawMessage `json:"value"`
}

func parseFilter[T any](raw json.RawMessage, depth int, fields map[string]fieldSpec[T], dr dateRules) (*filter, error) {
	var rf rawFilter
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&rf); err != nil {
		return nil, searchErr("parameter_invalid", "each query node must be an object with field, operator and value")
	}
	if rf.Operator == nil {
		return nil, searchErr("parameter_not_found", "operator is required in every query node")
	}
	op := *rf.Operator
	if rf.Field == nil { // a group
		if op != "AND" && op != "OR" {
			return nil, searchErr("parameter_invalid", "a group's operator must be AND or OR")
		}
		if depth >= maxNesting {
			return nil, searchErr("parameter_invalid", "queries can be nested at most %d levels deep", maxNesting)
		}
		var kids []json.RawMessage
		if err := json.Unmarshal(rf.Value, &kids); err != nil || len(kids) == 0 {
			return nil, searchErr("parameter_invalid", "a group's value must be a non-empty array of filters")
		}
		if len(kids) > maxGroupFilters {
			return nil, searchErr("parameter_invalid", "a group can hold at most %d filters", maxGroupFilters)
		}
		g := &filter{op: op}
		for _, k := range kids {
			c, err := parseFilter(k, depth+1, fields, dr)
			if err != nil {
				return nil, err
			}
			g.children = append(g.children, c)
		}
		return g, nil
	}
	name := *rf.Field
	spec, ok := fields[name]
	if !ok && strings.HasPrefix(name, "custom_attributes.") {
		spec, ok = fields["custom_attributes.*"]
	}
	if !ok {
		return nil, searchErr("parameter_invalid", "%s is not a searchable field", safeName(name))
	}
	if !operatorAllowed(spec.kind, op, dr) {
		return nil, searchErr("parameter_invalid", "operator %s is not supported on field %s", safeOp(op), safeName(name))
	}
	f := &filter{op: op, field: name}
	if op == "IN" || op == "NIN" {
		var items []json.RawMessage
		if err := json.Unmarshal(rf.Value, &items); err != nil {
			return nil, searchErr("parameter_invalid", "operator %s needs an array value on field %s", op, safeName(name))
		}
		for _, it := range items {
			v, err := decodeValue(it, spec.kind, name)
			if err != nil {
				return nil, err
			}
			f.list = append(f.list, v)
		}
		return f, nil
	}
	v, err := decodeValue(rf.Value, spec.kind, name)
	if err != nil {
		return nil, err
	}
	f.val = v
	return f, nil
}

var knownOps = map[string]bool{"=": true, "!=": true, "IN": true, "NIN": true, "<": true, ">": true,
	"<=": true, ">=": true, "~": true, "!~": true, "^": true, "$": true}

func safeOp(op string) string {
	if knownOps[op] || op == "AND" || op == "OR" {
		return op
	}
	return "(unknown)"
}

func operatorAllowed(k fieldKind, op string, dr dateRules) bool {
	switch k {
	case kString:
		switch op {
		case "=", "!=", "IN", "NIN", "~", "!~", "^", "$":
			return true
		}
	case kWords:
		switch op {
		case "=", "!=", "~", "!~":
			return true
		}
	case kNumber:
		switch op {
		case "=", "!=", "IN", "NIN", "<", ">", "<=", ">=":
			return true
		}
	case kDate:
		switch op {
		case "=", "<", ">":
			return true
		case "<=", ">=":
			return dr.allowGeLe
		}
	case kBool:
		return op == "=" || op == "!="
	case kIDs:
		switch op {
		case "=", "!=", "IN", "NIN":
			return true
		}
	}
	return false
}

func decodeValue(raw json.RawMessage, k fieldKind, name string) (value, error) {
	var x any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(raw) == 0 {
		return value{kind: 'z'}, nil
	}
	if err := dec.Decode(&x); err != nil {
		return value{}, searchErr("parameter_invalid", "the value of field %s is not valid JSON", safeName(name))
	}
	switch t := x.(type) {
	case nil:
		return value{kind: 'z'}, nil
	case bool:
		if k != kBool {
			break
		}
		if t {
			return value{kind: 'b', n: 1}, nil
		}
		return value{kind: 'b'}, nil
	case json.Number:
		switch k {
		case kNumber, kDate:
			n, err := t.Int64()
			if err != nil {
				f, ferr := t.Float64()
				if ferr != nil {
					break
				}
				n = int64(f)
			}
			return value{kind: 'n', n: n}, nil
		case kString, kIDs, kWords:
			return value{kind: 's', s: t.String()}, nil
		}
	case string:
		switch k {
		case kString, kIDs, kWords:
			return value{kind: 's', s: t}, nil
		case kNumber, kDate:
			n, err := strconv.ParseInt(t, 10, 64)
			if err == nil {
				return value{kind: 'n', n: n}, nil
			}
		case kBool:
			switch t {
			case "true":
				return value{kind: 'b', n: 1}, nil
			case "false":
				return value{kind: 'b'}, nil
			}
		}
	}
	return value{}, searchErr("parameter_invalid", "the value of field %s has the wrong type", safeName(name))
}

// match evaluates f against obj.
func match[T any](f *filter, obj T, fields map[string]fieldSpec[T], dr dateRules) bool {
	switch f.op {
	case "AND":
		for _, c := range f.children {
			if !match(c, obj, fields, dr) {
				return false
			}
		}
		return true
	case "OR":
		for _, c := range f.children {
			if match(c, obj, fields, dr) {
				return true
			}
		}
		return false
	}
	spec, ok := fields[f.field]
	var vals []value
	if !ok {
		spec = fields["custom_attributes.*"]
		vals = customAttr(obj, strings.TrimPrefix(f.field, "custom_attributes."))
	} else {
		vals = spec.get(obj)
	}
	switch f.op {
	case "!=", "!~":
		return !matchAny(spec.kind, positive(f.op), f.val, vals, dr)
	case "IN":
		for _, v := range f.list {
			if matchAny(spec.kind, "=", v, vals, dr) {
				return true
			}
		}
		return false
	case "NIN":
		for _, v := range f.list {
			if matchAny(spec.kind, "=", v, vals, dr) {
				return false
			}
		}
		return true
	}
	return matchAny(spec.kind, f.op, f.val, vals, dr)
}

// customAttr is resolved through an interface the contact type implements.
func customAttr[T any](obj T, name string) []value {
	if ca, ok := any(obj).(interface{ customAttr(string) []value }); ok {
		return ca.customAttr(name)
	}
	return nil
}

func positive(op string) string {
	if op == "!=" {
		return "="
	}
	return "~"
}

func matchAny(k fieldKind, op string, want value, have []value, dr dateRules) bool {
	if want.kind == 'z' {
		empty := len(have) == 0 || (len(have) == 1 && have[0].kind == 'z')
		return op == "=" && empty
	}
	for _, h := range have {
		if h.kind != 'z' && matchOne(k, op, want, h, dr) {
			return true
		}
	}
	return false
}

func matchOne(k fieldKind, op string, want, have value, dr dateRules) bool {
	switch k {
	case kDate:
		start := floorDay(want.n)
		end := start + day
		switch op {
		case "=":
			return have.n >= start && have.n < end
		case ">":
			if dr.orEqual {
				return have.n >= start
			}
			return have.n >= end
		case "<":
			if dr.orEqual {
				return have.n < end
			}
			return have.n < start
		case ">=":
			return have.n >= start
		case "<=":
			return have.n < end
		}
	case kNumber, kBool:
		switch op {
		case "=":
			return have.n == want.n
		case "<":
			return have.n < want.n
		case ">":
			return have.n > want.n
		case "<=":
			return have.n <= want.n
		case ">=":
			return have.n >= want.n
		}
	case kIDs:
		return op == "=" && have.s == want.s
	case kWords:
		text := strings.ToLower(stripTags(have.s))
		w := strings.ToLower(want.s)
		switch op {
		case "=":
			for _, word := range strings.FieldsFunc(text, notWordRune) {
				if word == w {
					return true
				}
			}
			return false
		case "~":
			return strings.Contains(text, w)
		}
	case kString:
		h, w := strings.ToLower(have.s), strings.ToLower(want.s)
		switch op {
		case "=":
			return h == w
		case "~":
			return strings.Contains(h, w)
		case "^":
			return strings.HasPrefix(h, w)
		case "$":
			return strings.HasSuffix(h, w)
		}
	}
	return false
}

func floorDay(t int64) int64 {
	d := t / day * day
	if t < 0 && t%day != 0 {
		d -= day
	}
	return d
}

func notWordRune(r rune) bool {
	return !(r == '\'' || r == '-' || r == '@' || r == '.' || r >= '0' && r <= '9' ||
		r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127)
}

// stripTags removes HTML tags (for matching text inside bodies).
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
			b.WriteByte(' ')
		case c == '>':
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func str(s string) []value {
	if s == "" {
		return []value{{kind: 'z'}}
	}
	return []value{{kind: 's', s: s}}
}

func num(n int64) []value { return []value{{kind: 'n', n: n}} }

func date(n int64) []value {
	if n == 0 {
		return []value{{kind: 'z'}}
	}
	return []value{{kind: 'n', n: n}}
}

func boolean(b bool) []value {
	if b {
		return []value{{kind: 'b', n: 1}}
	}
	return []value{{kind: 'b'}}
}

func ids(xs []string) []value {
	out := make([]value, len(xs))
	for i, x := range xs {
		out[i] = value{kind: 's', s: x}
	}
	return out
}

// indexedValues reports the values a query requires field to equal: the query is
// field = v, field IN [...], or an AND group with such a filter among its children.
// Only then can a search scan an index instead of every object.
func indexedValues(f *filter, field string) ([]string, bool) {
	switch {
	case f.field == field && f.op == "=" && f.val.kind == 's':
		return []string{f.val.s}, true
	case f.field == field && f.op == "IN":
		out := make([]string, 0, len(f.list))
		for _, v := range f.list {
			if v.kind != 's' {
				return nil, false
			}
			out = append(out, v.s)
		}
		return out, true
	case f.op == "AND":
		for _, c := range f.children {
			if v, ok := indexedValues(c, field); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// matching returns the stored objects (those still in byID) that match q. When q
// requires contact_ids (the usual DSAR query, contact_ids = X), only the objects
// byContact names for those contacts are tested; otherwise every object of order.
// The caller holds the read lock and sorts the result.
func matching[T any](q *filter, fields map[string]fieldSpec[T], dr dateRules, byID map[string]T, order []T,
	byContact map[string][]string, id func(T) string) []T {
	var items []T
	if contacts, ok := indexedValues(q, "contact_ids"); ok {
		seen := map[string]bool{}
		for _, cid := range contacts {
			for _, oid := range byContact[cid] {
				if x, ok := byID[oid]; ok && !seen[oid] && match(q, x, fields, dr) {
					seen[oid] = true
					items = append(items, x)
				}
			}
		}
		return items
	}
	for _, x := range order {
		if _, ok := byID[id(x)]; ok && match(q, x, fields, dr) {
			items = append(items, x)
		}
	}
	return items
}

// readSearch reads and parses a search request body and its body cursor (kind names
// the search the cursor must belong to), answering the error itself when it fails.
func readSearch[T any](w http.ResponseWriter, r *http.Request, fields map[string]fieldSpec[T], dr dateRules, defPerPage int, kind string) (*searchRequest, *cursor, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, nil, false
	}
	sr, err := parseSearch(body, fields, dr, defPerPage)
	if err != nil {
		writeSearchError(w, r, err)
		return nil, nil, false
	}
	if sr.cursor == "" {
		return sr, nil, true
	}
	c, err := decodeCursor(sr.cursor, kind)
	if err != nil {
		writeSearchError(w, r, err)
		return nil, nil, false
	}
	return sr, &c, true
}
