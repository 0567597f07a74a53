package dsar_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// BenchmarkShredSweep measures the hourly ShredExpiredPackages when nothing is
// due (the common case): 200 live packages among 20,000 other person keys (a
// synced workspace), found through the store's prefix query ("prefix") or by
// walking every person key ("walk", a store without store.PersonKeyIDLister).
//
//	go test ./dsar -run '^$' -bench BenchmarkShredSweep -benchtime 20x
func BenchmarkShredSweep(b *testing.B) {
	const others, packages = 20000, 200
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			a := shredBenchApp(b, be)
			ctx := context.Background()
			err := a.Store.InTx(ctx, func(tx store.Tx) error {
				for i := range others {
					if _, err := tx.CreatePersonKey(ctx, vault.PersonKey{ID: fmt.Sprintf("contact:%064x", i), Wrapped: make([]byte, 80), KEKVersion: 1}); err != nil {
						return err
					}
				}
				for i := range packages {
					req, blob := fmt.Sprintf("req_%032x", i), fmt.Sprintf("blob%032x", i)
					key := "package:" + req + "/" + blob
					if _, err := tx.CreatePersonKey(ctx, vault.PersonKey{ID: key, Wrapped: make([]byte, 80), KEKVersion: 1}); err != nil {
						return err
					}
					if _, err := tx.PutBlob(ctx, store.Blob{ID: blob, Kind: store.BlobAccessPackage, RequestID: req, PersonKeyID: key,
						Name: "access-package.zip", ExpiresAt: time.Now().Add(dsar.DefaultPackageTTL)}, bytes.NewReader([]byte("x"))); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for _, mode := range []string{"prefix", "walk"} {
				b.Run(mode, func(b *testing.B) {
					s := *a.DSAR
					if mode == "walk" {
						s.Store = hiddenLister{a.Store}
					}
					for b.Loop() {
						res, err := s.ShredExpiredPackages(ctx)
						if err != nil || res.Total() != 0 {
							b.Fatalf("%+v %v", res, err)
						}
					}
				})
			}
		})
	}
}

// shredBenchApp opens an App on a fresh database of the backend (no Intercom:
// the sweep never calls it).
func shredBenchApp(b *testing.B, be storetest.Backend) *app.App {
	b.Helper()
	text, err := vault.GenerateMasterKey()
	if err != nil {
		b.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Settings{DatabaseURL: be.NewURL(b), MasterKey: master, InitKeys: true, Actor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}
