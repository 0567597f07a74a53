package dsar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// ShredJobKind is the River job kind of the periodic ShredExpiredPackages. The
// value predates packages having keys of their own and is kept so that jobs
// queued by an earlier version still find their worker.
const ShredJobKind = "privacy_request_key_shred"

// ShredInterval is how often workers run ShredExpiredPackages: while a worker
// runs, a package's key outlives the package's expiry (or its deletion by
// retention) by at most this long.
const ShredInterval = time.Hour

// ShredArgs are the (empty) arguments of the shred job.
type ShredArgs struct{}

// Kind implements river.JobArgs.
func (ShredArgs) Kind() string { return ShredJobKind }

// InsertOpts makes the shred job unique while one is waiting or running.
func (ShredArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

type shredWorker struct {
	river.WorkerDefaults[ShredArgs]
	s *Service
}

// Work destroys what has become due.
func (w *shredWorker) Work(ctx context.Context, _ *river.Job[ShredArgs]) error {
	_, err := w.s.ShredExpiredPackages(ctx)
	return err
}

// PeriodicJobs are the workers' scheduled jobs of this package: the hourly
// ShredExpiredPackages and EraseReleased (also run when the worker starts). Pass them to
// jobs.Options.PeriodicJobs next to RegisterWorkers.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ShredInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ShredArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(ShredInterval),
			func() (river.JobArgs, *river.InsertOpts) { return KeptArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
}

// ShredResult counts what one ShredExpiredPackages destroyed.
type ShredResult struct {
	// PackagesDeleted are the expired access packages it deleted (with their keys).
	PackagesDeleted int `json:"packages_deleted"`
	// PackageKeysDestroyed are the access package keys it destroyed: those of the
	// packages it deleted, and those of packages deleted earlier by retention or
	// by an erasure's purge.
	PackageKeysDestroyed int `json:"package_keys_destroyed"`
	// RequestKeysDestroyed are the keys of completed access+erasure requests whose
	// package was stored under the request's key (before packages had keys of
	// their own) and has now expired or is gone.
	RequestKeysDestroyed int `json:"request_keys_destroyed"`
	// AccessIdentifiersShredded are the access requests answered more than the
	// dispute window ago (config requests.dispute_window) whose key, and with it
	// the identifiers they were filed with, it destroyed.
	AccessIdentifiersShredded int `json:"access_identifiers_shredded"`
}

// Total is the number of keys destroyed.
func (r ShredResult) Total() int {
	return r.PackageKeysDestroyed + r.RequestKeysDestroyed + r.AccessIdentifiersShredded
}

// errNothingToShred rolls back a shred transaction that found its work done (by
// another worker, or by an erasure) or no longer due.
var errNothingToShred = errors.New("dsar: nothing to shred")

// shredBatch is how many package key ids one query reads.
const shredBatch = 500

// ShredExpiredPackages ends the life of access packages: it deletes each package
// past its expiry together with the key it is encrypted under, and destroys the
// key of each package that no longer exists (deleted by the retention run, which
// deletes the blob rows only, or by an erasure's purge). Each package is handled
// in one transaction with its access.package_expired audit record. A package under
// an active legal hold (on its request, or on its key) is kept, like retention
// keeps it, until the hold is released.
//
// It also finishes the access+erasure requests completed before packages had keys
// of their own: such a request kept its own key (which also protects the
// identifiers it was filed with) for its package; once that package has expired or
// is gone, the package and the request's key are destroyed with an
// erasure.key_destroyed record.
//
// The request records themselves are kept. Running it again does nothing more;
// several workers may run it at once (each key is destroyed, and recorded, once).
//
// Keeping the key destruction here, rather than in the retention run, makes one
// place responsible for package keys whoever deleted the blob, and keeps the
// retention run's batched deletes free of vault work.
func (s *Service) ShredExpiredPackages(ctx context.Context) (ShredResult, error) {
	var res ShredResult
	if err := s.shredPackageKeys(ctx, &res); err != nil {
		return res, err
	}
	if err := s.shredLegacyRequestKeys(ctx, &res); err != nil {
		return res, err
	}
	if err := s.shredAccessIdentifiers(ctx, &res); err != nil {
		return res, err
	}
	if res.Total() > 0 {
		s.logger().Info("expired access packages shredded", "packages_deleted", res.PackagesDeleted,
			"package_keys_destroyed", res.PackageKeysDestroyed, "request_keys_destroyed", res.RequestKeysDestroyed,
			"access_identifiers_shredded", res.AccessIdentifiersShredded)
	}
	return res, nil
}

// packageKeyIDs lists the ids of access package keys after afterID: through the
// store's prefix query when it has one, else by walking every person key.
func (s *Service) packageKeyIDs(ctx context.Context, afterID string) ([]string, error) {
	if l, ok := s.Store.(store.PersonKeyIDLister); ok {
		return l.PersonKeyIDs(ctx, packageKeyPrefix, afterID, shredBatch)
	}
	var out []string
	for len(out) == 0 {
		keys, err := s.Store.PersonKeys(ctx, afterID, shredBatch)
		if err != nil || len(keys) == 0 {
			return out, err
		}
		for _, k := range keys {
			if strings.HasPrefix(k.ID, packageKeyPrefix) {
				out = append(out, k.ID)
			}
		}
		afterID = keys[len(keys)-1].ID
	}
	return out, nil
}

func (s *Service) shredPackageKeys(ctx context.Context, res *ShredResult) error {
	after := ""
	for {
		ids, err := s.packageKeyIDs(ctx, after)
		if err != nil {
			return fmt.Errorf("dsar: list access package keys: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		after = ids[len(ids)-1]
		for _, key := range ids {
			requestID, blobID, ok := parsePackageKeyID(key)
			if !ok {
				continue // not made by packageKeyID: not ours to destroy
			}
			if err := s.shredPackageKey(ctx, key, requestID, blobID, res); err != nil {
				return fmt.Errorf("dsar: shred access package %s of request %s: %w", blobID, requestID, err)
			}
		}
	}
}

// shredPackageKey deletes the package blobID if it expired and destroys its key
// (or destroys the key alone if the package is gone), with the audit record, in
// one transaction. A live or held package is left alone.
func (s *Service) shredPackageKey(ctx context.Context, key, requestID, blobID string, res *ShredResult) error {
	// A read first, so that the hourly run opens no write transaction for the
	// packages still being served.
	if b, err := s.Store.GetBlob(ctx, blobID); err == nil && !s.packageDue(b) {
		return nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var deleted bool
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		deleted = false
		b, err := tx.GetBlob(ctx, blobID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case b.Kind != store.BlobAccessPackage || b.PersonKeyID != key:
			return errNothingToShred // not the package this key was made for
		case !s.packageDue(b):
			return errNothingToShred
		default:
			held, err := packageHeld(ctx, tx, b)
			if err != nil {
				return err
			}
			if held {
				return errNothingToShred
			}
			if deleted, err = tx.DeleteBlob(ctx, blobID); err != nil {
				return err
			}
		}
		existed, err := s.Vault.DestroyPersonKey(ctx, tx, key)
		if err != nil {
			return err
		}
		if !existed {
			return errNothingToShred // another worker was first
		}
		rec := audit.Record{Actor: s.actor(ctx), Action: audit.ActionAccessPackageExpired, RequestID: requestID,
			Outcome: audit.OutcomeSuccess, ObjectIDs: []string{blobID},
			Counts: map[string]int64{"package_keys_destroyed": 1}}
		if deleted {
			rec.Counts["packages_deleted"] = 1
			rec.Reason = "access package expired: the package and its key destroyed"
		} else {
			rec.Reason = "access package already deleted (retention or erasure): its key destroyed"
		}
		switch r, err := tx.GetRequest(ctx, requestID); {
		case err == nil:
			rec.SubjectRef = r.SubjectRef
		case errors.Is(err, store.ErrNotFound):
			rec.RequestID = "" // a request id the store does not know is not recorded
		default:
			return err
		}
		_, err = s.Chain.Append(ctx, tx, rec)
		return err
	})
	if errors.Is(err, errNothingToShred) {
		return nil
	}
	if err != nil {
		return err
	}
	s.Vault.Forget(key)
	res.PackageKeysDestroyed++
	if deleted {
		res.PackagesDeleted++
	}
	return nil
}

// packageDue reports whether a package has expired (a package without expiry
// never does: retention alone removes it).
func (s *Service) packageDue(b store.Blob) bool {
	return !b.ExpiresAt.IsZero() && !s.now().Before(b.ExpiresAt)
}

// packageHeld reports whether an active legal hold covers a package blob: a hold
// on its request, or on the key its row names (the rules of the retention run).
func packageHeld(ctx context.Context, ops store.Ops, b store.Blob) (bool, error) {
	holds, err := ops.ActiveLegalHolds(ctx)
	if err != nil {
		return false, err
	}
	for _, h := range holds {
		if (h.RequestID != "" && h.RequestID == b.RequestID) || (h.SubjectRef != "" && h.SubjectRef == b.PersonKeyID) {
			return true, nil
		}
	}
	return false, nil
}

// shredLegacyRequestKeys destroys the keys that completed access+erasure requests
// kept for a package stored under the request's key, once that package has
// expired or is gone.
func (s *Service) shredLegacyRequestKeys(ctx context.Context, res *ShredResult) error {
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: []store.RequestState{store.StateCompleted}, Limit: maxListRequests})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Type != store.RequestAccessErasure {
			continue
		}
		// A read first: the key of every access+erasure completed since packages
		// have keys of their own is gone already.
		if _, err := s.Store.LoadPersonKey(ctx, requestKeyID(r.ID)); errors.Is(err, vault.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("dsar: read the key of request %s: %w", r.ID, err)
		}
		var deleted bool
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			deleted = false
			blobs, err := tx.BlobsByRequest(ctx, r.ID)
			if err != nil {
				return err
			}
			for _, b := range blobs {
				if b.Kind != store.BlobAccessPackage || packageKeyOf(b) != requestKeyID(r.ID) {
					continue
				}
				if !s.packageDue(b) {
					return errNothingToShred // the person may still fetch the package
				}
				held, err := packageHeld(ctx, tx, b)
				if err != nil {
					return err
				}
				if held {
					return errNothingToShred
				}
				ok, err := tx.DeleteBlob(ctx, b.ID)
				if err != nil {
					return err
				}
				deleted = deleted || ok
			}
			existed, err := s.Vault.DestroyPersonKey(ctx, tx, requestKeyID(r.ID))
			if err != nil {
				return err
			}
			if !existed {
				return errNothingToShred
			}
			counts := map[string]int64{"request_keys_destroyed": 1, "packages_deleted": 0}
			if deleted {
				counts["packages_deleted"] = 1
			}
			_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(ctx), Action: audit.ActionErasureKeyDestroyed,
				RequestID: r.ID, SubjectRef: r.SubjectRef, Outcome: audit.OutcomeSuccess, Counts: counts,
				Reason: "access package expired: the request's key and package destroyed"})
			return err
		})
		if errors.Is(err, errNothingToShred) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dsar: shred request %s: %w", r.ID, err)
		}
		s.Vault.Forget(requestKeyID(r.ID))
		res.RequestKeysDestroyed++
		if deleted {
			res.PackagesDeleted++
		}
	}
	return nil
}

