package vault

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testMaster is a fixed master key for tests (not a secret: test data).
var testMasterText = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func testMaster(t testing.TB) MasterKey {
	t.Helper()
	m, err := ParseMasterKey(testMasterText)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newMaster(t testing.TB) (MasterKey, string) {
	t.Helper()
	text, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return m, text
}

func newTestVault(t testing.TB, opts ...Option) (*Vault, *MemoryKeyStore, MasterKey) {
	t.Helper()
	ks := &MemoryKeyStore{}
	m := testMaster(t)
	if err := Init(context.Background(), ks, m); err != nil {
		t.Fatal(err)
	}
	v, err := Open(context.Background(), ks, m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v, ks, m
}

var aadEmail = AAD{Table: "contacts", Column: "email", Row: "c1"}

func TestInitOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	ct, err := v.Encrypt(ctx, "person-1", aadEmail, []byte("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("ada@example.com")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	pt, err := v.Decrypt(ctx, "person-1", aadEmail, ct)
	if err != nil || string(pt) != "ada@example.com" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	// A second process (a fresh Open, no cache) reads the same data.
	v2, err := Open(ctx, ks, m)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := v2.Decrypt(ctx, "person-1", aadEmail, ct); err != nil || string(pt) != "ada@example.com" {
		t.Fatalf("fresh vault Decrypt = %q, %v", pt, err)
	}
	// Encrypting twice gives different ciphertexts (random nonces).
	ct2, _ := v.Encrypt(ctx, "person-1", aadEmail, []byte("ada@example.com"))
	if bytes.Equal(ct, ct2) {
		t.Fatal("two encryptions gave the same ciphertext")
	}
	if err := Init(ctx, ks, m); !errors.Is(err, ErrAlreadyInitialised) {
		t.Fatalf("second Init = %v, want ErrAlreadyInitialised", err)
	}
	if ks.Len() != 1 {
		t.Fatalf("person keys = %d, want 1", ks.Len())
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	m := testMaster(t)

	if _, err := Open(ctx, &MemoryKeyStore{}, nil); !errors.Is(err, ErrNoMasterKey) {
		t.Errorf("nil master: %v", err)
	}
	if err := Init(ctx, &MemoryKeyStore{}, nil); !errors.Is(err, ErrNoMasterKey) {
		t.Errorf("Init nil master: %v", err)
	}

	_, err := Open(ctx, &MemoryKeyStore{}, m)
	var ke *KeysetError
	if !errors.Is(err, ErrNotInitialised) || !errors.As(err, &ke) || ke.Keyset != KeysetKEK {
		t.Errorf("empty store: %v", err)
	}
	if err != nil && !strings.Contains(err.Error(), "keys init") {
		t.Errorf("error does not name the remedy: %v", err)
	}

	_, ks, _ := newTestVault(t)
	other, otherText := newMaster(t)
	_, err = Open(ctx, ks, other)
	if !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("wrong master: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), otherText) || !strings.Contains(err.Error(), EnvMasterKey)) {
		t.Errorf("wrong-master error leaks the key or names no remedy: %v", err)
	}
	if err := Init(ctx, ks, other); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("Init with wrong master over existing keysets: %v", err)
	}

	// A missing keyset.
	for _, name := range []string{KeysetIndex, KeysetAuditSigning} {
		_, ks, _ := newTestVault(t)
		delete(ks.keysets, name)
		_, err := Open(ctx, ks, m)
		if !errors.Is(err, ErrNotInitialised) || !errors.As(err, &ke) || ke.Keyset != name {
			t.Errorf("missing %s: %v", name, err)
		}
	}

	// A damaged keyset (garbage, or truncated).
	_, ks, _ = newTestVault(t)
	ks.keysets[KeysetIndex] = []byte("not a keyset at all")
	if _, err := Open(ctx, ks, m); !errors.Is(err, ErrCorruptKeyset) && !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("garbage keyset: %v", err)
	}
	_, ks, _ = newTestVault(t)
	ks.keysets[KeysetKEK] = ks.keysets[KeysetKEK][:len(ks.keysets[KeysetKEK])/2]
	if _, err := Open(ctx, ks, m); err == nil {
		t.Error("truncated keyset opened")
	}

	// Keysets are bound to their names: a PRF keyset stored as "kek" does not open.
	_, ks, _ = newTestVault(t)
	ks.keysets[KeysetKEK] = ks.keysets[KeysetIndex]
	if _, err := Open(ctx, ks, m); err == nil || !errors.As(err, &ke) || ke.Keyset != KeysetKEK {
		t.Errorf("swapped keyset: %v", err)
	}
	// A keyset of the wrong kind under the right name (re-encrypted, so the
	// envelope is valid) is reported as damaged.
	_, ks, _ = newTestVault(t)
	h, err := loadKeyset(ctx, ks, m, KeysetIndex)
	if err != nil {
		t.Fatal(err)
	}
	if err := saveKeyset(ctx, ks, m, KeysetKEK, ks.keysets[KeysetKEK], h); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, ks, m); !errors.Is(err, ErrCorruptKeyset) {
		t.Errorf("PRF keyset as kek: %v", err)
	}
}

// failingKeyStore fails SwapKeyset after saves successful saves and
// UpdatePersonKey after updates successful updates (a simulated crash).
type failingKeyStore struct {
	*MemoryKeyStore
	mu               sync.Mutex
	saves, updates   int
	failSaves, failU bool
}

var errCrash = errors.New("simulated crash")

func (f *failingKeyStore) SwapKeyset(ctx context.Context, name string, old, b []byte) error {
	f.mu.Lock()
	if f.failSaves && f.saves == 0 {
		f.mu.Unlock()
		return errCrash
	}
	f.saves--
	f.mu.Unlock()
	return f.MemoryKeyStore.SwapKeyset(ctx, name, old, b)
}

func (f *failingKeyStore) UpdatePersonKey(ctx context.Context, k PersonKey, prev []byte) error {
	f.mu.Lock()
	if f.failU && f.updates == 0 {
		f.mu.Unlock()
		return errCrash
	}
	f.updates--
	f.mu.Unlock()
	return f.MemoryKeyStore.UpdatePersonKey(ctx, k, prev)
}

func TestInitInterrupted(t *testing.T) {
	ctx := context.Background()
	m := testMaster(t)
	mem := &MemoryKeyStore{}
	fks := &failingKeyStore{MemoryKeyStore: mem, saves: 2, failSaves: true}
	if err := Init(ctx, fks, m); !errors.Is(err, errCrash) {
		t.Fatalf("Init with crashing store = %v", err)
	}
	if _, err := Open(ctx, mem, m); !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("Open after half an Init = %v", err)
	}
	kek := bytes.Clone(mem.keysets[KeysetKEK])
	if err := Init(ctx, mem, m); err != nil {
		t.Fatalf("Init to complete = %v", err)
	}
	if !bytes.Equal(kek, mem.keysets[KeysetKEK]) {
		t.Fatal("completing Init replaced an existing keyset")
	}
	v, err := Open(ctx, mem, m)
	if err != nil {
		t.Fatal(err)
	}
	// With person keys in place, a missing keyset is not silently re-created.
	if _, err := v.Encrypt(ctx, "p", aadEmail, []byte("x")); err != nil {
		t.Fatal(err)
	}
	delete(mem.keysets, KeysetIndex)
	err = Init(ctx, mem, m)
	if !errors.Is(err, ErrKeysetLost) || !strings.Contains(err.Error(), "backup") || !strings.Contains(err.Error(), `"index"`) {
		t.Fatalf("Init with a missing keyset and person keys = %v", err)
	}
}

