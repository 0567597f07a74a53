package jobs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
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
	dbURL, schema := b.url(t)
	return stopWhileRunningOn(t, dbURL, schema, grace, during)
}

// stopWhileRunningOn is stopWhileRunning on a given database.
func stopWhileRunningOn(t *testing.T, dbURL, schema string, grace time.Duration, during func(w *blockWorker)) *rivertype.JobRow {
	t.Helper()
	ctx := context.Background()
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

// countBlockWorker works test_block jobs at once, counting them.
type countBlockWorker struct {
	river.WorkerDefaults[blockArgs]
	runs atomic.Int32
}

func (w *countBlockWorker) Work(context.Context, *river.Job[blockArgs]) error {
	w.runs.Add(1)
	return nil
}

// TestHandedBackJobIsTakenUpOnce: the job a stopping worker handed back is not
// lost: another worker (a second queue on the same database, as after a
// rolling restart) takes it up at once, not after River's rescue window, and
// completes it; it runs there once, and River records one attempt (the
// interrupted one is not counted) and no error.
func TestHandedBackJobIsTakenUpOnce(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dbURL, schema := b.url(t)
			row := stopWhileRunningOn(t, dbURL, schema, 10*time.Millisecond, func(*blockWorker) {})
			if row.State != rivertype.JobStateAvailable {
				t.Fatalf("job state %s after the stop, want available", row.State)
			}
			w := &countBlockWorker{}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			// RescueAfter is far away: only a job handed back is taken up in time.
			q, err := Open(ctx, dbURL, Options{Workers: workers, Schema: schema, FetchPollInterval: 50 * time.Millisecond,
				JobTimeout: time.Hour, RescueAfter: 24 * time.Hour, StopGrace: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			var done *rivertype.JobRow
			testwait.Until(t, "the handed-back job to be completed by the other worker", func() bool {
				r, err := q.Job(ctx, row.ID)
				if err != nil {
					t.Fatal(err)
				}
				done = r
				return r.State == rivertype.JobStateCompleted
			})
			if err := q.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if n := w.runs.Load(); n != 1 {
				t.Errorf("the other worker ran the job %d times, want 1", n)
			}
			if done.Attempt != 1 || len(done.Errors) != 0 {
				t.Errorf("completed with attempt %d and %d error(s), want 1 and 0", done.Attempt, len(done.Errors))
			}
		})
	}
}
