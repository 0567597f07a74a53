package vault

import (
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
	// a rotation an earlier run had started (Resumed) or joined one another run
	// started at the same time (Joined).
	Added bool
	// Resumed is true when this run found person keys still wrapped by an older
	// KEK key and finished re-wrapping them instead of adding a new key. Run Rotate
	// again to add one.
	Resumed bool
	// Joined is true when another rotation saved a new primary key between this
	// run's reading of the keyset and its own save: this run adds no key of its
	// own (the KEK was rotated after it was asked to be) and helps re-wrap every
	// person key to that primary instead.
	Joined bool
	// Scanned counts the person keys examined; Rewrapped those re-wrapped; Vanished
	// those destroyed, or re-wrapped by another run, while this run went on;
	// Unreadable those that did not unwrap (damaged rows: left as they are, and
	// reported as an error at the end).
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
// Rotate is safe to run many times at once, in one process or many. The keyset is
// saved with KeyStore.SwapKeyset, a compare-and-swap on the keyset read: of several
// runs that add a key at once, one saves its keyset and the others join its
// rotation (Joined) instead of overwriting it. The saved keyset always holds every
// key of the one it replaces (checked before the save), so no KEK key that wraps a
// person key is ever dropped; old keys stay enabled, so backups and processes still
// holding the previous keyset keep working. Each person key is replaced only if it is
// still wrapped as it was read (UpdatePersonKey's prev), so two runs re-wrapping the
// same key, or an erasure destroying it meanwhile, never put an old data key back.
// When a newer primary appears during the re-wrap pass, Rotate adopts it and passes
// over the keys again, so when it returns every key it saw is on the newest primary.
//
// progress, if not nil, is called after each batch with the number of keys examined
// so far. ks nil means the KeyStore given to Open. Only the "kek" keyset is rotated;
// for "index" see BlindIndex.
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
	kek, stored, err := v.loadKEK(ctx, ks)
	if err != nil {
		return res, err
	}

	// Pass 1: finish any earlier rotation.
	if err := v.rewrapAll(ctx, ks, &kek, &stored, batch, progress, &res); err != nil {
		return res, err
	}
	if res.Rewrapped > 0 {
		res.Resumed = true
		res.KEKVersion = kek.primary
		return res, res.unreadableErr()
	}

	// Pass 2: add a new primary, save it unless another run saved one first, and
	// re-wrap everything.
	m := keyset.NewManagerFromHandle(kek.handle)
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
	if err := keepsEveryKey(kek.handle, nh); err != nil {
		return res, err
	}
	res.Scanned, res.Vanished, res.Unreadable = 0, 0, 0
	switch err := saveKeyset(ctx, ks, v.master, KeysetKEK, stored, nh); {
	case err == nil:
		next, err := newKEKState(nh)
		if err != nil {
			return res, err
		}
		kek, res.Added = next, true
		v.kek.Store(kek)
		if stored, err = ks.LoadKeyset(ctx, KeysetKEK); err != nil {
			return res, fmt.Errorf("%w: reading the saved keyset: %w", ErrRotationInterrupted, err)
		}
	case errors.Is(err, ErrKeysetChanged):
		// Another rotation saved a keyset after this one read it: join it.
		if kek, stored, err = v.loadKEK(ctx, ks); err != nil {
			return res, err
		}
		res.Joined = true
	default:
		return res, err
	}
	res.KEKVersion = kek.primary
	err = v.rewrapAll(ctx, ks, &kek, &stored, batch, progress, &res)
	res.KEKVersion = kek.primary
	if err != nil {
		return res, err
	}
	return res, res.unreadableErr()
}

// loadKEK reads the "kek" keyset from ks, makes it the one v uses, and returns it
// with its stored (encrypted) form, the value a later SwapKeyset compares with.
func (v *Vault) loadKEK(ctx context.Context, ks KeyStore) (*kekState, []byte, error) {
	stored, err := ks.LoadKeyset(ctx, KeysetKEK)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, &KeysetError{Keyset: KeysetKEK, Err: ErrNotInitialised}
	}
	if err != nil {
		return nil, nil, &KeysetError{Keyset: KeysetKEK, Err: fmt.Errorf("loading from the store: %w", err)}
	}
	h, err := loadKeyset(ctx, staticKeyset{KeysetKEK, stored}, v.master, KeysetKEK)
	if err != nil {
		return nil, nil, err
	}
	kek, err := newKEKState(h)
	if err != nil {
		return nil, nil, err
	}
	v.kek.Store(kek)
	return kek, stored, nil
}

