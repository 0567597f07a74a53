package mail

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// The workers' periodic job drains the outbox, and a kick sends a message
// written after the queue started without waiting for the next tick.
func TestWorkerDrainsTheOutbox(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.NewURL(t)
			st, err := store.Open(context.Background(), url, store.WithCreate())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			f := setup(t, storetest.Backend{Name: b.Name, Open: func(testing.TB) store.Store { return st }}, mailtest.Options{StartTLS: true})
			// The queue runs on the wall clock.
			f.sender.Now, f.outbox.Now = nil, nil
			f.enqueue(t, ack("req_w1"))
			workers := river.NewWorkers()
			periodic, err := RegisterPeriodic(workers, f.sender)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			q, err := jobs.Open(ctx, url, jobs.Options{Workers: workers, PeriodicJobs: periodic, FetchPollInterval: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
				defer scancel()
				_ = q.Stop(sctx)
			}()
			f.smtp.Wait(t, 1)
			f.enqueue(t, ack("req_w2"))
			if _, err := q.Insert(ctx, DrainArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			got := f.smtp.Wait(t, 2)
			if got[1].Header.Get("Subject") == "" || len(got) != 2 {
				t.Fatalf("arrived: %d", len(got))
			}
		})
	}
}
