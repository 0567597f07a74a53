// Package groupcommit runs small units of work submitted concurrently in
// shared transactions of a store.Store: one writer goroutine takes what is
// queued, runs up to MaxBatch units in one transaction, commits once, and
// only then tells each caller it is done. Under a burst, a commit (an fsync on
// SQLite, a WAL flush on PostgreSQL) is paid once per batch instead of once
// per unit, and the units never contend with each other for the database's
// write lock.
//
// The queue is bounded: a unit that finds it full, or that waited longer than
// MaxWait without being started, is refused with an *OverloadedError (nothing
// of it was written), so a caller can answer "try again later" instead of
// failing or waiting without end.
//
// A unit that fails does not fail the others: the batch is rolled back, run
// again without it, and the failing unit is run alone, so that each caller
// gets the outcome of its own unit.
//
// The package works on every store.Store backend; the webhook receiver
// (contactsync.WebhookSink) uses it on SQLite and PostgreSQL alike.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Defaults of Options.
const (
	DefaultMaxBatch   = 128
	DefaultQueueSize  = 1024
	DefaultMaxWait    = 2 * time.Second
	DefaultRetryAfter = time.Second
)

// ErrOverloaded: a unit was refused because the queue was full, or it waited
// longer than MaxWait; nothing of it was written.
var ErrOverloaded = errors.New("groupcommit: too many writes waiting")

// ErrClosed: Do was called after Close.
var ErrClosed = errors.New("groupcommit: committer closed")

// OverloadedError is the error of a refused unit. It matches ErrOverloaded.
type OverloadedError struct {
	// Waiting is how many units were queued when it was refused.
	Waiting int
	// RetryAfter is how long the caller should wait before trying again.
	RetryAfter time.Duration
}

func (e *OverloadedError) Error() string {
	return "groupcommit: too many writes waiting (" + strconv.Itoa(e.Waiting) + " queued); retry after " + e.RetryAfter.String()
}

// Is matches ErrOverloaded.
func (e *OverloadedError) Is(target error) bool { return target == ErrOverloaded }

// Options configure a Committer. The zero value uses the defaults.
type Options struct {
	// MaxBatch is the most units run in one transaction (DefaultMaxBatch
	// when <= 0).
	MaxBatch int
	// QueueSize is the most units waiting for the writer (DefaultQueueSize
	// when <= 0); one more is refused at once.
	QueueSize int
	// MaxWait is the longest a unit waits to be started (DefaultMaxWait when
	// <= 0); then it is refused.
	MaxWait time.Duration
	// RetryAfter is what an OverloadedError suggests (DefaultRetryAfter when
	// <= 0).
	RetryAfter time.Duration
	// OnBatch, when set, is called by the writer after each transaction with
	// its number of units and its outcome (for metrics). It must not block.
	OnBatch func(units int, err error)
}

// Func is one unit of work. It runs inside a transaction shared with other
// units and must have no effect outside it: it may run more than once (the
// batch is re-run without a failing unit; PostgreSQL re-runs a transaction
// after a serialization failure), so it resets whatever it reports at its
// start, as a function given to store.Store.InTx does. It must not keep tx
// nor wait on the network.
type Func func(ctx context.Context, tx store.Tx) error

// unit states.
const (
	queued int32 = iota
	started
	withdrawn
)

type unit struct {
	ctx   context.Context
	fn    Func
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on it
}

// Committer batches units into transactions. Create it with New; it is safe
// for concurrent use.
type Committer struct {
	st   store.Store
	o    Options
	q    chan *unit
	stop chan struct{}
	wg   sync.WaitGroup
	// ctx is the writer's context: transactions are not cut short when the
	// caller that queued a unit goes away.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	mu        sync.RWMutex // held for reading by Do while it queues; for writing by Close
	closed    bool
}

// New returns a Committer writing to st and starts its writer goroutine;
// Close stops it.
func New(st store.Store, o Options) *Committer {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Committer{st: st, o: o, q: make(chan *unit, o.QueueSize), stop: make(chan struct{}), ctx: ctx, cancel: cancel}
	c.wg.Add(1)
	go c.run()
	return c
}

