package export

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// ShredInterval is how often the workers look for export keys to destroy.
const ShredInterval = time.Hour

// ShredArgs is the River job that runs ShredKeys.
type ShredArgs struct{}

// Kind is the River job kind.
func (ShredArgs) Kind() string { return "export_shred_keys" }

// InsertOpts makes the job unique while one is waiting or running.
func (ShredArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type shredWorker struct {
	river.WorkerDefaults[ShredArgs]
	s *Service
}

func (w *shredWorker) Work(ctx context.Context, _ *river.Job[ShredArgs]) error {
	_, err := w.s.ShredKeys(ctx)
	return err
}

// RegisterWorkers adds the export key shredder to workers and returns its periodic
// job (hourly, and once when the workers start).
func RegisterWorkers(workers *river.Workers, s *Service) []*river.PeriodicJob {
	river.AddWorker(workers, &shredWorker{s: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ShredInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ShredArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
