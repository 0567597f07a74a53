package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// TestKeysShred: after a retention-style delete of an access package's blob, `keys
// shred` destroys the package's key once (the second run destroys nothing), and the
// package can no longer be downloaded; `audit verify` still passes.
func TestKeysShred(t *testing.T) {
	sb, dbURL := sandboxEnv(t, sandbox.Options{Contacts: 20, RateLimit: -1})
	p := sb.SamplePerson()
	out, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--wait", "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	var access struct{ ID, State string }
	if err := json.Unmarshal([]byte(out), &access); err != nil || access.State != "completed" {
		t.Fatalf("access --wait --json: %v %q", err, out)
	}

	shred := func() shredView {
		t.Helper()
		out, err := dsarCLI(t, "keys", "shred", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var v shredView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("keys shred --json: %v\n%s", err, out)
		}
		return v
	}
	if v := shred(); v != (shredView{}) {
		t.Fatalf("shred while the package is live: %+v", v)
	}

	// What a retention run does once the package is past its age: delete the blob
	// row only.
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.DeleteExpired(ctx, store.CategoryAccessPackages, time.Now().Add(time.Hour), 100)
	st.Close()
	if err != nil || n != 1 {
		t.Fatalf("deleting the package blob: %d, %v", n, err)
	}
	if v := shred(); v.Packages.PackageKeysDestroyed != 1 || v.Packages.PackagesDeleted != 0 || v.Packages.RequestKeysDestroyed != 0 {
		t.Fatalf("shred after the blob was deleted: %+v", v)
	}
	// The destruction's audit record is signed by the command's checkpoint.
	out, err = dsarCLI(t, "audit", "verify", "--json")
	var rep reportJSON
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || rep.Unsigned != 0 {
		t.Fatalf("audit verify after shredding a key: %v\n%s", err, out)
	}
	if v := shred(); v != (shredView{Exports: v.Exports}) || v.Exports.Destroyed != 0 {
		t.Fatalf("second shred: %+v", v)
	}
	if _, err := dsarCLI(t, "dsar", "package", access.ID, "--out", filepath.Join(t.TempDir(), "p.zip")); err == nil {
		t.Error("the package was still downloadable after its key was destroyed")
	}
	out, err = dsarCLI(t, "keys", "shred")
	if err != nil || !strings.Contains(out, "0 package key(s)") {
		t.Errorf("keys shred (table): %v\n%s", err, out)
	}
	if out, err := dsarCLI(t, "audit", "verify"); err != nil {
		t.Fatalf("audit verify after shredding: %v\n%s", err, out)
	}
}
