// Package serve runs the long-lived process of `intercom-privacy serve`: the
// HTTP server (webhook receiver, probes, metrics, and the web layer mounted
// beside them), the webhook applier, the continuous scan and the job workers,
// started in order and stopped in the reverse order.
//
// The command parses flags and the environment into Options; a Process does the
// rest. It listens before it opens the database, so that liveness holds while a
// database is waited for; everything that needs the application (the webhook
// sink, the web handlers, the workers) answers "not ready" until it is open.
package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
	"github.com/intercom-privacy/intercom-privacy/tagintake"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Options configure a Process. Settings, Secret and Addr are required; the
// other zero values take the documented defaults.
type Options struct {
	// Settings open the application.
	Settings app.Settings
	// Secret is the Intercom app's client secret, the webhook signing key.
	Secret string
	// Addr is the host:port to listen on (port 0 picks one).
	Addr string
	// AppID, when set, is the workspace whose notifications are accepted.
	AppID string
	// MaxBody limits a notification body (webhook.DefaultMaxBody when 0).
	MaxBody int64
	// ApplyInterval is how often stored webhook events not applied yet are
	// retried (contactsync.DefaultApplyInterval when 0).
	ApplyInterval time.Duration
	// StopWait bounds the graceful stop of HTTP requests and of running jobs
	// (one minute when 0).
	StopWait time.Duration
	// WebhookQueue is the group committer's queue (groupcommit.DefaultQueueSize
	// when 0).
	WebhookQueue int
	// StartWorkers, when set, starts the job workers on the open application
	// and returns the started queue and how many jobs it added for open
	// requests; nil runs no workers (serve --no-workers). The command passes
	// its startWorkers, which adds every registered workflow's workers.
	StartWorkers func(ctx context.Context, a *app.App) (q *jobs.Queue, added int, err error)
	// Concurrency is the workers' concurrency, for the start-up line.
	Concurrency int
	// Monitor, when set, builds the continuous scan from the configuration
	// (nil, nil when it is off) and instruments it on the server's metrics.
	Monitor func(a *app.App, m *server.Metrics) (*scan.Monitor, error)
	// Web are the handlers mounted beside the webhook: the API, the console.
	// Each is built once the application is open; until then its pattern
	// answers 503 with Retry-After. A Build error stops the process.
	Web []Mount
	// Out receives the start-up and stop lines a person reads (discarded when
	// nil).
	Out io.Writer
}

// Mount is a web handler mounted on a ServeMux pattern ("/api/", "/") and
// built from the open application.
type Mount struct {
	Pattern string
	Build   func(a *app.App) (http.Handler, error)
}

// Process is a running serve. Create it with New, start it with Run, stop it
// with Close.
type Process struct {
	o      Options
	out    io.Writer
	probes *Probes
	srv    *server.Server
	sink   *lateSink
	web    []*lateHandler
	done   chan struct{} // closed when the server stopped

	// Set by Run.
	stopServer context.CancelFunc
	serveDone  chan error
	addr       net.Addr
	app        *app.App
	stopCheck  func()
	commit     *groupcommit.Committer
	stopBg     context.CancelFunc
	bg         sync.WaitGroup
	queue      *jobs.Queue

	closeOnce sync.Once
	closeErr  error
}

// New checks o and builds the server; nothing listens until Run.
func New(o Options) (*Process, error) {
	o.StopWait = cmp.Or(o.StopWait, time.Minute)
	o.ApplyInterval = cmp.Or(o.ApplyInterval, contactsync.DefaultApplyInterval)
	o.WebhookQueue = cmp.Or(o.WebhookQueue, groupcommit.DefaultQueueSize)
	if o.Addr == "" {
		return nil, errors.New("serve: no address to listen on")
	}
	p := &Process{o: o, out: cmp.Or[io.Writer](o.Out, io.Discard), probes: NewProbes(o.Settings.Logger, o.StartWorkers != nil), sink: &lateSink{}, done: make(chan struct{})}
	var routes []server.Route
	for _, m := range o.Web {
		if m.Build == nil {
			return nil, fmt.Errorf("serve: web mount %q has no Build", m.Pattern)
		}
		l := &lateHandler{}
		p.web = append(p.web, l)
		routes = append(routes, server.Route{Pattern: m.Pattern, Handler: l})
	}
	srv, err := server.New(server.Options{
		Secret: []byte(o.Secret), AppID: o.AppID, MaxBody: o.MaxBody, Logger: o.Settings.Logger,
		Sink: p.sink, Readiness: p.probes.Checker, ShutdownTimeout: o.StopWait, Handlers: routes,
		Gauges: func(ctx context.Context) ([]server.Gauge, error) {
			a := p.probes.app.Load()
			if a == nil {
				return nil, errNotConnected
			}
			return requestGauges(ctx, a)
		},
	})
	if err != nil {
		return nil, err
	}
	p.srv = srv
	return p, nil
}

