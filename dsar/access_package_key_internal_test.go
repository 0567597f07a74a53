package dsar

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// StoreLegacyPackage stores pkg as the access package of request requestID the
// way packages were stored before they had keys of their own: encrypted under the
// request's key, which the blob row names. Tests use it to check that such
// packages stay readable and are shredded with the request's key.
func (s *Service) StoreLegacyPackage(ctx context.Context, requestID string, pkg []byte, expires time.Time) (store.Blob, error) {
	var out store.Blob
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		id := store.NewID("blob")
		enc, err := s.Vault.With(tx).Encrypt(ctx, requestKeyID(requestID), vault.AAD{Table: tableBlobs, Column: colBlobContent, Row: id}, pkg)
		if err != nil {
			return err
		}
		out, err = tx.PutBlob(ctx, store.Blob{ID: id, Kind: store.BlobAccessPackage, RequestID: requestID,
			PersonKeyID: requestKeyID(requestID), Name: accessPackageName, ExpiresAt: expires}, bytes.NewReader(enc))
		return err
	})
	return out, err
}

// RequestKeyID exposes requestKeyID to the tests.
func RequestKeyID(requestID string) string { return requestKeyID(requestID) }

func TestPackageKeyID(t *testing.T) {
	k := packageKeyID("req_0123", "blob4567")
	if k != "package:req_0123/blob4567" {
		t.Fatalf("key id %q", k)
	}
	if r, b, ok := parsePackageKeyID(k); !ok || r != "req_0123" || b != "blob4567" {
		t.Fatalf("parse %q: %q %q %v", k, r, b, ok)
	}
	for _, bad := range []string{"", "package:", "package:/", "package:req", "package:req/", "package:/blob",
		"package:req/blob/x", "request:req/blob", "Package:req/blob", "package-req/blob", "xpackage:req/blob"} {
		if r, b, ok := parsePackageKeyID(bad); ok {
			t.Errorf("parse %q accepted: %q %q", bad, r, b)
		}
	}
	if got := packageKeyOf(store.Blob{RequestID: "req_1", PersonKeyID: k}); got != k {
		t.Errorf("key of a package blob %q", got)
	}
	if got := packageKeyOf(store.Blob{RequestID: "req_1"}); got != requestKeyID("req_1") {
		t.Errorf("key of a blob naming no key %q, want the request's", got)
	}
}

// FuzzPackageKeyID: parsing never panics, accepts only what packageKeyID makes,
// and gives back its parts.
func FuzzPackageKeyID(f *testing.F) {
	for _, s := range []string{"package:req_1/blob2", "package:", "package:a/b/c", "package:/", "request:x", "package:é/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		r, b, ok := parsePackageKeyID(id)
		if !ok {
			if r != "" || b != "" {
				t.Fatalf("rejected %q but returned %q %q", id, r, b)
			}
			return
		}
		if r == "" || b == "" || strings.Contains(b, "/") {
			t.Fatalf("accepted %q with parts %q %q", id, r, b)
		}
		if packageKeyID(r, b) != id {
			t.Fatalf("%q parsed to %q %q, which make %q", id, r, b, packageKeyID(r, b))
		}
	})
}
