package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Fixtures are objects added to a generated workspace when it is created, so a
// developer can start with the person whose case they want to try: a contact whose
// custom attributes hold a password or an SSN, a lead sharing a user's email, a
// conversation with a card number. They go through the same checks as Intercom's
// write endpoints (custom attributes must be defined, users are unique by email and
// external_id). Adding them counts no effect and sends no notification: they are the
// workspace's starting state.
type Fixtures struct {
	// DataAttributes are custom contact attributes to define first.
	DataAttributes []FixtureAttribute    `json:"data_attributes"`
	Contacts       []FixtureContact      `json:"contacts"`
	Conversations  []FixtureConversation `json:"conversations"`
}

// FixtureAttribute defines a custom attribute.
type FixtureAttribute struct {
	Name        string `json:"name"`
	Model       string `json:"model"`     // "contact" (default) or "company"
	DataType    string `json:"data_type"` // string (default), integer, float, boolean, date, datetime
	Description string `json:"description"`
}

// FixtureContact is a contact to add.
type FixtureContact struct {
	// Ref names the contact for the conversations of the file (it is not sent to
	// Intercom's API); conversations may also name a contact by id.
	Ref              string                     `json:"ref"`
	Role             string                     `json:"role"` // user (default) or lead
	ExternalID       string                     `json:"external_id"`
	Email            string                     `json:"email"`
	Phone            string                     `json:"phone"`
	Name             string                     `json:"name"`
	CustomAttributes map[string]json.RawMessage `json:"custom_attributes"`
	// Tags are names of the workspace's tags.
	Tags []string `json:"tags"`
	// Notes are note bodies (text or HTML) written by the first teammate.
	Notes  []string       `json:"notes"`
	Events []FixtureEvent `json:"events"`
	// Archived archives the contact after it is added.
	Archived bool `json:"archived"`
	// CreatedAt is the creation time in UNIX seconds (the workspace's now when 0).
	CreatedAt int64 `json:"created_at"`
}

// FixtureEvent is a data event of a fixture contact.
type FixtureEvent struct {
	Name      string            `json:"name"`
	CreatedAt int64             `json:"created_at"` // UNIX seconds; the workspace's now when 0
	Metadata  map[string]string `json:"metadata"`
}

