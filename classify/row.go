package classify

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// ErrRowShape is returned by RedactRow when a row and its header differ in
// length.
var ErrRowShape = errors.New("classify: row and header have different lengths")

// RedactRow returns a redacted copy of one row of a table whose columns are
// named by header, such as a row of the content data export CSV
// (KindDataExportCSV). Each column is classified by Lookup(kind, name); a
// column the table does not know is Content and is scanned (fail closed).
// row is not modified. known and counts may be nil.
func (r *Redactor) RedactRow(header, row []string, kind ObjectKind, known *pii.Known, counts *Counts) ([]string, error) {
	if len(header) != len(row) {
		return nil, fmt.Errorf("%w (%d columns, %d values)", ErrRowShape, len(header), len(row))
	}
	w := r.getWalker(nil, nil, known, counts)
	defer r.putWalker(w)
	out := make([]string, len(row))
	for i, v := range row {
		// A column the table classifies as a leaf takes that class; any
		// other column falls back to the key rules, then content.
		s := r.genericChild([]byte(header[i]))
		if f, ok := Lookup(kind, header[i]); ok && f.Ref == KindGeneric && !f.Nested && f.Class != ClassCustomAttribute {
			s = slot{mode: modeLeaf, f: f}
		}
		red, changed := w.redactScalar(s, []byte(v))
		switch {
		case changed:
			out[i] = string(red)
		case !utf8.ValidString(v):
			out[i] = string([]rune(v))
		default:
			out[i] = v
		}
	}
	return out, nil
}
