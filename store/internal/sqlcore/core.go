// Package sqlcore is the one implementation of the store's operations over SQL,
// shared by the SQLite and PostgreSQL backends. The SQL it sends is the subset
// both databases accept ($N placeholders, ON CONFLICT, RETURNING); what differs
// (DDL, row locks, error codes, how a transaction begins) is supplied by the
// backend through Querier and Dialect.
//
// Times are stored as BIGINT Unix microseconds (UTC) on both backends, NULL for
// an unset time, so comparisons and precision are identical on both.
package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Querier runs SQL: a connection pool or a transaction of a backend.
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query; the caller closes the Rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows is the cursor of a query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Dialect is what differs between the backends in the shared code.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// ForUpdate is appended to a SELECT that must lock the rows it reads until
	// the transaction ends (" FOR UPDATE" on PostgreSQL; empty on SQLite, whose
	// write transactions are exclusive).
	ForUpdate string
	// IsUniqueViolation reports whether err is a unique or primary key violation.
	IsUniqueViolation func(error) bool
	// IsDiskFull reports whether err says the disk or quota is full.
	IsDiskFull func(error) bool
	// IsBusy reports whether err says another writer held a lock for longer
	// than the backend waits (nil: never).
	IsBusy func(error) bool
}

// Ops implements store.Ops (and the audit.Tx methods) over a Querier.
type Ops struct {
	Q Querier
	D *Dialect
	// Atomic runs f with Ops bound to one transaction: the Ops themselves when
	// they already are, or a new short transaction otherwise.
	Atomic func(ctx context.Context, f func(*Ops) error) error
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (o *Ops) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

var errNoRows = errors.New("sqlcore: no rows")

// queryRow runs a query expected to return at most one row and scans it;
// it returns errNoRows when there is none.
func (o *Ops) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	rows, err := o.Q.Query(ctx, q, args...)
	if err != nil {
		return o.wrap(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return o.wrap(err)
		}
		return errNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return o.wrap(err)
	}
	return o.wrap(rows.Err())
}

// queryAll runs a query and calls scan for every row.
func (o *Ops) queryAll(ctx context.Context, q string, args []any, scan func(Rows) error) error {
	rows, err := o.Q.Query(ctx, q, args...)
	if err != nil {
		return o.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return o.wrap(err)
		}
	}
	return o.wrap(rows.Err())
}

// queryList runs a query and returns its rows as scan reads them.
func queryList[T any](ctx context.Context, o *Ops, q string, args []any, scan func(Rows) (T, error)) ([]T, error) {
	var out []T
	err := o.queryAll(ctx, q, args, func(r Rows) error {
		v, err := scan(r)
		out = append(out, v)
		return err
	})
	return out, err
}

// queryOne runs a lookup by key and returns its first row, or a
// *store.NotFoundError naming what when there is none.
func queryOne[T any](ctx context.Context, o *Ops, what, q string, args []any, scan func(Rows) (T, error)) (T, error) {
	out, err := queryList(ctx, o, q, args, scan)
	if err != nil || len(out) == 0 {
		var zero T
		if err == nil {
			err = store.NotFound(what)
		}
		return zero, err
	}
	return out[0], nil
}

func (o *Ops) exec(ctx context.Context, q string, args ...any) (int64, error) {
	n, err := o.Q.Exec(ctx, q, args...)
	return n, o.wrap(err)
}

// wrap classifies driver errors into the store's sentinels, keeping the
// original in the chain. Driver error texts name constraints and columns, never
// bound values.
func (o *Ops) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se storeErr
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case o.D.IsUniqueViolation != nil && o.D.IsUniqueViolation(err):
		return classified{sentinel: store.ErrDuplicate, err: err}
	case o.D.IsDiskFull != nil && o.D.IsDiskFull(err):
		return classified{sentinel: store.ErrDiskFull, err: err,
			hint: "free disk space (or raise the database quota) and retry; the failed transaction was rolled back"}
	case o.D.IsBusy != nil && o.D.IsBusy(err):
		return classified{sentinel: store.ErrBusy, err: err,
			hint: "another writer held the database too long; the transaction was rolled back and may be retried"}
	}
	return err
}

type storeErr interface{ storeClassified() }

// classified is a driver error tagged with the store sentinel it means.
type classified struct {
	sentinel error
	err      error
	hint     string
}

func (c classified) storeClassified() {}
func (c classified) Error() string {
	msg := c.sentinel.Error() + ": " + c.err.Error()
	if c.hint != "" {
		msg += "; " + c.hint
	}
	return msg
}
func (c classified) Unwrap() []error { return []error{c.sentinel, c.err} }

// ts converts a time to its stored form: NULL for the zero time, else Unix µs.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// tcol scans a stored time (NULL or Unix µs) into a time.Time.
type tcol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c tcol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case int32:
		*c.t = time.UnixMicro(int64(v)).UTC()
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("sqlcore: stored time is not an integer")
		}
		*c.t = time.UnixMicro(n).UTC()
	default:
		return fmt.Errorf("sqlcore: cannot scan %T into a time", src)
	}
	return nil
}

// tc returns a scanner for a time field.
func tc(t *time.Time) tcol { return tcol{t} }

// jsonArg stores a JSON document as text (” for none).
func jsonArg(b []byte) string { return string(b) }

// jsonOut turns stored JSON text back into a RawMessage (nil for ”).
func jsonOut(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// placeholders returns "$start, $start+1, ..." for n parameters.
func placeholders(start, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$")
		b.WriteString(strconv.Itoa(start + i))
	}
	return b.String()
}

// bval turns nil byte slices into non-nil empty ones where a column needs bytes.
func bval(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nilIfEmpty returns nil for an empty slice so a read gives back nil.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
