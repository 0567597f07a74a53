package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/jobs"
)

// JobKind is the River job kind of a scheduled retention run.
const JobKind = "retention_run"

// RunArgs are the arguments of a retention_run job: the scheduled time only.
// The job is unique by its arguments, so the same scheduled run is inserted
// once however many workers schedule it.
type RunArgs struct {
	// ScheduledAt is when the schedule fired (to the minute, UTC); the run
	// computes its cutoffs from it, so a retried job deletes the same rows.
	ScheduledAt time.Time `json:"scheduled_at"`
	// DryRun counts only (for a job inserted by hand; the schedule never sets it).
	DryRun bool `json:"dry_run,omitempty"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return JobKind }

// InsertOpts makes retention_run jobs unique by their arguments in every
// state River keeps, so a scheduled time runs once.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 5}
}

// SnoozeInProgress is how long a scheduled run waits when another run is
// alive (a `retention run` from the command line, say) before it tries again.
const SnoozeInProgress = time.Minute

// runWorker works retention_run jobs.
type runWorker struct {
	river.WorkerDefaults[RunArgs]
	policy Policy
	runner *Runner
}

// Work runs the policy once. Another live run snoozes the job; any other
// error is retried with River's backoff (what was deleted stays deleted, and
// the retry deletes what is left).
func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	_, err := w.runner.Run(ctx, w.policy, RunOptions{DryRun: job.Args.DryRun, Now: job.Args.ScheduledAt})
	if errors.Is(err, ErrRunInProgress) {
		return river.JobSnooze(SnoozeInProgress)
	}
	return err
}

// PeriodicJob returns the River periodic job that inserts a retention_run job
// on the policy's schedule (daily at 03:00 UTC by default; the cron
// expression and time zone come from the policy's schedule section). River's
// elected leader inserts it, so several workers on one database schedule one
// run; uniqueness by scheduled time is the second guard.
func PeriodicJob(p Policy) (*river.PeriodicJob, error) {
	if err := validPolicy(p); err != nil {
		return nil, err
	}
	sched, err := jobs.Cron(p.Schedule.Cron, p.Schedule.Location)
	if err != nil {
		return nil, fmt.Errorf("retention: schedule: %w", err)
	}
	return river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
		return RunArgs{ScheduledAt: time.Now().UTC().Truncate(time.Minute)}, nil
	}, &river.PeriodicJobOpts{ID: JobKind}), nil
}

// RegisterPeriodic adds the retention_run worker to workers and returns the
// periodic job to pass to jobs.Options.PeriodicJobs. The `worker` and `serve`
// commands call it before starting the queue.
func RegisterPeriodic(workers *river.Workers, p Policy, r *Runner) ([]*river.PeriodicJob, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	pj, err := PeriodicJob(p)
	if err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &runWorker{policy: p, runner: r}); err != nil {
		return nil, fmt.Errorf("retention: register worker: %w", err)
	}
	return []*river.PeriodicJob{pj}, nil
}