// Do queues fn and returns once the transaction that ran it committed (nil),
// or with fn's own error, or the transaction's. It returns an
// *OverloadedError, having written nothing, when the queue is full or fn was
// not started within MaxWait; ctx's error when ctx ended before fn was
// started; ErrClosed after Close. Once fn has started, Do waits for its
// transaction to end whatever ctx does, so that a nil error always means
// committed and a non-nil one never hides a commit.
func (c *Committer) Do(ctx context.Context, fn Func) error {
	if fn == nil {
		return fmt.Errorf("groupcommit: nil Func")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	select {
	case c.q <- u:
		c.mu.RUnlock()
	default:
		c.mu.RUnlock()
		return c.overloaded()
	}
	t := time.NewTimer(c.o.MaxWait)
	defer t.Stop()
	select {
	case err := <-u.done:
		return err
	case <-ctx.Done():
		if u.state.CompareAndSwap(queued, withdrawn) {
			return ctx.Err()
		}
	case <-t.C:
		if u.state.CompareAndSwap(queued, withdrawn) {
			return c.overloaded()
		}
	}
	return <-u.done // started: its transaction ends soon
}

// Queued returns how many units wait for the writer (for metrics and tests).
func (c *Committer) Queued() int { return len(c.q) }

func (c *Committer) overloaded() error {
	return &OverloadedError{Waiting: len(c.q), RetryAfter: c.o.RetryAfter}
}

// Close stops taking units, runs those already queued, and returns when the
// writer has stopped. Calls of Do after Close return ErrClosed.
func (c *Committer) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.stop)
		c.wg.Wait()
		c.cancel()
	})
	return nil
}

// run is the writer: it takes the first queued unit, whatever else is queued
// up to MaxBatch, and runs them in one transaction.
func (c *Committer) run() {
	defer c.wg.Done()
	batch := make([]*unit, 0, c.o.MaxBatch)
	for {
		var first *unit
		select {
		case first = <-c.q:
		case <-c.stop:
			// No Do queues after stop is closed (closed is set first, under mu):
			// run what is left, then stop.
			for {
				select {
				case u := <-c.q:
					c.runBatch(c.take(append(batch[:0], u)))
					continue
				default:
				}
				return
			}
		}
		batch = c.take(append(batch[:0], first))
		c.runBatch(batch)
		clear(batch)
	}
}

// take adds queued units to batch up to MaxBatch without waiting, and keeps
// only those still wanted, marking them started.
func (c *Committer) take(batch []*unit) []*unit {
fill:
	for len(batch) < c.o.MaxBatch {
		select {
		case u := <-c.q:
			batch = append(batch, u)
		default:
			break fill
		}
	}
	kept := batch[:0]
	for _, u := range batch {
		if u.state.CompareAndSwap(queued, started) {
			kept = append(kept, u)
		}
	}
	return kept
}

// failedUnit tells which unit of a batch failed.
type failedUnit struct {
	i   int
	err error
}

func (f *failedUnit) Error() string { return f.err.Error() }
func (f *failedUnit) Unwrap() error { return f.err }

// runBatch runs units in one transaction and reports to each. When one unit
// fails, the others are run again without it and it is run alone; when the
// transaction fails otherwise (begin, commit), every unit gets that error.
func (c *Committer) runBatch(units []*unit) {
	if len(units) == 0 {
		return
	}
	err := c.st.InTx(c.ctx, func(tx store.Tx) error {
		for i, u := range units {
			// A started unit runs to its end even if its caller goes away.
			if err := u.fn(context.WithoutCancel(u.ctx), tx); err != nil {
				return &failedUnit{i: i, err: err}
			}
		}
		return nil
	})
	if c.o.OnBatch != nil {
		c.o.OnBatch(len(units), err)
	}
	var fu *failedUnit
	switch {
	case err == nil:
		for _, u := range units {
			u.done <- nil
		}
	case errors.As(err, &fu) && len(units) > 1:
		rest := make([]*unit, 0, len(units)-1)
		rest = append(rest, units[:fu.i]...)
		rest = append(rest, units[fu.i+1:]...)
		c.runBatch(rest)
		c.runBatch(units[fu.i : fu.i+1])
	default:
		if errors.As(err, &fu) {
			err = fu.err
		}
		for _, u := range units {
			u.done <- err
		}
	}
}
