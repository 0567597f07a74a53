package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/signature"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Names of the keysets the vault keeps in a KeyStore.
const (
	KeysetKEK          = "kek"
	KeysetIndex        = "index"
	KeysetPseudonym    = "pseudonym"
	KeysetAuditSigning = "audit-signing"
)

// keysetSpecs lists the keysets in the order Init creates them, with their templates.
var keysetSpecs = []struct {
	name     string
	template func() *tinkpb.KeyTemplate
}{
	{KeysetKEK, aead.AES256GCMKeyTemplate},
	{KeysetIndex, prf.HMACSHA256PRFKeyTemplate},
	{KeysetPseudonym, prf.HMACSHA256PRFKeyTemplate},
	{KeysetAuditSigning, signature.ED25519KeyWithoutPrefixTemplate},
}

// Defaults of the person-key cache.
const (
	// DefaultCacheSize is how many unwrapped person keys a Vault keeps in memory.
	DefaultCacheSize = 10000
	// DefaultCacheTTL is how long an unwrapped person key stays cached. It bounds
	// how long another process keeps using a key this process destroyed.
	DefaultCacheTTL = 5 * time.Minute
)

// Option configures Open.
type Option func(*options)

type options struct {
	cacheSize int
	cacheTTL  time.Duration
	now       func() time.Time
}

// WithCacheSize sets how many unwrapped person keys are kept in memory (least
// recently used are evicted first). n <= 0 disables the cache.
func WithCacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithCacheTTL sets how long an unwrapped person key stays cached. In a deployment
// where several processes share one database, it bounds how long a process may keep
// using a person key another process destroyed. d <= 0 means DefaultCacheTTL.
func WithCacheTTL(d time.Duration) Option { return func(o *options) { o.cacheTTL = d } }

// withClock replaces the clock (tests).
func withClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Vault encrypts and decrypts fields, computes blind indexes and subject references,
// and signs audit checkpoints. Open returns one; it is safe for concurrent use. The
// methods that take no KeyStore use the one given to Open; With returns a view of the
// same Vault over another KeyStore (a store transaction).
type Vault struct {
	*shared
	ks KeyStore
	// local caches the person keys a view over a transaction has used; nil for
	// the Vault Open returned (which uses shared.cache).
	local *personCache
}

// shared is the state every view of one Vault shares.
type shared struct {
	master    MasterKey
	kek       atomic.Pointer[kekState]
	rotateMu  sync.Mutex // one Rotate at a time within this process
	index     *prf.Set
	pseudonym *prf.Set
	signer    *AuditSigner
	cache     *personCache
	opts      options
}

// kekState is the key-encryption keyset as the vault currently uses it.
type kekState struct {
	aead    tink.AEAD
	primary uint32
	handle  *keyset.Handle
}

// Init creates the vault's keysets in ks, encrypted under master. It refuses to
// replace keysets: when all are present it returns ErrAlreadyInitialised and changes
// nothing. When only some are present (an Init that crashed half way), it checks that
// master decrypts them and creates the missing ones, unless person keys already
// exist: then a missing keyset means lost key material, and Init refuses
// (ErrKeysetLost) rather than create a key that would make existing indexes or data
// unusable.
//
// Init takes no lock: run it once, from one process (the `keys init` command).
func Init(ctx context.Context, ks KeyStore, master MasterKey) error {
	if master == nil {
		return ErrNoMasterKey
	}
	if ks == nil {
		return errors.New("vault: Init needs a KeyStore")
	}
	var missing []int
	for i, spec := range keysetSpecs {
		_, err := loadKeyset(ctx, ks, master, spec.name)
		switch {
		case err == nil:
		case errors.Is(err, ErrNotInitialised):
			missing = append(missing, i)
		default:
			return err
		}
	}
	if len(missing) == 0 {
		return ErrAlreadyInitialised
	}
	if len(missing) < len(keysetSpecs) {
		people, err := ks.PersonKeys(ctx, "", 1)
		if err != nil {
			return fmt.Errorf("vault: listing person keys: %w", err)
		}
		if len(people) > 0 {
			return &KeysetError{Keyset: keysetSpecs[missing[0]].name, Err: ErrKeysetLost}
		}
	}
	for _, i := range missing {
		spec := keysetSpecs[i]
		h, err := keyset.NewHandle(spec.template())
		if err != nil {
			return fmt.Errorf("vault: creating keyset %q: %w", spec.name, err)
		}
		// Insert only if still absent: of two Inits racing, one creates the
		// keyset and the other stops, never replacing a keyset already in use.
		if err := saveKeyset(ctx, ks, master, spec.name, nil, h); err != nil {
			if errors.Is(err, ErrKeysetChanged) {
				return &KeysetError{Keyset: spec.name, Err: fmt.Errorf("%w (another init created it meanwhile)", ErrAlreadyInitialised)}
			}
			return err
		}
	}
	return nil
}

