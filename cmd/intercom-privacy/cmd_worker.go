package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/serve"
)

func init() { register(newWorkerCmd) }

// workerHook lets another workflow (exports, retention) add its River workers and
// periodic jobs to `worker` from its own file:
//
//	func init() { registerWorkerHook(func(a *app.App, w *river.Workers) ([]*river.PeriodicJob, error) { ... }) }
type workerHook func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error)

var workerHooks []workerHook

// registerWorkerHook adds a hook run by `worker` (and `serve`, if it uses
// startWorkers) before the queue starts.
func registerWorkerHook(h workerHook) { workerHooks = append(workerHooks, h) }

// workerOptions configure startWorkers.
type workerOptions struct {
	Concurrency int
	ID          string
	LeaseTTL    time.Duration
	JobTimeout  time.Duration
	// StopGrace is how long running jobs may go on after a stop begins before
	// they are cancelled and handed back (jobs.Options.StopGrace).
	StopGrace time.Duration
}

// startWorkers opens River on the application's database with the privacy-request
// worker and every registered hook, re-enqueues open requests, and starts working.
// Stop the returned queue, then Close it.
func startWorkers(ctx context.Context, a *app.App, o workerOptions) (*jobs.Queue, int, error) {
	if err := o.validate(); err != nil {
		return nil, 0, err
	}
	if err := a.RequireIntercom(); err != nil {
		return nil, 0, err
	}
	workers := river.NewWorkers()
	dsar.RegisterWorkersWith(workers, a.DSAR, dsar.RunOptions{Owner: o.ID, LeaseTTL: o.LeaseTTL})
	periodic := dsar.PeriodicJobs()
	for _, h := range workerHooks {
		p, err := h(a, workers)
		if err != nil {
			return nil, 0, err
		}
		periodic = append(periodic, p...)
	}
	var q *jobs.Queue
	var err error
	for attempt := 1; ; attempt++ {
		q, err = jobs.Open(ctx, a.Settings.DatabaseURL, jobs.Options{Workers: workers, PeriodicJobs: periodic,
			MaxWorkers: o.Concurrency, ID: o.ID, JobTimeout: o.JobTimeout, StopGrace: o.StopGrace, Logger: a.Logger})
		if err == nil {
			break
		}
		// Workers started together on an empty database race to create River's
		// tables; the loser succeeds once the winner has.
		if attempt == 3 || ctx.Err() != nil {
			return nil, 0, err
		}
		time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
	}
	n, err := a.DSAR.EnqueuePending(ctx, q)
	if err != nil {
		q.Close()
		return nil, 0, err
	}
	if err := logStartSummary(ctx, a, n); err != nil {
		q.Close()
		return nil, 0, err
	}
	if err := q.Start(ctx); err != nil {
		q.Close()
		return nil, 0, err
	}
	// A request whose worker died is queued again once its lease expires, not
	// after River's rescue window (job timeout plus minutes).
	go a.DSAR.WatchStranded(ctx, q, max(o.LeaseTTL/2, time.Second))
	return q, n, nil
}

// logStartSummary logs what a starting worker found: open requests by state, the
// paused ones with the reason and the fix, the overdue ones, and those left by a
// worker that died. Ids, states and reasons only: no personal data.
func logStartSummary(ctx context.Context, a *app.App, added int) error {
	m, err := a.DSAR.Summarize(ctx)
	if err != nil {
		return err
	}
	log := a.Logger
	log.Info("open requests found at start", "received", m.Received, "verified", m.Verified, "in_progress", m.InProgress,
		"jobs_added", added, "overdue", len(m.Overdue), "left_by_a_dead_worker", len(m.Stranded))
	for reason, ids := range m.Paused {
		log.Warn("requests paused: they are retried, and resume once the cause is fixed", "reason", reason, "count", len(ids),
			"request_ids", ids, "fix", dsar.Pause{Reason: reason}.Fix())
	}
	if len(m.Overdue) > 0 {
		log.Warn("requests past their due date", "count", len(m.Overdue), "request_ids", m.Overdue)
	}
	if len(m.Stranded) > 0 {
		log.Warn("requests claimed by a worker that stopped renewing its claim: queued again", "count", len(m.Stranded), "request_ids", m.Stranded)
	}
	return nil
}

// addFlags registers the flags of workerOptions on cmd (`worker` and `serve`);
// the job timeout's default and usage differ between the two.
func (o *workerOptions) addFlags(cmd *cobra.Command, jobTimeout time.Duration, jobTimeoutUsage string) {
	f := cmd.Flags()
	f.IntVar(&o.Concurrency, "concurrency", envInt("INTERCOM_PRIVACY_WORKERS", 4), "jobs run at once by this process (env INTERCOM_PRIVACY_WORKERS)")
	f.StringVar(&o.ID, "id", envString("INTERCOM_PRIVACY_WORKER_ID", defaultWorkerID()), "name of this worker in River and in request leases (env INTERCOM_PRIVACY_WORKER_ID; default host-pid)")
	f.DurationVar(&o.LeaseTTL, "lease-ttl", dsar.DefaultLeaseTTL, "how long a request stays claimed by a worker that stopped renewing it")
	f.DurationVar(&o.JobTimeout, "job-timeout", jobTimeout, jobTimeoutUsage)
}

