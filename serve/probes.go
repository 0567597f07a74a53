package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
	// the receiver answers 503 with Retry-After (notReadyRetryAfter) and
	// Intercom delivers it again later.
	errNotReady = errors.New("serve: not ready yet: the database is not open")
)

// handBackWait is how long a stopping process waits, after --stop-timeout, for
// the jobs it cancelled to return and be handed back to the queue.
const handBackWait = 15 * time.Second

// Probes are the readiness conditions of `serve` and `worker`: database
// reachable, migrations current, keysets open and, when the process runs
// them, the job workers started.
type Probes struct {
	Checker *health.Checker
	app     atomic.Pointer[app.App]
	keys    *health.Gate
	workers *health.Gate // nil when the process runs no workers
}

// NewProbes builds the conditions; withWorkers adds the "workers" gate.
func NewProbes(log *slog.Logger, withWorkers bool) *Probes {
	p := &Probes{Checker: health.New(health.Options{Logger: log})}
	p.Checker.Check("database", func(ctx context.Context) error {
		a := p.app.Load()
		if a == nil {
			return errNotConnected
		}
		_, err := a.Store.SchemaVersion(ctx)
		return err
	})
	p.Checker.Check("migrations", func(ctx context.Context) error {
		a := p.app.Load()
		if a == nil {
			return errNotConnected
		}
		return migrationsCurrent(ctx, a.Store)
	})
	p.keys = p.Checker.Gate("keysets", errKeysNotOpen)
	if withWorkers {
		p.workers = p.Checker.Gate("workers", errNoWorkers)
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

// Opened records the open application: the vault opened its keysets in
// app.Open, so the keysets condition holds from now on.
func (p *Probes) Opened(a *app.App) {
	p.app.Store(a)
	p.keys.Set(nil)
}

// WorkersStarted marks the workers ready and watches them: a queue that stops
// on its own makes the process not ready.
func (p *Probes) WorkersStarted(q *jobs.Queue) {
	if p.workers == nil {
		return
	}
	p.workers.Set(nil)
	go func() {
		<-q.Stopped()
		p.workers.Set(errWorkersDown)
	}()
}

// notReadyRetryAfter is the Retry-After of a webhook refused before the
// database is open.
const notReadyRetryAfter = 5 * time.Second

// lateSink is the webhook sink of a server that listens before its database
// is open: until set it refuses notifications with a *webhook.UnavailableError
// (503 with Retry-After, nothing stored, so Intercom delivers them again).
type lateSink struct {
	sink atomic.Pointer[webhook.Sink]
}

func (l *lateSink) set(s webhook.Sink) { l.sink.Store(&s) }

func (l *lateSink) Accept(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
	s := l.sink.Load()
	if s == nil {
		return false, &webhook.UnavailableError{RetryAfter: notReadyRetryAfter, Err: errNotReady}
	}
	return (*s).Accept(ctx, n, raw)
}

// StopQueue stops a started queue: running jobs get stopWait to finish (the
// queue was opened with StopGrace = stopWait), then are cancelled and handed
// back, which they get handBackWait to do.
func StopQueue(q *jobs.Queue, stopWait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopWait+handBackWait)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		return fmt.Errorf("jobs still running %s after the stop began (%w); River runs them again after --job-timeout plus 5 minutes", stopWait+handBackWait, err)
	}
	return nil
}

// lateHandler is a mounted web handler of a server that listens before its
// database is open: until set it answers 503 with Retry-After.
type lateHandler struct {
	h atomic.Pointer[http.Handler]
}

func (l *lateHandler) set(h http.Handler) { l.h.Store(&h) }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(notReadyRetryAfter/time.Second)))
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "not ready yet: the database is not open; try again shortly", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}
