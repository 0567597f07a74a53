package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestPersonKeyIDsByPrefix lists person key ids by prefix on both backends: only
// ids starting with the prefix, in pages, ids that merely sort near the prefix
// (a longer word, another separator, a shorter one) excluded.
func TestPersonKeyIDsByPrefix(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			l, ok := st.(store.PersonKeyIDLister)
			if !ok {
				t.Fatalf("%s store does not implement store.PersonKeyIDLister", b.Name)
			}
			want := []string{"package:req_1/blob1", "package:req_1/blob2", "package:req_2/blob3", "package:é/x"}
			others := []string{"packag", "package", "packages:x", "package-x", "package;x", "paCkage:x", "request:req_1", "Package:x", "a", "z"}
			for _, id := range append(slices.Clone(others), want...) {
				if _, err := st.CreatePersonKey(ctx, vault.PersonKey{ID: id, Wrapped: []byte{1, 2, 3}, KEKVersion: 1, CreatedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("no end after 10 pages")
				}
				ids, err := l.PersonKeyIDs(ctx, "package:", after, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(ids) == 0 {
					break
				}
				if len(ids) > 2 {
					t.Fatalf("page of %d ids, limit 2", len(ids))
				}
				got = append(got, ids...)
				after = ids[len(ids)-1]
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("ids %q, want %q", got, want)
			}
			if _, err := l.PersonKeyIDs(ctx, "", "", 10); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("empty prefix: %v, want ErrInvalid", err)
			}
			// Inside a transaction too.
			err := st.InTx(ctx, func(tx store.Tx) error {
				tl, ok := tx.(store.PersonKeyIDLister)
				if !ok {
					t.Fatal("a transaction does not implement store.PersonKeyIDLister")
				}
				ids, err := tl.PersonKeyIDs(ctx, "package:req_2/", "", 10)
				if err != nil {
					return err
				}
				if !slices.Equal(ids, []string{"package:req_2/blob3"}) {
					t.Errorf("in a transaction: %q", ids)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
