package integration_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// These tests run the vault on the real stores: SQLite always, PostgreSQL when
// TEST_DATABASE_URL is set. Two stores opened on one database stand for two
// processes.

var errRollback = errors.New("roll back")

func TestVaultOnStores(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.NewURL(t)
			st1, st2 := storetest.OpenURL(t, url), storetest.OpenURL(t, url)
			text, err := vault.GenerateMasterKey()
			if err != nil {
				t.Fatal(err)
			}
			m, _ := vault.ParseMasterKey(text)
			if _, err := vault.Open(ctx, st1, m); !errors.Is(err, vault.ErrNotInitialised) {
				t.Fatalf("Open before Init: %v", err)
			}
			if err := vault.Init(ctx, st1, m); err != nil {
				t.Fatal(err)
			}
			if err := vault.Init(ctx, st2, m); !errors.Is(err, vault.ErrAlreadyInitialised) {
				t.Fatalf("second Init: %v", err)
			}
			v1, err := vault.Open(ctx, st1, m)
			if err != nil {
				t.Fatal(err)
			}
			v2, err := vault.Open(ctx, st2, m)
			if err != nil {
				t.Fatal(err)
			}
			other, _ := vault.GenerateMasterKey()
			om, _ := vault.ParseMasterKey(other)
			if _, err := vault.Open(ctx, st2, om); !errors.Is(err, vault.ErrWrongMasterKey) {
				t.Fatalf("wrong master key: %v", err)
			}

			t.Run("concurrent creation", func(t *testing.T) {
				var wg sync.WaitGroup
				cts := make([][]byte, 8)
				for i := range cts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						v := v1
						if i%2 == 1 {
							v = v2
						}
						ct, err := v.Encrypt(ctx, "shared-person", vault.AAD{Table: "contacts", Column: "email", Row: "r1"}, []byte(fmt.Sprint(i)))
						if err != nil {
							t.Error(err)
						}
						cts[i] = ct
					}()
				}
				wg.Wait()
				for i, ct := range cts {
					for _, v := range []*vault.Vault{v1, v2} {
						if pt, err := v.Decrypt(ctx, "shared-person", vault.AAD{Table: "contacts", Column: "email", Row: "r1"}, ct); err != nil || string(pt) != fmt.Sprint(i) {
							t.Fatalf("ciphertext %d: %q, %v", i, pt, err)
						}
					}
				}
			})

			t.Run("destroy in a transaction", func(t *testing.T) {
				aad := vault.AAD{Table: "contacts", Column: "email", Row: "r2"}
				ct, err := v1.Encrypt(ctx, "erased-person", aad, []byte("x"))
				if err != nil {
					t.Fatal(err)
				}
				// Rolled back: the key survives.
				err = st1.InTx(ctx, func(tx store.Tx) error {
					if ok, err := v1.DestroyPersonKey(ctx, tx, "erased-person"); err != nil || !ok {
						t.Fatalf("destroy in tx: %v, %v", ok, err)
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					t.Fatal(err)
				}
				if _, err := v1.Decrypt(ctx, "erased-person", aad, ct); err != nil {
					t.Fatalf("after a rolled-back destroy: %v", err)
				}
				// Committed: shredded, in this process and in the other.
				if err := st1.InTx(ctx, func(tx store.Tx) error {
					_, err := v1.DestroyPersonKey(ctx, tx, "erased-person")
					return err
				}); err != nil {
					t.Fatal(err)
				}
				for _, v := range []*vault.Vault{v1, v2} {
					if _, err := v.Decrypt(ctx, "erased-person", aad, ct); !errors.Is(err, vault.ErrShredded) {
						t.Fatalf("after destroy: %v", err)
					}
				}
			})

			for _, mode := range []string{"per_key", "batched"} {
				t.Run("rotation resumed after a crash/"+mode, func(t *testing.T) {
					cts := map[string][]byte{}
					for i := range 25 {
						id := fmt.Sprintf("rot-%s-%02d", mode, i)
						ct, err := v1.Encrypt(ctx, id, vault.AAD{Table: "contacts", Column: "email", Row: id}, []byte(id))
						if err != nil {
							t.Fatal(err)
						}
						cts[id] = ct
					}
					var crashing vault.KeyStore
					if mode == "per_key" {
						c := &crashAfter{KeyStore: st1}
						c.n.Store(9)
						crashing = c
					} else {
						c := &crashAfterBatches{Store: st1}
						c.n.Store(2)
						crashing = c
					}
					res, err := v1.Rotate(ctx, crashing, 4, nil)
					if !errors.Is(err, vault.ErrRotationInterrupted) || res.Rewrapped == 0 {
						t.Fatalf("crashing rotation: %+v, %v", res, err)
					}
					res2, err := v2.Rotate(ctx, st2, 4, nil)
					if err != nil || !res2.Resumed || res2.KEKVersion != res.KEKVersion || res2.Rewrapped == 0 {
						t.Fatalf("resumed rotation: %+v, %v", res2, err)
					}
					fresh, err := vault.Open(ctx, st2, m)
					if err != nil {
						t.Fatal(err)
					}
					for id, ct := range cts {
						if pt, err := fresh.Decrypt(ctx, id, vault.AAD{Table: "contacts", Column: "email", Row: id}, ct); err != nil || string(pt) != id {
							t.Fatalf("%s after rotation: %q, %v", id, pt, err)
						}
					}
					keys, err := st1.PersonKeys(ctx, "", 1000)
					if err != nil {
						t.Fatal(err)
					}
					for _, k := range keys {
						if k.KEKVersion != res.KEKVersion {
							t.Fatalf("a key left on KEK %d", k.KEKVersion)
						}
					}
				})
			}
		})
	}
}