// Server returns the HTTP server (its metrics, its handler for tests).
func (p *Process) Server() *server.Server { return p.srv }

// Addr is the address listened on, once Run has returned nil.
func (p *Process) Addr() net.Addr { return p.addr }

// App is the open application, once Run has returned nil.
func (p *Process) App() *app.App { return p.app }

// Done is closed when the HTTP server stopped: after Close began, or on a
// listener failure (then Close returns its error).
func (p *Process) Done() <-chan struct{} { return p.done }

// Run listens, then opens the application (waiting for an unreachable
// PostgreSQL, see app.OpenWaiting), then builds the web handlers and starts the
// webhook sink, the applier, the continuous scan and the workers. It returns
// once all of it runs, or the first failure; call Close in both cases. ctx
// bounds the start (the wait for the database) and the life of the process:
// when it ends, the server stops taking requests, as Close does.
func (p *Process) Run(ctx context.Context) error {
	sctx, stop := context.WithCancel(ctx)
	p.stopServer = stop
	p.serveDone = make(chan error, 1)
	listening := make(chan struct{})
	go func() {
		err := p.srv.ListenAndServe(sctx, p.o.Addr, func(bound net.Addr) {
			p.addr = bound
			fmt.Fprintf(p.out, "serve: listening on http://%s (webhooks at %s, probes at %s and %s); Ctrl-C to stop\n",
				bound, webhook.Path, server.PathLive, server.PathReady)
			close(listening)
		})
		p.serveDone <- err
		close(p.done)
	}()
	select {
	case <-listening:
	case err := <-p.serveDone:
		p.serveDone <- err
		return err
	}
	a, err := app.OpenWaiting(ctx, p.o.Settings)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while waiting for the database
		}
		return err
	}
	p.app = a
	if err := a.RequireIntercom(); err != nil {
		return err
	}
	p.stopCheck = a.StartCheckpointer(ctx) // signs and witnesses the audit tail; last checkpoint on stop
	p.probes.Opened(a)
	for i, m := range p.o.Web {
		h, err := m.Build(a)
		if err != nil {
			return fmt.Errorf("serve: build the handler of %s: %w", m.Pattern, err)
		}
		p.web[i].set(h)
	}
	syncer := a.Syncer("webhook")
	applier := contactsync.NewApplier(syncer)
	applier.Interval = p.o.ApplyInterval
	m := p.srv.Metrics()
	applier.OnResult = func(r contactsync.ApplyResult, _ error) {
		for _, c := range []struct {
			label string
			n     int
		}{{"stored", r.Stored}, {"purged", r.Purged}, {"skipped", r.Skipped}, {"failed", r.Failed}, {"deferred", r.Deferred}} {
			if c.n > 0 {
				m.Add(server.MetricWebhookApplied, int64(c.n), [2]string{"result", c.label})
			}
		}
	}
	var monitor *scan.Monitor
	if p.o.Monitor != nil {
		if monitor, err = p.o.Monitor(a, m); err != nil {
			return err
		}
	}
	ws := &contactsync.WebhookSink{Syncer: syncer, Wake: applier.Wake}
	// Notifications arriving together are stored in one transaction by one
	// writer (group commit), each acknowledged once it is committed.
	ws.Commit = groupcommit.New(a.Store, groupcommit.Options{QueueSize: p.o.WebhookQueue, Finish: a.SignBatch, OnBatch: func(n int, err error) {
		result := [2]string{"result", "committed"}
		if err != nil {
			result[1] = "failed"
		}
		m.Add(server.MetricWebhookBatches, 1, result)
		m.Add(server.MetricWebhookBatchUnits, int64(n), result)
	}})
	p.commit = ws.Commit
	var wsink webhook.Sink = ws
	if monitor != nil {
		// New customer messages are scanned as they arrive (scan.monitor).
		wsink = monitor.Wrap(wsink)
	}
	if ic := a.Config.Intake.Intercom; ic.Enabled() {
		// A conversation given a configured tag files a request (tagintake).
		if a.Intercom == nil {
			return fmt.Errorf("serve: intake.intercom needs an Intercom token")
		}
		o := tagintake.FromConfig(ic)
		o.DSAR, o.Store, o.Chain, o.Intercom, o.Logger, o.Actor = a.DSAR, a.Store, a.Chain, a.Intercom, a.Logger, "webhook"
		o.Replies = a.Replies
		in, err := tagintake.New(o)
		if err != nil {
			return err
		}
		wsink = &tagintake.Sink{Intake: in, Next: wsink}
		fmt.Fprintf(p.out, "serve: conversations tagged for privacy file requests (%d tag(s), %d ticket type(s))\n", len(o.Rules), len(o.TicketRules))
	}
	p.sink.set(wsink)
	if p.o.StartWorkers != nil {
		q, n, err := p.o.StartWorkers(ctx, a)
		if err != nil {
			return err
		}
		p.queue = q
		a.UseQueue(q)
		p.probes.WorkersStarted(q)
		fmt.Fprintf(p.out, "serve: workers running on %s (%d concurrent jobs, %d job(s) added for open requests that had none)\n", q.Backend(), p.o.Concurrency, n)
	}
	bctx, stopBg := context.WithCancel(ctx)
	p.stopBg = stopBg
	p.bg.Go(func() { _ = applier.Run(bctx) })
	if monitor != nil {
		p.bg.Go(func() { _ = monitor.Run(bctx) })
		fmt.Fprintf(p.out, "serve: new messages are scanned (scan.monitor.mode %s)\n", monitor.Mode)
	}
	return nil
}

