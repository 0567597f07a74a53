package dsar_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// openQueue opens River on the harness's database, with the request worker when
// work is set.
func openQueue(t *testing.T, h *harness, s *dsar.Service, work bool) *jobs.Queue {
	t.Helper()
	opts := jobs.Options{FetchPollInterval: 50 * time.Millisecond}
	if work {
		w := river.NewWorkers()
		dsar.RegisterWorkers(w, s)
		opts.Workers = w
	}
	q, err := jobs.Open(context.Background(), h.dbURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// waitFinished waits until every request is in a final state.
func waitFinished(t *testing.T, s *dsar.Service, ids []string) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%d request(s) to finish", len(ids)), func() bool {
		for _, id := range ids {
			r, err := s.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !dsar.Finished(r.State) {
				return false
			}
		}
		return true
	})
}

func TestWorkerRunsRequestsAsUniqueJobs(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.SamplePerson()
			c := seedCache(t, h, p)
			r := file(t, h, store.RequestErasure, personIdentifiers(p))
			// A request filed by a process that died before enqueueing it.
			lost := file(t, h, store.RequestErasure, personIdentifiers(h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 1})))

			ins := openQueue(t, h, h.app.DSAR, false)
			if ok, err := dsar.Enqueue(ctx, ins, r.ID); err != nil || !ok {
				t.Fatalf("enqueue: %v %v", ok, err)
			}
			if ok, err := dsar.Enqueue(ctx, ins, r.ID); err != nil || ok {
				t.Fatalf("a second live job for one request was inserted: %v %v", ok, err)
			}
			q := openQueue(t, h, h.app.DSAR, true)
			n, err := h.app.DSAR.EnqueuePending(ctx, q)
			if err != nil || n != 1 {
				t.Fatalf("EnqueuePending inserted %d (want 1: only the lost request): %v", n, err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Stop(context.Background()) })
			waitFinished(t, h.app.DSAR, []string{r.ID, lost.ID})
			for _, id := range []string{r.ID, lost.ID} {
				got, _ := h.app.DSAR.Get(ctx, id)
				if got.State != store.StateCompleted {
					t.Errorf("%s: %s", id, got.State)
				}
			}
			checkErased(t, h, p, c)
			if n, err := h.app.DSAR.EnqueuePending(ctx, q); err != nil || n != 0 {
				t.Errorf("EnqueuePending after everything finished inserted %d: %v", n, err)
			}
		})
	}
}

func TestJobArgsCarryNoIdentifier(t *testing.T) {
	args := dsar.RequestArgs{RequestID: "req_1"}
	if args.Kind() != "privacy_request" {
		t.Fatal(args.Kind())
	}
	o := args.InsertOpts()
	if !o.UniqueOpts.ByArgs || len(o.UniqueOpts.ByState) == 0 {
		t.Fatalf("insert opts %+v", o)
	}
	for _, st := range o.UniqueOpts.ByState {
		if strings.Contains(string(st), "completed") || strings.Contains(string(st), "cancelled") || strings.Contains(string(st), "discarded") {
			t.Errorf("unique across the final state %s: a finished request could never be re-run", st)
		}
	}
}

// TestEnqueuePendingPagesPastAThousand: every open request is queued, however
// many there are (the list is read in keyset pages of 1,000).
func TestEnqueuePendingPagesPastAThousand(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	const n = 1203
	for i := range n {
		if _, err := h.app.Store.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: store.StateVerified,
			ReceivedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), DueAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
	q := openQueue(t, h, h.app.DSAR, false)
	got, err := h.app.DSAR.EnqueuePending(ctx, q)
	if err != nil || got != n {
		t.Fatalf("EnqueuePending queued %d of %d: %v", got, n, err)
	}
}

// TestEnqueuePendingLeavesUnverifiedRequests: a request waiting for
// verification gets no job at worker start. Its job would be snoozed and, unique
// per request, would swallow the job the verification inserts, so the verified
// request would wait out the snooze.
func TestEnqueuePendingLeavesUnverifiedRequests(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r, err := h.app.Store.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: store.StateReceived,
		ReceivedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), DueAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, h, h.app.DSAR, false)
	if n, err := h.app.DSAR.EnqueuePending(ctx, q); err != nil || n != 0 {
		t.Fatalf("EnqueuePending queued %d unverified request(s): %v", n, err)
	}
	// Once verified, the request's job goes in at once.
	if ok, err := dsar.Enqueue(ctx, q, r.ID); err != nil || !ok {
		t.Fatalf("the verification's enqueue was swallowed: %v %v", ok, err)
	}
}

// TestWorkerCancelsJobOnBadIdentifier: when Intercom answers, after the client's
// retries, a ticket without an id, the worker cancels the request's job after its
// first attempt (with the error) instead of leaving it to River's retries for days,
// and sends no DELETE. TestTicketWithoutIDStopsErasure checks the run's error; this
// checks what the worker makes of it.
func TestWorkerCancelsJobOnBadIdentifier(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	sw, a := openSwitchable(t, h)
	sw.stripTicketIDs.Store(true)
	ctx := context.Background()
	r := file(t, h, store.RequestErasure, personIdentifiers(h.sb.SamplePerson()))
	q := openQueue(t, h, a.DSAR, true)
	res, err := q.Insert(ctx, dsar.RequestArgs{RequestID: r.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.WithoutCancel(ctx)) })
	var job *rivertype.JobRow
	testwait.Until(t, "the request's job to end its first attempt", func() bool {
		j, err := q.Job(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		job = j
		return j.Attempt >= 1 && j.State != rivertype.JobStateRunning && j.State != rivertype.JobStateAvailable
	})
	if job.State != rivertype.JobStateCancelled || job.Attempt != 1 {
		t.Fatalf("job %s after attempt %d, want cancelled after the first (errors %v)", job.State, job.Attempt, job.Errors)
	}
	if len(job.Errors) == 0 || !strings.Contains(job.Errors[len(job.Errors)-1].Error, "ticket.id") {
		t.Errorf("the job's error does not name the field: %+v", job.Errors)
	}
	if n := h.sb.Stats().Endpoints["DELETE /tickets/{id}"].Calls; n != 0 {
		t.Errorf("%d ticket DELETEs sent", n)
	}
}
