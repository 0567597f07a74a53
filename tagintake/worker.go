package tagintake

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/jobs"
)

// JobKind is the River job kind that posts the due replies.
const JobKind = "intercom_replies"

// DrainArgs are the arguments of an intercom_replies job.
type DrainArgs struct{}

// Kind implements river.JobArgs.
func (DrainArgs) Kind() string { return JobKind }

// InsertOpts makes the job unique while it waits or runs.
func (DrainArgs) InsertOpts() river.InsertOpts {
	return jobs.UniqueWhileQueued(3)
}

type drainWorker struct {
	river.WorkerDefaults[DrainArgs]
	rp *Replies
}

// Work posts what is due, batch after batch; failures are recorded on each
// reply, and only a store error fails the job.
func (w *drainWorker) Work(ctx context.Context, _ *river.Job[DrainArgs]) error {
	for {
		r, err := w.rp.SendDue(ctx, 50)
		if err != nil || r.Total() < 50 {
			return err
		}
	}
}

// Timeout bounds one drain.
func (w *drainWorker) Timeout(*river.Job[DrainArgs]) time.Duration { return 30 * time.Minute }

// Every is how often the workers look for due replies.
const Every = 15 * time.Second

// RegisterPeriodic adds the intercom_replies worker and returns its periodic
// job (every Every, and at start). `worker` and `serve` call it when replies
// the customer sees are configured.
func RegisterPeriodic(workers *river.Workers, rp *Replies) ([]*river.PeriodicJob, error) {
	if err := rp.Check(); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &drainWorker{rp: rp}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(Every), func() (river.JobArgs, *river.InsertOpts) {
		return DrainArgs{}, nil
	}, &river.PeriodicJobOpts{ID: JobKind, RunOnStart: true})}, nil
}
