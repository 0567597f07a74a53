// Package audittest holds the test suites every audit store must pass: the
// tamper suite (each kind of tampering is detected and classified) and the
// append suite (concurrent appends keep one gap-free chain; a rolled-back
// transaction leaves nothing). The store's tests run them against SQLite and
// PostgreSQL; package audit runs them against MemoryLog.
package audittest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// Mutator changes stored rows directly, bypassing the chain, the way someone
// with write access to the database could. A store test implements it with
// SQL on the audit tables. Every method returns an error if the row it names
// does not exist.
type Mutator interface {
	// UpdateRecordBody replaces the body of the record stored under seq.
	UpdateRecordBody(ctx context.Context, seq int64, body []byte) error
	// UpdateHash replaces the stored hash of the record under seq.
	UpdateHash(ctx context.Context, seq int64, hash []byte) error
	// DeleteRecord deletes the record under seq.
	DeleteRecord(ctx context.Context, seq int64) error
	// InsertRecord inserts a row as it is (its Seq must be free).
	InsertRecord(ctx context.Context, r audit.StoredRecord) error
	// SwapSeq exchanges the sequence numbers of the records under a and b.
	SwapSeq(ctx context.Context, a, b int64) error
	// TruncateAfter deletes every record with a sequence number above seq
	// (checkpoints stay).
	TruncateAfter(ctx context.Context, seq int64) error
	// DeleteCheckpointsAfter deletes every checkpoint above seq (0: all).
	DeleteCheckpointsAfter(ctx context.Context, seq int64) error
}

// HeadSetter is a Mutator of a store that keeps the chain head apart from
// the records (audit.HeadReader); the witness suite moves it as an attacker
// covering their tracks would.
type HeadSetter interface {
	SetHead(ctx context.Context, seq int64, hash []byte) error
}

// Backend is one fresh, empty audit store under test.
type Backend struct {
	// Reader reads the chain.
	Reader audit.Reader
	// Update runs fn in one read-write transaction, committing if it returns nil.
	Update func(ctx context.Context, fn func(audit.Tx) error) error
	// Mutator tampers with the stored rows.
	Mutator Mutator
}

// Opener returns a fresh, empty Backend for one test or benchmark; it
// registers any cleanup with t.Cleanup.
type Opener func(t testing.TB) Backend

// Signer is an Ed25519 audit.Signer over a fixed key, for tests.
type Signer struct {
	ID   string
	Priv ed25519.PrivateKey
}

// NewSigner returns a Signer whose key is derived from name (deterministic,
// for tests only).
func NewSigner(name string) *Signer {
	seed := sha256.Sum256([]byte("audittest signer " + name))
	return &Signer{ID: "test-" + name, Priv: ed25519.NewKeyFromSeed(seed[:])}
}

// Sign implements audit.Signer.
func (s *Signer) Sign(data []byte) ([]byte, error) { return ed25519.Sign(s.Priv, data), nil }

// KeyID implements audit.Signer.
func (s *Signer) KeyID() string { return s.ID }

// Keyring returns the Keyring that verifies s.
func (s *Signer) Keyring() audit.Keyring {
	return audit.Keyring{{KeyID: s.ID, Key: s.Priv.Public().(ed25519.PublicKey)}}
}
