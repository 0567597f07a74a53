package vault

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// MaxPersonKeyIDLen is the longest person key id accepted, in bytes.
const MaxPersonKeyIDLen = 256

// AAD is the associated data bound to an encrypted field: the table, column and row
// it belongs to. A ciphertext made with one AAD does not decrypt with another, so a
// value copied to another row, column or table fails with ErrDecrypt.
type AAD struct {
	Table  string
	Column string
	Row    string
}

// Encode returns the canonical encoding of a: a domain label followed by table,
// column and row, each prefixed by its length (4 bytes, big-endian), so that distinct
// AADs never encode alike (("a","bc") and ("ab","c") differ).
func (a AAD) Encode() []byte {
	return encodeParts("intercom-privacy/field/v1", a.Table, a.Column, a.Row)
}

func (a AAD) validate() error {
	if a.Table == "" || a.Column == "" || a.Row == "" {
		return ErrInvalidAAD
	}
	return nil
}

// encodeParts is the length-prefixed encoding used for every associated data and
// PRF input of the package.
func encodeParts(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// personKeyAD is the associated data a person key is wrapped with: its id, so that a
// wrapped key copied under another id does not unwrap.
func personKeyAD(id string) []byte {
	return encodeParts("intercom-privacy/person-key/v1", id)
}

func validateKeyID(id string) error {
	if id == "" || len(id) > MaxPersonKeyIDLen || !utf8.ValidString(id) {
		return ErrInvalidKeyID
	}
	return nil
}

// checkField is what Encrypt and Decrypt check before they touch a key.
func (v *Vault) checkField(personKeyID string, aad AAD) error {
	if !v.opened() {
		return ErrNotOpen
	}
	if err := validateKeyID(personKeyID); err != nil {
		return err
	}
	return aad.validate()
}

// Encrypt encrypts plaintext with the data key of the person personKeyID (creating
// the key on first use) and binds it to aad. personKeyID should be a SubjectRef, never
// a plain identifier. The ciphertext is AES-256-GCM in Tink's format (a 5-byte key
// prefix, a 12-byte nonce, the ciphertext and a 16-byte tag).
func (v *Vault) Encrypt(ctx context.Context, personKeyID string, aad AAD, plaintext []byte) ([]byte, error) {
	if err := v.checkField(personKeyID, aad); err != nil {
		return nil, err
	}
	a, _, err := v.personAEAD(ctx, personKeyID, true)
	if err != nil {
		return nil, err
	}
	ct, err := a.Encrypt(plaintext, aad.Encode())
	if err != nil {
		return nil, errors.New("vault: encryption failed")
	}
	return ct, nil
}

// Decrypt decrypts a ciphertext made by Encrypt for the same person and aad. It
// returns ErrShredded when the person's key has been destroyed, and ErrDecrypt when
// the ciphertext was altered or belongs to another table, column, row or person. It
// never creates a key.
func (v *Vault) Decrypt(ctx context.Context, personKeyID string, aad AAD, ciphertext []byte) ([]byte, error) {
	if err := v.checkField(personKeyID, aad); err != nil {
		return nil, err
	}
	ad := aad.Encode()
	a, cached, err := v.personAEAD(ctx, personKeyID, false)
	if err != nil {
		return nil, err
	}
	pt, err := a.Decrypt(ciphertext, ad)
	if err == nil {
		return pt, nil
	}
	if !cached {
		return nil, ErrDecrypt
	}
	// The cached key may be stale: another process may have destroyed the person's
	// key and created a new one. Read it again from the store once.
	v.evict(personKeyID)
	a, _, err = v.personAEAD(ctx, personKeyID, false)
	if err != nil {
		return nil, err
	}
	if pt, err = a.Decrypt(ciphertext, ad); err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// CreatePersonKey makes sure the person key personKeyID exists in ks (nil means the
// KeyStore given to Open), creating it if needed. A key made through a non-nil ks is
// not put in the shared cache (ks may be a transaction that rolls back). Concurrent calls for one id, from
// goroutines or processes, end with one key (KeyStore.CreatePersonKey returns the
// key that won). Encrypt creates keys on first use, so calling this is optional; it
// lets a workflow create the key inside its own store transaction.
func (v *Vault) CreatePersonKey(ctx context.Context, ks KeyStore, personKeyID string) error {
	if !v.opened() {
		return ErrNotOpen
	}
	if err := validateKeyID(personKeyID); err != nil {
		return err
	}
	view := v
	if ks != nil {
		// Not compared with v.ks: comparing interfaces can panic on dynamic
		// types that are not comparable.
		view = v.With(ks)
	}
	_, _, err := view.personAEAD(ctx, personKeyID, true)
	return err
}

// DestroyPersonKey deletes the person key personKeyID from ks (nil means the
// KeyStore given to Open; pass a store transaction to destroy the key in the same
// transaction as the erasure that records it) and forgets it from the cache. From
// then on, Decrypt of anything encrypted under it returns ErrShredded, wherever the
// ciphertext was copied. It reports whether a key existed.
//
// Other processes that had the key cached may keep using it for up to the cache TTL
// (WithCacheTTL); if the transaction rolls back, the key is simply read again. If
// the same person later gets a new key (Encrypt creates one on first use), old
// ciphertexts fail with ErrDecrypt instead of ErrShredded: they stay unreadable.
func (v *Vault) DestroyPersonKey(ctx context.Context, ks KeyStore, personKeyID string) (bool, error) {
	if !v.opened() {
		return false, ErrNotOpen
	}
	if err := validateKeyID(personKeyID); err != nil {
		return false, err
	}
	if ks == nil {
		ks = v.ks
	}
	v.evict(personKeyID)
	existed, err := ks.DestroyPersonKey(ctx, personKeyID)
	// Evict again: a concurrent Encrypt may have read the key back in meanwhile.
	v.evict(personKeyID)
	if err != nil {
		return false, fmt.Errorf("vault: destroying the person key: %w", err)
	}
	return existed, nil
}

// Forget drops personKeyID from this process's person-key cache, so that the next use
// reads it from the store. Call it after committing a transaction that destroyed the
// key through another view, or when told another process did.
func (v *Vault) Forget(personKeyID string) {
	if v.opened() {
		v.evict(personKeyID)
	}
}

func (v *Vault) evict(id string) {
	v.cache.evict(id)
	v.local.evict(id)
}

// personAEAD returns the unwrapped data key of id and whether it came from a cache.
// With create, a missing key is created; without, a missing key is ErrShredded.
func (v *Vault) personAEAD(ctx context.Context, id string, create bool) (tink.AEAD, bool, error) {
	if a, ok := v.local.get(id); ok {
		return a, true, nil
	}
	if a, ok := v.cache.get(id); ok {
		return a, true, nil
	}
	pk, err := v.ks.LoadPersonKey(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound) && create:
		pk, err = v.createPersonKey(ctx, id)
		if err != nil {
			return nil, false, err
		}
	case errors.Is(err, ErrNotFound):
		return nil, false, ErrShredded
	case err != nil:
		return nil, false, fmt.Errorf("vault: loading the person key: %w", err)
	}
	a, err := v.unwrap(ctx, pk)
	if err != nil {
		return nil, false, err
	}
	if v.local != nil {
		v.local.put(id, a)
	} else {
		v.cache.put(id, a)
	}
	return a, false, nil
}

// createPersonKey generates a data key (a Tink AES-256-GCM keyset), wraps it with the
// KEK primary and asks the store to insert it; the store returns whichever key won
// if another creator got there first.
func (v *Vault) createPersonKey(ctx context.Context, id string) (PersonKey, error) {
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return PersonKey{}, fmt.Errorf("vault: generating a person key: %w", err)
	}
	kek := v.kek.Load()
	wrapped, err := wrapPersonKey(h, kek.aead, id)
	if err != nil {
		return PersonKey{}, err
	}
	pk, err := v.ks.CreatePersonKey(ctx, PersonKey{ID: id, Wrapped: wrapped, KEKVersion: kek.primary, CreatedAt: v.opts.now().UTC()})
	if err != nil {
		return PersonKey{}, fmt.Errorf("vault: storing the person key: %w", err)
	}
	return pk, nil
}

