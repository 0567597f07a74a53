package notice

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// JobKind is the River job kind that sends the due webhook notices.
const JobKind = "recipient_notices"

// SendArgs are the arguments of a recipient_notices job: the minute it was
// scheduled for, so that the schedule of several workers inserts it once.
type SendArgs struct {
	ScheduledAt time.Time `json:"scheduled_at"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return JobKind }

// InsertOpts makes the job unique by its minute.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 3}
}

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	svc *Service
}

// Work sends what is due. Delivery failures are recorded on each notice and
// retried on its own backoff; only a store error fails the job.
func (w *sendWorker) Work(ctx context.Context, _ *river.Job[SendArgs]) error {
	for {
		r, err := w.svc.SendDue(ctx, 100)
		if err != nil || r.Sent+r.Retrying+r.Failed < 100 {
			return err
		}
	}
}

// Every is how often the workers look for due notices.
const Every = time.Minute

// RegisterPeriodic adds the recipient_notices worker to workers and returns
// its periodic job (every minute). `worker` and `serve` call it.
func RegisterPeriodic(workers *river.Workers, svc *Service) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &sendWorker{svc: svc}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(Every), func() (river.JobArgs, *river.InsertOpts) {
		return SendArgs{ScheduledAt: time.Now().UTC().Truncate(time.Minute)}, nil
	}, &river.PeriodicJobOpts{ID: JobKind, RunOnStart: true})}, nil
}