// Open loads and decrypts the keysets from ks with master and returns a Vault that
// uses ks for person keys. Errors: ErrNoMasterKey (master is nil), ErrNotInitialised
// (run `intercom-privacy keys init`), ErrWrongMasterKey, ErrCorruptKeyset, each
// inside a *KeysetError naming the keyset.
func Open(ctx context.Context, ks KeyStore, master MasterKey, opts ...Option) (*Vault, error) {
	if master == nil {
		return nil, ErrNoMasterKey
	}
	if ks == nil {
		return nil, errors.New("vault: Open needs a KeyStore")
	}
	o := options{cacheSize: DefaultCacheSize, cacheTTL: DefaultCacheTTL, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cacheTTL <= 0 {
		o.cacheTTL = DefaultCacheTTL
	}
	handles := make(map[string]*keyset.Handle, len(keysetSpecs))
	for _, spec := range keysetSpecs {
		h, err := loadKeyset(ctx, ks, master, spec.name)
		if err != nil {
			return nil, err
		}
		handles[spec.name] = h
	}
	s := &shared{master: master, opts: o, cache: newPersonCache(o.cacheSize, o.cacheTTL, o.now)}
	kek, err := newKEKState(handles[KeysetKEK])
	if err != nil {
		return nil, err
	}
	s.kek.Store(kek)
	if s.index, err = newPRF(KeysetIndex, handles[KeysetIndex]); err != nil {
		return nil, err
	}
	if s.pseudonym, err = newPRF(KeysetPseudonym, handles[KeysetPseudonym]); err != nil {
		return nil, err
	}
	if s.signer, err = newAuditSigner(handles[KeysetAuditSigning]); err != nil {
		return nil, err
	}
	return &Vault{shared: s, ks: ks}, nil
}

// With returns a view of v that keeps person keys in ks (for example a store
// transaction, which implements KeyStore) instead of the KeyStore given to Open. The
// view shares v's keysets and reads v's person-key cache, but keys it creates or loads
// are cached only in the view: the transaction may roll back, and a key that was
// never committed must not outlive it in v's cache. Use a view for one transaction
// and drop it.
func (v *Vault) With(ks KeyStore) *Vault {
	if !v.opened() {
		return v
	}
	return &Vault{shared: v.shared, ks: ks, local: newPersonCache(v.opts.cacheSize, v.opts.cacheTTL, v.opts.now)}
}

// KEKVersion returns the key id of the "kek" keyset's primary key: the KEKVersion new
// person keys are wrapped with (0 for a Vault that was not opened).
func (v *Vault) KEKVersion() uint32 {
	if !v.opened() {
		return 0
	}
	return v.kek.Load().primary
}

// opened reports whether v came from Open (or With); methods of any other Vault
// return ErrNotOpen instead of panicking.
func (v *Vault) opened() bool { return v != nil && v.shared != nil && v.ks != nil }

func newKEKState(h *keyset.Handle) (*kekState, error) {
	a, err := aead.New(h)
	if err != nil {
		return nil, &KeysetError{Keyset: KeysetKEK, Err: ErrCorruptKeyset}
	}
	p, err := h.Primary()
	if err != nil {
		return nil, &KeysetError{Keyset: KeysetKEK, Err: ErrCorruptKeyset}
	}
	return &kekState{aead: a, primary: p.KeyID(), handle: h}, nil
}

func newPRF(name string, h *keyset.Handle) (*prf.Set, error) {
	set, err := prf.NewPRFSet(h)
	if err != nil {
		return nil, &KeysetError{Keyset: name, Err: ErrCorruptKeyset}
	}
	if _, ok := set.PRFs[set.PrimaryID]; !ok {
		return nil, &KeysetError{Keyset: name, Err: ErrCorruptKeyset}
	}
	return set, nil
}

// keysetAD is the associated data a keyset is encrypted with: its name, so that a
// keyset stored under another name does not decrypt.
func keysetAD(name string) []byte {
	return encodeParts("intercom-privacy/keyset/v1", name)
}

// keysetLoader is the part of KeyStore loadKeyset needs.
type keysetLoader interface {
	LoadKeyset(ctx context.Context, name string) ([]byte, error)
}

// loadKeyset reads and decrypts one keyset, mapping failures to the sentinel errors.
func loadKeyset(ctx context.Context, ks keysetLoader, master MasterKey, name string) (*keyset.Handle, error) {
	enc, err := ks.LoadKeyset(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, &KeysetError{Keyset: name, Err: ErrNotInitialised}
	}
	if err != nil {
		return nil, &KeysetError{Keyset: name, Err: fmt.Errorf("loading from the store: %w", err)}
	}
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(enc)), master, keysetAD(name))
	if err == nil {
		return h, nil
	}
	// Tell a wrong master key from a damaged keyset: decrypt the envelope alone.
	encKS, perr := keyset.NewBinaryReader(bytes.NewReader(enc)).ReadEncrypted()
	if perr != nil || len(encKS.GetEncryptedKeyset()) == 0 {
		return nil, &KeysetError{Keyset: name, Err: ErrCorruptKeyset}
	}
	if _, derr := master.Decrypt(encKS.GetEncryptedKeyset(), keysetAD(name)); derr != nil {
		if _, local := master.(localMasterKey); local {
			return nil, &KeysetError{Keyset: name, Err: ErrWrongMasterKey}
		}
		// A remote (KMS) master key may fail for reasons other than a wrong key:
		// keep its error, which names no secret, so the operator can tell.
		return nil, &KeysetError{Keyset: name, Err: fmt.Errorf("%w (master key AEAD: %v)", ErrWrongMasterKey, derr)}
	}
	return nil, &KeysetError{Keyset: name, Err: ErrCorruptKeyset}
}

// saveKeyset encrypts h under master and saves it under name if the stored keyset
// is still old (nil: none stored yet); otherwise it returns an error matching
// ErrKeysetChanged and writes nothing.
func saveKeyset(ctx context.Context, ks KeyStore, master MasterKey, name string, old []byte, h *keyset.Handle) error {
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), master, keysetAD(name)); err != nil {
		return &KeysetError{Keyset: name, Err: fmt.Errorf("encrypting with the master key failed: %w", err)}
	}
	if err := ks.SwapKeyset(ctx, name, old, buf.Bytes()); err != nil {
		if errors.Is(err, ErrKeysetChanged) {
			return &KeysetError{Keyset: name, Err: ErrKeysetChanged}
		}
		return &KeysetError{Keyset: name, Err: fmt.Errorf("saving to the store: %w", err)}
	}
	return nil
}
