package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// seedPeople encrypts one field for each of n people and returns the ciphertexts.
func seedPeople(t *testing.T, v *Vault, n int) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte, n)
	for i := range n {
		id := fmt.Sprintf("person-%04d", i)
		ct, err := v.Encrypt(context.Background(), id, AAD{"contacts", "email", id}, []byte(id+"@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		out[id] = ct
	}
	return out
}

// checkAll opens a fresh vault (no cache) and decrypts every ciphertext.
func checkAll(t *testing.T, ks KeyStore, m MasterKey, cts map[string][]byte) {
	t.Helper()
	v, err := Open(context.Background(), ks, m)
	if err != nil {
		t.Fatal(err)
	}
	for id, ct := range cts {
		pt, err := v.Decrypt(context.Background(), id, AAD{"contacts", "email", id}, ct)
		if err != nil || string(pt) != id+"@example.com" {
			t.Fatalf("%s after rotation: %q, %v", id, pt, err)
		}
	}
}

func versions(t *testing.T, ks KeyStore) map[uint32]int {
	t.Helper()
	out := map[uint32]int{}
	after := ""
	for {
		keys, err := ks.PersonKeys(context.Background(), after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			return out
		}
		for _, k := range keys {
			out[k.KEKVersion]++
		}
		after = keys[len(keys)-1].ID
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	cts := seedPeople(t, v, 53)
	before := v.KEKVersion()
	var calls []int
	res, err := v.Rotate(ctx, nil, 10, func(done int) { calls = append(calls, done) })
	if err != nil {
		t.Fatal(err)
	}
	if !res.Added || res.Resumed || res.KEKVersion == before || res.Rewrapped != 53 || res.Scanned != 53 {
		t.Fatalf("result %+v", res)
	}
	if v.KEKVersion() != res.KEKVersion {
		t.Fatal("the vault still wraps new keys with the old KEK")
	}
	if got := versions(t, ks); got[res.KEKVersion] != 53 || len(got) != 1 {
		t.Fatalf("KEK versions after rotation: %v", got)
	}
	if len(calls) == 0 || calls[len(calls)-1] != 53 {
		t.Fatalf("progress calls %v", calls)
	}
	checkAll(t, ks, m, cts)
	// New keys use the new KEK.
	if _, err := v.Encrypt(ctx, "newcomer", aadEmail, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if k, _ := ks.LoadPersonKey(ctx, "newcomer"); k.KEKVersion != res.KEKVersion {
		t.Fatalf("new key wrapped with %d, want %d", k.KEKVersion, res.KEKVersion)
	}
	// A second rotation adds another key; everything still opens.
	res2, err := v.Rotate(ctx, nil, 0, nil)
	if err != nil || !res2.Added || res2.KEKVersion == res.KEKVersion || res2.Rewrapped != 54 {
		t.Fatalf("second rotation %+v, %v", res2, err)
	}
	checkAll(t, ks, m, cts)
}

func TestRotateResumesAfterCrash(t *testing.T) {
	for _, crashAfter := range []int{0, 1, 17} {
		t.Run(fmt.Sprint("after_", crashAfter), func(t *testing.T) {
			ctx := context.Background()
			v, mem, m := newTestVault(t)
			cts := seedPeople(t, v, 40)
			old := v.KEKVersion()

			crashing := &failingKeyStore{MemoryKeyStore: mem, updates: crashAfter, failU: true}
			res, err := v.Rotate(ctx, crashing, 7, nil)
			if !errors.Is(err, ErrRotationInterrupted) || !errors.Is(err, errCrash) {
				t.Fatalf("crashing rotation: %+v, %v", res, err)
			}
			target := res.KEKVersion
			if target == old || res.Rewrapped != crashAfter {
				t.Fatalf("crashing rotation result %+v", res)
			}
			got := versions(t, mem)
			if got[target] != crashAfter || got[old] != 40-crashAfter {
				t.Fatalf("after crash: %v", got)
			}
			// Old and new keys are both usable in the meantime (a fresh process).
			checkAll(t, mem, m, cts)

			// A new process resumes: no new key, the rest re-wrapped.
			v2, err := Open(ctx, mem, m)
			if err != nil {
				t.Fatal(err)
			}
			res, err = v2.Rotate(ctx, nil, 7, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Resumed || res.Added || res.KEKVersion != target || res.Rewrapped != 40-crashAfter {
				t.Fatalf("resumed rotation %+v", res)
			}
			if got := versions(t, mem); got[target] != 40 {
				t.Fatalf("after resume: %v", got)
			}
			checkAll(t, mem, m, cts)

			// The next run starts a new rotation.
			res, err = v2.Rotate(ctx, nil, 7, nil)
			if err != nil || !res.Added || res.KEKVersion == target {
				t.Fatalf("rotation after resume %+v, %v", res, err)
			}
		})
	}
}

func TestRotateKeysetSaveFails(t *testing.T) {
	ctx := context.Background()
	v, mem, m := newTestVault(t)
	cts := seedPeople(t, v, 5)
	old := v.KEKVersion()
	crashing := &failingKeyStore{MemoryKeyStore: mem, failSaves: true}
	if _, err := v.Rotate(ctx, crashing, 2, nil); !errors.Is(err, errCrash) {
		t.Fatalf("Rotate with a failing keyset save = %v", err)
	}
	if v.KEKVersion() != old {
		t.Fatal("the vault adopted a KEK that was never saved")
	}
	if got := versions(t, mem); got[old] != 5 {
		t.Fatalf("keys re-wrapped although the keyset was not saved: %v", got)
	}
	checkAll(t, mem, m, cts)
}

func TestRotateByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	a, ks, m := newTestVault(t)
	b, _ := Open(ctx, ks, m)
	if _, err := b.Rotate(ctx, nil, 10, nil); err != nil {
		t.Fatal(err)
	}
	// b wraps a new person's key with the new KEK, which a has never seen.
	ct, err := b.Encrypt(ctx, "after-rotation", aadEmail, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := a.Decrypt(ctx, "after-rotation", aadEmail, ct); err != nil || string(pt) != "x" {
		t.Fatalf("stale process could not read a key wrapped by the new KEK: %v", err)
	}
	if a.KEKVersion() != b.KEKVersion() {
		t.Fatal("stale process did not adopt the new KEK")
	}
}

// TestRotateWithConcurrentRotation: while one rotation is half way, another
// process finishes it and then rotates again (a newer primary). The first adopts the
// newer primary when it meets keys wrapped by it, passes over the keys again, and
// ends with every key on the newest primary; nothing is lost on the way.
func TestRotateWithConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	cts := seedPeople(t, v, 30)
	other, _ := Open(ctx, ks, m)
	var newest uint32
	updates := 0
	hooked := &hookUpdate{MemoryKeyStore: ks, before: func(string) {
		if updates++; updates != 11 { // once the first batch of 10 is re-wrapped
			return
		}
		if r, err := other.Rotate(ctx, nil, 1000, nil); err != nil || !r.Resumed {
			t.Errorf("the other process's first run: %+v, %v (want it to finish the rotation under way)", r, err)
		}
		r, err := other.Rotate(ctx, nil, 1000, nil)
		if err != nil || !r.Added || r.Rewrapped != 30 {
			t.Errorf("the other process's second run: %+v, %v", r, err)
		}
		newest = r.KEKVersion
	}}
	res, err := v.Rotate(ctx, hooked, 10, nil)
	if err != nil || !res.Added || res.KEKVersion != newest {
		t.Fatalf("rotation interleaved with another: %+v, %v (newest primary %d)", res, err, newest)
	}
	if got := versions(t, ks); got[newest] != 30 || len(got) != 1 {
		t.Fatalf("KEK versions after both: %v", got)
	}
	checkAll(t, ks, m, cts)
}

// TestRotateJoinsARotationSavedFirst: two processes read the same keyset; the second
// saves its new key first, and the first, whose compare-and-swap then fails, joins
// that rotation instead of overwriting it.
func TestRotateJoinsARotationSavedFirst(t *testing.T) {
	ctx := context.Background()
	v, mem, m := newTestVault(t)
	cts := seedPeople(t, v, 12)
	other, _ := Open(ctx, mem, m)
	racing := &raceOnSave{MemoryKeyStore: mem, before: func() {
		if r, err := other.Rotate(ctx, nil, 5, nil); err != nil || !r.Added {
			t.Errorf("the other rotation: %+v, %v", r, err)
		}
	}}
	res, err := v.Rotate(ctx, racing, 5, nil)
	if err != nil || res.Added || !res.Joined || res.KEKVersion != other.KEKVersion() {
		t.Fatalf("rotation that lost the race: %+v, %v (the other's primary %d)", res, err, other.KEKVersion())
	}
	if got := versions(t, mem); got[res.KEKVersion] != 12 || len(got) != 1 {
		t.Fatalf("KEK versions: %v", got)
	}
	checkAll(t, mem, m, cts)
}

// raceOnSave runs before once, just before the first SwapKeyset goes through.
type raceOnSave struct {
	*MemoryKeyStore
	before func()
	done   bool
}

func (r *raceOnSave) SwapKeyset(ctx context.Context, name string, old, b []byte) error {
	if !r.done {
		r.done = true
		r.before()
	}
	return r.MemoryKeyStore.SwapKeyset(ctx, name, old, b)
}

// TestRotateDoesNotResurrectADestroyedKey: a person key destroyed and created anew
// while a rotation holds the old one in a batch is not overwritten with the old key.
func TestRotateDoesNotResurrectADestroyedKey(t *testing.T) {
	ctx := context.Background()
	v, mem, m := newTestVault(t)
	seedPeople(t, v, 4)
	slow := &hookUpdate{MemoryKeyStore: mem, before: func(id string) {
		if id != "person-0002" {
			return
		}
		if _, err := v.DestroyPersonKey(ctx, nil, id); err != nil {
			t.Error(err)
		}
	}}
	res, err := v.Rotate(ctx, slow, 10, nil)
	if err != nil || res.Vanished != 1 || res.Rewrapped != 3 {
		t.Fatalf("%+v, %v", res, err)
	}
	// The person comes back: a new key; it must be the one stored.
	ct, err := v.Encrypt(ctx, "person-0002", aadEmail, []byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, mem, m, nil)
	fresh, _ := Open(ctx, mem, m)
	if pt, err := fresh.Decrypt(ctx, "person-0002", aadEmail, ct); err != nil || string(pt) != "new" {
		t.Fatalf("new key after the rotation: %q, %v", pt, err)
	}
}

// hookUpdate calls before(id) ahead of each UpdatePersonKey (per-key path).
type hookUpdate struct {
	*MemoryKeyStore
	before func(id string)
}

func (h *hookUpdate) UpdatePersonKey(ctx context.Context, k PersonKey, prev []byte) error {
	h.before(k.ID)
	return h.MemoryKeyStore.UpdatePersonKey(ctx, k, prev)
}

func TestRotateUnreadableKeyIsReported(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	cts := seedPeople(t, v, 6)
	k, _ := ks.LoadPersonKey(ctx, "person-0003")
	prev := slices.Clone(k.Wrapped)
	k.Wrapped[len(k.Wrapped)-1] ^= 1
	if err := ks.UpdatePersonKey(ctx, k, prev); err != nil {
		t.Fatal(err)
	}
	delete(cts, "person-0003")
	res, err := v.Rotate(ctx, nil, 4, nil)
	if !errors.Is(err, ErrKeyUnwrap) || res.Unreadable != 1 || res.Rewrapped != 5 {
		t.Fatalf("%+v, %v", res, err)
	}
	checkAll(t, ks, m, cts)
}

// batchingKeyStore implements PersonKeyBatchUpdater over a MemoryKeyStore, all or
// nothing, and can fail the call after a number of batches.
type batchingKeyStore struct {
	*MemoryKeyStore
	calls, failAfter int
}

func (b *batchingKeyStore) UpdatePersonKeys(ctx context.Context, keys []PersonKeyUpdate) (int, error) {
	b.calls++
	if b.failAfter > 0 && b.calls > b.failAfter {
		return 0, errCrash
	}
	n := 0
	for _, k := range keys {
		if err := b.MemoryKeyStore.UpdatePersonKey(ctx, k.Key, k.Prev); err == nil {
			n++
		}
	}
	return n, nil
}

func TestRotateBatchUpdater(t *testing.T) {
	ctx := context.Background()
	v, mem, m := newTestVault(t)
	cts := seedPeople(t, v, 23)
	bks := &batchingKeyStore{MemoryKeyStore: mem, failAfter: 2}
	res, err := v.Rotate(ctx, bks, 5, nil)
	if !errors.Is(err, ErrRotationInterrupted) || res.Rewrapped != 10 || bks.calls != 3 {
		t.Fatalf("crashing batched rotation: %+v, %v, %d calls", res, err, bks.calls)
	}
	checkAll(t, mem, m, cts)
	bks.failAfter, bks.calls = 0, 0
	res, err = v.Rotate(ctx, bks, 5, nil)
	if err != nil || !res.Resumed || res.Rewrapped != 13 || bks.calls != 3 {
		t.Fatalf("resumed batched rotation: %+v, %v, %d calls", res, err, bks.calls)
	}
	checkAll(t, mem, m, cts)
}
