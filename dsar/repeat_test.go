package dsar_test

import (
	"context"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// A request by a person who filed another within the window is flagged for the
// operator (GDPR Art. 12(5)), found through the blind index; nothing is refused.
func TestRepeatRequestsFlagged(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	day := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	submit := func(email string, at time.Time) store.Request {
		t.Helper()
		r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Channel: "email", ReceivedAt: at,
			Identifiers: dsar.Identifiers{Emails: []string{email}}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := submit("repeat@example.com", day)
	second := submit("Repeat@Example.com", day.AddDate(0, 0, 30)) // the same person, normalised
	other := submit("someone.else@example.com", day.AddDate(0, 0, 31))
	late := submit("repeat@example.com", day.AddDate(0, 0, 30+91))
	for _, tc := range []struct {
		r    store.Request
		want []string
	}{{first, nil}, {second, []string{first.ID}}, {other, nil}, {late, nil}} {
		got, err := h.app.DSAR.EarlierRequests(ctx, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if len(ids) != len(tc.want) || len(ids) > 0 && ids[0] != tc.want[0] {
			t.Errorf("earlier requests of %s: %v, want %v", tc.r.ID, ids, tc.want)
		}
	}
	if got, _ := h.app.DSAR.Get(ctx, second.ID); got.State != store.StateReceived {
		t.Errorf("a repeat request was not left for the operator: %s", got.State)
	}
	// The flag is in the request's receipt record, with a count and no identifier.
	var flagged int
	for sr, err := range h.app.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		rec, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == audit.ActionRequestReceived && rec.Counts["earlier_requests_in_window"] > 0 {
			flagged++
			if rec.RequestID != second.ID || rec.Reason != dsar.RepeatNotice {
				t.Errorf("flag on %s: %q", rec.RequestID, rec.Reason)
			}
		}
	}
	if flagged != 1 {
		t.Errorf("%d receipt records flagged, want 1", flagged)
	}
	// Off when the window is 0.
	h.app.Config.Requests.RepeatWindowDays = 0
	if got, _ := h.app.DSAR.EarlierRequests(ctx, second); len(got) != 0 {
		t.Errorf("window 0 still flags: %v", got)
	}
}
