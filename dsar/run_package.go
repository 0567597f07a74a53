package dsar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// PackageDetail is the Detail of the package step: the stored package's blob id,
// size, digest, expiry and counts (never its content).
type PackageDetail struct {
	BlobID    string           `json:"blob_id"`
	Size      int64            `json:"size"`
	SHA256    string           `json:"sha256"`
	Files     int              `json:"files"`
	ExpiresAt time.Time        `json:"expires_at"`
	Counts    map[string]int64 `json:"counts"`
}

// buildPackage runs the package step. Like BuildPackage it returns a package already
// stored for the request as it is, so a crash between building and recording the
// step builds nothing twice; the contacts' profiles are retrieved again only for a
// package still to build.
func (r *runner) buildPackage(ctx context.Context) error {
	info, ok, err := r.s.storedPackage(ctx, r.id)
	if err != nil {
		return err
	}
	if !ok {
		if err := r.refetchContacts(ctx); err != nil {
			return err
		}
		if info, err = r.s.buildNewPackage(ctx, r.req, r.ids, r.res); err != nil {
			return err
		}
	}
	counts := map[string]int64{}
	for k, v := range info.Counts {
		counts["package_"+k] = v
	}
	counts["package_files"] = int64(info.Files)
	d := PackageDetail{BlobID: info.BlobID, Size: info.Size, SHA256: info.SHA256, Files: info.Files, ExpiresAt: info.ExpiresAt, Counts: counts}
	return r.recordStep(ctx, StepPackage, d, audit.Record{Counts: counts, ObjectIDs: []string{info.BlobID},
		Reason: "access package stored encrypted until it expires"}, nil)
}

// refetchContacts retrieves the profile of each active contact whose data is not in
// memory: the resolve step stores ids only, so a run resumed after it has none.
// A contact that now answers 404 stays without data.
func (r *runner) refetchContacts(ctx context.Context) error {
	var need []int
	for i, m := range r.res.Matches {
		if m.Status == StatusActive && m.Contact == nil {
			need = append(need, i)
		}
	}
	return r.forEach(ctx, len(need), func(ctx context.Context, k int) error {
		m := &r.res.Matches[need[k]]
		c, err := r.s.Intercom.GetContact(ctx, m.ContactID)
		switch {
		case err == nil:
			m.Contact = &c
		case errors.Is(err, intercom.ErrNotFound), errors.Is(err, intercom.ErrMerged):
		default:
			return fmt.Errorf("retrieve contact %s: %w", m.ContactID, err)
		}
		return nil
	})
}

// NoticePackageKept is added to the outcome of a completed access+erasure
// request: the identifiers it was filed with were shredded when it completed, and
// its access package, under a key of its own, stays available until it expires.
var NoticePackageKept = Notice{"package_kept_until_expiry", "The identifiers this request was filed with were made unreadable when it completed (its key was destroyed). The access package stays available until it expires, encrypted under a key of its own; then the workers delete it and destroy that key (ShredExpiredPackages)."}

// NoticeRequestKeyKept is added instead of NoticePackageKept to the outcome of an
// access+erasure request whose access package was stored before packages had keys
// of their own (it is encrypted under the request's key): that key, and with it
// the identifiers the request was filed with, is kept until the package expires;
// then the workers delete the package and destroy the key (ShredExpiredPackages).
var NoticeRequestKeyKept = Notice{"request_key_kept_for_package", "The access package of this request stays available until it expires; then the workers delete it and destroy the request's own key, which also protects the identifiers the request was filed with (ShredExpiredPackages)."}

// keepRequestKeyForPackage reports whether completing an erasure must keep the
// request's own key: only when the request's access package is still stored and
// encrypted under that key (a package stored before packages had keys of their
// own), which the person is owed until it expires. Every other erasure, access+
// erasure included, destroys the request's key when it completes. A read outside
// the completing transaction is enough: a package blob never changes its key, and
// one deleted meanwhile only leaves the key to ShredExpiredPackages.
func (r *runner) keepRequestKeyForPackage(ctx context.Context) (bool, error) {
	if r.req.Type != store.RequestAccessErasure {
		return false, nil
	}
	b, ok, err := r.s.packageBlob(ctx, r.id)
	if err != nil || !ok {
		return false, err
	}
	return packageKeyOf(b) == requestKeyID(r.id), nil
}
