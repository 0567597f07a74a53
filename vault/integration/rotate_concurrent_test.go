package integration_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestConcurrentRotations starts ten `keys rotate` at once, each as its own
// "process" (its own store connection and its own Vault), while an eleventh process
// that opened the vault before any rotation keeps creating person keys with the
// keyset it holds. Afterwards every person key, old and new, must open in a fresh
// process, and a last rotation must leave every key on one KEK version. On the
// store's unconditional SaveKeyset of old, rotations overwrote each other's keyset
// and people's keys were lost.
func TestConcurrentRotations(t *testing.T) {
	const (
		people    = 150
		rotations = 10
		newcomers = 40
	)
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.NewURL(t)
			st := storetest.OpenURL(t, url)
			text, _ := vault.GenerateMasterKey()
			m, _ := vault.ParseMasterKey(text)
			if err := vault.Init(ctx, st, m); err != nil {
				t.Fatal(err)
			}
			v, err := vault.Open(ctx, st, m)
			if err != nil {
				t.Fatal(err)
			}
			aad := func(id string) vault.AAD { return vault.AAD{Table: "contacts", Column: "email", Row: id} }
			var mu sync.Mutex
			cts := map[string][]byte{}
			for i := range people {
				id := fmt.Sprintf("p-%04d", i)
				ct, err := v.Encrypt(ctx, id, aad(id), []byte(id))
				if err != nil {
					t.Fatal(err)
				}
				cts[id] = ct
			}
			// Each process opens its store and vault before any of them starts.
			type proc struct {
				st store.Store
				v  *vault.Vault
			}
			procs := make([]proc, rotations+1)
			for i := range procs {
				s := storetest.OpenURL(t, url)
				pv, err := vault.Open(ctx, s, m)
				if err != nil {
					t.Fatal(err)
				}
				procs[i] = proc{s, pv}
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			results := make([]vault.RotateResult, rotations)
			errs := make([]error, rotations)
			for i := range rotations {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = procs[i].v.Rotate(ctx, procs[i].st, 7, nil)
				}()
			}
			wg.Add(1)
			go func() { // a stale process keeps filing new people meanwhile
				defer wg.Done()
				<-start
				p := procs[rotations]
				for i := range newcomers {
					id := fmt.Sprintf("n-%04d", i)
					ct, err := p.v.Encrypt(ctx, id, aad(id), []byte(id))
					if err != nil {
						t.Errorf("encrypting for a newcomer during the rotations: %v", err)
						return
					}
					mu.Lock()
					cts[id] = ct
					mu.Unlock()
				}
			}()
			close(start)
			wg.Wait()
			added := 0
			for i, err := range errs {
				if err != nil {
					t.Errorf("rotation %d: %v (result %+v)", i, err, results[i])
				}
				if results[i].Added {
					added++
				}
			}
			if added == 0 {
				t.Error("no rotation added a key")
			}
			check := func(when string) {
				t.Helper()
				fresh, err := vault.Open(ctx, storetest.OpenURL(t, url), m)
				if err != nil {
					t.Fatal(err)
				}
				lost := 0
				for id, ct := range cts {
					if pt, err := fresh.Decrypt(ctx, id, aad(id), ct); err != nil || string(pt) != id {
						lost++
						if lost <= 3 {
							t.Errorf("%s: person key %s does not open: %v", when, id, err)
						}
					}
				}
				if lost > 0 {
					t.Fatalf("%s: %d of %d person keys lost", when, lost, len(cts))
				}
			}
			check("after ten concurrent rotations")
			// One more rotation finishes whatever is left and leaves every key on
			// the primary.
			res, err := v.Rotate(ctx, st, 50, nil)
			if err != nil {
				t.Fatalf("final rotation: %+v, %v", res, err)
			}
			if res.Resumed {
				if res, err = v.Rotate(ctx, st, 50, nil); err != nil {
					t.Fatalf("final rotation: %+v, %v", res, err)
				}
			}
			keys, err := st.PersonKeys(ctx, "", 10000)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != people+newcomers {
				t.Fatalf("%d person keys, want %d", len(keys), people+newcomers)
			}
			for _, k := range keys {
				if k.KEKVersion != res.KEKVersion {
					t.Fatalf("person key %s left on KEK %d after the final rotation (primary %d)", k.ID, k.KEKVersion, res.KEKVersion)
				}
			}
			check("after the final rotation")
		})
	}
}
