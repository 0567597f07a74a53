package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Leases: one run at a time walks the conversations (LeaseScan) and one run at
// a time sends redactions (LeaseRedact), across every process and worker on
// the store. A scan and a redaction run may overlap: the scan only records
// findings and the redaction run only reads them.
const (
	LeaseScan   = "scan"
	LeaseRedact = "redact"
)

// DefaultLeaseTTL is how long a run's lease lasts without a heartbeat. A live
// run renews it every quarter of that, so a run whose process died holds the
// lease at most this long after its last heartbeat.
const DefaultLeaseTTL = time.Minute

var (
	// ErrRunInProgress: another process holds the lease. The error is a
	// *RunInProgressError.
	ErrRunInProgress = errors.New("scan: another run is in progress")
	// ErrLeaseLost: the run stopped renewing its lease for longer than its
	// duration (a stalled process), another took it over, and this run
	// stopped so that the two do not interleave; what it did is recorded.
	ErrLeaseLost = errors.New("scan: the run lost its lease to another process and stopped")
)

// RunInProgressError names the run that holds a lease.
type RunInProgressError struct {
	// Lease is LeaseScan or LeaseRedact; Holder the holder's id (a worker id
	// or host-pid, never a person).
	Lease, Holder          string
	HeartbeatAt, ExpiresAt time.Time
}

// Error implements error.
func (e *RunInProgressError) Error() string {
	what := "scan conversations"
	if e.Lease == LeaseRedact {
		what = "scan redact"
	}
	return fmt.Sprintf("scan: a `%s` run is in progress in %s (last heartbeat %s); wait for it to finish; if that process is dead, its lease expires at %s and the next run resumes its work",
		what, e.Holder, e.HeartbeatAt.UTC().Format(time.RFC3339), e.ExpiresAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrRunInProgress.
func (e *RunInProgressError) Unwrap() error { return ErrRunInProgress }

// DefaultHolder is the holder id a run uses when none is configured: the host
// name and the process id.
func DefaultHolder() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "host"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// LeaseOptions say who holds a run's lease and for how long. The zero value
// is DefaultHolder and DefaultLeaseTTL.
type LeaseOptions struct {
	// Holder identifies this process (a worker id; DefaultHolder when empty).
	// A process restarted with the same Holder takes its own lease back at
	// once; two live processes must not share one.
	Holder string
	// TTL is the lease's duration without a heartbeat (DefaultLeaseTTL when 0).
	TTL time.Duration
}

func (o LeaseOptions) holder() string {
	if o.Holder != "" {
		return o.Holder
	}
	return defaultHolder()
}

var defaultHolder = sync.OnceValue(DefaultHolder)

func (o LeaseOptions) ttl() time.Duration {
	if o.TTL > 0 {
		return o.TTL
	}
	return DefaultLeaseTTL
}

// held is a lease a run holds, renewed from its own goroutine until release.
type held struct {
	sc     store.Scans
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
	cancel context.CancelCauseFunc
	done   chan struct{}
	wg     sync.WaitGroup
}

// hold takes the lease name for the run, or fails with a *RunInProgressError.
// The returned context is cancelled with ErrLeaseLost if the lease is lost;
// release gives it up.
func hold(ctx context.Context, sc store.Scans, name string, o LeaseOptions, now func() time.Time, log *slog.Logger) (context.Context, *held, error) {
	h := &held{sc: sc, name: name, holder: o.holder(), ttl: o.ttl(), now: now, log: log, done: make(chan struct{})}
	t := now()
	prev, perr := sc.GetScanLease(ctx, name)
	l, err := sc.AcquireScanLease(ctx, name, h.holder, t, h.ttl)
	if err != nil {
		return ctx, nil, fmt.Errorf("scan: take the %s lease: %w", name, err)
	}
	if l.Holder != h.holder {
		return ctx, nil, &RunInProgressError{Lease: name, Holder: l.Holder, HeartbeatAt: l.HeartbeatAt, ExpiresAt: l.ExpiresAt}
	}
	if perr == nil && prev.Holder != h.holder && !prev.ExpiresAt.After(t) {
		log.Info("scan: took over an expired lease", "lease", name, "previous_holder", prev.Holder, "expired_at", prev.ExpiresAt)
	}
	ctx, h.cancel = context.WithCancelCause(ctx)
	every := max(h.ttl/4, time.Millisecond)
	h.wg.Go(func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-tk.C:
				h.renew()
			}
		}
	})
	return ctx, h, nil
}

func (h *held) renew() {
	ctx, cancel := context.WithTimeout(context.Background(), max(h.ttl/4, time.Second))
	defer cancel()
	err := h.sc.RenewScanLease(ctx, h.name, h.holder, h.now(), h.ttl)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.log.Error("scan: lease lost; the run stops", "lease", h.name)
		h.cancel(ErrLeaseLost)
	case err != nil:
		h.log.Warn("scan: lease not renewed; tried again", "lease", h.name, "error", err)
	}
}

// release stops the heartbeat and gives the lease up (even when ctx is
// cancelled, bounded by a short timeout).
func (h *held) release(ctx context.Context) {
	close(h.done)
	h.wg.Wait()
	h.cancel(nil)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.sc.ReleaseScanLease(ctx, h.name, h.holder); err != nil {
		h.log.Warn("scan: lease not released; it expires by itself", "lease", h.name, "error", err)
	}
}

// lost returns ErrLeaseLost when the lease was lost, else err.
func (h *held) lost(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), ErrLeaseLost) {
		return ErrLeaseLost
	}
	return err
}
