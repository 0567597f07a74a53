package dsar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// JobKind is the River job kind that runs a privacy request.
const JobKind = "privacy_request"

// RequestArgs are the arguments of a privacy_request job: the request's id only
// (River stores job arguments in clear; no identifier ever goes there).
type RequestArgs struct {
	RequestID string `json:"request_id"`
	// Revival is set on the job ReviveStranded queues for a request whose worker
	// died: the expiry of the lease it left (Unix microseconds). It makes the job
	// unique per stranded lease, beside the dead worker's job River still counts
	// as running.
	Revival int64 `json:"revival,omitempty"`
}

// Kind implements river.JobArgs.
func (RequestArgs) Kind() string { return JobKind }

// liveStates are River's non-final job states: a request has at most one job in
// them at a time.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// InsertOpts makes privacy_request jobs unique by their arguments across River's
// non-final states, so one request never has two live jobs.
func (RequestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// Snooze intervals of the worker.
const (
	// SnoozePaused is how long a paused request (token refused) waits before the
	// next try.
	SnoozePaused = time.Minute
	// SnoozeNotVerified is how long a request waiting for verification waits.
	SnoozeNotVerified = 5 * time.Minute
	// SnoozeHeld is how long an erasure stopped by a legal hold waits before it
	// checks the holds again.
	SnoozeHeld = 15 * time.Minute
)

// requestWorker runs privacy_request jobs.
type requestWorker struct {
	river.WorkerDefaults[RequestArgs]
	s    *Service
	opts RunOptions
}

// Work runs the request from where it stopped. A paused request, one another
// worker holds, and one not yet verified are snoozed (they do not use up retries);
// a request that does not exist, and one for which Intercom answers an object
// without a usable id (intercom.ErrBadIdentifier, after the client's retries), are
// cancelled; any other error is retried with River's backoff, and the steps already
// done stay done.
func (w *requestWorker) Work(ctx context.Context, job *river.Job[RequestArgs]) error {
	log := w.s.logger()
	log.Info("request attempt started", "request_id", job.Args.RequestID, "attempt", job.Attempt)
	err := w.s.RunWith(ctx, job.Args.RequestID, w.opts)
	var paused *PausedError
	var grace *GraceError
	switch {
	case err == nil:
		if r, gerr := w.s.Get(ctx, job.Args.RequestID); gerr == nil {
			log.Info("request attempt finished", "request_id", r.ID, "state", string(r.State))
		}
		return nil
	case errors.Is(err, ErrNotFound):
		return river.JobCancel(err)
	case errors.As(err, &grace):
		return river.JobSnooze(max(time.Second, grace.Until.Sub(w.s.now())))
	case errors.As(err, &paused) && paused.Reason == PauseLegalHold:
		return river.JobSnooze(SnoozeHeld)
	case errors.As(err, &paused):
		// The reason was logged once when the request was paused; the retry
		// goes on quietly until it changes.
		log.Debug("request still paused; retried later", "request_id", job.Args.RequestID, "reason", paused.Reason)
		return river.JobSnooze(SnoozePaused)
	case errors.Is(err, ErrLeaseHeld):
		log.Info("request held by another worker; retried later", "request_id", job.Args.RequestID)
		ttl := w.opts.LeaseTTL
		if ttl <= 0 {
			ttl = DefaultLeaseTTL
		}
		return river.JobSnooze(ttl / 2)
	case errors.Is(err, ErrNotVerified), errors.Is(err, ErrAwaitingApproval):
		return river.JobSnooze(SnoozeNotVerified)
	case errors.Is(err, intercom.ErrBadIdentifier):
		// Intercom answered, after the client's retries, with an object it does not
		// identify (a ticket without an id): running the step again cannot act on
		// it. Stop here with the error instead of retrying for days; the request
		// stays open and is queued again at the next worker start.
		w.s.logger().Error("request stopped: Intercom answered an object without a usable id", "request_id", job.Args.RequestID, "error", err.Error())
		return river.JobCancel(err)
	}
	w.s.logger().Warn("request attempt failed; it will be retried", "request_id", job.Args.RequestID, "attempt", job.Attempt, "error", err.Error())
	return err
}

// RegisterWorkers adds the privacy_request worker, running requests with s, and the
// workers of the shred and kept-objects jobs (see PeriodicJobs) to workers.
func RegisterWorkers(workers *river.Workers, s *Service) {
	RegisterWorkersWith(workers, s, RunOptions{})
}

// RegisterWorkersWith is RegisterWorkers with run options (the worker's lease owner
// name and TTL, a progress callback).
func RegisterWorkersWith(workers *river.Workers, s *Service, opts RunOptions) {
	river.AddWorker(workers, &requestWorker{s: s, opts: opts})
	river.AddWorker(workers, &shredWorker{s: s})
	river.AddWorker(workers, &keptWorker{s: s})
}

// Enqueue inserts the job that runs a request. If the request already has a live
// job, nothing is inserted and inserted is false.
func Enqueue(ctx context.Context, q *jobs.Queue, requestID string) (inserted bool, err error) {
	if requestID == "" {
		return false, fmt.Errorf("%w: empty request id", ErrInvalidRequest)
	}
	res, err := q.Insert(ctx, RequestArgs{RequestID: requestID}, nil)
	if err != nil {
		return false, fmt.Errorf("dsar: enqueue %s: %w", requestID, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// EnqueuePending (re)inserts a job for every request a worker can run: verified
// or in progress. Workers call it when they start, so a crash between verifying a
// request and enqueueing its job (or a job River gave up on) loses nothing;
// requests that already have a live job are left as they are. A request still
// waiting for verification (or approval) gets no job: the job would be snoozed,
// and being unique per request it would swallow the enqueue of the verification
// (or approval), which then waited out the snooze. It returns how many jobs it
// inserted.
func (s *Service) EnqueuePending(ctx context.Context, q *jobs.Queue) (int, error) {
	n := 0
	f := store.RequestFilter{States: []store.RequestState{store.StateVerified, store.StateInProgress}, Limit: 1000}
	for {
		rs, err := s.Store.ListRequests(ctx, f)
		if err != nil {
			return n, err
		}
		for _, r := range rs {
			ok, err := Enqueue(ctx, q, r.ID)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		if len(rs) < f.Limit {
			return n, nil
		}
		c := store.CursorAfter(rs[len(rs)-1])
		f.After = &c
	}
}
