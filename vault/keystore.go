package vault

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a KeyStore when the keyset or person key asked for does
// not exist (never created, or destroyed). It carries no identifier: callers add the
// context they need.
var ErrNotFound = errors.New("vault: key or keyset not found")

// ErrKeysetChanged is returned by KeyStore.SwapKeyset when the stored keyset is no
// longer the one the caller read: another process saved a keyset in between. The
// caller reads it again and decides anew; nothing was written.
var ErrKeysetChanged = errors.New("vault: the stored keyset changed since it was read (another process saved one)")

// PersonKey is one person's data key as the store keeps it: wrapped (encrypted) by the
// "kek" keyset, never in clear.
type PersonKey struct {
	// ID identifies the person key; callers use a subject reference (a keyed HMAC from
	// the vault), never a plain identifier.
	ID string
	// Wrapped is the data key encrypted under the KEK keyset, with ID as associated data.
	Wrapped []byte
	// KEKVersion is the key id of the KEK keyset's primary key that wrapped this key;
	// rotation re-wraps every key whose KEKVersion differs from the current primary.
	KEKVersion uint32
	// CreatedAt is when the key was first created.
	CreatedAt time.Time
}

// KeyStore is where the vault keeps its encrypted keysets and wrapped per-person keys.
// The store package implements it on SQLite and PostgreSQL (on its Store and on its
// transactions); MemoryKeyStore implements it in memory. A KeyStore never sees a key
// in clear. Implementations must be safe for concurrent use.
type KeyStore interface {
	// LoadKeyset returns the encrypted keyset saved under name, or ErrNotFound.
	LoadKeyset(ctx context.Context, name string) ([]byte, error)
	// SwapKeyset saves encrypted under name if, and only if, the keyset stored
	// under name is still old, byte for byte (old nil: no keyset is stored under
	// name yet); otherwise it writes nothing and returns ErrKeysetChanged. The
	// comparison and the write are one atomic step, so of several processes that
	// read the same keyset and each save a changed copy, exactly one succeeds and
	// no change is silently lost. The encrypted keyset is its own version: every
	// save encrypts under a fresh random nonce, so two saves never store equal
	// bytes and a keyset changed and changed back is still seen as changed.
	SwapKeyset(ctx context.Context, name string, old, encrypted []byte) error
	// LoadPersonKey returns the person key with this id, or ErrNotFound (also after
	// DestroyPersonKey).
	LoadPersonKey(ctx context.Context, id string) (PersonKey, error)
	// CreatePersonKey inserts k unless a key with k.ID exists; either way it returns
	// the key now stored under k.ID, so concurrent creators all end with one key.
	CreatePersonKey(ctx context.Context, k PersonKey) (PersonKey, error)
	// UpdatePersonKey replaces the wrapped key and KEK version of k.ID (rotation) if
	// the stored key is still wrapped as prev, byte for byte; it returns ErrNotFound
	// and writes nothing if the key does not exist or was changed meanwhile (by
	// another rotation, or destroyed and created anew), so a re-wrap never puts an
	// old data key back over a newer one.
	UpdatePersonKey(ctx context.Context, k PersonKey, prev []byte) error
	// DestroyPersonKey deletes the person key; it reports whether one existed.
	DestroyPersonKey(ctx context.Context, id string) (bool, error)
	// PersonKeys returns up to limit person keys with ID > afterID, ordered by ID,
	// for batched traversal (rotation). An empty result means the end.
	PersonKeys(ctx context.Context, afterID string, limit int) ([]PersonKey, error)
}
