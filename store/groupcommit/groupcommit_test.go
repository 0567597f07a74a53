package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// insertUnit stores one webhook event with its audit record; inserted reports
// what the unit saw in its last run.
func insertUnit(chain *audit.Chain, id string, inserted *bool) Func {
	return func(ctx context.Context, tx store.Tx) error {
		*inserted = false
		ok, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{NotificationID: id, Topic: "contact.deleted", ContactID: "c_" + id})
		if err != nil || !ok {
			return err
		}
		*inserted = true
		_, err = chain.Append(ctx, tx, audit.Record{Actor: "webhook", Action: audit.ActionWebhookApplied,
			Outcome: audit.OutcomeNoop, ObjectIDs: []string{"c_" + id}, Reason: "test"})
		return err
	}
}

// gate returns a unit that blocks the writer until release is closed, and a
// channel closed once the writer runs it.
func gate() (fn Func, running <-chan struct{}, release chan struct{}) {
	r, rel := make(chan struct{}), make(chan struct{})
	return func(context.Context, store.Tx) error {
		select {
		case <-r:
		default:
			close(r)
		}
		<-rel
		return nil
	}, r, rel
}

// waitQueued waits until n units are queued (a condition, not a duration).
func waitQueued(t *testing.T, c *Committer, n int) {
	t.Helper()
	for len(c.q) < n {
		select {
		case <-time.After(time.Millisecond):
		case <-t.Context().Done():
			t.Fatal("test ended while waiting")
		}
	}
}

func verifyChain(t *testing.T, st store.Store, signer *audittest.Signer, records int) {
	t.Helper()
	rep, err := audit.Verify(t.Context(), st, signer.Keyring())
	if err != nil {
		t.Fatalf("audit verify: %v", err)
	}
	if rep.Records != int64(records) {
		t.Fatalf("chain has %d records, want %d", rep.Records, records)
	}
}

// TestBatchesConcurrentUnits queues units while the writer is held, and
// checks they commit together in one transaction, each exactly once, with
// their audit records, and that a redelivered id in the same batch is seen
// as already there.
func TestBatchesConcurrentUnits(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			signer := audittest.NewSigner("gc")
			chain := audittest.NewChain(t, signer, 50)
			var mu sync.Mutex
			var batches []int
			c := New(st, Options{MaxBatch: 64, MaxWait: time.Hour, OnBatch: func(n int, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					batches = append(batches, n)
				}
			}, Finish: func(ctx context.Context, tx store.Tx) error {
				_, _, err := chain.Checkpoint(ctx, tx) // as serve does: each batch signed
				return err
			}})
			defer c.Close()
			g, running, release := gate()
			gerr := make(chan error, 1)
			go func() { gerr <- c.Do(t.Context(), g) }()
			<-running
			const n = 60
			ins := make([]bool, n+1)
			errs := make([]error, n+1)
			var wg sync.WaitGroup
			for i := range n + 1 {
				id := fmt.Sprintf("n%03d", i%n) // the last one redelivers n000
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = c.Do(t.Context(), insertUnit(chain, id, &ins[i]))
				}()
				if i == n-1 {
					waitQueued(t, c, n) // n000's first delivery is queued before its redelivery
				}
			}
			waitQueued(t, c, n+1)
			close(release)
			wg.Wait()
			if err := <-gerr; err != nil {
				t.Fatal(err)
			}
			inserted := 0
			for i := range n + 1 {
				if errs[i] != nil {
					t.Fatalf("unit %d: %v", i, errs[i])
				}
				if ins[i] {
					inserted++
				}
			}
			if inserted != n || ins[n] {
				t.Fatalf("%d units inserted (want %d), redelivery inserted %v", inserted, n, ins[n])
			}
			mu.Lock()
			got := append([]int(nil), batches...)
			mu.Unlock()
			if len(got) != 2 || got[0] != 1 || got[1] != n+1 {
				t.Fatalf("batches %v, want [1 %d] (the gate, then every queued unit at once)", got, n+1)
			}
			verifyChain(t, st, signer, n)
			if rep, err := audit.Verify(t.Context(), st, signer.Keyring()); err != nil || rep.Unsigned != 0 {
				t.Fatalf("the batch left %d audit records unsigned: %v", rep.Unsigned, err)
			}
		})
	}
}

