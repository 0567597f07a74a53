package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Reasons a condition gives before the application is open.
var (
	errNotConnected = errors.New("not connected to the database yet")
	errKeysNotOpen  = errors.New("the vault's keysets are not open yet")
	errNoWorkers    = errors.New("the job workers have not started yet")
	errWorkersDown  = errors.New("the job workers stopped")
	// errNotReady answers a webhook that arrives before the database is open:
	// the receiver answers 500 and Intercom delivers it again later.
	errNotReady = errors.New("serve: not ready yet: the database is not open")
)

// handBackWait is how long a stopping process waits, after --stop-timeout, for
// the jobs it cancelled to return and be handed back to the queue.
const handBackWait = 15 * time.Second

// probes are the readiness conditions of `serve` and `worker`: database
// reachable, migrations current, keysets open and, when the process runs
// them, the job workers started.
type probes struct {
	checker *health.Checker
	app     atomic.Pointer[app.App]
	keys    *health.Gate
	workers *health.Gate // nil when the process runs no workers
}

// newProbes builds the conditions; withWorkers adds the "workers" gate.
func newProbes(log *slog.Logger, withWorkers bool) *probes {
	p := &probes{checker: health.New(health.Options{Logger: log})}
	p.checker.Check("database", func(ctx context.Context) error {
		a := p.app.Load()
		if a == nil {
			return errNotConnected
		}
		_, err := a.Store.SchemaVersion(ctx)
		return err
	})
	p.checker.Check("migrations", func(ctx context.Context) error {
		a := p.app.Load()
		if a == nil {
			return errNotConnected
		}
		return migrationsCurrent(ctx, a.Store)
	})
	p.keys = p.checker.Gate("keysets", errKeysNotOpen)
	if withWorkers {
		p.workers = p.checker.Gate("workers", errNoWorkers)
	}
	return p
}

// migrationsCurrent fails unless the database is at the schema this binary
// expects.
func migrationsCurrent(ctx context.Context, st store.Store) error {
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch latest := st.LatestVersion(); {
	case v < latest:
		return fmt.Errorf("%d migration(s) pending (database at %d, binary at %d): run `intercom-privacy migrate`", latest-v, v, latest)
	case v > latest:
		return &store.SchemaVersionError{Database: v, Binary: latest}
	}
	return nil
}

// opened records the open application: the vault opened its keysets in
// app.Open, so the keysets condition holds from now on.
func (p *probes) opened(a *app.App) {
	p.app.Store(a)
	p.keys.Set(nil)
}

// workersStarted marks the workers ready and watches them: a queue that stops
// on its own makes the process not ready.
func (p *probes) workersStarted(q *jobs.Queue) {
	if p.workers == nil {
		return
	}
	p.workers.Set(nil)
	go func() {
		<-q.Stopped()
		p.workers.Set(errWorkersDown)
	}()
}

// openWaiting opens the application, waiting for the database: an
// unreachable database (store.ErrConnect) is logged, one clear line per
// attempt, and tried again with a capped backoff until ctx ends, so that a
// database starting after this process makes it wait (not ready, still alive)
// rather than exit and be restarted in a loop. Every other failure (a schema
// newer than this binary, keysets never initialised, another application's
// tables) needs a person and is returned at once. A migration another process
// is running is waited for: migrations hold a database lock.
func openWaiting(ctx context.Context, s app.Settings, log *slog.Logger) (*app.App, error) {
	const maxBackoff = 30 * time.Second
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		log.InfoContext(ctx, "opening the database and applying pending migrations (waits while another process migrates)",
			slog.String("database", store.RedactURL(s.DatabaseURL)))
		a, err := app.Open(ctx, s)
		if err == nil {
			if attempt > 1 {
				log.WarnContext(ctx, "database reachable again; starting", slog.Int("attempts", attempt))
			}
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// A SQLite file that cannot be opened will not open later by itself;
		// a database server may be starting, restarting or failing over.
		if !errors.Is(err, store.ErrConnect) || !isServerURL(s.DatabaseURL) {
			return nil, err
		}
		log.WarnContext(ctx, "database not reachable; not ready, retrying", slog.String("error", err.Error()),
			slog.Int("attempt", attempt), slog.Duration("retry_in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// isServerURL tells a database server's URL (PostgreSQL) from a file's.
func isServerURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// lateSink is the webhook sink of a server that listens before its database
// is open: it refuses notifications (500, so Intercom delivers them again)
// until set.
type lateSink struct {
	sink atomic.Pointer[webhook.Sink]
}

func (l *lateSink) set(s webhook.Sink) { l.sink.Store(&s) }

func (l *lateSink) Accept(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
	s := l.sink.Load()
	if s == nil {
		return false, errNotReady
	}
	return (*s).Accept(ctx, n, raw)
}