// crashAfter fails UpdatePersonKey after n successful calls. It embeds only the
// vault.KeyStore interface, so Rotate takes the per-key path.
type crashAfter struct {
	vault.KeyStore
	n atomic.Int64
}

func (c *crashAfter) UpdatePersonKey(ctx context.Context, k vault.PersonKey, prev []byte) error {
	if c.n.Add(-1) < 0 {
		return errors.New("simulated crash")
	}
	return c.KeyStore.UpdatePersonKey(ctx, k, prev)
}

// crashAfterBatches fails UpdatePersonKeys after n successful batches.
type crashAfterBatches struct {
	store.Store
	n atomic.Int64
}

func (c *crashAfterBatches) UpdatePersonKeys(ctx context.Context, keys []vault.PersonKeyUpdate) (int, error) {
	if c.n.Add(-1) < 0 {
		return 0, errors.New("simulated crash")
	}
	return c.Store.UpdatePersonKeys(ctx, keys)
}

// perKey hides the store's PersonKeyBatchUpdater, to measure one commit per key.
type perKey struct{ vault.KeyStore }

// BenchmarkRewrapStores: a rotation over 500 person keys on each available store,
// one UPDATE and commit per key ("per_key") or one transaction per batch of 100
// through the store's PersonKeyBatchUpdater ("batched"); reports keys re-wrapped per
// second.
func BenchmarkRewrapStores(b *testing.B) {
	const people = 500
	for _, be := range storetest.Backends(b) {
		for _, mode := range []string{"per_key", "batched"} {
			b.Run(be.Name+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				st := be.Open(b)
				var ks vault.KeyStore = st // the store saves each batch in one transaction
				if mode == "per_key" {
					ks = perKey{st}
				}
				text, _ := vault.GenerateMasterKey()
				m, _ := vault.ParseMasterKey(text)
				if err := vault.Init(ctx, st, m); err != nil {
					b.Fatal(err)
				}
				v, err := vault.Open(ctx, st, m)
				if err != nil {
					b.Fatal(err)
				}
				for i := range people {
					if err := v.CreatePersonKey(ctx, nil, fmt.Sprintf("p%05d", i)); err != nil {
						b.Fatal(err)
					}
				}
				rewrapped := 0
				for b.Loop() {
					res, err := v.Rotate(ctx, ks, 100, nil) // adds a KEK key, re-wraps every key
					if err != nil || res.Rewrapped != people {
						b.Fatalf("%+v, %v", res, err)
					}
					rewrapped += res.Rewrapped
				}
				b.ReportMetric(float64(rewrapped)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}
