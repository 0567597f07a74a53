package classify

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// specPath is Intercom's OpenAPI description, kept next to the repository.
var specPath = filepath.Join("..", "..", "shared", "intercom-openapi", "api.intercom.io.yaml")

// specRoots are the schemas of the OpenAPI description the table must
// cover, with the kind that classifies each.
var specRoots = map[string]ObjectKind{
	"contact":                    KindContact,
	"company":                    KindCompany,
	"conversation":               KindConversation,
	"conversation_part":          KindConversationPart,
	"conversation_source":        KindSource,
	"conversation_part_author":   KindAuthor,
	"conversation_source_author": KindAuthor,
	"ticket_part_author":         KindAuthor,
	"note":                       KindNote,
	"company_note":               KindNote,
	"tag":                        KindTag,
	"segment":                    KindSegment,
	"subscription_type":          KindSubscription,
	"ticket":                     KindTicket,
	"ticket_part":                KindTicketPart,
	"ticket_type":                KindTicketType,
	"ticket_state":               KindTicketState,
	"data_event":                 KindDataEvent,
	"data_export_csv":            KindDataExportCSV,
	"admin":                      KindAdmin,
	"contact_reference":          KindContactReference,
	"part_attachment":            KindAttachment,
	"email_address_header":       KindEmailHeader,
}

// TestTableCoversOpenAPI fails when a property of one of the covered
// schemas (followed through $refs, arrays and allOf/oneOf/anyOf, to a
// bounded depth) has no class in the table.
func TestTableCoversOpenAPI(t *testing.T) {
	if _, err := os.Stat(specPath); err != nil {
		t.Skipf("Intercom's OpenAPI description is not at %s (the shared reference directory is absent); skipping the coverage check", specPath)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("loading the OpenAPI description: %v", err)
	}
	var missing []string
	checked := 0
	for name, kind := range specRoots {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %q is not in the OpenAPI description", name)
			continue
		}
		props := map[string]bool{}
		collectProps("", s, 0, props)
		for p := range props {
			checked++
			if _, ok := Lookup(kind, p); !ok {
				missing = append(missing, name+": "+p)
			}
		}
	}
	t.Logf("checked %d properties", checked)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d properties have no class in the table:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	if checked < 300 {
		t.Errorf("only %d properties checked; the schema walk is broken", checked)
	}
}

// collectProps records the dotted paths of every property under s.
func collectProps(prefix string, s *openapi3.SchemaRef, depth int, out map[string]bool) {
	if s == nil || s.Value == nil || depth > 8 {
		return
	}
	v := s.Value
	for _, sub := range v.AllOf {
		collectProps(prefix, sub, depth+1, out)
	}
	for _, sub := range v.OneOf {
		collectProps(prefix, sub, depth+1, out)
	}
	for _, sub := range v.AnyOf {
		collectProps(prefix, sub, depth+1, out)
	}
	if v.Items != nil {
		collectProps(prefix, v.Items, depth+1, out)
	}
	for k, ps := range v.Properties {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out[p] = true
		collectProps(p, ps, depth+1, out)
	}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		kind  ObjectKind
		path  string
		class Class
		label Label
		ok    bool
	}{
		{KindContact, "email", ClassPII, LabelEmail, true},
		{KindContact, "id", ClassIdentifier, 0, true},
		{KindContact, "location.city", ClassPII, LabelLocation, true},
		{KindContact, "location.type", ClassSystem, 0, true},
		{KindContact, "created_at", ClassSystem, 0, true},
		{KindContact, "custom_attributes", ClassCustomAttribute, 0, true},
		{KindConversation, "source.author.email", ClassPII, LabelEmail, true},
		{KindConversation, "conversation_parts.conversation_parts.body", ClassContent, 0, true},
		{KindConversation, "source.subject", ClassContent, 0, true},
		{KindTicket, "contacts.contacts.external_id", ClassIdentifier, 0, true},
		{KindDataEvent, "metadata.order_note", ClassContent, 0, true},
		{KindContact, "no_such_field", ClassContent, 0, false},
	}
	for _, c := range cases {
		f, ok := Lookup(c.kind, c.path)
		if ok != c.ok || f.Class != c.class || (c.class == ClassPII && f.Label != c.label) {
			t.Errorf("Lookup(%s, %q) = %+v, %v; want class %s label %s, %v", c.kind, c.path, f, ok, c.class, c.label, c.ok)
		}
	}
	if len(Fields(KindContact)) < 40 {
		t.Errorf("Fields(KindContact) has %d rows", len(Fields(KindContact)))
	}
}

func TestParse(t *testing.T) {
	for c := Class(0); c < numClasses; c++ {
		if got, err := ParseClass(strings.ToUpper(c.String())); err != nil || got != c {
			t.Errorf("ParseClass(%s) = %v, %v", c, got, err)
		}
	}
	for l := Label(0); l < NumLabels; l++ {
		if got, err := ParseLabel(strings.ToLower(l.String())); err != nil || got != l {
			t.Errorf("ParseLabel(%s) = %v, %v", l, got, err)
		}
	}
	for _, k := range Kinds() {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%s) = %v, %v", k, got, err)
		}
	}
	if _, err := ParseClass("secretish"); !errors.Is(err, ErrUnknownClass) {
		t.Errorf("ParseClass: %v", err)
	}
	if _, err := ParseLabel("x"); !errors.Is(err, ErrUnknownLabel) {
		t.Errorf("ParseLabel: %v", err)
	}
	if _, err := ParseKind("x"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("ParseKind: %v", err)
	}
}
