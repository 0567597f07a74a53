package dsar_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// expiredRecords returns the decoded access.package_expired records of the chain.
func expiredRecords(t *testing.T, h *harness) []audit.Record {
	t.Helper()
	var out []audit.Record
	for rec, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action != string(audit.ActionAccessPackageExpired) {
			continue
		}
		d, err := audit.DecodeBody(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// runAccess files, verifies and runs an access request for p.
func runAccess(t *testing.T, h *harness, p sandbox.Person) store.Request {
	t.Helper()
	r := file(t, h, store.RequestAccess, personIdentifiers(p))
	if err := h.app.DSAR.Run(context.Background(), r.ID); err != nil {
		t.Fatal(err)
	}
	r, err := h.app.DSAR.Get(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPackageKeyDestroyedAfterRetention: the retention run deletes expired
// package rows only; the next ShredExpiredPackages destroys the key of each
// package that no longer exists, once, with its audit record, and leaves the
// request's own key (an access request's identifiers) alone.
func TestPackageKeyDestroyedAfterRetention(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.SamplePerson()
			r := runAccess(t, h, p)
			blob := packageBlobOf(t, h, r.ID)
			if blob.PersonKeyID == dsar.RequestKeyID(r.ID) || !strings.HasPrefix(blob.PersonKeyID, "package:"+r.ID+"/") {
				t.Fatalf("package stored under %q, want a key of its own", blob.PersonKeyID)
			}
			// Retention, as `retention run` calls it, once the package is old enough.
			n, err := h.app.Store.DeleteExpired(ctx, store.CategoryAccessPackages, time.Now().Add(dsar.DefaultPackageTTL+time.Hour), 100)
			if err != nil || n != 1 {
				t.Fatalf("retention deleted %d packages: %v", n, err)
			}
			if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); err != nil {
				t.Fatalf("retention is expected to leave the key: %v", err)
			}
			res, err := h.app.DSAR.ShredExpiredPackages(ctx)
			if err != nil || res != (dsar.ShredResult{PackageKeysDestroyed: 1}) {
				t.Fatalf("shred after retention: %+v %v", res, err)
			}
			if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("package key after the shred: %v, want ErrNotFound", err)
			}
			if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.Total() != 0 {
				t.Errorf("second shred: %+v %v", res, err)
			}
			if _, err := h.open("reader").DSAR.Identifiers(ctx, r); err != nil {
				t.Errorf("an access request's identifiers after its package's key went: %v", err)
			}
			recs := expiredRecords(t, h)
			if len(recs) != 1 || recs[0].RequestID != r.ID || recs[0].SubjectRef != r.SubjectRef ||
				!slices.Equal(recs[0].ObjectIDs, []string{blob.ID}) || recs[0].Counts["packages_deleted"] != 0 ||
				recs[0].Counts["package_keys_destroyed"] != 1 {
				t.Errorf("access.package_expired records: %+v", recs)
			}
			checkAudit(t, h, p)
		})
	}
}