// keepsEveryKey checks that next holds every key of prev, so saving next drops no
// KEK key a person key may be wrapped with.
func keepsEveryKey(prev, next *keyset.Handle) error {
	have := make(map[uint32]bool, next.Len())
	for i := 0; i < next.Len(); i++ {
		if e, err := next.Entry(i); err == nil {
			have[e.KeyID()] = true
		}
	}
	for i := 0; i < prev.Len(); i++ {
		e, err := prev.Entry(i)
		if err != nil || !have[e.KeyID()] {
			return &KeysetError{Keyset: KeysetKEK, Err: errors.New("refusing to save a keyset that drops a key-encryption key person keys may be wrapped with")}
		}
	}
	return nil
}

func (r RotateResult) unreadableErr() error {
	if r.Unreadable == 0 {
		return nil
	}
	return fmt.Errorf("vault: rotation done, but %d person keys did not unwrap and were left as they are: %w", r.Unreadable, ErrKeyUnwrap)
}

// rewrapAll re-wraps, batch by batch, every person key not wrapped by the primary
// of *kek. When it meets a key wrapped by a KEK key *kek does not hold, another
// rotation saved a newer keyset: it reloads the keyset (updating *kek and *stored)
// and, once the pass ends, passes over the keys again, so it returns only after a
// whole pass in which the primary did not change.
func (v *Vault) rewrapAll(ctx context.Context, ks KeyStore, kek **kekState, stored *[]byte, batch int, progress func(int), res *RotateResult) error {
	for {
		passPrimary := (*kek).primary
		if err := v.rewrapPass(ctx, ks, kek, stored, batch, progress, res); err != nil {
			return err
		}
		if (*kek).primary == passPrimary {
			return nil
		}
	}
}

func (v *Vault) rewrapPass(ctx context.Context, ks KeyStore, kek **kekState, stored *[]byte, batch int, progress func(int), res *RotateResult) error {
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
		var pending []PersonKeyUpdate
		for _, pk := range keys {
			res.Scanned++
			if pk.KEKVersion == (*kek).primary {
				continue
			}
			if !(*kek).has(pk.KEKVersion) {
				// Wrapped by a KEK key this run does not know: another rotation
				// saved a newer keyset. Adopt it (it holds every older key).
				next, enc, err := v.loadKEK(ctx, ks)
				if err != nil {
					return fmt.Errorf("%w: %w", ErrRotationInterrupted, err)
				}
				*kek, *stored = next, enc
				if pk.KEKVersion == next.primary {
					continue
				}
			}
			h, err := unwrapPersonKey(pk, (*kek).aead)
			if err != nil {
				res.Unreadable++
				continue
			}
			wrapped, err := wrapPersonKey(h, (*kek).aead, pk.ID)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrRotationInterrupted, err)
			}
			pending = append(pending, PersonKeyUpdate{
				Key:  PersonKey{ID: pk.ID, Wrapped: wrapped, KEKVersion: (*kek).primary, CreatedAt: pk.CreatedAt},
				Prev: pk.Wrapped,
			})
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

// PersonKeyUpdate is one re-wrapped person key and the wrapped form it replaces.
type PersonKeyUpdate struct {
	// Key is the re-wrapped key.
	Key PersonKey
	// Prev is the wrapped key as it was read: the update applies only if the
	// stored key is still exactly this.
	Prev []byte
}

// PersonKeyBatchUpdater is an optional extension of KeyStore: a store that can
// replace several wrapped keys in one transaction implements it, and Rotate then
// saves each batch with one call (one commit) instead of one UpdatePersonKey (one
// commit) per key.
type PersonKeyBatchUpdater interface {
	// UpdatePersonKeys applies UpdatePersonKey to every update, all or nothing;
	// keys that no longer exist or are no longer wrapped as Prev are skipped. It
	// returns how many keys it updated.
	UpdatePersonKeys(ctx context.Context, updates []PersonKeyUpdate) (int, error)
}

// savePersonKeys stores re-wrapped keys, in one call when ks supports it.
func savePersonKeys(ctx context.Context, ks KeyStore, keys []PersonKeyUpdate, res *RotateResult) error {
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
		err := ks.UpdatePersonKey(ctx, k.Key, k.Prev)
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

// staticKeyset is a KeyStore-shaped reader of one keyset already read, so that
// loadKeyset decrypts exactly the bytes a later SwapKeyset compares with.
type staticKeyset struct {
	name string
	enc  []byte
}

func (s staticKeyset) LoadKeyset(_ context.Context, name string) ([]byte, error) {
	if name != s.name {
		return nil, ErrNotFound
	}
	return s.enc, nil
}
