package intercom

import (
	"encoding/json"
	"fmt"
)

// Search limits Intercom enforces; the client refuses a query that breaks them before
// sending it.
const (
	// MaxQueryNesting is the deepest nesting of AND/OR groups Intercom accepts.
	MaxQueryNesting = 2
	// MaxFiltersPerGroup is the most filters one AND/OR group may hold.
	MaxFiltersPerGroup = 15
)

// Query is a search query: a single filter (from Field) or an AND/OR group of queries.
// Build it with Field, And and Or; validate it with ValidateQuery (the search methods do).
type Query interface {
	json.Marshaler
	// depth returns the number of nested groups, counting this one.
	depth() int
	validate() error
}

// FieldRef names a searchable field, for example "email", "external_id",
// "custom_attributes.plan" or "contact_ids".
type FieldRef struct{ name string }

// Field starts a filter on the named field.
func Field(name string) FieldRef { return FieldRef{name: name} }

// Filter compares a field with a value.
type Filter struct {
	Field    string
	Operator string
	Value    any
}

func (f FieldRef) op(op string, v any) Filter { return Filter{Field: f.name, Operator: op, Value: v} }

// Eq matches field = v.
func (f FieldRef) Eq(v any) Filter { return f.op("=", v) }

// Ne matches field != v.
func (f FieldRef) Ne(v any) Filter { return f.op("!=", v) }

// In matches a field equal to one of vs.
func (f FieldRef) In(vs ...any) Filter { return f.op("IN", vs) }

// NotIn matches a field equal to none of vs.
func (f FieldRef) NotIn(vs ...any) Filter { return f.op("NIN", vs) }

// Gt matches field > v (for dates: from the next day on).
func (f FieldRef) Gt(v any) Filter { return f.op(">", v) }

// Lt matches field < v (for dates: before the start of that day).
func (f FieldRef) Lt(v any) Filter { return f.op("<", v) }

// Contains matches a field containing v (operator ~).
func (f FieldRef) Contains(v string) Filter { return f.op("~", v) }

// NotContains matches a field not containing v (operator !~).
func (f FieldRef) NotContains(v string) Filter { return f.op("!~", v) }

// StartsWith matches a field starting with v (operator ^).
func (f FieldRef) StartsWith(v string) Filter { return f.op("^", v) }

// EndsWith matches a field ending with v (operator $).
func (f FieldRef) EndsWith(v string) Filter { return f.op("$", v) }

var validOps = map[string]bool{
	"=": true, "!=": true, "IN": true, "NIN": true, "<": true, ">": true, "<=": true, ">=": true,
	"~": true, "!~": true, "^": true, "$": true,
}

func (f Filter) depth() int { return 0 }

func (f Filter) validate() error {
	if f.Field == "" {
		return fmt.Errorf("%w: search filter without a field", ErrValidation)
	}
	if !validOps[f.Operator] {
		return fmt.Errorf("%w: search filter on %q: unknown operator %q", ErrValidation, f.Field, f.Operator)
	}
	switch f.Value.(type) {
	case []any:
		if f.Operator != "IN" && f.Operator != "NIN" {
			return fmt.Errorf("%w: search filter on %q: a list value needs IN or NIN", ErrValidation, f.Field)
		}
	default:
		if f.Operator == "IN" || f.Operator == "NIN" {
			return fmt.Errorf("%w: search filter on %q: %s needs a list value", ErrValidation, f.Field, f.Operator)
		}
	}
	return nil
}

// MarshalJSON encodes {"field", "operator", "value"}.
func (f Filter) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Field    string `json:"field"`
		Operator string `json:"operator"`
		Value    any    `json:"value"`
	}{f.Field, f.Operator, f.Value})
}

// Group combines queries with AND or OR.
type Group struct {
	Operator string
	Value    []Query
}

// And matches when all queries match.
func And(qs ...Query) Group { return Group{Operator: "AND", Value: qs} }

// Or matches when any query matches.
func Or(qs ...Query) Group { return Group{Operator: "OR", Value: qs} }

func (g Group) depth() int {
	d := 0
	for _, q := range g.Value {
		if q != nil {
			d = max(d, q.depth())
		}
	}
	return d + 1
}

func (g Group) validate() error {
	if g.Operator != "AND" && g.Operator != "OR" {
		return fmt.Errorf("%w: search group operator %q is not AND or OR", ErrValidation, g.Operator)
	}
	if len(g.Value) == 0 {
		return fmt.Errorf("%w: empty %s search group", ErrValidation, g.Operator)
	}
	filters := 0
	for _, q := range g.Value {
		if q == nil {
			return fmt.Errorf("%w: nil query in a %s search group", ErrValidation, g.Operator)
		}
		if _, ok := q.(Filter); ok {
			filters++
		}
		if err := q.validate(); err != nil {
			return err
		}
	}
	if filters > MaxFiltersPerGroup {
		return fmt.Errorf("%w: a %s search group holds %d filters; Intercom accepts at most %d", ErrValidation, g.Operator, filters, MaxFiltersPerGroup)
	}
	return nil
}

// MarshalJSON encodes {"operator", "value": [...]}. Intercom's description lets a
// group hold either filters or groups, not both (multiple_filter_search_request), so a
// group mixing them is sent with its filters wrapped in one group of the same operator:
// AND[a, OR[b, c]] is sent as AND[AND[a], OR[b, c]], which means the same and adds no
// nesting level (the sibling group is at least as deep).
func (g Group) MarshalJSON() ([]byte, error) {
	var filters, groups []Query
	for _, q := range g.Value {
		if _, ok := q.(Filter); ok {
			filters = append(filters, q)
		} else {
			groups = append(groups, q)
		}
	}
	value := g.Value
	if len(filters) > 0 && len(groups) > 0 {
		value = append([]Query{Group{Operator: g.Operator, Value: filters}}, groups...)
	}
	return json.Marshal(struct {
		Operator string  `json:"operator"`
		Value    []Query `json:"value"`
	}{g.Operator, value})
}

// ValidateQuery checks the limits Intercom enforces on searches: at most 2 levels of
// nested groups, at most 15 filters per group, known operators, list values only with
// IN and NIN. Errors match ErrValidation.
func ValidateQuery(q Query) error {
	if q == nil {
		return fmt.Errorf("%w: empty search query", ErrValidation)
	}
	if d := q.depth(); d > MaxQueryNesting {
		return fmt.Errorf("%w: search query nests %d levels of groups; Intercom accepts at most %d", ErrValidation, d, MaxQueryNesting)
	}
	return q.validate()
}