func TestTamperAndMove(t *testing.T) {
	ctx := context.Background()
	v, _, _ := newTestVault(t)
	ct, err := v.Encrypt(ctx, "alice", aadEmail, []byte("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Encrypt(ctx, "bob", aadEmail, []byte("bob@example.com")); err != nil {
		t.Fatal(err)
	}
	moved := []struct {
		name   string
		person string
		aad    AAD
	}{
		{"other row", "alice", AAD{"contacts", "email", "c2"}},
		{"other column", "alice", AAD{"contacts", "name", "c1"}},
		{"other table", "alice", AAD{"conversation_parts", "email", "c1"}},
		{"shifted boundary", "alice", AAD{"contact", "semail", "c1"}},
		{"other person", "bob", aadEmail},
	}
	for _, m := range moved {
		if _, err := v.Decrypt(ctx, m.person, m.aad, ct); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: Decrypt = %v, want ErrDecrypt", m.name, err)
		}
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x40
		if _, err := v.Decrypt(ctx, "alice", aadEmail, bad); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	for _, n := range []int{0, 1, 5, 17, len(ct) - 1} {
		if _, err := v.Decrypt(ctx, "alice", aadEmail, ct[:n]); err == nil {
			t.Fatalf("truncation to %d went unnoticed", n)
		}
	}
	if _, err := v.Decrypt(ctx, "alice", AAD{Table: "contacts", Column: "email"}, ct); !errors.Is(err, ErrInvalidAAD) {
		t.Errorf("empty row: %v", err)
	}
	if _, err := v.Encrypt(ctx, "", aadEmail, nil); !errors.Is(err, ErrInvalidKeyID) {
		t.Errorf("empty id: %v", err)
	}
	if _, err := v.Encrypt(ctx, strings.Repeat("x", MaxPersonKeyIDLen+1), aadEmail, nil); !errors.Is(err, ErrInvalidKeyID) {
		t.Errorf("long id: %v", err)
	}
}

func TestAADEncodingUnambiguous(t *testing.T) {
	pairs := [][2]AAD{
		{{"a", "bc", "d"}, {"ab", "c", "d"}},
		{{"a", "b", "cd"}, {"a", "bc", "d"}},
		{{"t", "c", "r\x00"}, {"t", "c\x00", "r"}},
	}
	for _, p := range pairs {
		if bytes.Equal(p[0].Encode(), p[1].Encode()) {
			t.Errorf("%v and %v encode alike", p[0], p[1])
		}
	}
}

func TestShredding(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	ct, err := v.Encrypt(ctx, "carol", aadEmail, []byte("carol@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	backup := bytes.Clone(ct) // a copy in a backup
	other, _ := v.Encrypt(ctx, "dave", aadEmail, []byte("dave@example.com"))

	existed, err := v.DestroyPersonKey(ctx, nil, "carol")
	if err != nil || !existed {
		t.Fatalf("DestroyPersonKey = %v, %v", existed, err)
	}
	for _, c := range [][]byte{ct, backup} {
		if _, err := v.Decrypt(ctx, "carol", aadEmail, c); !errors.Is(err, ErrShredded) {
			t.Fatalf("Decrypt after shredding = %v, want ErrShredded", err)
		}
	}
	v2, _ := Open(ctx, ks, m)
	if _, err := v2.Decrypt(ctx, "carol", aadEmail, backup); !errors.Is(err, ErrShredded) {
		t.Fatalf("fresh vault Decrypt after shredding = %v", err)
	}
	if pt, err := v.Decrypt(ctx, "dave", aadEmail, other); err != nil || string(pt) != "dave@example.com" {
		t.Fatalf("another person's data after shredding = %q, %v", pt, err)
	}
	if existed, err := v.DestroyPersonKey(ctx, nil, "carol"); err != nil || existed {
		t.Fatalf("second DestroyPersonKey = %v, %v", existed, err)
	}
	// Decrypt never creates a key.
	if _, err := v.Decrypt(ctx, "never-seen", aadEmail, ct); !errors.Is(err, ErrShredded) {
		t.Fatalf("Decrypt for unknown person = %v", err)
	}
	if _, err := ks.LoadPersonKey(ctx, "never-seen"); !errors.Is(err, ErrNotFound) {
		t.Fatal("Decrypt created a person key")
	}
	// The person comes back: a new key, and the old data stays unreadable.
	if _, err := v.Encrypt(ctx, "carol", aadEmail, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Decrypt(ctx, "carol", aadEmail, backup); err == nil {
		t.Fatal("old ciphertext opened under the re-created key")
	}
}

func TestShreddingInsideTransactionView(t *testing.T) {
	ctx := context.Background()
	v, ks, _ := newTestVault(t)
	ct, _ := v.Encrypt(ctx, "erin", aadEmail, []byte("erin@example.com"))
	// Another KeyStore value over the same data stands for a transaction.
	tx := &failingKeyStore{MemoryKeyStore: ks}
	existed, err := v.DestroyPersonKey(ctx, tx, "erin")
	if err != nil || !existed {
		t.Fatalf("DestroyPersonKey(tx) = %v, %v", existed, err)
	}
	if _, err := v.Decrypt(ctx, "erin", aadEmail, ct); !errors.Is(err, ErrShredded) {
		t.Fatalf("Decrypt after destroy in tx = %v (the shared cache kept the key?)", err)
	}
}

func TestViewDoesNotLeakUncommittedKeys(t *testing.T) {
	ctx := context.Background()
	v, ks, _ := newTestVault(t)
	tx := &MemoryKeyStore{} // a transaction that will roll back: its writes vanish
	view := v.With(tx)
	if _, err := view.Encrypt(ctx, "frank", aadEmail, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 0 {
		t.Fatal("a key created in a transaction view entered the shared cache")
	}
	if err := v.CreatePersonKey(ctx, tx, "gina"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.LoadPersonKey(ctx, "gina"); !errors.Is(err, ErrNotFound) {
		t.Fatal("CreatePersonKey(tx) wrote to the default store")
	}
	if v.cache.len() != 0 {
		t.Fatal("CreatePersonKey(tx) filled the shared cache")
	}
}

func TestConcurrentPersonKeyCreation(t *testing.T) {
	ctx := context.Background()
	_, ks, m := newTestVault(t)
	// Several "processes": separate vaults with separate caches over one store.
	var vaults []*Vault
	for range 4 {
		v, err := Open(ctx, ks, m)
		if err != nil {
			t.Fatal(err)
		}
		vaults = append(vaults, v)
	}
	const workers = 32
	cts := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cts[i], errs[i] = vaults[i%len(vaults)].Encrypt(ctx, "same-person", aadEmail, []byte(fmt.Sprint("v", i)))
		}()
	}
	close(start)
	wg.Wait()
	if ks.Len() != 1 {
		t.Fatalf("person keys = %d, want 1", ks.Len())
	}
	for i := range workers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for _, v := range vaults {
			pt, err := v.Decrypt(ctx, "same-person", aadEmail, cts[i])
			if err != nil || string(pt) != fmt.Sprint("v", i) {
				t.Fatalf("ciphertext %d: %q, %v", i, pt, err)
			}
		}
	}
}

func TestConcurrentUseManyPeople(t *testing.T) {
	ctx := context.Background()
	v, _, _ := newTestVault(t, WithCacheSize(8))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprint("p", (g*7+i)%20)
				aad := AAD{"contacts", "email", id}
				ct, err := v.Encrypt(ctx, id, aad, []byte(id))
				if err != nil {
					t.Error(err)
					return
				}
				if pt, err := v.Decrypt(ctx, id, aad, ct); err != nil || string(pt) != id {
					t.Errorf("%q, %v", pt, err)
					return
				}
				if i%17 == 0 {
					if _, err := v.BlindIndex(KindEmail, id+"@x.test"); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := v.cache.len(); n > 8 {
		t.Fatalf("cache holds %d entries, bound is 8", n)
	}
}

func TestStaleCacheAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	a, ks, m := newTestVault(t)
	b, _ := Open(ctx, ks, m)
	if _, err := a.Encrypt(ctx, "hal", aadEmail, []byte("old")); err != nil {
		t.Fatal(err) // a caches hal's first key
	}
	if _, err := b.DestroyPersonKey(ctx, nil, "hal"); err != nil {
		t.Fatal(err)
	}
	ct, err := b.Encrypt(ctx, "hal", aadEmail, []byte("new")) // a new key
	if err != nil {
		t.Fatal(err)
	}
	pt, err := a.Decrypt(ctx, "hal", aadEmail, ct)
	if err != nil || string(pt) != "new" {
		t.Fatalf("a stale cache did not refresh: %q, %v", pt, err)
	}
}

func TestCacheTTL(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v, ks, m := newTestVault(t, withClock(clock), WithCacheTTL(time.Minute))
	ct, _ := v.Encrypt(ctx, "ivy", aadEmail, []byte("x"))
	other, _ := Open(ctx, ks, m)
	if _, err := other.DestroyPersonKey(ctx, nil, "ivy"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Decrypt(ctx, "ivy", aadEmail, ct); err != nil {
		t.Fatalf("within the TTL the cached key still works (documented): %v", err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, err := v.Decrypt(ctx, "ivy", aadEmail, ct); !errors.Is(err, ErrShredded) {
		t.Fatalf("after the TTL: %v, want ErrShredded", err)
	}
}

func TestPersonCacheLRU(t *testing.T) {
	c := newPersonCache(2, time.Hour, time.Now)
	a, _ := ParseMasterKey(testMasterText) // any AEAD will do as a value
	c.put("a", a)
	c.put("b", a)
	c.get("a") // a is now most recent
	c.put("c", a)
	if _, ok := c.get("b"); ok {
		t.Fatal("least recently used entry was kept")
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("recently used entry was evicted")
	}
	var nilCache *personCache
	nilCache.put("x", a)
	if _, ok := nilCache.get("x"); ok || nilCache.len() != 0 {
		t.Fatal("nil cache cached")
	}
	if newPersonCache(0, time.Hour, time.Now) != nil {
		t.Fatal("size 0 must disable the cache")
	}
}

func TestKeyWrappedUnderAnotherIDDoesNotUnwrap(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	ct, _ := v.Encrypt(ctx, "jack", aadEmail, []byte("x"))
	if _, err := v.Encrypt(ctx, "kim", aadEmail, []byte("y")); err != nil {
		t.Fatal(err)
	}
	// Someone copies jack's wrapped key over kim's row, hoping to keep jack's
	// data readable after jack's key is destroyed.
	jack, _ := ks.LoadPersonKey(ctx, "jack")
	kim, _ := ks.LoadPersonKey(ctx, "kim")
	prev := kim.Wrapped
	kim.Wrapped = jack.Wrapped
	if err := ks.UpdatePersonKey(ctx, kim, prev); err != nil {
		t.Fatal(err)
	}
	fresh, _ := Open(ctx, ks, m)
	if _, err := fresh.Decrypt(ctx, "kim", aadEmail, ct); !errors.Is(err, ErrKeyUnwrap) {
		t.Fatalf("copied wrapped key: %v, want ErrKeyUnwrap", err)
	}
}

func TestAuditSigner(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	s := v.AuditSigner()
	msg := []byte("checkpoint 42")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	pub, id := v.AuditPublicKey()
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		t.Fatal("signature does not verify with crypto/ed25519")
	}
	if ed25519.Verify(pub, []byte("checkpoint 43"), sig) {
		t.Fatal("signature verifies another message")
	}
	if id != KeyIDForPublicKey(pub) || len(id) != 16 || id != s.KeyID() {
		t.Fatalf("key id %q", id)
	}
	pub[0] ^= 1 // PublicKey returns a copy
	if p2 := s.PublicKey(); p2[0] == pub[0] {
		t.Fatal("PublicKey exposes internal state")
	}
	v2, _ := Open(ctx, ks, m)
	if v2.AuditSigner().KeyID() != id {
		t.Fatal("signing key changed across Open")
	}
}

func TestContextCancelled(t *testing.T) {
	v, _, _ := newTestVault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Encrypt(ctx, "lea", aadEmail, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Encrypt with a cancelled context = %v", err)
	}
}

func TestZeroVaultDoesNotPanic(t *testing.T) {
	ctx := context.Background()
	for _, v := range []*Vault{nil, {}} {
		if _, err := v.Encrypt(ctx, "p", aadEmail, nil); !errors.Is(err, ErrNotOpen) {
			t.Errorf("Encrypt: %v", err)
		}
		if _, err := v.Decrypt(ctx, "p", aadEmail, nil); !errors.Is(err, ErrNotOpen) {
			t.Errorf("Decrypt: %v", err)
		}
		if _, err := v.BlindIndex(KindEmail, "a@b.c"); !errors.Is(err, ErrNotOpen) {
			t.Errorf("BlindIndex: %v", err)
		}
		if _, err := v.SubjectRef(KindEmail, "a@b.c"); !errors.Is(err, ErrNotOpen) {
			t.Errorf("SubjectRef: %v", err)
		}
		if _, err := v.Pseudonym(KindEmail, "a@b.c"); !errors.Is(err, ErrNotOpen) {
			t.Errorf("Pseudonym: %v", err)
		}
		if err := v.CreatePersonKey(ctx, nil, "p"); !errors.Is(err, ErrNotOpen) {
			t.Errorf("CreatePersonKey: %v", err)
		}
		if _, err := v.DestroyPersonKey(ctx, nil, "p"); !errors.Is(err, ErrNotOpen) {
			t.Errorf("DestroyPersonKey: %v", err)
		}
		if _, err := v.Rotate(ctx, nil, 1, nil); !errors.Is(err, ErrNotOpen) {
			t.Errorf("Rotate: %v", err)
		}
		v.Forget("p")
		if v.KEKVersion() != 0 || v.AuditSigner() != nil || v.With(&MemoryKeyStore{}) != v {
			t.Error("accessors of an unopened vault")
		}
		if pub, id := v.AuditPublicKey(); pub != nil || id != "" {
			t.Error("AuditPublicKey of an unopened vault")
		}
		if _, err := v.AuditSigner().Sign([]byte("x")); !errors.Is(err, ErrNotOpen) {
			t.Errorf("Sign: %v", err)
		}
	}
}

func TestForget(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	ct, _ := v.Encrypt(ctx, "kai", aadEmail, []byte("x"))
	other, _ := Open(ctx, ks, m)
	if _, err := other.DestroyPersonKey(ctx, nil, "kai"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Decrypt(ctx, "kai", aadEmail, ct); err != nil {
		t.Fatalf("cached key before Forget: %v", err)
	}
	v.Forget("kai")
	if _, err := v.Decrypt(ctx, "kai", aadEmail, ct); !errors.Is(err, ErrShredded) {
		t.Fatalf("after Forget: %v", err)
	}
}
