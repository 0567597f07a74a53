package openapispec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// Example is one JSON example of a response, as the description gives it.
type Example struct {
	// Status is the documented HTTP status ("default" responses are skipped).
	Status int
	// Name is the example's name in the description ("" for a media type's single
	// example).
	Name string
	// Body is the example encoded as JSON.
	Body []byte
}

// ResponseExamples returns the application/json examples of every documented
// response of the operation (method and the description's path template, e.g.
// /contacts/{contact_id}), sorted by status and name. kin-openapi has resolved their
// references when the description was loaded.
func (s *Spec) ResponseExamples(method, path string) ([]Example, error) {
	item := s.Doc.Paths.Find(path)
	if item == nil {
		return nil, fmt.Errorf("openapispec: no path %s in the description", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		return nil, fmt.Errorf("openapispec: no operation %s %s in the description", method, path)
	}
	var out []Example
	for code, ref := range op.Responses.Map() {
		status, err := strconv.Atoi(code)
		if err != nil || ref == nil || ref.Value == nil {
			continue
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil {
			continue
		}
		add := func(name string, v any) error {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("openapispec: example %q of %s %s %d: %w", name, method, path, status, err)
			}
			out = append(out, Example{Status: status, Name: name, Body: b})
			return nil
		}
		if mt.Example != nil {
			if err := add("", mt.Example); err != nil {
				return nil, err
			}
		}
		for name, ex := range mt.Examples {
			if ex == nil || ex.Value == nil || ex.Value.Value == nil {
				continue
			}
			if err := add(name, ex.Value.Value); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Status != out[j].Status {
			return out[i].Status < out[j].Status
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// maxSynthDepth bounds the recursion of SchemaExample (the description's schemas
// refer to each other in cycles).
const maxSynthDepth = 8

// SchemaExample builds a JSON response for the operation's status from its schema,
// as a mock server driven by the description does: each value is the schema's own
// example where it has one (so property examples such as the event summary's last,
// with its trailing space, are used as written), otherwise a value of the declared
// type; objects get every declared property, arrays one item, allOf is merged and
// oneOf/anyOf take their first branch. ok is false when the response has no JSON
// schema.
func (s *Spec) SchemaExample(method, path string, status int) (body []byte, ok bool, err error) {
	item := s.Doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		return nil, false, fmt.Errorf("openapispec: no operation %s %s in the description", method, path)
	}
	ref := item.GetOperation(method).Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil, false, nil
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, false, nil
	}
	b, err := json.Marshal(synth(mt.Schema.Value, 0))
	if err != nil {
		return nil, false, fmt.Errorf("openapispec: schema example of %s %s %d: %w", method, path, status, err)
	}
	return b, true, nil
}

func synth(s *openapi3.Schema, depth int) any {
	if s == nil || depth > maxSynthDepth {
		return nil
	}
	if s.Example != nil {
		return s.Example
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, sub := range s.AllOf {
			if m, ok := synth(sub.Value, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		for k, p := range s.Properties {
			out[k] = synth(p.Value, depth+1)
		}
		return out
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) > 0 && alts[0].Value != nil {
			return synth(alts[0].Value, depth+1)
		}
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type.Is("object") || (s.Type == nil && len(s.Properties) > 0):
		out := map[string]any{}
		for k, p := range s.Properties {
			if p.Value != nil {
				out[k] = synth(p.Value, depth+1)
			}
		}
		return out
	case s.Type.Is("array"):
		if s.Items == nil || s.Items.Value == nil || depth >= maxSynthDepth {
			return []any{}
		}
		return []any{synth(s.Items.Value, depth+1)}
	case s.Type.Is("string"):
		return "x"
	case s.Type.Is("integer"):
		return 1
	case s.Type.Is("number"):
		return 1.5
	case s.Type.Is("boolean"):
		return true
	}
	return nil
}
