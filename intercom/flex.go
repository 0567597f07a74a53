package intercom

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ID is an Intercom identifier. Intercom sends ids as strings in most places and as
// numbers in others (admin_assignee_id, note ids, examples of the same field in both
// forms), so ID accepts a JSON string, a JSON number or null, and always encodes as a
// string.
type ID string

// UnmarshalJSON accepts a string, an integer or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("intercom: empty id")
	case b[0] == 'n' && string(b) == "null":
		*id = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*id = ID(n.String())
		return nil
	}
	// An UnmarshalTypeError gets the path of the field from encoding/json, so the
	// error names the field that is wrong.
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[ID]()}
}

// jsonKind names the kind of a JSON value by its first byte.
func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// identifierError reports an object whose id is missing or empty. field is the
// object's kind and the field ("ticket.id").
type identifierError struct{ field string }

func (e *identifierError) Error() string { return "intercom: " + e.field + " is missing or empty" }

// String returns the id.
func (id ID) String() string { return string(id) }

// Int is an integer that Intercom sometimes sends as a string (download_expires_at,
// counts in some examples). It accepts a JSON number, a numeric string, "" or null
// (both decode to 0).
type Int int64

// UnmarshalJSON accepts a number, a numeric string, an empty string or null.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("intercom: empty number")
	}
	if string(b) == "null" {
		*n = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return errors.New("intercom: value is not a number")
	}
	*n = Int(f)
	return nil
}

// Timestamp is a UNIX time in seconds, as Intercom sends it (a number, sometimes a
// string, or null). The zero value means "not set".
//
// Times are informational: a value Timestamp cannot read (a word, an object, a time
// in an unknown layout) decodes as unset instead of failing the whole object. Objects
// that keep their JSON (Contact, Conversation, Ticket: Raw) still hold it as sent; the
// event summary and export types list such fields in Malformed with the value.
type Timestamp int64

// UnmarshalJSON accepts what Int accepts, and an RFC 3339 string (event summaries
// send "2014-02-13T18:32:03.000Z", sometimes with surrounding spaces); anything else
// decodes as unset.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	v, _ := parseTimestamp(b)
	*t = v
	return nil
}

// parseTimestamp reads a JSON time value; ok is false (and the time unset) for a
// value that is neither UNIX seconds, an RFC 3339 time, "", nor null.
func parseTimestamp(b []byte) (Timestamp, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	var s string
	if b[0] == '"' {
		if json.Unmarshal(b, &s) != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
		b = []byte(strconv.Quote(s))
	}
	var n Int
	if err := n.UnmarshalJSON(b); err == nil {
		return Timestamp(n), true
	}
	if s != "" {
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return Timestamp(tm.Unix()), true
		}
	}
	return 0, false
}

// informational decodes the JSON values of time fields (name -> raw value) and
// returns those it cannot read, with their value as sent (nil when all were read).
func informational(fields map[string]json.RawMessage) map[string]string {
	var out map[string]string
	for name, raw := range fields {
		if len(raw) == 0 {
			continue
		}
		if _, ok := parseTimestamp(raw); ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out[name] = s
	}
	return out
}

// Time returns the time in UTC, or the zero time.Time when unset.
func (t Timestamp) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// IsZero reports whether the timestamp is unset.
func (t Timestamp) IsZero() bool { return t == 0 }

// Bool is a boolean that also accepts null (false) and the strings "true"/"false".
type Bool bool

// UnmarshalJSON accepts true, false, null, "true" and "false".
func (v *Bool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, "null", `""`:
		*v = false
	default:
		return errors.New("intercom: value is not a boolean")
	}
	return nil
}

// String is a string that also accepts null, numbers and booleans (encoded as their
// JSON text), for free-form fields whose type Intercom does not keep stable.
type String string

// UnmarshalJSON accepts a string, null, a number or a boolean.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("intercom: empty value")
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case 'n':
		if string(b) != "null" {
			return errors.New("intercom: invalid literal")
		}
		*s = ""
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(strconv.FormatBool(v))
	case '{', '[':
		return errors.New("intercom: expected a string, got an object or array")
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = String(n.String())
	}
	return nil
}

// InfoText is an informational text field, such as a URL (an avatar's image,
// the API URL of a reference or an embedded list, an attachment, a company's
// website): a JSON string is kept as sent; any other value (a number, an object,
// an array, null) decodes as unset instead of failing the whole object, and the
// object's Raw keeps it as sent. Identifying fields are never InfoText.
type InfoText string

// UnmarshalJSON accepts any JSON value: a string as it is, anything else as "".
func (s *InfoText) UnmarshalJSON(b []byte) error {
	var v string
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' && json.Unmarshal(b, &v) == nil {
		*s = InfoText(v)
		return nil
	}
	*s = ""
	return nil
}
