package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

var allRequestStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified,
	store.StateInProgress, store.StateCompleted, store.StateDenied, store.StateCancelled}

// freshCounts counts the requests in each state from the rows themselves
// (ListRequests by state, every page), independently of the counters.
func freshCounts(t *testing.T, st store.Store) map[store.RequestState]int64 {
	t.Helper()
	out := map[store.RequestState]int64{}
	for _, s := range allRequestStates {
		f := store.RequestFilter{States: []store.RequestState{s}, Limit: 100}
		for {
			rs, err := st.ListRequests(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) > 0 {
				out[s] += int64(len(rs))
			}
			if len(rs) < f.Limit {
				break
			}
			f.After = new(store.CursorAfter(rs[len(rs)-1]))
		}
	}
	return out
}

// checkCounts compares CountRequestsByState and CountRequests with a fresh
// count of the rows.
func checkCounts(t *testing.T, st store.Store, after string) {
	t.Helper()
	want := freshCounts(t, st)
	got, err := st.CountRequestsByState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("after %s: CountRequestsByState = %v, the rows say %v", after, got, want)
	}
	some := []store.RequestState{store.StateReceived, store.StateCompleted, store.StateDenied}
	sub, err := st.CountRequests(context.Background(), some...)
	if err != nil {
		t.Fatal(err)
	}
	wantSub := map[store.RequestState]int64{}
	for _, s := range some {
		if want[s] != 0 {
			wantSub[s] = want[s]
		}
	}
	if !maps.Equal(sub, wantSub) {
		t.Fatalf("after %s: CountRequests = %v, the rows say %v", after, sub, wantSub)
	}
}

// testRequestStateCounts: the counts per state (counters kept by the
// database, migration 13) equal a fresh count of the rows after every kind of
// write: creates, moves, a move refused on a stale state, a rewrite that keeps
// the state, a rolled-back move, deletes, a raw bulk UPDATE, and concurrent
// moves.
func testRequestStateCounts(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	checkCounts(t, st, "nothing")
	var reqs []store.Request
	for i := range 40 {
		s := allRequestStates[i%len(allRequestStates)]
		r, err := st.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: s,
			ReceivedAt: base.Add(time.Duration(i) * time.Minute), DueAt: base.AddDate(0, 1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	checkCounts(t, st, "creates")
	move := func(i int, to store.RequestState) {
		t.Helper()
		r := reqs[i]
		from := r.State
		r.State = to
		out, err := st.UpdateRequest(ctx, r, from)
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = out
	}
	move(0, store.StateVerified) // received
	move(2, store.StateInProgress)
	move(3, store.StateCompleted) // in progress
	move(7, store.StateAwaitingApproval)
	move(8, store.StateReceived) // awaiting approval: back
	checkCounts(t, st, "moves")

	stale := reqs[1]
	stale.State = store.StateCompleted
	if _, err := st.UpdateRequest(ctx, stale, store.StateReceived); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("a move from a stale state: %v", err)
	}
	checkCounts(t, st, "a refused move")

	same := reqs[5]
	same.Assignee = "user:u_x"
	if _, err := st.UpdateRequest(ctx, same, same.State); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "a rewrite in the same state")

	boom := errors.New("boom")
	err := st.InTx(ctx, func(tx store.Tx) error {
		r := reqs[9]
		from := r.State
		r.State = store.StateCancelled
		if _, err := tx.UpdateRequest(ctx, r, from); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	checkCounts(t, st, "a rolled-back move")

	if _, err := st.DeleteRequests(ctx, []string{reqs[4].ID, reqs[11].ID, reqs[18].ID, reqs[12].ID}); err != nil {
		t.Fatal(err)
	}
	reqs = append(reqs[:4], reqs[5:]...) // the ones deleted further on are not moved again
	checkCounts(t, st, "deletes")

	if _, err := Raw(t, st).ExecRaw(ctx, `UPDATE requests SET state = 'denied' WHERE state = 'awaiting_approval'`); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "a raw bulk update")

	// Concurrent moves, each request through the same open states
	// (received, verified, in progress, completed), in several goroutines.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for g := range 6 {
		wg.Go(func() {
			for k := range 5 {
				r, err := st.CreateRequest(ctx, store.Request{Type: store.RequestErasure, Jurisdiction: "ccpa",
					ReceivedAt: base.Add(time.Duration(100*g+k) * time.Hour), DueAt: base.AddDate(0, 2, 0)})
				for _, to := range []store.RequestState{store.StateVerified, store.StateInProgress, store.StateCompleted} {
					if err != nil {
						break
					}
					from := r.State
					r.State = to
					r, err = st.UpdateRequest(ctx, r, from)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("goroutine %d, request %d: %w", g, k, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, st, "concurrent moves")
}

// testPendingStepRequests: the requests with a pending step of a name, in
// the states asked, in list order, each with its step, and the limit.
func testPendingStepRequests(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	var want []string
	for i := range 12 {
		state := store.StateInProgress
		if i%4 == 3 {
			state = store.StateCompleted
		}
		// Created newest first: the list order is the receipt's, not the
		// insertion's.
		r, err := st.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: state,
			ReceivedAt: base.Add(time.Duration(12-i) * time.Hour), DueAt: base.AddDate(0, 1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		must(t, st.UpsertStep(ctx, store.Step{RequestID: r.ID, Name: "fetch", State: store.StepDone}))
		pause := store.Step{RequestID: r.ID, Name: "_pause", State: store.StepPending,
			Detail: []byte(fmt.Sprintf(`{"reason":"r%d"}`, i)), StartedAt: base.Add(time.Duration(i) * time.Minute)}
		switch {
		case i%3 == 1:
			pause.State = store.StepDone // paused once, resumed
		case i%3 == 2:
			continue // never paused
		}
		must(t, st.UpsertStep(ctx, pause))
		if pause.State == store.StepPending && state == store.StateInProgress {
			want = append([]string{r.ID}, want...)
		}
	}
	got, err := st.PendingStepRequests(ctx, "_pause", []store.RequestState{store.StateInProgress}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range got {
		ids = append(ids, x.Request.ID)
		if x.Step.RequestID != x.Request.ID || x.Step.Name != "_pause" || x.Step.State != store.StepPending ||
			x.Request.State != store.StateInProgress || len(x.Step.Detail) == 0 || x.Step.StartedAt.IsZero() {
			t.Errorf("row %+v", x)
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) || len(want) < 3 {
		t.Fatalf("PendingStepRequests = %v, want %v", ids, want)
	}
	if got, err := st.PendingStepRequests(ctx, "_pause", []store.RequestState{store.StateInProgress}, 2); err != nil || len(got) != 2 ||
		got[0].Request.ID != want[0] || got[1].Request.ID != want[1] {
		t.Fatalf("limit 2: %v %v", got, err)
	}
	all, err := st.PendingStepRequests(ctx, "_pause", nil, 0)
	if err != nil || len(all) <= len(want) {
		t.Fatalf("any state: %d rows, %v", len(all), err)
	}
	if got, err := st.PendingStepRequests(ctx, "fetch", nil, 0); err != nil || len(got) != 0 {
		t.Fatalf("a step that is done everywhere: %v %v", got, err)
	}
	if _, err := st.PendingStepRequests(ctx, "", nil, 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no step name: %v", err)
	}
}
