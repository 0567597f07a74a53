package audit

import (
	"errors"
	"strconv"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrPersonalData: a field of a record carries, or may carry, personal
	// data; the record was not written. The error is a *FieldError naming
	// the field (never its value).
	ErrPersonalData = errors.New("audit: record refused: a field may carry personal data")

	// ErrInvalidRecord: a record is incomplete or a field has the wrong shape;
	// the record was not written. The error is a *FieldError.
	ErrInvalidRecord = errors.New("audit: invalid record")

	// ErrNoSigner: a Chain was built without a Signer, or with a key id that
	// is not 1 to 128 characters of [A-Za-z0-9_.:-].
	ErrNoSigner = errors.New("audit: a checkpoint signer with a valid key id is required (the vault's audit signer)")

	// ErrBroken is matched by *Break, the first broken link Verify finds.
	ErrBroken = errors.New("audit: the audit chain is broken")

	// ErrTxDone: a MemoryLog transaction was used after its function returned.
	ErrTxDone = errors.New("audit: transaction already finished")

	// ErrSeqConflict: a MemoryLog transaction inserted a record whose Seq is
	// not above every stored Seq (the head was not locked with Head, or
	// another writer got there first); nothing was written.
	ErrSeqConflict = errors.New("audit: record sequence number already used; lock the chain head with Tx.Head before appending")
)

// FieldError is the error for one refused field of a record. It names the
// field and the rule it broke, never the value.
type FieldError struct {
	// Field is the field's name in the record body, e.g. "reason" or
	// "counts" (for a count key).
	Field string
	// Index is the position in ObjectIDs for "object_ids", else -1.
	Index int
	// Problem says what is wrong, e.g. "contains EMAIL" or "longer than 1000 bytes".
	Problem string
	// Err is ErrPersonalData or ErrInvalidRecord.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string {
	f := e.Field
	if e.Index >= 0 {
		f += "[" + strconv.Itoa(e.Index) + "]"
	}
	msg := e.Err.Error() + ": field " + strconv.Quote(f) + ": " + e.Problem
	if errors.Is(e.Err, ErrPersonalData) {
		msg += " (the audit trail never holds personal data: put counts in Counts, Intercom ids in ObjectIDs, the person in SubjectRef)"
	}
	return msg
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func invalid(field, problem string) error {
	return &FieldError{Field: field, Index: -1, Problem: problem, Err: ErrInvalidRecord}
}
