package audit

import (
	"fmt"
	"sync"
)

// Field names a checked field of a record: the member name in the body.
type Field string

// The fields a Checker sees. FieldCountKey is a key of Counts and
// FieldObjectID one element of ObjectIDs.
const (
	FieldActor          Field = "actor"
	FieldRequestID      Field = "request_id"
	FieldSubjectRef     Field = "subject_ref"
	FieldCountKey       Field = "counts"
	FieldObjectID       Field = "object_ids"
	FieldReason         Field = "reason"
	FieldRequestNature  Field = "request_nature"
	FieldRequestMethod  Field = "request_method"
	FieldResponseNature Field = "response_nature"
	FieldDenialReason   Field = "denial_reason"
)

// A Checker decides whether a field value may be written to the audit trail.
// It returns nil to accept, or an error (ErrPersonalData or ErrInvalidRecord
// wrapped with a problem description that never quotes the value). Empty
// optional values are not passed to it.
type Checker interface {
	CheckField(f Field, value string) error
}

// TextScanner finds personal data in free text. It returns the name of the
// first kind found (e.g. "EMAIL"), or "" when there is none. PIIScanner
// adapts the pii engine.
type TextScanner interface {
	FindPersonalData(s string) (kind string)
}

// Limits of the free-text fields, in bytes.
const (
	MaxReasonLen = 1000 // Reason and DenialReason
	MaxNatureLen = 200  // RequestNature and ResponseNature
	MaxMethodLen = 64   // RequestMethod
	MaxActorLen  = 100  // Actor
	MaxIDLen     = 128  // RequestID and each object id
	MaxCountKey  = 64   // each key of Counts
	maxDigitRun  = 8    // digits in a row in free text (see StrictChecker)
)

// StrictChecker is the default Checker: a strict allow-list by field shape,
// plus a scan of free text by a TextScanner when Scanner is set.
//
// Shapes:
//   - subject_ref: exactly 64 lower-case hex digits (a keyed HMAC-SHA256).
//   - request_id and each object id: 1 to 128 of [A-Za-z0-9_.:-].
//   - each count key: 1 to 64 of [a-z0-9_.].
//   - actor: a lower-case kind of 1 to 32 of [a-z0-9_-], optionally followed
//     by ':' and 1 to 64 of [A-Za-z0-9_.-] ("cli:jdoe", "worker").
//   - free text (reason, denial_reason, request_nature, response_nature,
//     request_method): printable ASCII only, no '@', no run of more than 8
//     digits (spaces, '-', '.', '(', ')', '+' and '/' between digits do not
//     break a run: phone and card numbers are refused even without a
//     scanner), and at most MaxReasonLen, MaxNatureLen or MaxMethodLen bytes.
//
// The zero value checks shapes only; NewStrictChecker adds the PII engine.
type StrictChecker struct {
	// Scanner, if set, must find nothing in the free-text fields and the actor.
	Scanner TextScanner
}

// NewStrictChecker returns the default checker: the shape allow-list plus the
// pii engine. The engine is built once per process and shared.
func NewStrictChecker() (*StrictChecker, error) {
	s, err := defaultScanner()
	if err != nil {
		return nil, err
	}
	return &StrictChecker{Scanner: s}, nil
}

var defaultScanner = sync.OnceValues(func() (TextScanner, error) { return NewPIIScanner() })

// CheckField implements Checker.
func (c *StrictChecker) CheckField(f Field, v string) error {
	switch f {
	case FieldSubjectRef:
		if len(v) != 64 || !isLowerHex([]byte(v)) {
			return shapeError(f, "is not 64 lower-case hex digits (a keyed HMAC from the vault)")
		}
		return nil
	case FieldRequestID, FieldObjectID:
		if !matchSet(v, 1, MaxIDLen, isIDByte) {
			return shapeError(f, fmt.Sprintf("is not 1 to %d of [A-Za-z0-9_.:-]", MaxIDLen))
		}
		return nil
	case FieldCountKey:
		if !matchSet(v, 1, MaxCountKey, isCountKeyByte) {
			return shapeError(f, fmt.Sprintf("is not 1 to %d of [a-z0-9_.]", MaxCountKey))
		}
		return nil
	case FieldActor:
		if !validActor(v) {
			return shapeError(f, "is not a kind such as \"worker\" or \"cli:<os user>\" ([a-z0-9_-] then optionally ':' and [A-Za-z0-9_.-])")
		}
		return c.scan(f, v)
	case FieldReason, FieldDenialReason:
		return c.freeText(f, v, MaxReasonLen)
	case FieldRequestNature, FieldResponseNature:
		return c.freeText(f, v, MaxNatureLen)
	case FieldRequestMethod:
		return c.freeText(f, v, MaxMethodLen)
	}
	return shapeError(f, "is not a field the checker knows")
}

func (c *StrictChecker) freeText(f Field, v string, max int) error {
	if len(v) > max {
		return shapeError(f, fmt.Sprintf("is longer than %d bytes", max))
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if b < 0x20 || b > 0x7e {
			return shapeError(f, "contains a character outside printable ASCII")
		}
		if b == '@' {
			return piiError(f, "contains '@' (e-mail addresses are personal data)")
		}
	}
	if digitRun(v) > maxDigitRun {
		return piiError(f, fmt.Sprintf("contains a number of more than %d digits (phone, card or account numbers are personal data)", maxDigitRun))
	}
	return c.scan(f, v)
}

func (c *StrictChecker) scan(f Field, v string) error {
	if c.Scanner == nil {
		return nil
	}
	if kind := c.Scanner.FindPersonalData(v); kind != "" {
		return piiError(f, "contains "+kind)
	}
	return nil
}

func shapeError(f Field, problem string) error {
	return &FieldError{Field: string(f), Index: -1, Problem: problem, Err: ErrInvalidRecord}
}

func piiError(f Field, problem string) error {
	return &FieldError{Field: string(f), Index: -1, Problem: problem, Err: ErrPersonalData}
}

func matchSet(s string, min, max int, ok func(byte) bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isIDByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		b == '_' || b == '.' || b == ':' || b == '-'
}

func isCountKeyByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '.'
}

func validActor(v string) bool {
	if len(v) > MaxActorLen {
		return false
	}
	kind, name := v, ""
	for i := 0; i < len(v); i++ {
		if v[i] == ':' {
			kind, name = v[:i], v[i+1:]
			if !matchSet(name, 1, 64, func(b byte) bool {
				return isIDByte(b) && b != ':'
			}) {
				return false
			}
			break
		}
	}
	return matchSet(kind, 1, 32, func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-'
	}) && (name != "" || len(kind) == len(v))
}

// digitRun returns the longest run of digits in s, where the separators
// " -.()+/" between digits do not end a run.
func digitRun(s string) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9':
			cur++
			best = max(best, cur)
		case b == ' ' || b == '-' || b == '.' || b == '(' || b == ')' || b == '+' || b == '/':
		default:
			cur = 0
		}
	}
	return best
}
