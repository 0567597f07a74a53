package contactsync_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// TestWebhookSinkGroupCommit delivers cached contacts' contact.deleted, and
// refresh notifications, concurrently through a sink with a group-commit
// writer, each several times: every purge is applied once with one audit
// record, every notification is stored once, and the chain verifies.
func TestWebhookSinkGroupCommit(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Seed: 31, Contacts: 40})
			ctx := context.Background()
			s := h.syncer(h.app, nil)
			if _, err := s.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			// MaxWait is an hour: a loaded machine may take seconds to start a
			// unit, and refusing it (503) is what TestWebhookSinkOverloaded tests.
			gc := groupcommit.New(h.app.Store, groupcommit.Options{MaxBatch: 16, MaxWait: time.Hour})
			defer gc.Close()
			hd := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: &contactsync.WebhookSink{Syncer: s, Commit: gc}})
			live := h.liveContacts()
			before := h.auditActions()["webhook.applied"]
			var ds []webhooktest.Delivery
			purged := live[:10]
			for i, c := range purged {
				ds = append(ds, webhooktest.NewDelivery([]byte(secret), "notif_gc_del_"+strconv.Itoa(i), "contact.deleted", c.ID))
			}
			for i, c := range live[10:30] {
				ds = append(ds, webhooktest.NewDelivery([]byte(secret), "notif_gc_upd_"+strconv.Itoa(i), "contact.user.updated", c.ID))
			}
			var wg sync.WaitGroup
			codes := make(chan int, 3*len(ds))
			for range 3 {
				for _, d := range ds {
					wg.Add(1)
					go func() {
						defer wg.Done()
						codes <- deliver(t, hd, d.Body, d.Signature)
					}()
				}
			}
			wg.Wait()
			close(codes)
			for c := range codes {
				if c != http.StatusOK {
					t.Fatalf("status %d", c)
				}
			}
			for _, c := range purged {
				if _, ok := cached(t, h.app.Store, c.ID); ok {
					t.Fatalf("contact %s still cached", c.ID)
				}
				if evs := events(t, h.app.Store, c.ID); len(evs) != 1 {
					t.Fatalf("contact %s: %d events, want 1", c.ID, len(evs))
				}
			}
			if n := len(unprocessed(t, h.app.Store)); n != 20 {
				t.Fatalf("%d refresh events waiting for the applier, want 20", n)
			}
			if got := h.auditActions()["webhook.applied"] - before; got != len(purged) {
				t.Fatalf("%d webhook.applied records, want %d", got, len(purged))
			}
		})
	}
}

// TestWebhookSinkOverloaded: when the group-commit queue is full the sink
// stores nothing and the receiver answers 503 with Retry-After.
func TestWebhookSinkOverloaded(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 32, Contacts: 5})
	s := h.syncer(h.app, nil)
	if _, err := s.Sync(context.Background(), contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	_, cachedBefore := cached(t, h.app.Store, h.liveContacts()[0].ID)
	gc := groupcommit.New(h.app.Store, groupcommit.Options{QueueSize: 1, MaxWait: time.Hour})
	defer gc.Close()
	// Hold the writer, then fill the queue's one place.
	running, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = gc.Do(context.Background(), func(context.Context, store.Tx) error { close(running); <-release; return nil })
	}()
	<-running
	queued := make(chan error, 1)
	go func() { queued <- gc.Do(context.Background(), func(context.Context, store.Tx) error { return nil }) }()
	for gc.Queued() < 1 { // a condition, not a duration
		select {
		case <-time.After(time.Millisecond):
		case <-t.Context().Done():
			t.Fatal("test ended while waiting")
		}
	}
	hd := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: &contactsync.WebhookSink{Syncer: s, Commit: gc}})
	target := h.liveContacts()[0].ID
	d := webhooktest.NewDelivery([]byte(secret), "notif_full", "contact.deleted", target)
	rec := webhooktest.Post(hd, d.Body, d.Signature)
	close(release)
	if err := <-queued; err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	if evs := events(t, h.app.Store, target); len(evs) != 0 {
		t.Fatalf("a refused notification stored %d events", len(evs))
	}
	if _, ok := cached(t, h.app.Store, target); ok != cachedBefore {
		t.Fatal("a refused notification changed the cache")
	}
	// Once the writer is free, the redelivery is applied.
	if code := deliver(t, hd, d.Body, d.Signature); code != http.StatusOK {
		t.Fatalf("redelivery: %d", code)
	}
	if evs := events(t, h.app.Store, target); len(evs) != 1 {
		t.Fatalf("redelivery stored %d events, want 1", len(evs))
	}
}
