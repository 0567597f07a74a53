package dsar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// ShredJobKind is the River job kind that destroys the keys of finished
// access+erasure requests once their access package has expired.
const ShredJobKind = "privacy_request_key_shred"

// ShredInterval is how often workers look for such requests.
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
	_, err := w.s.ShredExpiredErasures(ctx)
	return err
}

// PeriodicJobs are the workers' scheduled jobs of this package: the hourly
// ShredExpiredErasures (also run when the worker starts). Pass them to
// jobs.Options.PeriodicJobs next to RegisterWorkers.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ShredInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ShredArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

var errNothingToShred = errors.New("dsar: nothing to shred")

// ShredExpiredErasures finishes the erasure of completed access+erasure requests
// whose access package has expired (or was deleted): it deletes the package and
// destroys the request's own key, which makes the identifiers the request was
// filed with unreadable, with an erasure.key_destroyed record, in one transaction
// per request. The request records themselves are kept. It returns how many
// requests it shredded; running it again does nothing more.
func (s *Service) ShredExpiredErasures(ctx context.Context) (int, error) {
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: []store.RequestState{store.StateCompleted}, Limit: maxListRequests})
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for _, r := range rs {
		if r.Type != store.RequestAccessErasure {
			continue
		}
		blob, has, err := s.packageBlob(ctx, r.ID)
		if err != nil {
			return n, err
		}
		if has && (blob.ExpiresAt.IsZero() || now.Before(blob.ExpiresAt)) {
			continue // the person may still fetch the package
		}
		err = s.Store.InTx(ctx, func(tx store.Tx) error {
			var blobs int64
			if has {
				ok, err := tx.DeleteBlob(ctx, blob.ID)
				if err != nil {
					return err
				}
				if ok {
					blobs++
				}
			}
			existed, err := s.Vault.DestroyPersonKey(ctx, tx, requestKeyID(r.ID))
			if err != nil {
				return err
			}
			if !existed && blobs == 0 {
				return errNothingToShred
			}
			_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: s.Actor, Action: audit.ActionErasureKeyDestroyed,
				RequestID: r.ID, SubjectRef: r.SubjectRef, Outcome: audit.OutcomeSuccess,
				Counts: map[string]int64{"request_keys_destroyed": 1, "packages_deleted": blobs},
				Reason: "access package expired: the request's key and package destroyed"})
			return err
		})
		if errors.Is(err, errNothingToShred) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("dsar: shred request %s: %w", r.ID, err)
		}
		s.Vault.Forget(requestKeyID(r.ID))
		n++
	}
	return n, nil
}
