package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// testRequestQueries: every filter of RequestFilter, keyset pages that cover
// the list exactly once whatever the page size, the identifier index, the
// four-eyes and assignee columns, notes, a request's audit records and the
// idempotency keys.
func testRequestQueries(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	type spec struct {
		typ      store.RequestType
		law      string
		state    store.RequestState
		assignee string
		due      time.Time
	}
	var ids []string
	// 12 requests; two share a receipt time so the cursor's id tie-break counts.
	for i := range 12 {
		s := spec{typ: store.RequestAccess, law: "gdpr", state: store.StateVerified, due: base.AddDate(0, 1, i)}
		if i%3 == 0 {
			s.typ, s.law = store.RequestErasure, "ccpa"
		}
		if i%4 == 0 {
			s.state = store.StateCompleted
		}
		if i == 5 {
			s.state = store.StateAwaitingApproval
		}
		if i%2 == 1 {
			s.assignee = "user:u_a"
		}
		received := base.Add(time.Duration(i) * time.Hour)
		if i == 7 {
			received = base.Add(6 * time.Hour)
		}
		var completed time.Time
		if s.state == store.StateCompleted {
			completed = received.Add(time.Duration(i)*24*time.Hour + 12*time.Hour)
		}
		r, err := st.CreateRequest(ctx, store.Request{Type: s.typ, Jurisdiction: s.law, State: s.state, ReceivedAt: received, CompletedAt: completed,
			DueAt: s.due, SubjectRef: fmt.Sprintf("%064x", i), SubjectRefs: []string{fmt.Sprintf("%064x", 100+i), fmt.Sprintf("%064x", i)},
			FiledBy: "user:u_f", Approval: map[bool]string{true: store.ApprovalRequired}[i == 5], Assignee: s.assignee})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		if r.FiledBy != "user:u_f" || r.Assignee != s.assignee {
			t.Fatalf("created %+v", r)
		}
	}
	byState, err := st.CountRequestsByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// completed: i%4 == 0 (0, 4, 8); awaiting approval: 5; verified: the rest.
	if want := map[store.RequestState]int64{store.StateCompleted: 3, store.StateAwaitingApproval: 1, store.StateVerified: 8}; !maps.Equal(byState, want) {
		t.Errorf("CountRequestsByState = %v, want %v", byState, want)
	}
	count := func(f store.RequestFilter) int {
		t.Helper()
		rs, err := st.ListRequests(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	for name, c := range map[string]struct {
		f    store.RequestFilter
		want int
	}{
		"all":               {store.RequestFilter{}, 12},
		"jurisdiction":      {store.RequestFilter{Jurisdictions: []string{"ccpa"}}, 4},
		"type":              {store.RequestFilter{Types: []store.RequestType{store.RequestErasure}}, 4},
		"awaiting approval": {store.RequestFilter{States: []store.RequestState{store.StateAwaitingApproval}}, 1},
		"assignee":          {store.RequestFilter{Assignee: "user:u_a"}, 6},
		"unassigned":        {store.RequestFilter{Unassigned: true}, 6},
		// due before base+1m+5d: i in 0..4; open (i%4 != 0): 1, 2, 3
		"overdue":    {store.RequestFilter{OverdueAt: base.AddDate(0, 1, 5).Add(-time.Second)}, 3},
		"due before": {store.RequestFilter{DueBefore: base.AddDate(0, 1, 5).Add(-time.Second)}, 5},
		// due in [base+1m+2d, base+1m+5d): i in 2..4; open: 2, 3
		"due from":   {store.RequestFilter{DueFrom: base.AddDate(0, 1, 2)}, 10},
		"due window": {store.RequestFilter{DueFrom: base.AddDate(0, 1, 2), DueBefore: base.AddDate(0, 1, 5)}, 3},
		"due window, open": {store.RequestFilter{States: []store.RequestState{store.StateReceived, store.StateAwaitingApproval,
			store.StateVerified, store.StateInProgress}, DueFrom: base.AddDate(0, 1, 2), DueBefore: base.AddDate(0, 1, 5)}, 2},
		"identifier, secondary": {store.RequestFilter{IdentifierRef: fmt.Sprintf("%064x", 103)}, 1},
		"identifier, primary":   {store.RequestFilter{IdentifierRef: fmt.Sprintf("%064x", 3)}, 1},
		"identifier, unknown":   {store.RequestFilter{IdentifierRef: fmt.Sprintf("%064x", 999)}, 0},
		"received in a range":   {store.RequestFilter{ReceivedFrom: base.Add(2 * time.Hour), ReceivedBefore: base.Add(6 * time.Hour)}, 4},
		"combined":              {store.RequestFilter{Types: []store.RequestType{store.RequestAccess}, Assignee: "user:u_a", Jurisdictions: []string{"gdpr"}}, 4},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d requests, want %d", name, got, c.want)
		}
	}
	stats, err := st.RequestStats(ctx, base, base.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	total, answered := int64(0), map[int64]int64{}
	for _, x := range stats {
		total += x.Count
		if x.State == store.StateCompleted {
			answered[x.Tenths] += x.Count
			if want := (x.Tenths / 10) * int64(24*time.Hour/time.Microsecond) * x.Count; x.Micros != want+x.Count*int64(12*time.Hour/time.Microsecond) {
				t.Errorf("group %+v: micros %d", x, x.Micros)
			}
		} else if x.Tenths != -1 || x.Micros != 0 {
			t.Errorf("unanswered group %+v", x)
		}
	}
	// Completed: i = 0, 4, 8, answered i days and 12 hours after receipt.
	if total != 12 || answered[5] != 1 || answered[45] != 1 || answered[85] != 1 || len(answered) != 3 {
		t.Errorf("stats: %d requests, answered by tenths %v", total, answered)
	}
	if stats, err := st.RequestStats(ctx, base.Add(2*time.Hour), base.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	} else {
		n := int64(0)
		for _, x := range stats {
			n += x.Count
		}
		if n != 4 {
			t.Errorf("stats of a range: %d requests, want 4", n)
		}
	}
	counts, err := st.CountRequests(ctx, store.StateCompleted, store.StateAwaitingApproval, store.StateVerified, store.StateDenied)
	// i%4 == 0 completed (0, 4, 8); 5 awaiting; the other 8 verified; none denied.
	if err != nil || counts[store.StateCompleted] != 3 || counts[store.StateAwaitingApproval] != 1 || counts[store.StateVerified] != 8 || len(counts) != 3 {
		t.Errorf("counts %v %v", counts, err)
	}
	all, _ := st.ListRequests(ctx, store.RequestFilter{})
	for _, size := range []int{1, 5, 7, 12, 13} {
		var seen []string
		f := store.RequestFilter{Limit: size}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("pagination does not end")
			}
			page, err := st.ListRequests(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				seen = append(seen, r.ID)
			}
			if len(page) < size {
				break
			}
			c, err := store.ParseRequestCursor(store.CursorAfter(page[len(page)-1]).Encode())
			if err != nil {
				t.Fatal(err)
			}
			f.After = &c
		}
		want := make([]string, len(all))
		for i, r := range all {
			want[i] = r.ID
		}
		if !slices.Equal(seen, want) {
			t.Errorf("pages of %d: %v, want %v", size, seen, want)
		}
	}
	for _, bad := range []string{"", "x", "eyJyIjoxfQ", "!!!!", "eyJyIjotMSwiaSI6InJlcV8xIn0"} {
		if _, err := store.ParseRequestCursor(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}

	// Four-eyes and assignee columns are updated with the state.
	r, _ := st.GetRequest(ctx, ids[5])
	r.State, r.Approval, r.ApprovedBy, r.Assignee = store.StateVerified, store.ApprovalGiven, "user:u_b", "user:u_c"
	got, err := st.UpdateRequest(ctx, r, store.StateAwaitingApproval)
	if err != nil || got.Approval != store.ApprovalGiven || got.ApprovedBy != "user:u_b" || got.Assignee != "user:u_c" || got.FiledBy != "user:u_f" {
		t.Fatalf("update: %v %+v", err, got)
	}

	// Notes.
	if _, err := st.AddRequestNote(ctx, store.RequestNote{RequestID: "req_missing", Author: "user:u", BodyEnc: []byte{1}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("note on a missing request: %v", err)
	}
	if _, err := st.AddRequestNote(ctx, store.RequestNote{RequestID: ids[0], Author: "user:u"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty note: %v", err)
	}
	for i := range 2 {
		if _, err := st.AddRequestNote(ctx, store.RequestNote{RequestID: ids[0], Author: "user:u", BodyEnc: []byte{byte(i + 1)},
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	notes, err := st.RequestNotes(ctx, ids[0])
	if err != nil || len(notes) != 2 || notes[0].BodyEnc[0] != 1 || !notes[1].CreatedAt.Equal(base.Add(time.Minute)) {
		t.Fatalf("notes %+v %v", notes, err)
	}

	// A request's audit records, in chain order, only its own.
	if err := st.InTx(ctx, func(tx store.Tx) error {
		var prev []byte
		for i, id := range []string{ids[0], ids[1], ids[0]} {
			body := fmt.Appendf(nil, `{"seq":%d}`, i+1)
			h := sha256.Sum256(append(slices.Clone(prev), body...))
			if err := tx.InsertRecord(ctx, audit.StoredRecord{Seq: int64(i + 1), Time: base, Action: "request.assigned", RequestID: id,
				Body: body, PrevHash: prev, Hash: h[:]}); err != nil {
				return err
			}
			prev = h[:]
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.RequestAudit(ctx, ids[0])
	if err != nil || len(recs) != 2 || recs[0].Seq >= recs[1].Seq || recs[0].RequestID != ids[0] || len(recs[0].Hash) == 0 {
		t.Fatalf("request audit: %v %+v", err, recs)
	}

	// Idempotency keys: the first answer wins, per scope.
	first, stored, err := st.PutIdempotent(ctx, store.IdempotentResponse{Scope: "user:u", Key: "k1", Fingerprint: "f1", Status: 201, Response: []byte(`{"id":"1"}`)})
	if err != nil || stored || first.Status != 201 {
		t.Fatalf("first put: %v %v %+v", err, stored, first)
	}
	again, stored, err := st.PutIdempotent(ctx, store.IdempotentResponse{Scope: "user:u", Key: "k1", Fingerprint: "f2", Status: 201, Response: []byte(`{"id":"2"}`)})
	if err != nil || !stored || string(again.Response) != `{"id":"1"}` || again.Fingerprint != "f1" {
		t.Fatalf("second put: %v %v %+v", err, stored, again)
	}
	if _, stored, _ := st.PutIdempotent(ctx, store.IdempotentResponse{Scope: "user:v", Key: "k1", Fingerprint: "f", Status: 201, Response: []byte(`{}`)}); stored {
		t.Error("another scope shares the key")
	}
	if _, err := st.GetIdempotent(ctx, "user:u", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
}