func wrapPersonKey(h *keyset.Handle, kek tink.AEAD, id string) ([]byte, error) {
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), kek, personKeyAD(id)); err != nil {
		return nil, errors.New("vault: wrapping the person key failed")
	}
	return buf.Bytes(), nil
}

func unwrapPersonKey(pk PersonKey, kek tink.AEAD) (*keyset.Handle, error) {
	return keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(pk.Wrapped)), kek, personKeyAD(pk.ID))
}

// unwrap decrypts a stored person key. If the KEK that wrapped it is not in this
// process's copy of the "kek" keyset (another process rotated it), the keyset is
// reloaded once.
func (v *Vault) unwrap(ctx context.Context, pk PersonKey) (tink.AEAD, error) {
	kek := v.kek.Load()
	h, err := unwrapPersonKey(pk, kek.aead)
	if err != nil && !kek.has(pk.KEKVersion) {
		if rerr := v.reloadKEK(ctx); rerr == nil {
			h, err = unwrapPersonKey(pk, v.kek.Load().aead)
		}
	}
	if err != nil {
		return nil, ErrKeyUnwrap
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, ErrKeyUnwrap
	}
	return a, nil
}

// has reports whether the KEK keyset holds a key with this id.
func (k *kekState) has(id uint32) bool {
	for i := 0; i < k.handle.Len(); i++ {
		if e, err := k.handle.Entry(i); err == nil && e.KeyID() == id {
			return true
		}
	}
	return false
}

// reloadKEK reads the "kek" keyset again from the store.
func (v *Vault) reloadKEK(ctx context.Context) error {
	h, err := loadKeyset(ctx, v.ks, v.master, KeysetKEK)
	if err != nil {
		return err
	}
	st, err := newKEKState(h)
	if err != nil {
		return err
	}
	v.kek.Store(st)
	return nil
}
