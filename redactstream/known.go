package redactstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/classify"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// ErrKnownFile is matched by errors from ParseKnown. Its messages give a
// line number and never the line's text.
var ErrKnownFile = errors.New("redactstream: invalid known-values file")

// knownKinds maps the kind names accepted in a known-values file.
var knownKinds = map[string]pii.Type{
	"name":        pii.TypeKnownName,
	"email":       pii.TypeKnownEmail,
	"phone":       pii.TypeKnownPhone,
	"address":     pii.TypeKnownAddress,
	"external_id": pii.TypeKnownExternalID,
	"id":          pii.TypeKnownExternalID,
}

// MaxKnownValues caps the values read from one known-values file.
const MaxKnownValues = 100000

// ParseKnown reads known values of a person, one per line, as
// "kind=value" (kind is name, email, phone, address or external_id; a pii
// type name such as KNOWN_EMAIL is accepted too). Blank lines and lines
// starting with '#' are ignored; surrounding blanks are trimmed.
func ParseKnown(r io.Reader) ([]pii.KnownValue, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var out []pii.KnownValue
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		kind, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d: want kind=value (kinds: name, email, phone, address, external_id)", ErrKnownFile, n)
		}
		kind = strings.ToLower(strings.TrimSpace(kind))
		value = strings.TrimSpace(value)
		t, ok := knownKinds[kind]
		if !ok {
			var err error
			if t, err = pii.ParseType(kind); err != nil {
				return nil, fmt.Errorf("%w: line %d: unknown kind (kinds: name, email, phone, address, external_id)", ErrKnownFile, n)
			}
		}
		if value == "" {
			return nil, fmt.Errorf("%w: line %d: empty value", ErrKnownFile, n)
		}
		if len(out) >= MaxKnownValues {
			return nil, fmt.Errorf("%w: more than %d values", ErrKnownFile, MaxKnownValues)
		}
		out = append(out, pii.KnownValue{Type: t, Value: value})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d is longer than 64 KiB", ErrKnownFile, n+1)
		}
		return nil, fmt.Errorf("%w: reading: %w", ErrKnownFile, err)
	}
	return out, nil
}

// WriteSummary writes the counts of s, one per line, to w: lines by kind,
// then findings per type and fields redacted by key, largest first. It
// never writes a value.
func (s *Stats) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "redact: %d lines (%d JSON, %d text, %d longer than the line limit), %d bytes in, %d bytes out\n",
		s.Lines, s.JSONLines, s.TextLines, s.LongLines, s.BytesIn, s.BytesOut)
	type row struct {
		name string
		n    int64
	}
	var rows []row
	for t, n := range s.Counts.Findings {
		if n > 0 {
			rows = append(rows, row{pii.Type(t).String(), n})
		}
	}
	for l, n := range s.Counts.Fields {
		if n > 0 {
			rows = append(rows, row{"key:" + classify.Label(l).String(), n})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	for _, r := range rows {
		fmt.Fprintf(&b, "redact: %-20s %d\n", r.name, r.n)
	}
	fmt.Fprintf(&b, "redact: %-20s %d\n", "total", s.Counts.Total())
	_, err := io.WriteString(w, b.String())
	return err
}