// Close stops the process in order: readiness turns false and the server
// finishes its running requests (up to StopWait), what the webhook sink still
// holds is written, the applier and the scan stop, the workers get StopWait to
// finish their jobs, the audit tail is signed and the application closed. It
// returns the first failure, the server's included; calling it again returns
// the same.
func (p *Process) Close() error {
	p.closeOnce.Do(func() { p.closeErr = p.close() })
	return p.closeErr
}

func (p *Process) close() error {
	var serveErr error
	if p.stopServer != nil {
		p.stopServer()
		serveErr = <-p.serveDone
	}
	// Every handler has returned: write what is still queued, then stop.
	if p.commit != nil {
		_ = p.commit.Close()
	}
	if p.stopBg != nil {
		p.stopBg()
		p.bg.Wait()
	}
	var stopErr error
	if p.queue != nil {
		fmt.Fprintln(p.out, "serve: stopping; waiting for running jobs to finish (handed back after --stop-timeout)")
		if err := StopQueue(p.queue, p.o.StopWait); err != nil {
			stopErr = fmt.Errorf("serve: stop the workers: %w", err)
		}
	}
	if p.queue != nil {
		p.queue.Close()
	}
	if p.stopCheck != nil {
		p.stopCheck()
	}
	if p.app != nil {
		p.app.Close()
	}
	if err := errors.Join(serveErr, stopErr); err != nil {
		return err
	}
	fmt.Fprintln(p.out, "serve: stopped")
	return nil
}

// requestGauges counts the open privacy requests by state for /metrics (one
// grouped count, whatever their number).
func requestGauges(ctx context.Context, a *app.App) ([]server.Gauge, error) {
	states := []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}
	n, err := a.Store.CountRequests(ctx, states...)
	if err != nil {
		return nil, errors.Join(errors.New("count privacy requests"), err)
	}
	out := make([]server.Gauge, 0, len(states))
	for _, st := range states {
		out = append(out, server.Gauge{Name: "intercom_privacy_requests_open", Help: "Open privacy requests by state.",
			Labels: [][2]string{{"state", string(st)}}, Value: n[st]})
	}
	return out, nil
}