// FixtureConversation is a conversation a contact opened.
type FixtureConversation struct {
	// Contact is the Ref of a fixture contact or the id of a generated one.
	Contact string `json:"contact"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Parts follow the opening message, oldest first.
	Parts     []FixturePart `json:"parts"`
	CreatedAt int64         `json:"created_at"`
}

// FixturePart is one reply in a fixture conversation.
type FixturePart struct {
	// Author is "contact" (the conversation's contact) or "admin" (the first
	// teammate).
	Author string `json:"author"`
	// Type is "comment" (default) or "note" (admins only).
	Type string `json:"type"`
	Body string `json:"body"`
}

// ErrInvalidFixtures is matched (errors.Is) by every error about a fixtures file.
var ErrInvalidFixtures = errors.New("sandbox: invalid fixtures")

// FixtureError reports what is wrong in a fixtures file, by the JSON path of the
// entry (contacts[2].custom_attributes.ssn), never by its value (fixtures hold
// personal data on purpose).
type FixtureError struct {
	Path   string
	Reason string
}

// Error implements error.
func (e *FixtureError) Error() string {
	if e.Path == "" {
		return "sandbox: fixtures: " + e.Reason
	}
	return "sandbox: fixtures: " + e.Path + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidFixtures) true.
func (e *FixtureError) Is(target error) bool { return target == ErrInvalidFixtures }

// MaxFixturesBytes bounds a fixtures file.
const MaxFixturesBytes = 16 << 20

// maxFixtureItems bounds each list of a fixtures file.
const maxFixtureItems = 10_000

// ParseFixtures reads a fixtures document (JSON; unknown fields are refused) and
// checks what can be checked without a workspace.
func ParseFixtures(r io.Reader) (*Fixtures, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFixturesBytes+1))
	if err != nil {
		return nil, &FixtureError{Reason: "reading: " + err.Error()}
	}
	if len(b) > MaxFixturesBytes {
		return nil, &FixtureError{Reason: fmt.Sprintf("larger than %d bytes", MaxFixturesBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Fixtures
	if err := dec.Decode(&f); err != nil {
		return nil, &FixtureError{Reason: describeDecode(err)}
	}
	if dec.More() {
		return nil, &FixtureError{Reason: "more than one JSON document"}
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

// LoadFixtures reads and checks the fixtures file at path.
func LoadFixtures(path string) (*Fixtures, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FixtureError{Reason: "opening the file: " + err.Error()}
	}
	defer fh.Close()
	return ParseFixtures(fh)
}

// describeDecode explains a JSON error by position and field, never by value.
func describeDecode(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: expected %s, got a JSON %s", te.Field, te.Type, strings.Fields(te.Value + " value")[0])
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated JSON"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "not a fixtures document"
}

func (f *Fixtures) check() error {
	bad := func(path, reason string) error { return &FixtureError{Path: path, Reason: reason} }
	if len(f.DataAttributes) > maxFixtureItems || len(f.Contacts) > maxFixtureItems || len(f.Conversations) > maxFixtureItems {
		return bad("", fmt.Sprintf("more than %d entries in a list", maxFixtureItems))
	}
	for i, a := range f.DataAttributes {
		p := fmt.Sprintf("data_attributes[%d]", i)
		if !validAttrName(a.Name) || strings.TrimSpace(a.Name) == "" {
			return bad(p+".name", "must be 1-190 letters, digits, spaces, hyphens, underscores or currency symbols")
		}
		if a.Model != "" && a.Model != "contact" && a.Model != "company" {
			return bad(p+".model", "must be contact or company")
		}
		if a.DataType != "" && (!dataTypes[a.DataType] || a.DataType == "options") {
			return bad(p+".data_type", "must be string, integer, float, boolean, date or datetime")
		}
	}
	refs := map[string]bool{}
	for i, c := range f.Contacts {
		p := fmt.Sprintf("contacts[%d]", i)
		switch {
		case c.Role != "" && c.Role != "user" && c.Role != "lead":
			return bad(p+".role", "must be user or lead")
		case c.Role == "lead" && c.ExternalID != "":
			return bad(p+".external_id", "a lead cannot have an external_id")
		case c.Email == "" && c.ExternalID == "" && c.Role == "":
			return bad(p, "needs an email, an external_id or a role")
		case c.CreatedAt < 0:
			return bad(p+".created_at", "must be UNIX seconds")
		case len(c.Notes) > maxFixtureItems || len(c.Events) > maxFixtureItems || len(c.Tags) > maxFixtureItems:
			return bad(p, fmt.Sprintf("more than %d entries in a list", maxFixtureItems))
		}
		if c.Ref != "" {
			if refs[c.Ref] {
				return bad(p+".ref", "used by an earlier contact")
			}
			refs[c.Ref] = true
		}
		for j, n := range c.Notes {
			if strings.TrimSpace(n) == "" {
				return bad(fmt.Sprintf("%s.notes[%d]", p, j), "is empty")
			}
		}
		for j, e := range c.Events {
			if strings.TrimSpace(e.Name) == "" {
				return bad(fmt.Sprintf("%s.events[%d].name", p, j), "is empty")
			}
			if e.CreatedAt < 0 {
				return bad(fmt.Sprintf("%s.events[%d].created_at", p, j), "must be UNIX seconds")
			}
		}
	}
	for i, cv := range f.Conversations {
		p := fmt.Sprintf("conversations[%d]", i)
		switch {
		case cv.Contact == "":
			return bad(p+".contact", "names no contact")
		case strings.TrimSpace(cv.Body) == "":
			return bad(p+".body", "is empty")
		case cv.CreatedAt < 0:
			return bad(p+".created_at", "must be UNIX seconds")
		case len(cv.Parts) > maxParts:
			return bad(p+".parts", fmt.Sprintf("more than %d parts", maxParts))
		}
		for j, pt := range cv.Parts {
			pp := fmt.Sprintf("%s.parts[%d]", p, j)
			switch {
			case pt.Author != "contact" && pt.Author != "admin":
				return bad(pp+".author", "must be contact or admin")
			case pt.Type != "" && pt.Type != "comment" && pt.Type != "note":
				return bad(pp+".type", "must be comment or note")
			case pt.Type == "note" && pt.Author != "admin":
				return bad(pp+".type", "only an admin writes notes")
			case strings.TrimSpace(pt.Body) == "":
				return bad(pp+".body", "is empty")
			}
		}
	}
	return nil
}

// addFixtures adds f to the workspace, as of now. The caller owns ws exclusively (New).
func (ws *Workspace) addFixtures(f *Fixtures, now int64) error {
	bad := func(path, reason string) error { return &FixtureError{Path: path, Reason: reason} }
	for i, a := range f.DataAttributes {
		model, dt := a.Model, a.DataType
		if model == "" {
			model = "contact"
		}
		if dt == "" {
			dt = "string"
		}
		if slices.ContainsFunc(ws.attrs, func(x *DataAttribute) bool { return strings.EqualFold(x.Name, a.Name) }) {
			return bad(fmt.Sprintf("data_attributes[%d].name", i), "the workspace already has an attribute of this name")
		}
		ws.defineAttribute(DataAttribute{Name: a.Name, Model: model, DataType: dt, Description: a.Description, Custom: true, CreatedAt: now})
	}
	g := &generator{w: ws, r: ws.rnd, now: now}
	refs := map[string]*Contact{}
	for i, fc := range f.Contacts {
		p := fmt.Sprintf("contacts[%d]", i)
		req := contactWrite{ExternalID: rawString(fc.ExternalID), Email: rawString(fc.Email), Phone: rawString(fc.Phone),
			Name: rawString(fc.Name), CustomAttributes: fc.CustomAttributes}
		if fc.Role != "" {
			req.Role = &fc.Role
		}
		created := fc.CreatedAt
		if created == 0 {
			created = now
		}
		c := &Contact{Role: "user", CreatedAt: created, UpdatedAt: max(created, now)}
		if wf := ws.apply(c, &req, true); wf != nil {
			reason := "refused"
			if wf.err.Message != nil {
				reason = *wf.err.Message
			}
			return bad(p, reason)
		}
		c.ID = g.contactID(created)
		if c.Role == "user" {
			c.SignedUpAt = created
		}
		for j, name := range fc.Tags {
			id := ""
			for _, tid := range ws.tagOrder {
				if ws.tags[tid].Name == name {
					id = tid
				}
			}
			if id == "" {
				return bad(fmt.Sprintf("%s.tags[%d]", p, j), "names no tag of the workspace")
			}
			if !slices.Contains(c.TagIDs, id) {
				c.TagIDs = append(c.TagIDs, id)
			}
		}
		ws.addContact(c)
		for _, body := range fc.Notes {
			ws.seq.note++
			n := &Note{ID: strconv.Itoa(9_000_000 + ws.seq.note), ContactID: c.ID, AuthorID: ws.admins[0].ID, Body: noteHTML(body), CreatedAt: now}
			ws.notes[n.ID] = n
			ws.notesOf[c.ID] = append(ws.notesOf[c.ID], n.ID)
		}
		for _, e := range fc.Events {
			at := e.CreatedAt
			if at == 0 {
				at = now
			}
			ws.insertEvent(&Event{ID: g.r.hex(24), ContactID: c.ID, Name: e.Name, CreatedAt: at, Metadata: e.Metadata})
		}
		c.Archived = fc.Archived
		if fc.Ref != "" {
			refs[fc.Ref] = c
		}
	}
	admin := ws.admins[0]
	for i, fv := range f.Conversations {
		p := fmt.Sprintf("conversations[%d]", i)
		c := refs[fv.Contact]
		if c == nil {
			c = ws.contacts[fv.Contact]
		}
		if c == nil {
			return bad(p+".contact", "names neither a fixture contact's ref nor a contact of the workspace")
		}
		at := fv.CreatedAt
		if at == 0 {
			at = now
		}
		ws.seq.conv++
		conv := &Conversation{ID: strconv.Itoa(100_000_000 + ws.seq.conv), Title: fv.Subject, CreatedAt: at, UpdatedAt: max(at, now),
			State: "open", Priority: "none", ContactIDs: []string{c.ID},
			Source: Source{ID: strconv.Itoa(300_000_000 + ws.seq.conv), DeliveredAs: "customer_initiated", Subject: fv.Subject,
				Body: noteHTML(fv.Body), Author: Author{Type: c.Role, ID: c.ID, Name: c.Name, Email: c.Email}}}
		for j, pt := range fv.Parts {
			author := Author{Type: c.Role, ID: c.ID, Name: c.Name, Email: c.Email}
			if pt.Author == "admin" {
				author = Author{Type: "admin", ID: admin.ID, Name: admin.Name, Email: admin.Email}
				if !slices.Contains(conv.TeammateIDs, admin.ID) {
					conv.TeammateIDs = append(conv.TeammateIDs, admin.ID)
				}
			}
			typ := pt.Type
			if typ == "" {
				typ = "comment"
			}
			ws.seq.part++
			t := at + int64(j+1)*60
			conv.Parts = append(conv.Parts, Part{ID: strconv.Itoa(20_000_000_000 + ws.seq.part), PartType: typ, Body: noteHTML(pt.Body),
				CreatedAt: t, UpdatedAt: t, Author: author})
			conv.UpdatedAt = max(conv.UpdatedAt, t)
		}
		ws.addConversation(conv)
	}
	ws.recount()
	return nil
}

// rawString is s as a JSON member value, or absent when s is empty.
func rawString(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	b, _ := json.Marshal(s)
	return b
}
