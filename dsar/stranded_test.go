package dsar_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestStrandedRequestRevived: a worker killed in the middle of a request leaves
// its lease unreleased and its River job "running" until River's rescue (job
// timeout plus minutes), and the request unique job blocks any other. Once the
// lease expires, ReviveStranded queues a fresh job (once, whoever calls it) and a
// worker finishes the request, without waiting for River's rescue.
func TestStrandedRequestRevived(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Contacts: 10})
	ctx := context.Background()
	s := h.app.DSAR
	p := h.sb.SamplePerson()
	r, err := s.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = s.Verify(ctx, r.ID, "test"); err != nil {
		t.Fatal(err)
	}
	// The dead worker: its job is "running" in River, its lease expired unreleased.
	idle := openQueue(t, h, s, false)
	if _, err := dsar.Enqueue(ctx, idle, r.ID); err != nil {
		t.Fatal(err)
	}
	storetest.ExecRaw(t, h.app.Store, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = CURRENT_TIMESTAMP`)
	r.State = store.StateInProgress
	if _, err := h.app.Store.UpdateRequest(ctx, r, store.StateVerified); err != nil {
		t.Fatal(err)
	}
	lease, _ := json.Marshal(map[string]any{"owner": "killed-worker", "until": time.Now().Add(-time.Second)})
	if err := h.app.Store.UpsertStep(ctx, store.Step{RequestID: r.ID, Name: "_lease", State: store.StepPending, Detail: lease, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if inserted, err := dsar.Enqueue(ctx, idle, r.ID); err != nil || inserted {
		t.Fatalf("a plain enqueue of the stranded request: %v, %v (want it blocked by the dead worker's job)", inserted, err)
	}
	m, err := s.Summarize(ctx)
	if err != nil || m.InProgress != 1 || len(m.Stranded) != 1 || m.Stranded[0] != r.ID {
		t.Fatalf("summary: %+v, %v", m, err)
	}
	revived, err := s.ReviveStranded(ctx, idle)
	if err != nil || len(revived) != 1 || revived[0] != r.ID {
		t.Fatalf("ReviveStranded: %v, %v", revived, err)
	}
	if again, err := s.ReviveStranded(ctx, idle); err != nil || len(again) != 0 {
		t.Fatalf("a second ReviveStranded queued it again: %v, %v", again, err)
	}
	// A worker picks the fresh job up and finishes the request.
	work := openQueue(t, h, s, true)
	if err := work.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = work.Stop(context.WithoutCancel(ctx)) })
	waitFinished(t, s, []string{r.ID})
	if got, _ := s.Get(ctx, r.ID); got.State != store.StateCompleted {
		t.Fatalf("stranded request ended %s", got.State)
	}
}
