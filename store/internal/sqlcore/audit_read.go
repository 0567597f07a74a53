package sqlcore

import (
	"context"
	"fmt"
	"iter"
	"math"
	"time"
	"unsafe"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// RecordsBatch is how many audit records one query of Records reads: enough that
// the cost of a query disappears next to the rows it returns, few enough that a
// batch (about 5 MB with bodies of 500 bytes) stays small.
const RecordsBatch = 8192

// firstArena is the size of the first batch's buffer; later batches start at the
// size the previous one needed.
const firstArena = 256 << 10

// nullTime stands for a NULL recorded_at in the records query, so that the column
// scans into an int64 on both backends (no driver value boxed, no sql.Scanner).
// No stored time is this far back: ts stores Unix microseconds of real times.
const nullTime = math.MinInt64

// recordsQuery pages through the chain by key. The text never changes, so each
// backend prepares it once and reuses it for every batch (SQLite through the
// backend's statement cache, pgx through its per-connection statement cache).
const recordsQuery = `SELECT seq, COALESCE(recorded_at, $2), action, request_id, subject_ref, body, prev_hash, hash
	FROM audit_records WHERE seq >= $1 ORDER BY seq LIMIT $3`

// Records implements audit.Reader: keyset pagination on seq in batches of
// RecordsBatch, so no cursor or transaction stays open while the caller handles a
// record.
//
// It is the read path of `audit verify`, which must walk a million records in a
// few seconds of one core, so a row costs as little as the drivers allow: the
// scan targets are built once per call; integers scan straight into int64s; and
// the byte and string fields of a whole batch are copied into one buffer
// allocated per batch instead of one allocation per field. A buffer is never
// written again once its batch has been handed out, so a record the caller keeps
// stays valid after the iteration moves on (as the audit.Reader contract needs).
func (o *Ops) Records(ctx context.Context, fromSeq int64) iter.Seq2[audit.StoredRecord, error] {
	return func(yield func(audit.StoredRecord, error) bool) {
		rd := newRecordReader()
		next := fromSeq
		for {
			batch, err := rd.read(ctx, o, next)
			if err != nil {
				yield(audit.StoredRecord{}, err)
				return
			}
			for i := range batch {
				if !yield(batch[i], nil) {
					return
				}
			}
			if len(batch) < RecordsBatch {
				return
			}
			next = batch[len(batch)-1].Seq + 1
		}
	}
}

// recordReader holds what Records reuses from one batch to the next: the scan
// targets and the slice of records (whose elements are handed out by value).
type recordReader struct {
	row   audit.StoredRecord
	at    int64
	arena arena
	dest  []any
	batch []audit.StoredRecord
}

func newRecordReader() *recordReader {
	rd := &recordReader{}
	a := &rd.arena
	rd.dest = []any{&rd.row.Seq, &rd.at,
		&arenaString{a, &rd.row.Action}, &arenaString{a, &rd.row.RequestID}, &arenaString{a, &rd.row.SubjectRef},
		&arenaBytes{a, &rd.row.Body}, &arenaBytes{a, &rd.row.PrevHash}, &arenaBytes{a, &rd.row.Hash}}
	return rd
}

// read runs one query: the records with seq >= from, at most RecordsBatch.
func (rd *recordReader) read(ctx context.Context, o *Ops, from int64) ([]audit.StoredRecord, error) {
	rd.arena.start()
	rd.batch = rd.batch[:0]
	rows, err := o.Q.Query(ctx, recordsQuery, from, int64(nullTime), int64(RecordsBatch))
	if err != nil {
		return nil, o.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(rd.dest...); err != nil {
			return nil, o.wrap(err)
		}
		rd.row.Time = time.Time{}
		if rd.at != nullTime {
			rd.row.Time = time.UnixMicro(rd.at).UTC()
		}
		rd.batch = append(rd.batch, rd.row)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(err)
	}
	return rd.batch, nil
}

// arena is an append-only buffer for the byte and string fields of one batch.
// Bytes it has handed out are never written again: keep appends past them, and
// when the buffer is full append moves on to a new one, leaving the old one to
// the records that point into it.
type arena struct {
	buf  []byte
	used int // bytes the previous batch needed
}

// start begins a batch with a new buffer sized after what the previous batch
// needed (append copies a full buffer's bytes into the next one, so the length
// of the last buffer is the batch's total).
func (a *arena) start() {
	if a.buf != nil {
		a.used = len(a.buf)
	}
	size := firstArena
	if a.used > 0 {
		size = a.used + a.used/8
	}
	a.buf = make([]byte, 0, size)
}

// keep copies b into the arena and returns the copy (nil when b is empty),
// capped so that appending to it cannot write into the arena.
func (a *arena) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n:len(a.buf):len(a.buf)]
}

// keepString copies s into the arena (database/sql drivers may deliver a BLOB
// written as text as a string).
func (a *arena) keepString(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	n := len(a.buf)
	a.buf = append(a.buf, s...)
	return a.buf[n:len(a.buf):len(a.buf)]
}

// text copies b into the arena and returns it as a string without a second
// copy: the arena's bytes are never modified afterwards, which is what
// unsafe.String requires.
func (a *arena) text(b []byte) string {
	k := a.keep(b)
	if len(k) == 0 {
		return ""
	}
	return unsafe.String(&k[0], len(k))
}

// arenaBytes scans a BLOB/BYTEA column into *dst through the arena: Scan for
// database/sql drivers, ScanBytes for pgx (its BytesScanner, which hands over
// the driver's buffer without a copy of its own).
type arenaBytes struct {
	a   *arena
	dst *[]byte
}

// Scan implements sql.Scanner.
func (s *arenaBytes) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = nil
	case []byte:
		*s.dst = s.a.keep(v)
	case string:
		*s.dst = s.a.keepString(v)
	default:
		return fmt.Errorf("sqlcore: cannot scan %T into bytes", src)
	}
	return nil
}

// ScanBytes implements pgx's pgtype.BytesScanner: v is only valid during the call.
func (s *arenaBytes) ScanBytes(v []byte) error {
	*s.dst = s.a.keep(v)
	return nil
}

// arenaString scans a TEXT column into *dst: a driver's string is kept as it is
// (strings are immutable), driver bytes are copied into the arena.
type arenaString struct {
	a   *arena
	dst *string
}

// Scan implements sql.Scanner.
func (s *arenaString) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = ""
	case string:
		*s.dst = v
	case []byte:
		*s.dst = s.a.text(v)
	default:
		return fmt.Errorf("sqlcore: cannot scan %T into a string", src)
	}
	return nil
}

// ScanBytes implements pgx's pgtype.BytesScanner: v is only valid during the call.
func (s *arenaString) ScanBytes(v []byte) error {
	*s.dst = s.a.text(v)
	return nil
}
