package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
)

// DefaultRotateBatch is the batch size Rotate uses when given batch <= 0.
const DefaultRotateBatch = 500

// RotateResult reports what Rotate did.
type RotateResult struct {
	// KEKVersion is the primary KEK key id every person key is now wrapped with.
	KEKVersion uint32
	// Added is true when this run added a new primary key; false when it finished
	// a rotation an earlier run had started (Resumed).
	Added bool
	// Resumed is true when this run found person keys still wrapped by an older
	// KEK key and finished re-wrapping them instead of adding a new key. Run Rotate
	// again to add one.
	Resumed bool
	// Scanned counts the person keys examined; Rewrapped those re-wrapped; Vanished
	// those destroyed while the run went on; Unreadable those that did not unwrap
	// (damaged rows: left as they are, and reported as an error at the end).
	Scanned, Rewrapped, Vanished, Unreadable int
}

// Rotate rotates the key-encryption keyset. It first looks for person keys whose
// KEKVersion is not the current primary (an earlier run that stopped half way, or
// keys created by a process that still held the previous keyset) and re-wraps them;
// if there were any, it stops there (Resumed). Otherwise it adds a new AES-256-GCM
// primary key to "kek", saves the keyset (from then on old and new keys are both
// usable, so a crash at any point loses nothing) and re-wraps every person key in
// batches of batch (DefaultRotateBatch if <= 0), one UpdatePersonKey per key, or one
// UpdatePersonKeys per batch when ks implements PersonKeyBatchUpdater. The
// KEKVersion of each key records its progress, so running Rotate again after a crash
// continues where it stopped.
//
// Old KEK keys stay in the keyset (enabled): backups and processes still holding the
// previous keyset keep working, and Rotate never deletes key material. progress, if
// not nil, is called after each batch with the number of keys examined so far in the
// current pass (the resume pass, then the re-wrap pass). ks nil
// means the KeyStore given to Open.
//
// Only the "kek" keyset is rotated; for "index" see BlindIndex. Rotate is serialised
// within a process; run one `keys rotate` at a time across processes (the KeyStore
// has no compare-and-swap: two concurrent rotations could each save a keyset without
// the other's new key, and Rotate stops with an error when it notices that).
func (v *Vault) Rotate(ctx context.Context, ks KeyStore, batch int, progress func(done int)) (RotateResult, error) {
	if !v.opened() {
		return RotateResult{}, ErrNotOpen
	}
	if ks == nil {
		ks = v.ks
	}
	if batch <= 0 {
		batch = DefaultRotateBatch
	}
	v.rotateMu.Lock()
	defer v.rotateMu.Unlock()

	var res RotateResult
	orig, err := ks.LoadKeyset(ctx, KeysetKEK)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return res, &KeysetError{Keyset: KeysetKEK, Err: fmt.Errorf("loading from the store: %w", err)}
	}
	h, err := loadKeyset(ctx, ks, v.master, KeysetKEK)
	if err != nil {
		return res, err
	}
	kek, err := newKEKState(h)
	if err != nil {
		return res, err
	}
	v.kek.Store(kek)

	// Pass 1: finish any earlier rotation.
	if err := v.rewrapAll(ctx, ks, kek, batch, progress, &res); err != nil {
		return res, err
	}
	if res.Rewrapped > 0 {
		res.Resumed = true
		res.KEKVersion = kek.primary
		return res, res.unreadableErr()
	}

	// Pass 2: add a new primary, save it, re-wrap everything.
	m := keyset.NewManagerFromHandle(h)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return res, fmt.Errorf("vault: adding a KEK key: %w", err)
	}
	if err := m.SetPrimary(id); err != nil {
		return res, fmt.Errorf("vault: promoting the new KEK key: %w", err)
	}
	nh, err := m.Handle()
	if err != nil {
		return res, fmt.Errorf("vault: building the KEK keyset: %w", err)
	}
	// Narrow the window for a lost update (the KeyStore has no compare-and-swap):
	// save only if the stored keyset is still the one this run started from.
	if cur, err := ks.LoadKeyset(ctx, KeysetKEK); err != nil || !bytes.Equal(cur, orig) {
		return res, errKEKChanged
	}
	if err := saveKeyset(ctx, ks, v.master, KeysetKEK, nh); err != nil {
		return res, err
	}
	next, err := newKEKState(nh)
	if err != nil {
		return res, err
	}
	v.kek.Store(next)
	res.Added, res.KEKVersion = true, next.primary
	res.Scanned, res.Vanished, res.Unreadable = 0, 0, 0
	if err := v.rewrapAll(ctx, ks, next, batch, progress, &res); err != nil {
		return res, err
	}
	return res, res.unreadableErr()
}

