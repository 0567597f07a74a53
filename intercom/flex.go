package intercom

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
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
	return errors.New("intercom: id is neither a string nor a number")
}

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
type Timestamp int64

// UnmarshalJSON accepts what Int accepts, and an RFC 3339 string (event summaries
// send "2014-02-13T18:32:03.000Z").
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var n Int
	if err := n.UnmarshalJSON(b); err == nil {
		*t = Timestamp(n)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			*t = Timestamp(tm.Unix())
			return nil
		}
	}
	return errors.New("intercom: value is neither UNIX seconds nor an RFC 3339 time")
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