// defaultWorkerID names this process in River's tables and in request leases.
func defaultWorkerID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "worker"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// newWorkerCmd builds `intercom-privacy worker`: run the durable jobs only.
func newWorkerCmd() *cobra.Command {
	var (
		af         appFlags
		o          workerOptions
		stopWait   time.Duration
		healthAddr string
	)
	cmd := &cobra.Command{
		Annotations: map[string]string{annotationLogLevel: "info"},
		Use:         "worker",
		Short:       "Run the job workers: privacy requests (and the other durable jobs) until interrupted",
		Long: `worker runs River job workers on the database of DATABASE_URL until it is
interrupted (Ctrl-C or SIGTERM), then lets running jobs finish.

At start it queues every request that is received, verified or in progress and
has no live job, so nothing filed is lost if a process died between filing and
queueing. Several workers may share one PostgreSQL database: River gives each job
to one worker, and a lease on each request keeps a second worker out of a request
that is running; a request whose worker dies is queued again once its lease
expires (--lease-ttl), by whichever worker notices first, not after River's rescue
window. At start it logs what it found (open requests by state, paused ones with
the reason and the fix, overdue ones), and it logs every attempt it starts and
finishes (request ids only); its default log level is info. Steps
already done are never repeated, and within a step no deletion that succeeded is
sent again.

A PostgreSQL server that cannot be reached at start is tried again (1s, 2s,
... up to 30s apart, one log line each time) rather than exiting; a migration
another process is running is waited for. With --health-addr the worker
answers /livez (alive) and /readyz (database reachable, migrations current,
keysets open, workers started) meanwhile.

Ctrl-C or SIGTERM stops taking jobs and lets running ones finish for up to
--stop-timeout; jobs still running then are cancelled and handed back to the
queue (another worker takes them up at once; the attempt is not counted),
which may take up to 15s more.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if err := checkPositive("--stop-timeout", stopWait); err != nil {
				return err
			}
			if err := checkTempDir(); err != nil {
				return err
			}
			settings, err := af.settings("worker")
			if err != nil {
				return err
			}
			o.StopGrace = stopWait
			return runWorker(cmd.Context(), cmd.ErrOrStderr(), settings, o, healthAddr, stopWait)
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	o.addFlags(cmd, 10*time.Minute, "longest run of one attempt of a job; a longer request goes on in the next attempt from where it stopped, and a job left by a worker that died is taken up again after this plus 5 minutes")
	f.DurationVar(&stopWait, "stop-timeout", time.Minute, "how long running jobs may go on after Ctrl-C or SIGTERM before they are cancelled and handed back to the queue")
	f.StringVar(&healthAddr, "health-addr", envString(envHealthAddr, ""), "host:port to serve "+health.PathLive+" and "+health.PathReady+" on for an orchestrator's probes (env "+envHealthAddr+"); empty serves none")
	return cmd
}

// envHealthAddr names the environment variable of worker's --health-addr.
const envHealthAddr = "INTERCOM_PRIVACY_HEALTH_ADDR"

// runWorker serves the probes (when healthAddr is set), opens the application
// (waiting for the database), runs the workers until ctx ends, and stops them.
func runWorker(ctx context.Context, errw io.Writer, s app.Settings, o workerOptions, healthAddr string, stopWait time.Duration) error {
	p := serve.NewProbes(s.Logger, true)
	probesDone := make(chan error, 1)
	if healthAddr != "" {
		hctx, stopProbes := context.WithCancel(ctx)
		defer func() {
			stopProbes()
			<-probesDone
		}()
		listening := make(chan struct{})
		go func() {
			probesDone <- p.Checker.ListenAndServe(hctx, healthAddr, func(bound net.Addr) {
				fmt.Fprintf(errw, "worker: probes at http://%s%s and %s\n", bound, health.PathLive, health.PathReady)
				close(listening)
			})
		}()
		select {
		case <-listening:
		case err := <-probesDone:
			probesDone <- nil
			return err
		}
	}
	a, err := app.OpenWaiting(ctx, s)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while waiting for the database
		}
		return err
	}
	defer a.Close()
	defer a.StartCheckpointer(ctx)() // signs and witnesses the audit tail; last checkpoint on stop
	p.Opened(a)
	q, n, err := startWorkers(ctx, a, o)
	if err != nil {
		return err
	}
	defer q.Close()
	p.WorkersStarted(q)
	fmt.Fprintf(errw, "worker %s: running on %s with %d concurrent jobs; %d job(s) added for open requests that had none; Ctrl-C to stop\n",
		o.ID, q.Backend(), o.Concurrency, n)
	select {
	case <-ctx.Done():
	case <-q.Stopped():
		return errors.New("worker: the job queue stopped on its own; see the log")
	}
	p.Checker.Stop()
	fmt.Fprintln(errw, "worker: stopping; waiting for running jobs to finish (handed back after --stop-timeout)")
	if err := serve.StopQueue(q, stopWait); err != nil {
		return fmt.Errorf("worker: stop: %w", err)
	}
	return nil
}