// TestExpiredPackageUnderLegalHoldKept: like retention, the shred keeps an
// expired package and its key while a legal hold covers its request.
func TestExpiredPackageUnderLegalHoldKept(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := runAccess(t, h, p)
	blob := packageBlobOf(t, h, r.ID)
	hold, err := h.app.Store.AddLegalHold(ctx, store.LegalHold{RequestID: r.ID, Reason: "litigation hold", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(dsar.DefaultPackageTTL + time.Hour)
	h.app.DSAR.Now = func() time.Time { return later }
	if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.Total() != 0 {
		t.Fatalf("shred under a hold: %+v %v", res, err)
	}
	if _, err := h.app.Store.GetBlob(ctx, blob.ID); err != nil {
		t.Errorf("held package deleted: %v", err)
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); err != nil {
		t.Errorf("held package's key destroyed: %v", err)
	}
	if _, err := h.app.Store.ReleaseLegalHold(ctx, hold.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := h.app.DSAR.ShredExpiredPackages(ctx)
	if err != nil || res != (dsar.ShredResult{PackagesDeleted: 1, PackageKeysDestroyed: 1}) {
		t.Fatalf("shred after the hold's release: %+v %v", res, err)
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("package key after the release: %v", err)
	}
}

// TestLegacyPackageUnderRequestKey: an access+erasure request whose package was
// stored under the request's key (before packages had keys of their own) and
// which completes under this version keeps that key, so the person can still
// fetch the package; when it expires, the shred deletes it and destroys the key.
func TestLegacyPackageUnderRequestKey(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	// The package's bytes: a real package of someone else, so that it verifies.
	var pkg bytes.Buffer
	src := runAccess(t, h, h.sb.AddPerson(sandbox.PersonSpec{Conversations: 1}))
	if _, err := h.app.DSAR.WritePackage(ctx, src.ID, &pkg); err != nil {
		t.Fatal(err)
	}
	p := h.sb.SamplePerson()
	c := seedCache(t, h, p)
	r := file(t, h, store.RequestAccessErasure, personIdentifiers(p))
	expires := time.Now().Add(dsar.DefaultPackageTTL)
	legacy, err := h.app.DSAR.StoreLegacyPackage(ctx, r.ID, pkg.Bytes(), expires)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if r.State != store.StateCompleted {
		t.Fatalf("state %s", r.State)
	}
	checkErased(t, h, p, c)
	if got := packageBlobOf(t, h, r.ID); got.ID != legacy.ID {
		t.Fatalf("the run built another package (%s) instead of keeping the stored one (%s)", got.ID, legacy.ID)
	}
	o := outcome(t, r)
	if !slices.ContainsFunc(o.Notices, func(n dsar.Notice) bool { return n.Code == dsar.NoticeRequestKeyKept.Code }) {
		t.Errorf("outcome does not say the request key is kept for the package: %+v", o.Notices)
	}
	reader := h.open("reader")
	if _, err := reader.DSAR.Identifiers(ctx, r); err != nil {
		t.Errorf("identifiers while the legacy package is served: %v (the request's key must be kept)", err)
	}
	var out bytes.Buffer
	if _, err := reader.DSAR.WritePackage(ctx, r.ID, &out); err != nil || !bytes.Equal(out.Bytes(), pkg.Bytes()) {
		t.Fatalf("legacy package after completion: %v (%d bytes)", err, out.Len())
	}
	if _, err := accesspkg.Verify(out.Bytes()); err != nil {
		t.Errorf("legacy package does not verify: %v", err)
	}
	if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.Total() != 0 {
		t.Fatalf("shred before expiry: %+v %v", res, err)
	}
	later := expires.Add(time.Minute)
	h.app.DSAR.Now = func() time.Time { return later }
	// Both packages have expired: the legacy one goes with the request's key, the
	// source request's with its own key.
	res, err := h.app.DSAR.ShredExpiredPackages(ctx)
	if err != nil || res != (dsar.ShredResult{PackagesDeleted: 2, PackageKeysDestroyed: 1, RequestKeysDestroyed: 1}) {
		t.Fatalf("shred after expiry: %+v %v", res, err)
	}
	if _, err := h.app.Store.GetBlob(ctx, legacy.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("legacy package blob after the shred: %v", err)
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, dsar.RequestKeyID(r.ID)); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("request key after the legacy shred: %v", err)
	}
	if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.Total() != 0 {
		t.Fatalf("second shred: %+v %v", res, err)
	}
	if _, err := h.open("reader2").DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
		t.Errorf("identifiers after the legacy shred: %v, want ErrShredded", err)
	}
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); !errors.Is(err, dsar.ErrNoPackage) {
		t.Errorf("package after the legacy shred: %v", err)
	}
	checkAudit(t, h, p)
}

// hiddenLister is a Store without the optional PersonKeyIDLister, as a third-party
// Store implementation would be.
type hiddenLister struct{ store.Store }

// TestShredWithoutPrefixQuery: on a store without PersonKeyIDLister the shred
// walks every person key and finds the package keys among them; a key that only
// looks like a package key is left alone, and a package key whose package and
// request are unknown is destroyed with a record naming no request.
func TestShredWithoutPrefixQuery(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := runAccess(t, h, p)
	blob := packageBlobOf(t, h, r.ID)
	// Other keys sort around the package keys; some only look like them.
	for _, id := range []string{"a-contact", "package", "package:malformed", "packages:x", "z-contact"} {
		if err := h.app.Vault.CreatePersonKey(ctx, h.app.Store, id); err != nil {
			t.Fatal(err)
		}
	}
	orphan := "package:req_unknown/blobunknown"
	if err := h.app.Vault.CreatePersonKey(ctx, h.app.Store, orphan); err != nil {
		t.Fatal(err)
	}
	s := *h.app.DSAR
	s.Store = hiddenLister{h.app.Store}
	later := time.Now().Add(dsar.DefaultPackageTTL + time.Hour)
	s.Now = func() time.Time { return later }
	res, err := s.ShredExpiredPackages(ctx)
	if err != nil || res != (dsar.ShredResult{PackagesDeleted: 1, PackageKeysDestroyed: 2}) {
		t.Fatalf("shred: %+v %v", res, err)
	}
	for _, id := range []string{blob.PersonKeyID, orphan} {
		if _, err := h.app.Store.LoadPersonKey(ctx, id); !errors.Is(err, vault.ErrNotFound) {
			t.Errorf("key %s after the shred: %v", id, err)
		}
	}
	for _, id := range []string{"a-contact", "package", "package:malformed", "packages:x", "z-contact", dsar.RequestKeyID(r.ID)} {
		if _, err := h.app.Store.LoadPersonKey(ctx, id); err != nil {
			t.Errorf("key %s not ours to destroy, but: %v", id, err)
		}
	}
	recs := expiredRecords(t, h)
	if len(recs) != 2 {
		t.Fatalf("%d access.package_expired records, want 2", len(recs))
	}
	for _, rec := range recs {
		switch {
		case slices.Equal(rec.ObjectIDs, []string{"blobunknown"}):
			if rec.RequestID != "" || rec.SubjectRef != "" {
				t.Errorf("record of the orphan key names a request: %+v", rec)
			}
		case slices.Equal(rec.ObjectIDs, []string{blob.ID}):
			if rec.RequestID != r.ID {
				t.Errorf("record of the package: %+v", rec)
			}
		default:
			t.Errorf("unexpected record %+v", rec)
		}
	}
}
