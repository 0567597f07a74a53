package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

// blockWorker signals when a job starts and returns when released (nil) or
// when its context ends (the context's error, as workflows do).
type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started chan struct{}
	release chan struct{}
}

func (w *blockWorker) Work(ctx context.Context, _ *river.Job[blockArgs]) error {
	close(w.started)
	select {
	case <-w.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopWhileRunning starts a queue with grace, runs one blocking job, ends the
// context given to Start (what SIGTERM does in the commands), calls during()
// while the queue is stopping, waits for the queue to stop and returns the
// job's row.
func stopWhileRunning(t *testing.T, b backend, grace time.Duration, during func(w *blockWorker)) *rivertype.JobRow {
	t.Helper()
	ctx := context.Background()
	dbURL, schema := b.url(t)
	w := &blockWorker{started: make(chan struct{}), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err := Open(ctx, dbURL, Options{Workers: workers, Schema: schema, FetchPollInterval: 50 * time.Millisecond, StopGrace: grace})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if err := q.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	res, err := q.Insert(ctx, blockArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-w.started
	stop()
	during(w)
	<-q.Stopped()
	row, err := q.Job(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// TestStopLetsRunningJobFinish: a job that ends within the grace completes.
func TestStopLetsRunningJobFinish(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			row := stopWhileRunning(t, b, time.Hour, func(w *blockWorker) { close(w.release) })
			if row.State != rivertype.JobStateCompleted {
				t.Fatalf("job state %s, want completed: the stop must wait for a running job", row.State)
			}
		})
	}
}

// TestStopHandsBackJobAfterGrace: a job still running when the grace ends has
// its context cancelled and goes back to available with its attempt not
// counted, for the next worker; it is neither failed nor left running until
// River's rescuer notices.
func TestStopHandsBackJobAfterGrace(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			row := stopWhileRunning(t, b, 10*time.Millisecond, func(*blockWorker) {})
			if row.State != rivertype.JobStateAvailable || row.Attempt != 0 || len(row.Errors) != 0 {
				t.Fatalf("job state %s attempt %d errors %d, want available, 0, 0 (handed back)", row.State, row.Attempt, len(row.Errors))
			}
		})
	}
}
