package export_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Once retention has deleted a job's kept files, ShredKeys destroys the job's key, so
// copies of the files in backups cannot be read either; while any file is kept, the
// key stays.
func TestShredKeysAfterRetention(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			svc := h.service(h.app)
			p := h.params("")
			p.Keep = true
			p.TempDir = t.TempDir()
			res, err := svc.Run(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) < 1 {
				t.Fatal("nothing kept")
			}
			keyID := "export:" + res.Job
			sr, err := svc.ShredKeys(ctx)
			if err != nil || sr.Destroyed != 0 || sr.Checked != 1 {
				t.Fatalf("with files kept: %+v %v", sr, err)
			}
			// One file gone, the others still kept: the key must stay.
			if _, err := h.app.Store.DeleteBlob(ctx, res.Files[0].BlobID); err != nil {
				t.Fatal(err)
			}
			if len(res.Files) > 1 {
				if sr, err := svc.ShredKeys(ctx); err != nil || sr.Destroyed != 0 {
					t.Fatalf("with some files kept: %+v %v", sr, err)
				}
				if n, err := h.app.Store.DeleteExpired(ctx, store.CategoryExportFiles, h.clock.Now().Add(30*24*time.Hour), 1000); err != nil || n == 0 {
					t.Fatalf("retention deleted %d: %v", n, err)
				}
			}
			sr, err = svc.ShredKeys(ctx)
			if err != nil || sr.Destroyed != 1 {
				t.Fatalf("after retention: %+v %v", sr, err)
			}
			if _, err := h.app.Store.LoadPersonKey(ctx, keyID); !errors.Is(err, vault.ErrNotFound) {
				t.Fatalf("key still there: %v", err)
			}
			if sr, err := svc.ShredKeys(ctx); err != nil || sr.Destroyed != 0 {
				t.Fatalf("second sweep: %+v %v", sr, err)
			}
			if reasons := h.exportAudit(res.Job); reasons[len(reasons)-1] != "key of expired kept files destroyed" {
				t.Fatalf("audit: %v", reasons)
			}
			h.verifyAudit()
		})
	}
}
