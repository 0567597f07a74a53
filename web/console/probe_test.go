package console

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func TestProbeDashboard(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ws := apptest.New(t, be, apptest.Options{Now: func() time.Time { return benchNow }})
			a := ws.Open("server")
			ctx := context.Background()
			ex := storetest.Raw(t, a.Store)
			storetest.SeedAt100k(t, a.Store, be.Name)
			for _, q := range benchStates() {
				if _, err := ex.ExecRaw(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			now := benchNow
			fs := map[string]store.RequestFilter{
				"overdue":  {OverdueAt: now, Limit: 201},
				"duesoon":  {States: openStates, DueBefore: now.Add(7 * 24 * time.Hour), Limit: 201},
				"received": {States: []store.RequestState{store.StateReceived}, Limit: 201},
				"awaiting": {States: []store.RequestState{store.StateAwaitingApproval}, Limit: 201},
				"inprog":   {States: []store.RequestState{store.StateInProgress}, Limit: 201},
			}
			for rep := 0; rep < 2; rep++ {
				for n, f := range fs {
					t0 := time.Now()
					ls, err := a.DSAR.List(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					d := time.Since(t0)
					if n == "inprog" {
						t1 := time.Now()
						for _, l := range ls {
							a.DSAR.Paused(ctx, l.ID)
						}
						t.Logf("paused loop %d: %s", len(ls), time.Since(t1))
					}
					t.Logf("%s: %d rows %s", n, len(ls), d)
				}
				t0 := time.Now()
				c, err := a.Store.CountRequestsByState(ctx)
				t.Logf("counts %v %v %s", c, err, time.Since(t0))
			}
		})
	}
}
