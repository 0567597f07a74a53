package retention

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestRequestRecordsPruned: finished requests older than request_records are
// removed with their steps and keys, in a transaction with a signed
// requests.pruned record naming them; a request under a legal hold, an open
// one and a recent one stay; suppression entries go only when
// suppression_list is set; the chain still verifies. Both backends.
func TestRequestRecordsPruned(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			old := now.AddDate(-3, 0, 0)
			recent := now.AddDate(0, -6, 0)
			cts := map[string][]byte{}
			mk := func(id string, state store.RequestState, done time.Time) {
				t.Helper()
				_, err := a.Store.CreateRequest(bg, store.Request{ID: id, Type: store.RequestAccess, State: state, ReceivedAt: old,
					CompletedAt: done, CreatedAt: old, UpdatedAt: old})
				must(t, err)
				must(t, a.Store.UpsertStep(bg, store.Step{RequestID: id, Name: "resolve", State: store.StepDone, StartedAt: old}))
				cts[id], err = a.Vault.Encrypt(bg, "request:"+id, vault.AAD{Table: "requests", Column: "identifiers", Row: id}, []byte("x"))
				must(t, err)
			}
			mk("req_old", store.StateCompleted, old)
			mk("req_held", store.StateCompleted, old)
			mk("req_recent", store.StateCompleted, recent)
			mk("req_open", store.StateVerified, time.Time{})
			_, err := runnerFor(a).AddHold(bg, HoldTarget{RequestID: "req_held"}, "regulator inquiry 12")
			must(t, err)
			_, err = a.Store.AddSuppression(bg, store.Suppression{Ref: []byte("0123456789abcdef0123456789abcdef"), Kind: "email", CreatedAt: old})
			must(t, err)

			p, err := Parse([]byte("retention:\n  request_records: 24mo\n"))
			must(t, err)
			dry, err := runnerFor(a).Run(bg, p, RunOptions{Now: now, DryRun: true})
			must(t, err)
			if counts(dry)[RequestRecords] != 1 {
				t.Fatalf("dry run counts %v", counts(dry))
			}
			if _, err := a.Store.GetRequest(bg, "req_old"); err != nil {
				t.Fatal("the dry run removed a request")
			}
			res, err := runnerFor(a).Run(bg, p, RunOptions{Now: now})
			must(t, err)
			if counts(res)[RequestRecords] != 1 || counts(res)[SuppressionList] != 0 {
				t.Fatalf("run counts %v", counts(res))
			}
			for id, want := range map[string]bool{"req_old": false, "req_held": true, "req_recent": true, "req_open": true} {
				if _, err := a.Store.GetRequest(bg, id); found(t, err) != want {
					t.Errorf("%s present=%v, want %v", id, !want, want)
				}
			}
			if _, err := a.Vault.Decrypt(bg, "request:req_old", vault.AAD{Table: "requests", Column: "identifiers", Row: "req_old"}, cts["req_old"]); err == nil {
				t.Error("the removed request's key still opens")
			}
			if sup, err := a.Store.Suppressed(bg, []byte("0123456789abcdef0123456789abcdef")); err != nil || !sup {
				t.Fatal("suppression entries removed with suppression_list off")
			}
			var pruned *audit.Record
			recs := auditRecords(t, a.Store)
			for i := range recs {
				if recs[i].Action == audit.ActionRequestsPruned {
					pruned = &recs[i]
				}
			}
			if pruned == nil || !slices.Equal(pruned.ObjectIDs, []string{"req_old"}) || pruned.Counts["requests"] != 1 ||
				pruned.Counts["keys_destroyed"] != 1 || !strings.Contains(pruned.Reason, "24mo") {
				t.Fatalf("prune record %+v", pruned)
			}
			rep := verifyChain(t, a)
			if rep.LastCheckpoint < pruned.Seq {
				t.Fatalf("the prune record %d is not signed (last checkpoint %d)", pruned.Seq, rep.LastCheckpoint)
			}

			p, err = Parse([]byte("retention:\n  suppression_list: 2y\n"))
			must(t, err)
			res, err = runnerFor(a).Run(bg, p, RunOptions{Now: now})
			must(t, err)
			if counts(res)[SuppressionList] != 1 {
				t.Fatalf("suppression run counts %v", counts(res))
			}
			if sup, err := a.Store.Suppressed(bg, []byte("0123456789abcdef0123456789abcdef")); err != nil || sup {
				t.Fatal("an expired suppression entry stayed")
			}
			verifyChain(t, a)
		})
	}
}

func TestRequestRecordsMinimum(t *testing.T) {
	for _, bad := range []string{"off", "12mo", "1y"} {
		if _, err := Parse([]byte("retention:\n  request_records: " + bad + "\n")); err == nil {
			t.Errorf("request_records: %s accepted (CCPA §7101 asks for 24 months)", bad)
		}
	}
	if p := Default(); p.Age(RequestRecords).String() != "24mo" || !p.Age(SuppressionList).IsOff() {
		t.Errorf("defaults: %s, %s", p.Age(RequestRecords), p.Age(SuppressionList))
	}
}
