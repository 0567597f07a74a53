package sandbox

import (
	"errors"
	"strings"
	"testing"
)

// TestFixturesFile starts a sandbox with testdata/fixtures.json and reads the
// fixture person back through the API (answers validated against the description).
func TestFixturesFile(t *testing.T) {
	f, err := LoadFixtures("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{Seed: 7, Contacts: 50, Fixtures: f})
	var found struct {
		Data []struct {
			ID               string         `json:"id"`
			Role             string         `json:"role"`
			CustomAttributes map[string]any `json:"custom_attributes"`
		} `json:"data"`
	}
	e.want(e.do("POST", "/contacts/search", `{"query":{"field":"email","operator":"=","value":"dana.whitfield@example.org"}}`), 200).json(t, &found)
	if len(found.Data) != 2 {
		t.Fatalf("%d contacts share the fixture email, want a user and a lead", len(found.Data))
	}
	var user string
	for _, c := range found.Data {
		if c.Role == "user" {
			user = c.ID
			if c.CustomAttributes["ssn"] != "078-05-1120" || c.CustomAttributes["seats"] != float64(12) {
				t.Errorf("custom attributes %v", c.CustomAttributes)
			}
		}
	}
	var convs struct {
		Conversations []struct {
			ID string `json:"id"`
		} `json:"conversations"`
	}
	e.want(e.do("POST", "/conversations/search", `{"query":{"field":"contact_ids","operator":"=","value":"`+user+`"}}`), 200).json(t, &convs)
	if len(convs.Conversations) != 1 {
		t.Fatalf("conversations %v", convs)
	}
	cv, _ := e.s.Workspace().Conversation(convs.Conversations[0].ID)
	if !strings.Contains(cv.Source.Body, "4111 1111 1111 1111") || len(cv.Parts) != 3 || cv.Parts[1].PartType != "note" {
		t.Errorf("conversation %+v", cv)
	}
	if n := e.s.Workspace().Notes(user); len(n) != 1 {
		t.Errorf("notes %v", n)
	}
	if len(e.s.Stats().Effects) != 0 {
		t.Errorf("fixtures counted effects: %v", e.s.Stats().Effects)
	}
}

// TestFixtureErrors: each bad file is refused with a FixtureError naming the entry,
// and no message quotes a value of the file.
func TestFixtureErrors(t *testing.T) {
	for _, tc := range []struct{ doc, path string }{
		{`{"contacts":[{"email":"secret@example.org","custom_attributes":{"ssn":"078-05-1120"}}]}`, "contacts[0]"},
		{`{"contacts":[{"email":"secret@example.org","rol":"user"}]}`, ""},
		{`{"contacts":[{"role":"boss","email":"secret@example.org"}]}`, "contacts[0].role"},
		{`{"contacts":[{"role":"lead","external_id":"secret-1"}]}`, "contacts[0].external_id"},
		{`{"contacts":[{"name":"Secret Name"}]}`, "contacts[0]"},
		{`{"contacts":[{"email":"secret@example.org","tags":["no such tag"]}]}`, "contacts[0].tags[0]"},
		{`{"contacts":[{"ref":"a","email":"secret@example.org"},{"ref":"a","email":"secret2@example.org"}]}`, "contacts[1].ref"},
		{`{"contacts":[{"email":"secret@example.org"},{"email":"SECRET@example.org"}]}`, "contacts[1]"},
		{`{"conversations":[{"contact":"nobody","body":"secret body"}]}`, "conversations[0].contact"},
		{`{"conversations":[{"contact":"x","body":"secret body","parts":[{"author":"contact","type":"note","body":"secret"}]}]}`, "conversations[0].parts[0].type"},
		{`{"data_attributes":[{"name":"a/b"}]}`, "data_attributes[0].name"},
		{`{"data_attributes":[{"name":"plan"}]}`, "data_attributes[0].name"},
		{`{"data_attributes":[{"name":"x","data_type":"secret"}]}`, "data_attributes[0].data_type"},
		{`{"contacts":[{"email":"secret@example.org","created_at":"secret"}]}`, ""},
		{`{"contacts":[{"email":"secret@example.org"}]} {}`, ""},
		{`{"contacts":[`, ""},
		{``, ""},
	} {
		f, err := ParseFixtures(strings.NewReader(tc.doc))
		if err == nil {
			_, err = New(Options{Seed: 1, Contacts: 10, Fixtures: f})
		}
		var fe *FixtureError
		if !errors.Is(err, ErrInvalidFixtures) || !errors.As(err, &fe) {
			t.Errorf("%s: error %v, want a FixtureError", tc.doc, err)
			continue
		}
		if fe.Path != tc.path {
			t.Errorf("%s: path %q, want %q (%v)", tc.doc, fe.Path, tc.path, err)
		}
		if strings.Contains(strings.ToLower(err.Error()), "secret") || strings.Contains(err.Error(), "078-05") {
			t.Errorf("%s: the error quotes the file: %v", tc.doc, err)
		}
	}
}

func FuzzFixtures(f *testing.F) {
	for _, s := range []string{`{}`, `{"contacts":[{"email":"a@b","custom_attributes":{"plan":"x"}}]}`,
		`{"data_attributes":[{"name":"n","data_type":"integer"}],"contacts":[{"ref":"r","role":"lead","email":"a@b","custom_attributes":{"n":"1"}}],"conversations":[{"contact":"r","body":"b","parts":[{"author":"admin","type":"note","body":"x"}]}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		fx, err := ParseFixtures(strings.NewReader(doc))
		if err != nil {
			if !errors.Is(err, ErrInvalidFixtures) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(fx.Contacts)+len(fx.Conversations)+len(fx.DataAttributes) > 50 {
			return // keep each run small
		}
		s, err := New(Options{Seed: 1, Contacts: 5, ContactsOnly: true, Fixtures: fx})
		if err != nil {
			if !errors.Is(err, ErrInvalidFixtures) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if got := len(s.Workspace().Contacts()); got < 5+1+len(fx.Contacts) {
			t.Fatalf("%d contacts after adding %d", got, len(fx.Contacts))
		}
	})
}
