package vault

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMemoryKeyStore(t *testing.T) {
	ctx := context.Background()
	var m MemoryKeyStore // zero value is usable
	if _, err := m.LoadKeyset(ctx, "kek"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	buf := []byte("enc")
	if err := m.SwapKeyset(ctx, "kek", nil, buf); err != nil {
		t.Fatal(err)
	}
	if err := m.SwapKeyset(ctx, "kek", nil, []byte("other")); !errors.Is(err, ErrKeysetChanged) {
		t.Fatalf("SwapKeyset over an existing keyset with old nil: %v", err)
	}
	if err := m.SwapKeyset(ctx, "kek", []byte("stale"), []byte("other")); !errors.Is(err, ErrKeysetChanged) {
		t.Fatalf("SwapKeyset with a stale old: %v", err)
	}
	buf[0] = 'X' // the store copied it
	if b, _ := m.LoadKeyset(ctx, "kek"); string(b) != "enc" {
		t.Fatalf("keyset = %q", b)
	}
	if _, err := m.LoadPersonKey(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	first, err := m.CreatePersonKey(ctx, PersonKey{ID: "a", Wrapped: []byte("w1"), KEKVersion: 1})
	if err != nil || first.CreatedAt.IsZero() {
		t.Fatal(first, err)
	}
	again, _ := m.CreatePersonKey(ctx, PersonKey{ID: "a", Wrapped: []byte("w2"), KEKVersion: 2})
	if string(again.Wrapped) != "w1" || again.KEKVersion != 1 {
		t.Fatalf("CreatePersonKey replaced an existing key: %+v", again)
	}
	if err := m.UpdatePersonKey(ctx, PersonKey{ID: "a", Wrapped: []byte("w3"), KEKVersion: 3}, []byte("stale")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpdatePersonKey with a stale prev: %v", err)
	}
	if err := m.UpdatePersonKey(ctx, PersonKey{ID: "a", Wrapped: []byte("w3"), KEKVersion: 3}, []byte("w1")); err != nil {
		t.Fatal(err)
	}
	got, _ := m.LoadPersonKey(ctx, "a")
	if string(got.Wrapped) != "w3" || got.KEKVersion != 3 || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("after update: %+v", got)
	}
	if err := m.UpdatePersonKey(ctx, PersonKey{ID: "zz"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	for i := range 9 {
		m.CreatePersonKey(ctx, PersonKey{ID: fmt.Sprint("k", i), CreatedAt: time.Unix(1, 0)})
	}
	var ids []string
	after := ""
	for {
		page, err := m.PersonKeys(ctx, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 4 {
			t.Fatal("page larger than the limit")
		}
		for _, k := range page {
			ids = append(ids, k.ID)
		}
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(ids) != "[a k0 k1 k2 k3 k4 k5 k6 k7 k8]" {
		t.Fatalf("traversal %v", ids)
	}
	if ok, _ := m.DestroyPersonKey(ctx, "a"); !ok {
		t.Fatal("destroy reported no key")
	}
	if ok, _ := m.DestroyPersonKey(ctx, "a"); ok {
		t.Fatal("second destroy reported a key")
	}
	if _, err := m.LoadPersonKey(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal("destroyed key still loads")
	}
	if page, _ := m.PersonKeys(ctx, "", 0); len(page) != 0 {
		t.Fatal("limit 0 returned keys")
	}
}
