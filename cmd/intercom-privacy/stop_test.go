package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/jobs"
)

type cliBlockArgs struct{}

func (cliBlockArgs) Kind() string { return "test_cli_block" }

// cliBlockWorker holds its job until the job's context ends, and says so.
type cliBlockWorker struct {
	river.WorkerDefaults[cliBlockArgs]
	started   chan struct{}
	cancelled chan struct{}
}

func (w *cliBlockWorker) Work(ctx context.Context, _ *river.Job[cliBlockArgs]) error {
	close(w.started)
	<-ctx.Done()
	close(w.cancelled)
	return ctx.Err()
}

// TestStopHandsBackRunningJobs: SIGTERM to `worker` or to `serve` (with its
// workers) while a job runs longer than --stop-timeout: the process exits 0,
// the job's context is cancelled once the stop timeout has passed, and the job
// is back in the queue as available, its attempt not counted and no error
// recorded, for the next worker (jobs.TestHandedBackJobIsTakenUpOnce shows
// another worker then completes it once). Without the commands passing
// --stop-timeout to River (soft stop) the job would be failed as an attempt.
func TestStopHandsBackRunningJobs(t *testing.T) {
	for _, args := range [][]string{
		{"worker", "--stop-timeout", "100ms"},
		{"serve", "--addr", "127.0.0.1:0", "--stop-timeout", "100ms"},
	} {
		t.Run(args[0], func(t *testing.T) {
			cliEnv(t)
			t.Setenv("INTERCOM_CLIENT_SECRET", "s")
			w := &cliBlockWorker{started: make(chan struct{}), cancelled: make(chan struct{})}
			hooks := workerHooks
			workerHooks = append(append([]workerHook(nil), hooks...), func(_ *app.App, ws *river.Workers) ([]*river.PeriodicJob, error) {
				river.AddWorker(ws, w)
				return nil, nil
			})
			t.Cleanup(func() { workerHooks = hooks })

			root := newRootCmd()
			errb := &syncBuffer{}
			root.SetOut(io.Discard)
			root.SetErr(errb)
			root.SetArgs(args)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- root.ExecuteContext(ctx) }()
			testwait.Until(t, args[0]+"'s workers to run", func() bool {
				select {
				case err := <-done:
					t.Fatalf("%s exited early: %v\n%s", args[0], err, errb.String())
				default:
				}
				return strings.Contains(errb.String(), "running on") || strings.Contains(errb.String(), "workers running")
			})

			q, err := jobs.Open(context.Background(), os.Getenv("DATABASE_URL"), jobs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			res, err := q.Insert(context.Background(), cliBlockArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			<-w.started
			cancel() // SIGTERM
			if err := <-done; err != nil {
				t.Fatalf("%s stopped with %v\n%s", args[0], err, errb.String())
			}
			select {
			case <-w.cancelled:
			default:
				t.Fatal("the process exited with the job still running")
			}
			row, err := q.Job(context.Background(), res.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if row.State != rivertype.JobStateAvailable || row.Attempt != 0 || len(row.Errors) != 0 {
				t.Fatalf("job after the stop: state %s attempt %d errors %d, want available, 0, 0 (handed back)\n%s",
					row.State, row.Attempt, len(row.Errors), errb.String())
			}
			if !strings.Contains(errb.String(), "handed back after --stop-timeout") {
				t.Errorf("the stop does not say running jobs are handed back:\n%s", errb.String())
			}
		})
	}
}
