package tagintake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Tagged is what intake needs of a conversation_part.tag.created item: the
// conversation's id, the names and ids of its tags, and the ids of its contacts.
// It holds no personal data (tag names are the workspace's labels).
type Tagged struct {
	ConversationID string
	Tags           []Tag
	ContactIDs     []string
}

// Tag is one tag on the conversation.
type Tag struct{ ID, Name string }

// Parse errors, for errors.Is; Parse returns them inside a *ParseError.
var (
	// ErrMalformed: the item is not a JSON object, or a field has the wrong
	// JSON type.
	ErrMalformed = errors.New("malformed conversation item")
	// ErrMissing: a required field (type, id) is absent or empty.
	ErrMissing = errors.New("missing field")
	// ErrInvalid: a field is too long or holds control characters, or the
	// item is not a conversation.
	ErrInvalid = errors.New("invalid value")
)

// ParseError names the field of the item that is wrong, never its value.
type ParseError struct {
	Field  string // JSON path in data.item, e.g. "tags.tags[2].name"
	Err    error  // ErrMalformed, ErrMissing or ErrInvalid
	Detail string // what was expected
}

func (e *ParseError) Error() string {
	s := "tagintake: data.item"
	if e.Field != "" {
		s += "." + e.Field
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

const (
	maxIDLen   = 255
	maxNameLen = 255
	// maxList bounds the tags and contacts read from one item.
	maxList = 1000
)

type item struct {
	Type     json.RawMessage `json:"type"`
	ID       json.RawMessage `json:"id"`
	Tags     json.RawMessage `json:"tags"`
	Contacts json.RawMessage `json:"contacts"`
}

type ref struct {
	Type json.RawMessage `json:"type"`
	ID   json.RawMessage `json:"id"`
	Name json.RawMessage `json:"name"`
}

// decodeObject decodes raw, which must be a JSON object, into v.
func decodeObject(raw []byte, v any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return &ParseError{Err: ErrMalformed, Detail: "want a JSON object"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &ParseError{Err: ErrMalformed, Detail: "not valid JSON"}
	}
	return nil
}

// typedID checks that an item's type is want and returns its id, which must
// be present: it links the request to the object.
func typedID(typRaw, idRaw json.RawMessage, want string) (string, error) {
	typ, err := str(typRaw, "type", maxIDLen)
	if err != nil {
		return "", err
	}
	switch typ {
	case want:
	case "":
		return "", &ParseError{Field: "type", Err: ErrMissing, Detail: "want " + strconv.Quote(want)}
	default:
		return "", &ParseError{Field: "type", Err: ErrInvalid, Detail: "want " + strconv.Quote(want)}
	}
	v, err := id(idRaw, "id")
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", &ParseError{Field: "id", Err: ErrMissing, Detail: "the " + want + "'s id links the request"}
	}
	return v, nil
}

// Parse decodes the conversation item of a conversation_part.tag.created
// notification (webhook.Notification.Item). It requires type "conversation"
// and an id; tags is the {type:"tag.list", tags:[...]} list (a bare array is
// accepted too) and contacts the {type:"contact.list", contacts:[...]} list.
// Both may be absent (then empty). Unknown fields are ignored; errors are
// *ParseError values.
func Parse(raw []byte) (Tagged, error) {
	var t Tagged
	var it item
	var err error
	if err := decodeObject(raw, &it); err != nil {
		return t, err
	}
	if t.ConversationID, err = typedID(it.Type, it.ID, "conversation"); err != nil {
		return t, err
	}
	tags, err := list(it.Tags, "tags", "tags")
	if err != nil {
		return t, err
	}
	for i, r := range tags {
		f := fmt.Sprintf("tags.tags[%d]", i)
		var tg Tag
		if tg.ID, err = id(r.ID, f+".id"); err != nil {
			return t, err
		}
		if tg.Name, err = str(r.Name, f+".name", maxNameLen); err != nil {
			return t, err
		}
		t.Tags = append(t.Tags, tg)
	}
	contacts, err := list(it.Contacts, "contacts", "contacts")
	if err != nil {
		return t, err
	}
	for i, r := range contacts {
		cid, err := id(r.ID, fmt.Sprintf("contacts.contacts[%d].id", i))
		if err != nil {
			return t, err
		}
		if cid != "" {
			t.ContactIDs = append(t.ContactIDs, cid)
		}
	}
	return t, nil
}

// list decodes {type, <key>: [...]} or a bare array into its elements.
func list(raw json.RawMessage, field, key string) ([]ref, error) {
	if isNull(raw) {
		return nil, nil
	}
	var arr json.RawMessage
	switch raw[0] {
	case '[':
		arr = raw
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, &ParseError{Field: field, Err: ErrMalformed}
		}
		arr = m[key]
		if isNull(arr) {
			return nil, nil
		}
		if arr[0] != '[' {
			return nil, &ParseError{Field: field + "." + key, Err: ErrMalformed, Detail: "want an array"}
		}
		field += "." + key
	default:
		return nil, &ParseError{Field: field, Err: ErrMalformed, Detail: "want a list object or an array"}
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(arr, &elems); err != nil {
		return nil, &ParseError{Field: field, Err: ErrMalformed, Detail: "want an array"}
	}
	if len(elems) > maxList {
		return nil, &ParseError{Field: field, Err: ErrInvalid, Detail: fmt.Sprintf("more than %d entries", maxList)}
	}
	out := make([]ref, 0, len(elems))
	for i, e := range elems {
		if len(e) == 0 || e[0] != '{' {
			return nil, &ParseError{Field: fmt.Sprintf("%s[%d]", field, i), Err: ErrMalformed, Detail: "want an object"}
		}
		var r ref
		if err := json.Unmarshal(e, &r); err != nil {
			return nil, &ParseError{Field: fmt.Sprintf("%s[%d]", field, i), Err: ErrMalformed}
		}
		out = append(out, r)
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// str decodes an optional JSON string and checks it is printable and short.
func str(raw json.RawMessage, field string, max int) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", &ParseError{Field: field, Err: ErrMalformed, Detail: "want a string"}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &ParseError{Field: field, Err: ErrMalformed, Detail: "want a string"}
	}
	if len(s) > max {
		return "", &ParseError{Field: field, Err: ErrInvalid, Detail: fmt.Sprintf("longer than %d bytes", max)}
	}
	if !utf8.ValidString(s) {
		return "", &ParseError{Field: field, Err: ErrInvalid, Detail: "not valid UTF-8"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return "", &ParseError{Field: field, Err: ErrInvalid, Detail: "contains control characters"}
		}
	}
	return s, nil
}

// id decodes a string or whole-number id.
func id(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		return str(raw, field, maxIDLen)
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return "", &ParseError{Field: field, Err: ErrMalformed, Detail: "want a string or whole number"}
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", &ParseError{Field: field, Err: ErrMalformed, Detail: "want a string or whole number"}
}
