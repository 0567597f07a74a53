package audit

import (
	"context"
	"iter"
	"time"
)

// StoredRecord is one audit record as a store keeps it: the columns a store
// indexes (Seq, Time, Action, RequestID, SubjectRef) next to the canonical
// body the hash is computed over, the hash of the previous record and the
// record's own hash.
//
// Body is the canonical encoding produced by this package; a store keeps it
// byte for byte and never re-encodes it. The other columns are copies kept
// for queries; Verify trusts only Body, PrevHash and Hash.
type StoredRecord struct {
	Seq        int64
	Time       time.Time
	Action     string
	RequestID  string
	SubjectRef string
	Body       []byte
	PrevHash   []byte
	Hash       []byte
}

// Checkpoint is a signed statement that the chain had Hash at Seq at Time,
// signed by the key named KeyID.
type Checkpoint struct {
	Seq       int64
	Hash      []byte
	Time      time.Time
	KeyID     string
	Signature []byte
}

// Tx is what a storage transaction offers the audit chain. A store's
// transaction implements it, so that a state change and the audit record
// describing it commit (or roll back) together.
type Tx interface {
	// Head returns the sequence number and hash of the last record and LOCKS
	// the chain head until the transaction ends, so that concurrent appends
	// (goroutines or processes) serialise. It returns (0, nil, nil) when the
	// chain is empty.
	Head(ctx context.Context) (seq int64, hash []byte, err error)
	// InsertRecord inserts one record; a store rejects a duplicate Seq.
	InsertRecord(ctx context.Context, r StoredRecord) error
	// InsertCheckpoint inserts one signed checkpoint.
	InsertCheckpoint(ctx context.Context, c Checkpoint) error
	// LastCheckpoint returns the checkpoint with the highest Seq, and false
	// when there is none.
	LastCheckpoint(ctx context.Context) (Checkpoint, bool, error)
}

// Reader walks the stored chain for verification and export.
type Reader interface {
	// Records yields the records with Seq >= fromSeq in ascending Seq order.
	// An error ends the iteration.
	Records(ctx context.Context, fromSeq int64) iter.Seq2[StoredRecord, error]
	// Checkpoints yields every checkpoint in ascending Seq order.
	Checkpoints(ctx context.Context) iter.Seq2[Checkpoint, error]
}
