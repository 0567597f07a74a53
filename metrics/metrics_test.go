package metrics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/metrics"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestRequestsReport: requests with known dates give known counts, means and
// medians; requests of the years around are left out; all three formats say
// the same.
func TestRequestsReport(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			ctx := context.Background()
			add := func(typ store.RequestType, law, received string, state store.RequestState, answered, reason string) {
				t.Helper()
				r := store.Request{Type: typ, Jurisdiction: law, State: state, ReceivedAt: day(received), DueAt: day(received).AddDate(0, 1, 0), DenialReason: reason}
				if answered != "" {
					r.CompletedAt = day(answered)
				}
				if _, err := st.CreateRequest(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			// GDPR access: answered in 10, 20 and 33 days (mean 21, median 20), one open.
			add(store.RequestAccess, "gdpr", "2025-01-01", store.StateCompleted, "2025-01-11", "")
			add(store.RequestAccess, "gdpr", "2025-06-01", store.StateCompleted, "2025-06-21", "")
			add(store.RequestAccess, "gdpr", "2025-12-31", store.StateCompleted, "2026-02-02", "")
			add(store.RequestAccess, "gdpr", "2025-12-20", store.StateVerified, "", "")
			// CCPA erasure: complied in 4, denied twice (3 and 7 days), withdrawn once: mean 4.7, median 4.
			add(store.RequestErasure, "ccpa", "2025-03-01", store.StateCompleted, "2025-03-05", "")
			add(store.RequestErasure, "ccpa", "2025-03-02", store.StateDenied, "2025-03-05", "identity not verified")
			add(store.RequestErasure, "ccpa", "2025-03-03", store.StateDenied, "2025-03-10", "identity not verified")
			add(store.RequestErasure, "ccpa", "2025-04-01", store.StateCancelled, "2025-04-02", "")
			// Outside 2025.
			add(store.RequestAccess, "gdpr", "2024-12-31", store.StateCompleted, "2025-01-05", "")
			add(store.RequestAccess, "gdpr", "2026-01-01", store.StateCompleted, "2026-01-05", "")

			rep, err := metrics.Requests(ctx, st, 2025, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != 2 {
				t.Fatalf("rows %+v", rep.Rows)
			}
			acc, era := rep.Rows[0], rep.Rows[1]
			if acc.Type != "access" || acc.Received != 4 || acc.Complied != 3 || acc.Open != 1 || *acc.MeanDays != 21 || *acc.MedianDays != 20 {
				t.Errorf("access row %+v mean %v median %v", acc, *acc.MeanDays, *acc.MedianDays)
			}
			if era.Type != "erasure" || era.Jurisdiction != "ccpa" || era.Received != 4 || era.Complied != 1 || era.Denied != 2 ||
				era.DeniedByReason["identity not verified"] != 2 || era.Withdrawn != 1 || *era.MeanDays != 4.7 || *era.MedianDays != 4 {
				t.Errorf("erasure row %+v mean %v median %v", era, *era.MeanDays, *era.MedianDays)
			}
			var md, cs, js bytes.Buffer
			for f, w := range map[string]*bytes.Buffer{"md": &md, "csv": &cs, "json": &js} {
				if err := rep.Write(w, f); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(md.String(), "| erasure | ccpa | 4 | 1 | 2 | identity not verified: 2 | 1 | 0 | 4.7 | 4.0 |") {
				t.Errorf("markdown:\n%s", md.String())
			}
			recs, err := csv.NewReader(&cs).ReadAll()
			if err != nil || len(recs) != 3 || recs[1][4] != "3" || recs[1][9] != "21.0" {
				t.Errorf("csv %v %v", recs, err)
			}
			if !strings.Contains(js.String(), `"median_days_to_respond": 20`) {
				t.Errorf("json:\n%s", js.String())
			}
			if err := rep.Write(&md, "pdf"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("format pdf: %v", err)
			}
			if _, err := metrics.Requests(ctx, st, 1999, nil); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("year 1999: %v", err)
			}
		})
	}
}
