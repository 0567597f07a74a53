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
	// SaveKeyset inserts or replaces the encrypted keyset saved under name.
	SaveKeyset(ctx context.Context, name string, encrypted []byte) error
	// LoadPersonKey returns the person key with this id, or ErrNotFound (also after
	// DestroyPersonKey).
	LoadPersonKey(ctx context.Context, id string) (PersonKey, error)
	// CreatePersonKey inserts k unless a key with k.ID exists; either way it returns
	// the key now stored under k.ID, so concurrent creators all end with one key.
	CreatePersonKey(ctx context.Context, k PersonKey) (PersonKey, error)
	// UpdatePersonKey replaces the wrapped key and KEK version of an existing key
	// (rotation); it returns ErrNotFound if the key does not exist.
	UpdatePersonKey(ctx context.Context, k PersonKey) error
	// DestroyPersonKey deletes the person key; it reports whether one existed.
	DestroyPersonKey(ctx context.Context, id string) (bool, error)
	// PersonKeys returns up to limit person keys with ID > afterID, ordered by ID,
	// for batched traversal (rotation). An empty result means the end.
	PersonKeys(ctx context.Context, afterID string, limit int) ([]PersonKey, error)
}
