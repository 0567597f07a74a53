package openapispec

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// Defect is a place where Intercom's description is wrong about the live API, which
// the project's deviation tables work around. Present reports whether the description
// still says it; TestDefectsStillPresent fails for an entry the description no longer
// needs, so the workaround can go.
type Defect struct {
	Name   string
	Reason string
	// Present reports whether doc still has the defect.
	Present func(doc *openapi3.T) bool
}

func operation(doc *openapi3.T, method, path string) *openapi3.Operation {
	item := doc.Paths.Find(path)
	if item == nil {
		return nil
	}
	return item.GetOperation(method)
}

func paramType(op *openapi3.Operation, in, name string) string {
	if op == nil {
		return ""
	}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == in && p.Value.Name == name && p.Value.Schema != nil && p.Value.Schema.Value != nil &&
			p.Value.Schema.Value.Type != nil && len(*p.Value.Schema.Value.Type) == 1 {
			return (*p.Value.Schema.Value.Type)[0]
		}
	}
	return ""
}

// Defects lists the description's known defects.
var Defects = []Defect{
	{Name: "events-filter-oneof",
		Reason: "GET /events declares user_id, intercom_user_id and email only inside one oneOf object parameter (filter), which no client sends and kin-openapi cannot decode; they are plain query parameters (intercom-api-notes.md §9)",
		Present: func(doc *openapi3.T) bool {
			op := operation(doc, "GET", "/events")
			if op == nil {
				return false
			}
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.In != "query" {
					continue
				}
				switch p.Value.Name {
				case "user_id", "intercom_user_id", "email":
					return false // declared as plain parameters: fixed
				}
			}
			return true
		}},
	{Name: "conversation-id-integer",
		Reason: "GET /conversations/{conversation_id} types the path id as an integer; Intercom's ids are strings of digits and the client sends them as strings (the sandbox's are digits, so both validate)",
		Present: func(doc *openapi3.T) bool {
			return paramType(operation(doc, "GET", "/conversations/{conversation_id}"), "path", "conversation_id") == "integer"
		}},
	{Name: "note-contact-id-integer",
		Reason: "POST /contacts/{contact_id}/notes types the contact id as an integer; contact ids are 24-character hex strings (intercom's request deviation table)",
		Present: func(doc *openapi3.T) bool {
			return paramType(operation(doc, "POST", "/contacts/{contact_id}/notes"), "path", "contact_id") == "integer"
		}},
	{Name: "addressable-type-uri",
		Reason: "addressable_list.type (the type of an inline tag, note or company reference, e.g. \"note\") is declared format: uri; a strict validator would refuse every contact",
		Present: func(doc *openapi3.T) bool {
			s := doc.Components.Schemas["addressable_list"]
			if s == nil || s.Value == nil {
				return false
			}
			t := s.Value.Properties["type"]
			return t != nil && t.Value != nil && t.Value.Format == "uri"
		}},
	{Name: "update-contact-no-404",
		Reason: "PUT /contacts/{contact_id} documents no 404, which Intercom answers for an unknown or archived contact (the sandbox's contact-update-404 deviation)",
		Present: func(doc *openapi3.T) bool {
			op := operation(doc, "PUT", "/contacts/{contact_id}")
			return op != nil && op.Responses.Value("404") == nil
		}},
}
