package mail

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/jobs"
)

// JobKind is the River job kind that drains the outbox.
const JobKind = "mail_outbox"

// DrainArgs are the arguments of a mail_outbox job. The periodic schedule
// inserts one every Every; a process that just wrote a message may insert one
// too (Kick), so the message leaves at once rather than at the next tick.
type DrainArgs struct{}

// Kind implements river.JobArgs.
func (DrainArgs) Kind() string { return JobKind }

// InsertOpts makes the job unique while it waits or runs: a burst of kicks
// queues one drain (a message written during a running drain leaves at the
// next tick at the latest).
func (DrainArgs) InsertOpts() river.InsertOpts {
	return jobs.UniqueWhileQueued(3)
}

type drainWorker struct {
	river.WorkerDefaults[DrainArgs]
	s *Sender
}

// Work sends what is due, batch after batch. Delivery failures are recorded
// on each message and retried on its own backoff; only a store error fails
// the job.
func (w *drainWorker) Work(ctx context.Context, _ *river.Job[DrainArgs]) error {
	for {
		r, err := w.s.SendDue(ctx, 50)
		if errors.Is(err, ErrNotConfigured) {
			return nil
		}
		if err != nil || r.Total() < 50 {
			return err
		}
	}
}

// Timeout bounds one drain (a batch of 50 slow connections).
func (w *drainWorker) Timeout(*river.Job[DrainArgs]) time.Duration { return 30 * time.Minute }

// Every is how often the workers look for due messages.
const Every = 15 * time.Second

// RegisterPeriodic adds the mail_outbox worker to workers and returns its
// periodic job (every Every, and at start). `worker` and `serve` call it when
// an SMTP server is configured.
func RegisterPeriodic(workers *river.Workers, s *Sender) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &drainWorker{s: s}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(Every), func() (river.JobArgs, *river.InsertOpts) {
		return DrainArgs{}, nil
	}, &river.PeriodicJobOpts{ID: JobKind, RunOnStart: true})}, nil
}