// TestFailingUnitFailsAlone: a unit that fails gets its own error, writes
// nothing, and the others of its batch still commit.
func TestFailingUnitFailsAlone(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			signer := audittest.NewSigner("gc")
			chain := audittest.NewChain(t, signer, 50)
			c := New(st, Options{MaxWait: time.Hour}) // held units must not time out on a slow machine
			defer c.Close()
			g, running, release := gate()
			go func() { _ = c.Do(t.Context(), g) }()
			<-running
			boom := errors.New("unit refused")
			const n = 10
			errs := make([]error, n)
			ins := make([]bool, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				fn := insertUnit(chain, fmt.Sprintf("f%02d", i), &ins[i])
				if i == 4 {
					inner := fn
					fn = func(ctx context.Context, tx store.Tx) error {
						if err := inner(ctx, tx); err != nil {
							return err
						}
						return boom // after writing: the write must be rolled back
					}
				}
				go func() {
					defer wg.Done()
					errs[i] = c.Do(t.Context(), fn)
				}()
			}
			waitQueued(t, c, n)
			close(release)
			wg.Wait()
			for i, err := range errs {
				if i == 4 {
					if !errors.Is(err, boom) {
						t.Fatalf("failing unit: %v, want its own error", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("unit %d: %v", i, err)
				}
			}
			evs, err := st.UnprocessedWebhookEvents(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != n-1 {
				t.Fatalf("%d events stored, want %d", len(evs), n-1)
			}
			for _, e := range evs {
				if e.NotificationID == "f04" {
					t.Fatal("the failing unit's event was committed")
				}
			}
			verifyChain(t, st, signer, n-1)
		})
	}
}

// TestOverloaded: a full queue refuses at once, a unit not started within
// MaxWait is refused, and neither writes anything.
func TestOverloaded(t *testing.T) {
	st := storetest.SQLite().Open(t)
	chain := audittest.NewChain(t, audittest.NewSigner("gc"), 50)
	c := New(st, Options{QueueSize: 2, MaxWait: 20 * time.Millisecond, RetryAfter: 3 * time.Second})
	defer c.Close()
	g, running, release := gate()
	go func() { _ = c.Do(t.Context(), g) }()
	<-running
	var ins [3]bool
	errs := make(chan error, 2)
	for i := range 2 {
		go func() { errs <- c.Do(t.Context(), insertUnit(chain, fmt.Sprintf("o%d", i), &ins[i])) }()
	}
	waitQueued(t, c, 2)
	err := c.Do(t.Context(), insertUnit(chain, "o2", &ins[2]))
	var oe *OverloadedError
	if !errors.As(err, &oe) || !errors.Is(err, ErrOverloaded) || oe.RetryAfter != 3*time.Second {
		t.Fatalf("full queue: %v, want an OverloadedError suggesting 3s", err)
	}
	// The writer is held: the two queued units pass MaxWait unstarted.
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrOverloaded) {
			t.Fatalf("unit past MaxWait: %v, want ErrOverloaded", err)
		}
	}
	close(release)
	for len(c.q) > 0 { // the writer takes the withdrawn units and skips them
		select {
		case <-time.After(time.Millisecond):
		case <-t.Context().Done():
			t.Fatal("test ended while waiting")
		}
	}
	// A unit after the gate runs: the writer skipped the withdrawn ones.
	var later bool
	if err := c.Do(t.Context(), insertUnit(chain, "o3", &later)); err != nil || !later {
		t.Fatalf("unit after the gate: %v %v", err, later)
	}
	evs, err := st.UnprocessedWebhookEvents(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].NotificationID != "o3" || ins != [3]bool{} {
		t.Fatalf("stored %v (ran %v), want only o3", evs, ins)
	}
}

// TestCancelledWhileQueued: a caller that goes away before its unit started
// gets its context's error and the unit never runs.
func TestCancelledWhileQueued(t *testing.T) {
	st := storetest.SQLite().Open(t)
	c := New(st, Options{MaxWait: time.Hour})
	defer c.Close()
	g, running, release := gate()
	go func() { _ = c.Do(t.Context(), g) }()
	<-running
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	errc := make(chan error, 1)
	go func() {
		errc <- c.Do(ctx, func(context.Context, store.Tx) error { ran = true; return nil })
	}()
	waitQueued(t, c, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled unit: %v", err)
	}
	close(release)
	if err := c.Do(t.Context(), func(context.Context, store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("a withdrawn unit ran")
	}
}

// TestCloseRunsQueued: Close runs what is queued, then Do is refused.
func TestCloseRunsQueued(t *testing.T) {
	st := storetest.SQLite().Open(t)
	chain := audittest.NewChain(t, audittest.NewSigner("gc"), 50)
	c := New(st, Options{MaxWait: time.Hour})
	g, running, release := gate()
	go func() { _ = c.Do(t.Context(), g) }()
	<-running
	var ins bool
	errc := make(chan error, 1)
	go func() { errc <- c.Do(t.Context(), insertUnit(chain, "c1", &ins)) }()
	waitQueued(t, c, 1)
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	close(release)
	<-closed
	if err := <-errc; err != nil || !ins {
		t.Fatalf("queued unit at Close: %v %v", err, ins)
	}
	if err := c.Do(t.Context(), func(context.Context, store.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
}
