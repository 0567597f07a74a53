package users

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// SessionKeep is how long an ended or expired session's row is kept (for an
// operator following an audit record's session id) before the sweep deletes
// it. The row holds ids and times, no secret in clear.
const SessionKeep = 30 * 24 * time.Hour

// SweepResult counts what Sweep deleted.
type SweepResult struct {
	Sessions, ThrottleKeys int64
}

// Sweep deletes the sessions ended or expired more than SessionKeep ago and
// the throttle counts whose window is over. It changes nothing anyone can
// use (those sessions are refused already), so it writes no audit record.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	now := s.now()
	var r SweepResult
	var err error
	if r.Sessions, err = s.Store.DeleteSessionsBefore(ctx, now.Add(-SessionKeep)); err != nil {
		return r, errorf("deleting old sessions", err)
	}
	if r.ThrottleKeys, err = s.Store.DeleteSignInFailuresBefore(ctx, now.Add(-or(s.ThrottleWindow, DefaultThrottleWindow))); err != nil {
		return r, errorf("deleting old sign-in counts", err)
	}
	return r, nil
}

// SweepJobKind is the River job kind of the hourly sweep.
const SweepJobKind = "users_sweep"

// SweepArgs are the arguments of a users_sweep job: the hour it was
// scheduled for, so that the schedules of several workers insert it once.
type SweepArgs struct {
	ScheduledAt time.Time `json:"scheduled_at"`
}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return SweepJobKind }

// InsertOpts makes the job unique by its hour.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 3}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

// Work runs Sweep.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.svc.Sweep(ctx)
	return err
}

// RegisterPeriodic adds the users_sweep worker to workers and returns its
// hourly periodic job. `worker` and `serve` call it.
func RegisterPeriodic(workers *river.Workers, svc *Service) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &sweepWorker{svc: svc}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return SweepArgs{ScheduledAt: time.Now().UTC().Truncate(time.Hour)}, nil
	}, &river.PeriodicJobOpts{ID: SweepJobKind})}, nil
}
