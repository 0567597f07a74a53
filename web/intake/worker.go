package intake

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// JobKind is the River job kind that expires the intakes nobody verified.
const JobKind = "intake_expire"

// ExpireArgs are the arguments of an intake_expire job: the hour it was
// scheduled for, so the schedules of several workers insert it once.
type ExpireArgs struct {
	ScheduledAt time.Time `json:"scheduled_at"`
}

// Kind implements river.JobArgs.
func (ExpireArgs) Kind() string { return JobKind }

// InsertOpts makes the job unique by its hour.
func (ExpireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 3}
}

type expireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	st store.Store
	v  *vault.Vault
}

func (w *expireWorker) Work(ctx context.Context, _ *river.Job[ExpireArgs]) error {
	_, err := Expire(ctx, w.st, w.v, time.Now().UTC())
	return err
}

// RegisterPeriodic adds the hourly intake_expire job to workers.
func RegisterPeriodic(workers *river.Workers, st store.Store, v *vault.Vault) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &expireWorker{st: st, v: v}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return ExpireArgs{ScheduledAt: time.Now().UTC().Truncate(time.Hour)}, nil
	}, &river.PeriodicJobOpts{ID: JobKind, RunOnStart: true})}, nil
}