func (r RotateResult) unreadableErr() error {
	if r.Unreadable == 0 {
		return nil
	}
	return fmt.Errorf("vault: rotation done, but %d person keys did not unwrap and were left as they are: %w", r.Unreadable, ErrKeyUnwrap)
}

// rewrapAll re-wraps, batch by batch, every person key not wrapped by kek's primary.
func (v *Vault) rewrapAll(ctx context.Context, ks KeyStore, kek *kekState, batch int, progress func(int), res *RotateResult) error {
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrRotationInterrupted, err)
		}
		keys, err := ks.PersonKeys(ctx, after, batch)
		if err != nil {
			return fmt.Errorf("%w: listing person keys: %w", ErrRotationInterrupted, err)
		}
		if len(keys) == 0 {
			return nil
		}
		if res.Added {
			// Guard against a concurrent rotation that replaced the keyset.
			if err := checkPrimary(ctx, ks, v.master, kek.primary); err != nil {
				return err
			}
		}
		var pending []PersonKey
		for _, pk := range keys {
			res.Scanned++
			if pk.KEKVersion == kek.primary {
				continue
			}
			if !kek.has(pk.KEKVersion) {
				// Wrapped by a KEK key this run does not know: if the stored keyset
				// has changed, another rotation is running; stop before doing harm.
				if err := checkPrimary(ctx, ks, v.master, kek.primary); err != nil {
					return err
				}
			}
			h, err := unwrapPersonKey(pk, kek.aead)
			if err != nil {
				res.Unreadable++
				continue
			}
			wrapped, err := wrapPersonKey(h, kek.aead, pk.ID)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrRotationInterrupted, err)
			}
			pending = append(pending, PersonKey{ID: pk.ID, Wrapped: wrapped, KEKVersion: kek.primary, CreatedAt: pk.CreatedAt})
		}
		if err := savePersonKeys(ctx, ks, pending, res); err != nil {
			return err
		}
		after = keys[len(keys)-1].ID
		if progress != nil {
			progress(res.Scanned)
		}
	}
}

// PersonKeyBatchUpdater is an optional extension of KeyStore: a store that can
// replace several wrapped keys in one transaction implements it, and Rotate then
// saves each batch with one call (one commit) instead of one UpdatePersonKey (one
// commit) per key.
type PersonKeyBatchUpdater interface {
	// UpdatePersonKeys applies UpdatePersonKey to every key, all or nothing; keys
	// that no longer exist are skipped. It returns how many keys it updated.
	UpdatePersonKeys(ctx context.Context, keys []PersonKey) (int, error)
}

// savePersonKeys stores re-wrapped keys, in one call when ks supports it.
func savePersonKeys(ctx context.Context, ks KeyStore, keys []PersonKey, res *RotateResult) error {
	if len(keys) == 0 {
		return nil
	}
	if b, ok := ks.(PersonKeyBatchUpdater); ok {
		n, err := b.UpdatePersonKeys(ctx, keys)
		if err != nil {
			return fmt.Errorf("%w: saving re-wrapped keys: %w", ErrRotationInterrupted, err)
		}
		res.Rewrapped += n
		res.Vanished += len(keys) - n
		return nil
	}
	for _, k := range keys {
		err := ks.UpdatePersonKey(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
			res.Vanished++
		case err != nil:
			return fmt.Errorf("%w: saving a re-wrapped key: %w", ErrRotationInterrupted, err)
		default:
			res.Rewrapped++
		}
	}
	return nil
}

// checkPrimary verifies that the stored "kek" keyset still has primary as its
// primary key.
func checkPrimary(ctx context.Context, ks KeyStore, master MasterKey, primary uint32) error {
	h, err := loadKeyset(ctx, ks, master, KeysetKEK)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRotationInterrupted, err)
	}
	p, err := h.Primary()
	if err != nil || p.KeyID() != primary {
		return errKEKChanged
	}
	return nil
}

var errKEKChanged = fmt.Errorf("%w: the stored key-encryption keyset changed during the rotation (another `keys rotate` running?): run it again once the other has finished", ErrRotationInterrupted)