// disputeWindow is how long an answered access request keeps its identifiers.
func (s *Service) disputeWindow() time.Duration {
	if w := s.config().Requests.DisputeWindow; w > 0 {
		return w
	}
	return config.DefaultDisputeWindow
}

// shredAccessIdentifiers destroys the key of each access request answered
// (completed or denied) more than the dispute window ago, so the identifiers it
// was filed with become unreadable while its record (dates, §7101 fields,
// outcome counts) is kept. The key of an access request protects nothing else:
// its package is under a key of its own. A request under a legal hold keeps its
// key. Each destruction and its erasure.key_destroyed record commit together;
// a key already gone is skipped, so concurrent workers record it once.
func (s *Service) shredAccessIdentifiers(ctx context.Context, res *ShredResult) error {
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: []store.RequestState{store.StateCompleted, store.StateDenied}, Limit: maxListRequests})
	if err != nil {
		return err
	}
	cutoff := s.now().Add(-s.disputeWindow())
	for _, r := range rs {
		if (r.Type != store.RequestAccess && !isRightsType(r.Type)) || r.CompletedAt.IsZero() || !r.CompletedAt.Before(cutoff) {
			continue
		}
		if _, err := s.Store.LoadPersonKey(ctx, requestKeyID(r.ID)); errors.Is(err, vault.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("dsar: read the key of request %s: %w", r.ID, err)
		}
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			holds, err := tx.ActiveLegalHolds(ctx)
			if err != nil {
				return err
			}
			for _, h := range holds {
				if h.RequestID == r.ID {
					return errNothingToShred
				}
			}
			existed, err := s.Vault.DestroyPersonKey(ctx, tx, requestKeyID(r.ID))
			if err != nil {
				return err
			}
			if !existed {
				return errNothingToShred
			}
			_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(ctx), Action: audit.ActionErasureKeyDestroyed,
				RequestID: r.ID, SubjectRef: r.SubjectRef, Outcome: audit.OutcomeSuccess,
				Counts: map[string]int64{"request_keys_destroyed": 1},
				Reason: "access request answered and its dispute window over: the key of the identifiers it was filed with destroyed; the record is kept"})
			return err
		})
		if errors.Is(err, errNothingToShred) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dsar: shred the identifiers of request %s: %w", r.ID, err)
		}
		s.Vault.Forget(requestKeyID(r.ID))
		res.AccessIdentifiersShredded++
	}
	return nil
}
