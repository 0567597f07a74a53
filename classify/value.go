package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// RedactValue returns a redacted copy of v, classified as an object of the
// given kind. v is never modified, however deeply it nests.
//
// map[string]any and []any trees (what encoding/json decodes into) are
// walked directly and copied; strings, []byte, bools, nil and numbers are
// classified in place of their slot. Any other value (structs, typed maps
// and slices, pointers) is encoded with encoding/json, redacted and decoded
// back into a map[string]any / []any tree, with numbers as json.Number; a
// value encoding/json cannot encode yields ErrUnsupportedValue. A number
// that held personal data comes back as a string tag.
func (r *Redactor) RedactValue(v any, kind ObjectKind) (any, error) {
	return r.RedactValueKnown(v, kind, nil, nil)
}

// RedactValueKnown is RedactValue with the person's known values and a
// counter (both may be nil).
func (r *Redactor) RedactValueKnown(v any, kind ObjectKind, known *pii.Known, counts *Counts) (any, error) {
	w := r.getWalker(nil, nil, known, counts)
	defer r.putWalker(w)
	return w.walkValue(v, rootSlot(kind), 0)
}

func (w *walker) walkValue(v any, s slot, depth int) (any, error) {
	switch x := v.(type) {
	case nil, bool:
		return x, nil
	case string:
		red, changed := w.redactScalar(s, []byte(x))
		if changed {
			return strings.ToValidUTF8(string(red), "\uFFFD"), nil
		}
		return strings.ToValidUTF8(x, "\uFFFD"), nil
	case []byte:
		red, changed := w.redactScalar(s, x)
		if !changed {
			red = x
		}
		return bytes.ToValidUTF8(append([]byte(nil), red...), []byte("\uFFFD")), nil
	case json.Number:
		return w.walkNumber(x, []byte(x.String()), s), nil
	case float64:
		return w.walkNumber(x, strconv.AppendFloat(nil, x, 'f', -1, 64), s), nil
	case float32:
		return w.walkNumber(x, strconv.AppendFloat(nil, float64(x), 'f', -1, 32), s), nil
	case int:
		return w.walkNumber(x, strconv.AppendInt(nil, int64(x), 10), s), nil
	case int64:
		return w.walkNumber(x, strconv.AppendInt(nil, x, 10), s), nil
	case int32:
		return w.walkNumber(x, strconv.AppendInt(nil, int64(x), 10), s), nil
	case uint:
		return w.walkNumber(x, strconv.AppendUint(nil, uint64(x), 10), s), nil
	case uint64:
		return w.walkNumber(x, strconv.AppendUint(nil, x, 10), s), nil
	case uint32:
		return w.walkNumber(x, strconv.AppendUint(nil, uint64(x), 10), s), nil
	case map[string]any:
		depth++
		if depth > w.r.maxDepth {
			return nil, &DepthError{Limit: w.r.maxDepth}
		}
		if s.mode == modeAuto {
			t, _ := x["type"].(string)
			s = autoSlot([]byte(t))
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			kb := []byte(k)
			nk := k
			if red, changed := w.redactKey(kb); changed || !utf8.ValidString(k) {
				base := strings.ToValidUTF8(string(red), "\uFFFD")
				nk = base
				// Two keys can redact to the same tag; keep both values.
				for i := 2; ; i++ {
					if _, dup := out[nk]; !dup {
						break
					}
					nk = base + "#" + strconv.Itoa(i)
				}
			}
			rv, err := w.walkValue(el, w.r.child(s, kb), depth)
			if err != nil {
				return nil, err
			}
			out[nk] = rv
		}
		return out, nil
	case []any:
		depth++
		if depth > w.r.maxDepth {
			return nil, &DepthError{Limit: w.r.maxDepth}
		}
		out := make([]any, len(x))
		for i, el := range x {
			rv, err := w.walkValue(el, s, depth)
			if err != nil {
				return nil, err
			}
			out[i] = rv
		}
		return out, nil
	default:
		// Structs, typed maps and slices, pointers: through JSON. The
		// error text of encoding/json can quote the value (a MarshalJSON
		// error, say), so only the type is reported.
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("%w: a value of type %T", ErrUnsupportedValue, x)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var tree any
		if err := dec.Decode(&tree); err != nil {
			return nil, fmt.Errorf("%w: a value of type %T", ErrUnsupportedValue, x)
		}
		return w.walkValue(tree, s, depth)
	}
}

// walkNumber returns orig, or the redacted text of the number as a string
// when its slot's class changes it.
func (w *walker) walkNumber(orig any, text []byte, s slot) any {
	if red, changed := w.redactScalar(s, text); changed {
		return string(red)
	}
	return orig
}
