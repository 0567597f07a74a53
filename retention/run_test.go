package retention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/store"
	_ "github.com/intercom-privacy/intercom-privacy/store/postgres" // registers postgres://
	_ "github.com/intercom-privacy/intercom-privacy/store/sqlite"   // registers sqlite://
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

var bg = context.Background()

// now is the fixed instant the tests compute cutoffs from.
var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func newMaster(t testing.TB) vault.MasterKey {
	t.Helper()
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testApp is the part of the application these tests use: a store, its vault
// and the audit chain. (Package app imports retention, so its tests cannot use
// app.Open.)
type testApp struct {
	Store store.Store
	Vault *vault.Vault
	Chain *audit.Chain
}

// Close closes the store.
func (a *testApp) Close() error { return a.Store.Close() }

// VerifyAudit walks the whole audit chain and its checkpoints.
func (a *testApp) VerifyAudit(ctx context.Context) (audit.Report, error) {
	pub, id := a.Vault.AuditPublicKey()
	return audit.Verify(ctx, a.Store, audit.Keyring{{KeyID: id, Key: pub}})
}

// openApp opens the store on url (creating it), its vault (creating the keysets
// when none exist) and the audit chain, as app.Open does.
func openApp(t testing.TB, url string, master vault.MasterKey) *testApp {
	t.Helper()
	st, err := store.Open(bg, url, store.WithCreate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := vault.Init(bg, st, master); err != nil && !errors.Is(err, vault.ErrAlreadyInitialised) {
		t.Fatal(err)
	}
	v, err := vault.Open(bg, st, master)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := audit.NewChain(v.AuditSigner(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &testApp{Store: st, Vault: v, Chain: chain}
}

func runnerFor(a *testApp) *Runner {
	return &Runner{Store: a.Store, Chain: a.Chain, Vault: a.Vault, Actor: "test"}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed writes, for each category, old rows (past the default ages at now)
// and fresh ones, under person key "k<i%3>"; it returns the expected
// deletions per category when nothing is held.
type seeded struct {
	oldContacts, freshContacts []string
	oldConvs, freshConvs       []string
	oldEvents, freshEvents     []string
	oldExports, freshExports   []string
	oldPackages, freshPackages []string
}

func seed(t testing.TB, st store.Store, n int, prefix string) seeded {
	t.Helper()
	var s seeded
	old := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	for i := range n {
		key := fmt.Sprintf("k%d", i%3)
		id := fmt.Sprintf("%sc%d", prefix, i)
		must(t, st.UpsertContact(bg, store.CachedContact{IntercomID: id + "o", PersonKeyID: key, Role: "user", CreatedAt: old(31)}))
		must(t, st.UpsertContact(bg, store.CachedContact{IntercomID: id + "f", PersonKeyID: key, Role: "user", CreatedAt: old(29)}))
		s.oldContacts, s.freshContacts = append(s.oldContacts, id+"o"), append(s.freshContacts, id+"f")

		cv := fmt.Sprintf("%sv%d", prefix, i)
		must(t, st.UpsertConversation(bg, store.CachedConversation{ID: cv + "o", ContactIDs: []string{id + "o"}, PersonKeyID: key, CreatedAt: old(91)}))
		must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: cv + "o", PartID: "p1", AuthorType: "user", BodyEnc: []byte{1, 2, 3}, CreatedAt: old(91)}))
		must(t, st.UpsertConversation(bg, store.CachedConversation{ID: cv + "f", ContactIDs: []string{id + "f"}, PersonKeyID: key, CreatedAt: old(89)}))
		s.oldConvs, s.freshConvs = append(s.oldConvs, cv+"o"), append(s.freshConvs, cv+"f")

		ev := fmt.Sprintf("%sn%d", prefix, i)
		_, err := st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: ev + "o", Topic: "contact.user.updated", ContactID: id + "o", PersonKeyID: key, ReceivedAt: old(31)})
		must(t, err)
		_, err = st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: ev + "f", Topic: "contact.user.updated", ContactID: id + "f", PersonKeyID: key, ReceivedAt: old(29)})
		must(t, err)
		s.oldEvents, s.freshEvents = append(s.oldEvents, ev+"o"), append(s.freshEvents, ev+"f")

		for _, k := range []store.BlobKind{store.BlobExportFile, store.BlobAccessPackage} {
			req := fmt.Sprintf("%sreq%d", prefix, i)
			bo, err := st.PutBlob(bg, store.Blob{Kind: k, RequestID: req, PersonKeyID: "request:" + req, Name: "f.bin", CreatedAt: old(8)}, bytes.NewReader([]byte("ciphertext")))
			must(t, err)
			bf, err := st.PutBlob(bg, store.Blob{Kind: k, RequestID: req, PersonKeyID: "request:" + req, Name: "f.bin", CreatedAt: old(6)}, bytes.NewReader([]byte("ciphertext")))
			must(t, err)
			if k == store.BlobExportFile {
				s.oldExports, s.freshExports = append(s.oldExports, bo.ID), append(s.freshExports, bf.ID)
			} else {
				s.oldPackages, s.freshPackages = append(s.oldPackages, bo.ID), append(s.freshPackages, bf.ID)
			}
		}
	}
	return s
}

// found reports whether a lookup that returned err found its row; an error
// other than store.ErrNotFound fails the test.
func found(t testing.TB, err error) bool {
	t.Helper()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func contactExists(t testing.TB, st store.Store, id string) bool {
	t.Helper()
	_, err := st.GetContact(bg, id)
	return found(t, err)
}

func blobExists(t testing.TB, st store.Store, id string) bool {
	t.Helper()
	_, err := st.GetBlob(bg, id)
	return found(t, err)
}

func convExists(t testing.TB, st store.Store, contactID string) int {
	t.Helper()
	cs, err := st.ConversationsByContact(bg, contactID)
	must(t, err)
	return len(cs)
}

// auditRecords decodes the whole chain.
func auditRecords(t testing.TB, st store.Store) []audit.Record {
	t.Helper()
	var out []audit.Record
	for sr, err := range st.Records(bg, 1) {
		must(t, err)
		r, err := audit.DecodeBody(sr.Body)
		must(t, err)
		out = append(out, r)
	}
	return out
}

func verifyChain(t testing.TB, a *testApp) audit.Report {
	t.Helper()
	rep, err := a.VerifyAudit(bg)
	must(t, err)
	must(t, rep.Err())
	return rep
}

func counts(res RunResult) map[Category]int64 {
	m := map[Category]int64{}
	for _, c := range res.Categories {
		m[c.Category] = c.Deleted
	}
	return m
}

func TestRunDeletesExpiredKeepsFreshAndAudit(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			st := a.Store
			const n = 7
			s := seed(t, st, n, "")
			before := auditRecords(t, st)
			// Every audit record is far past 24 months at this "now": a run
			// must still not touch one.
			p, err := Parse([]byte("retention:\n  audit: 24mo\n"))
			must(t, err)
			r := runnerFor(a)
			res, err := r.Run(bg, p, RunOptions{BatchSize: 3, Now: now})
			must(t, err)
			if res.State != StateDone || res.DryRun || res.RunID == "" {
				t.Fatalf("result %+v", res)
			}
			want := map[Category]int64{ContactCache: n, ConversationCache: n, WebhookEvents: n, ExportFiles: n, AccessPackages: n, Audit: 0, RequestRecords: 0, SuppressionList: 0}
			if got := counts(res); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("deleted %v, want %v", got, want)
			}
			if res.Total != 5*n {
				t.Fatalf("total %d", res.Total)
			}
			for _, c := range res.Categories {
				if _, cache := storeCategory[c.Category]; cache && c.Batches != n/3+1 {
					t.Errorf("%s: %d batches of 3 for %d rows, want %d", c.Category, c.Batches, n, n/3+1)
				}
				if c.Category == Audit && (c.Batches != 0 || c.Note == "") {
					t.Errorf("audit category processed: %+v", c)
				}
			}
			for i := range n {
				if contactExists(t, st, s.oldContacts[i]) || !contactExists(t, st, s.freshContacts[i]) {
					t.Fatalf("contact %d: old kept or fresh deleted", i)
				}
				if convExists(t, st, s.oldContacts[i]) != 0 || convExists(t, st, s.freshContacts[i]) != 1 {
					t.Fatalf("conversation %d: old kept or fresh deleted", i)
				}
				if blobExists(t, st, s.oldExports[i]) || !blobExists(t, st, s.freshExports[i]) ||
					blobExists(t, st, s.oldPackages[i]) || !blobExists(t, st, s.freshPackages[i]) {
					t.Fatalf("blob %d: old kept or fresh deleted", i)
				}
			}
			parts, err := st.Parts(bg, s.oldConvs[0])
			must(t, err)
			if len(parts) != 0 {
				t.Fatalf("parts of a deleted conversation kept: %d", len(parts))
			}
			// Webhook events: what is left is exactly the fresh ones.
			for _, c := range []store.Category{store.CategoryWebhookEvents} {
				left, err := st.CountExpired(bg, c, now)
				must(t, err)
				if left != n {
					t.Fatalf("webhook events left %d, want %d fresh", left, n)
				}
			}
			// The audit trail: every earlier record still there, byte for byte
			// the same chain, plus the run's start and end.
			after := auditRecords(t, st)
			if len(after) != len(before)+2 {
				t.Fatalf("audit records %d -> %d, want +2", len(before), len(after))
			}
			for i := range before {
				if !bytes.Equal(before[i].Hash, after[i].Hash) {
					t.Fatalf("audit record %d changed", i+1)
				}
			}
			start, end := after[len(after)-2], after[len(after)-1]
			if start.Action != audit.ActionRetentionRun || end.Action != audit.ActionRetentionRun ||
				start.ObjectIDs[0] != res.RunID || end.ObjectIDs[0] != res.RunID {
				t.Fatalf("run records %+v %+v", start, end)
			}
			if end.Outcome != audit.OutcomeSuccess || end.Counts["contact_cache"] != n || end.Counts["access_packages"] != n {
				t.Fatalf("end record %+v", end)
			}
			if _, ok := end.Counts["audit"]; ok {
				t.Fatal("the end record counts audit deletions")
			}
			rep := verifyChain(t, a)
			if rep.Unsigned != 0 {
				t.Fatalf("the run did not checkpoint its end: %d unsigned", rep.Unsigned)
			}
			runs, err := r.Runs(bg, 5)
			must(t, err)
			if len(runs) != 1 || runs[0].State != StateDone || runs[0].Counts["webhook_events"] != n || runs[0].FinishedAt.IsZero() {
				t.Fatalf("runs %+v", runs)
			}
			if _, ok := runs[0].Counts[heartbeatKey]; ok {
				t.Fatal("the heartbeat key leaked")
			}

			// A second run finds nothing: outcome noop, still recorded.
			res2, err := r.Run(bg, p, RunOptions{Now: now})
			must(t, err)
			if res2.Total != 0 || auditRecords(t, st)[len(after)+1].Outcome != audit.OutcomeNoop {
				t.Fatalf("second run %+v", res2)
			}
		})
	}
}

func TestAuditNeverADeleteCategory(t *testing.T) {
	if _, ok := storeCategory[Audit]; ok {
		t.Fatal("the audit category maps to a store delete")
	}
	for _, c := range Categories() {
		if _, ok := storeCategory[c]; !ok && c != Audit && c != RequestRecords && c != SuppressionList {
			t.Errorf("category %s has no store category", c)
		}
	}
	for _, c := range store.Categories() {
		if c == "audit" {
			t.Fatal("the store offers an audit category")
		}
	}
}

func TestDryRunDeletesNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			st := a.Store
			const n = 5
			s := seed(t, st, n, "")
			r := runnerFor(a)
			pv, err := r.Preview(bg, Default(), now)
			must(t, err)
			dry, err := r.Run(bg, Default(), RunOptions{DryRun: true, Now: now})
			must(t, err)
			if fmt.Sprint(counts(dry)) != fmt.Sprint(counts(RunResult{Categories: pv})) {
				t.Fatalf("dry run %v, preview %v", counts(dry), counts(RunResult{Categories: pv}))
			}
			for i := range n {
				if !contactExists(t, st, s.oldContacts[i]) || !blobExists(t, st, s.oldPackages[i]) || convExists(t, st, s.oldContacts[i]) != 1 {
					t.Fatal("a dry run deleted something")
				}
			}
			runs, err := r.Runs(bg, 5)
			must(t, err)
			if len(runs) != 1 || !runs[0].DryRun || runs[0].State != StateDone || runs[0].Counts["contact_cache"] != n {
				t.Fatalf("dry run record %+v", runs)
			}
			recs := auditRecords(t, st)
			if end := recs[len(recs)-1]; end.Action != audit.ActionRetentionRun || !strings.Contains(end.Reason, "dry run") || end.Counts["export_files"] != n {
				t.Fatalf("dry run audit record %+v", end)
			}
			seen := map[Category]int64{}
			real, err := r.Run(bg, Default(), RunOptions{Now: now, BatchSize: 2, Progress: func(c Category, n int64) {
				if n < seen[c] {
					t.Errorf("progress of %s went back from %d to %d", c, seen[c], n)
				}
				seen[c] = n
			}})
			must(t, err)
			for c, n := range counts(real) {
				if c != Audit && seen[c] != n {
					t.Errorf("progress of %s ended at %d, the run deleted %d", c, seen[c], n)
				}
			}
			if fmt.Sprint(counts(real)) != fmt.Sprint(counts(dry)) {
				t.Fatalf("the run deleted %v, the dry run said %v", counts(real), counts(dry))
			}
			verifyChain(t, a)
		})
	}
}

func TestLegalHoldsKeepData(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			st := a.Store
			const n = 6
			s := seed(t, st, n, "")
			r := runnerFor(a)
			req, err := st.CreateRequest(bg, store.Request{Type: store.RequestAccess, Jurisdiction: store.JurisdictionGDPR, Channel: "email", SubjectRef: strings.Repeat("ab", 32)})
			must(t, err)
			pkg, err := st.PutBlob(bg, store.Blob{Kind: store.BlobAccessPackage, RequestID: req.ID, PersonKeyID: "request:" + req.ID, Name: "access-package.zip", CreatedAt: now.AddDate(0, 0, -30)}, strings.NewReader("zip"))
			must(t, err)

			// A hold on contact c0o (cached under key k0) keeps every row of
			// key k0; a hold on the request keeps its package.
			hc, err := r.AddHold(bg, HoldTarget{ContactID: s.oldContacts[0]}, "litigation hold, case 2026-17")
			must(t, err)
			if hc.Kind != "person" || hc.SubjectRef != "k0" {
				t.Fatalf("hold %+v", hc)
			}
			hr, err := r.AddHold(bg, HoldTarget{RequestID: req.ID}, "regulator inquiry")
			must(t, err)
			holds, err := r.Holds(bg)
			must(t, err)
			if len(holds) != 2 {
				t.Fatalf("holds %+v", holds)
			}

			res, err := r.Run(bg, Default(), RunOptions{Now: now, BatchSize: 2})
			must(t, err)
			if res.ActiveHolds != 2 {
				t.Fatalf("active holds %d", res.ActiveHolds)
			}
			held := 0
			for i := range n {
				k0 := i%3 == 0
				if k0 {
					held++
				}
				if contactExists(t, st, s.oldContacts[i]) != k0 || (convExists(t, st, s.oldContacts[i]) == 1) != k0 {
					t.Fatalf("contact %d (held %v): hold not honoured", i, k0)
				}
			}
			if got := counts(res)[ContactCache]; got != int64(n-held) {
				t.Fatalf("deleted %d contacts, want %d", got, n-held)
			}
			if !blobExists(t, st, pkg.ID) {
				t.Fatal("the held request's package was deleted")
			}

			// Release: the next run deletes what the holds kept.
			_, err = r.ReleaseHold(bg, hc.ID, "case closed")
			must(t, err)
			_, err = r.ReleaseHold(bg, hr.ID, "")
			must(t, err)
			if _, err := r.ReleaseHold(bg, hr.ID, ""); !errors.Is(err, ErrHoldNotFound) {
				t.Fatalf("second release: %v", err)
			}
			res, err = r.Run(bg, Default(), RunOptions{Now: now})
			must(t, err)
			if counts(res)[ContactCache] != int64(held) || blobExists(t, st, pkg.ID) || contactExists(t, st, s.oldContacts[0]) {
				t.Fatalf("after release: %v", counts(res))
			}

			// The trail records the holds by subject reference and request id,
			// never the contact id.
			var added, released int
			ref, err := a.Vault.SubjectRef(vault.KindContactID, s.oldContacts[0])
			must(t, err)
			for _, rec := range auditRecords(t, st) {
				switch rec.Action {
				case audit.ActionLegalHoldAdded:
					added++
					if rec.SubjectRef != ref && rec.RequestID != req.ID {
						t.Fatalf("hold record %+v", rec)
					}
				case audit.ActionLegalHoldReleased:
					released++
				}
				for _, id := range rec.ObjectIDs {
					if id == s.oldContacts[0] {
						t.Fatal("the contact id is in the audit trail")
					}
				}
			}
			if added != 2 || released != 2 {
				t.Fatalf("hold records: %d added, %d released", added, released)
			}
			verifyChain(t, a)
		})
	}
}

func TestHoldBadInput(t *testing.T) {
	a := openApp(t, storetest.SQLite().NewURL(t), newMaster(t))
	r := runnerFor(a)
	n := len(auditRecords(t, a.Store))
	cases := []struct {
		target HoldTarget
		reason string
		want   error
	}{
		{HoldTarget{}, "x", ErrHoldTarget},
		{HoldTarget{ContactID: "a", RequestID: "b"}, "x", ErrHoldTarget},
		{HoldTarget{ContactID: "a b"}, "x", ErrHoldTarget},
		{HoldTarget{ContactID: strings.Repeat("a", 200)}, "x", ErrHoldTarget},
		{HoldTarget{ContactID: "abc"}, "  ", ErrHoldReason},
		{HoldTarget{ContactID: "abc"}, "asked by jane.doe@example.com", ErrHoldReason},
		{HoldTarget{ContactID: "abc"}, "call +44 20 7946 0958", ErrHoldReason},
		{HoldTarget{RequestID: "req_missing"}, "litigation", ErrRequestNotFound},
	}
	for _, c := range cases {
		_, err := r.AddHold(bg, c.target, c.reason)
		if !errors.Is(err, c.want) {
			t.Errorf("AddHold(%+v, %q) = %v, want %v", c.target, c.reason, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "jane.doe") || strings.Contains(err.Error(), "7946") {
			t.Errorf("the error quotes the reason: %v", err)
		}
	}
	if _, err := r.ReleaseHold(bg, "hold_nope", ""); !errors.Is(err, ErrHoldNotFound) {
		t.Fatal(err)
	}
	if _, err := r.ReleaseHold(bg, "../../x y", ""); !errors.Is(err, ErrHoldNotFound) {
		t.Fatal(err)
	}
	hs, err := r.Holds(bg)
	must(t, err)
	if len(hs) != 0 || len(auditRecords(t, a.Store)) != n {
		t.Fatal("refused holds left rows or records")
	}
	// A contact that is not cached is held by its subject reference.
	h, err := r.AddHold(bg, HoldTarget{ContactID: "6650f0aa0b1c2d3e4f5a6b7c"}, "litigation")
	must(t, err)
	ref, _ := a.Vault.SubjectRef(vault.KindContactID, "6650f0aa0b1c2d3e4f5a6b7c")
	if h.SubjectRef != ref || strings.Contains(h.SubjectRef, "6650f0aa") {
		t.Fatalf("uncached contact held by %q", h.SubjectRef)
	}
	// It is the key the contact sync and the webhook receiver store the
	// contact's rows under, so the hold covers what they write later.
	if k, err := contactsync.PersonKeyID(a.Vault, "6650f0aa0b1c2d3e4f5a6b7c"); err != nil || k != h.SubjectRef {
		t.Fatalf("the hold key %q is not contactsync's person key id %q (%v)", h.SubjectRef, k, err)
	}
}

func TestRunBadInput(t *testing.T) {
	a := openApp(t, storetest.SQLite().NewURL(t), newMaster(t))
	r := runnerFor(a)
	if _, err := r.Run(bg, Policy{}, RunOptions{}); !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("zero policy: %v", err)
	}
	for _, n := range []int{-1, MaxBatchSize + 1} {
		if _, err := r.Run(bg, Default(), RunOptions{BatchSize: n}); !errors.Is(err, ErrInvalidBatchSize) {
			t.Fatalf("batch %d: %v", n, err)
		}
	}
	if _, err := (&Runner{}).Run(bg, Default(), RunOptions{}); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("empty runner: %v", err)
	}
	runs, err := r.Runs(bg, 10)
	must(t, err)
	if len(runs) != 0 {
		t.Fatal("a refused run was recorded")
	}
}

// clock is a settable clock shared by runners in a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestKilledRunIsFinishedByTheNext(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			st := a.Store
			const n = 20
			s := seed(t, st, n, "")
			clk := &clock{t: time.Now()}
			first := runnerFor(a)
			first.Clock = clk.now
			first.afterBatch = func(cat store.Category, batch int) error {
				if cat == store.CategoryConversationCache && batch == 2 {
					return errors.New("killed")
				}
				return nil
			}
			res1, err := first.Run(bg, Default(), RunOptions{BatchSize: 4, Now: now})
			if !errors.Is(err, errKilled) {
				t.Fatalf("first run: %v", err)
			}
			runs, err := first.Runs(bg, 5)
			must(t, err)
			if len(runs) != 1 || runs[0].State != StateRunning {
				t.Fatalf("the killed run's row: %+v", runs)
			}

			second := runnerFor(a)
			second.Clock = clk.now
			// Its heartbeat is fresh: it may be alive, so a run refuses to start.
			_, err = second.Run(bg, Default(), RunOptions{Now: now})
			var inProgress *RunInProgressError
			if !errors.As(err, &inProgress) || inProgress.RunID != res1.RunID {
				t.Fatalf("run beside a live one: %v", err)
			}
			clk.add(DefaultStaleAfter + time.Second)
			res2, err := second.Run(bg, Default(), RunOptions{Now: now})
			must(t, err)
			if len(res2.Interrupted) != 1 || res2.Interrupted[0] != res1.RunID {
				t.Fatalf("interrupted %v", res2.Interrupted)
			}
			// Together the two runs deleted every old row once.
			for i := range n {
				if contactExists(t, st, s.oldContacts[i]) || !contactExists(t, st, s.freshContacts[i]) ||
					convExists(t, st, s.oldContacts[i]) != 0 || blobExists(t, st, s.oldPackages[i]) {
					t.Fatalf("row %d left after the second run", i)
				}
			}
			c2 := counts(res2)
			if c2[ContactCache] != 0 || c2[ConversationCache] != n-8 || c2[WebhookEvents] != n {
				t.Fatalf("second run deleted %v", c2)
			}
			runs, err = second.Runs(bg, 5)
			must(t, err)
			if len(runs) != 2 || runs[0].ID != res2.RunID || runs[0].State != StateDone ||
				runs[1].ID != res1.RunID || runs[1].State != StateInterrupted {
				t.Fatalf("runs %+v", runs)
			}
			// The audit trail shows both runs: the first started and was
			// marked interrupted, the second started and finished.
			var seq []string
			for _, rec := range auditRecords(t, st) {
				if rec.Action == audit.ActionRetentionRun {
					seq = append(seq, rec.ObjectIDs[0]+" "+string(rec.Outcome)+" "+strings.Fields(rec.Reason)[0])
				}
			}
			want := []string{res1.RunID + " success started", res1.RunID + " partial interrupted:",
				res2.RunID + " success started", res2.RunID + " success finished"}
			if strings.Join(seq, "\n") != strings.Join(want, "\n") {
				t.Fatalf("run records:\n%s\nwant:\n%s", strings.Join(seq, "\n"), strings.Join(want, "\n"))
			}
			verifyChain(t, a)
		})
	}
}

func TestCancelledRunRecordsItself(t *testing.T) {
	a := openApp(t, storetest.SQLite().NewURL(t), newMaster(t))
	seed(t, a.Store, 10, "")
	ctx, cancel := context.WithCancel(bg)
	r := runnerFor(a)
	r.afterBatch = func(cat store.Category, batch int) error {
		if batch == 2 {
			cancel()
		}
		return nil
	}
	res, err := r.Run(ctx, Default(), RunOptions{BatchSize: 2, Now: now})
	if !errors.Is(err, context.Canceled) || res.State != StateCancelled {
		t.Fatalf("cancelled run: %v %+v", err, res)
	}
	runs, err := r.Runs(bg, 1)
	must(t, err)
	if runs[0].State != StateCancelled || runs[0].Counts["contact_cache"] != 4 {
		t.Fatalf("cancelled run record %+v", runs[0])
	}
	recs := auditRecords(t, a.Store)
	if end := recs[len(recs)-1]; end.Outcome != audit.OutcomePartial {
		t.Fatalf("end record %+v", end)
	}
	// The next run starts at once (the cancelled one is not "running").
	res, err = runnerFor(a).Run(bg, Default(), RunOptions{Now: now})
	must(t, err)
	if counts(res)[ContactCache] != 6 {
		t.Fatalf("next run %v", counts(res))
	}
}

func TestHeartbeatKeepsALongRunAlive(t *testing.T) {
	a := openApp(t, storetest.SQLite().NewURL(t), newMaster(t))
	seed(t, a.Store, 3, "")
	r := runnerFor(a)
	r.StaleAfter = 200 * time.Millisecond
	// The run's clock is the test's: it moves three stale periods on while
	// the run is stuck in its first batch.
	t0 := time.Now()
	var clock atomic.Int64
	clock.Store(t0.UnixMicro())
	r.Clock = func() time.Time { return time.UnixMicro(clock.Load()) }
	beats := beatCounter(r)
	release, blocked := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r.afterBatch = func(store.Category, int) error { once.Do(func() { close(blocked) }); <-release; return nil }
	done := make(chan error, 1)
	go func() { _, err := r.Run(bg, Default(), RunOptions{Now: now}); done <- err }()
	<-blocked
	clock.Store(t0.Add(3 * r.StaleAfter).UnixMicro())
	beats.await(t, 2) // the second began after the clock moved
	// Half a stale period after the last beat, three and a half after the
	// run started: only the heartbeat says the run is alive.
	other := runnerFor(a)
	other.StaleAfter = r.StaleAfter
	other.Clock = func() time.Time { return t0.Add(3*r.StaleAfter + r.StaleAfter/2) }
	_, err := other.Run(bg, Default(), RunOptions{Now: now})
	if !errors.Is(err, ErrRunInProgress) {
		t.Fatalf("a live run with a heartbeat was taken for dead: %v", err)
	}
	close(release)
	must(t, <-done)
}

// beats counts a runner's heartbeats.
type beats struct{ c chan struct{} }

func beatCounter(r *Runner) *beats {
	b := &beats{c: make(chan struct{}, 1024)}
	r.afterBeat = func() {
		select {
		case b.c <- struct{}{}:
		default:
		}
	}
	return b
}

// await forgets the beats so far, then waits for n more. Beats are written
// one after another by one goroutine, so the second of them started after
// await was called.
func (b *beats) await(t *testing.T, n int) {
	t.Helper()
	for drained := false; !drained; {
		select {
		case <-b.c:
		default:
			drained = true
		}
	}
	deadline := time.NewTimer(testwait.Deadline)
	defer deadline.Stop()
	for range n {
		select {
		case <-b.c:
		case <-deadline.C:
			t.Fatalf("no heartbeat within %v", testwait.Deadline)
		}
	}
}

func TestConcurrentWriterKeepsWriting(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := openApp(t, b.NewURL(t), newMaster(t))
			st := a.Store
			const expired = 3000
			storetestBulkContacts(t, st, b.Name, "x", expired, now.AddDate(0, 0, -40))
			ctx, stop := context.WithCancel(bg)
			var writes, failures atomic.Int64
			var worst atomic.Int64
			var wg sync.WaitGroup
			var firstErr atomic.Value
			wg.Go(func() {
				// A service writing steadily: one cached contact each
				// millisecond tick, each write timed.
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for i := 0; ctx.Err() == nil; i++ {
					began := time.Now()
					err := st.UpsertContact(bg, store.CachedContact{IntercomID: fmt.Sprintf("w%d", i), PersonKeyID: "kw", Role: "user"})
					if err != nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					if d := int64(time.Since(began)); d > worst.Load() {
						worst.Store(d)
					}
					writes.Add(1)
					select {
					case <-tick.C:
					case <-ctx.Done():
					}
				}
			})
			r := runnerFor(a)
			writesBefore := int64(-1)
			r.afterBatch = func(cat store.Category, batch int) error {
				if cat != store.CategoryContactCache || batch > 3 {
					return nil
				}
				// Between batches the run holds no lock: a write that
				// starts now completes before the next batch begins. A
				// run that kept one transaction (or a table lock) across
				// batches would hold the writer here until the deadline.
				w := writes.Load()
				if writesBefore < 0 {
					writesBefore = w
				}
				testwait.Until(t, fmt.Sprintf("a concurrent write after batch %d", batch), func() bool { return writes.Load() > w })
				return nil
			}
			res, err := r.Run(bg, Default(), RunOptions{BatchSize: 100, Now: now})
			during := writes.Load() - writesBefore
			stop()
			wg.Wait()
			must(t, err)
			if counts(res)[ContactCache] != expired {
				t.Fatalf("deleted %d", counts(res)[ContactCache])
			}
			if failures.Load() != 0 {
				t.Fatalf("%d concurrent writes failed; first: %v", failures.Load(), firstErr.Load())
			}
			if during == 0 {
				t.Fatal("no concurrent write completed while the run deleted")
			}
			left, err := st.CountExpired(bg, store.CategoryContactCache, time.Now().Add(time.Hour))
			must(t, err)
			if left != writes.Load() {
				t.Fatalf("%d contacts left, the writer wrote %d", left, writes.Load())
			}
			t.Logf("%s: %d writes during the run (%d total), worst write %v", b.Name, during, writes.Load(), time.Duration(worst.Load()))
			if time.Duration(worst.Load()) > 5*time.Second {
				t.Fatalf("a write waited %v", time.Duration(worst.Load()))
			}
		})
	}
}

// storetestBulkContacts inserts n cached contacts created at created with
// one SQL statement (fast seeding for tests and benchmarks).
func storetestBulkContacts(t testing.TB, st store.Store, backend, prefix string, n int, created time.Time) {
	t.Helper()
	us := created.UnixMicro()
	var q string
	if backend == "postgres" {
		q = `INSERT INTO cached_contacts (intercom_id, person_key_id, role, created_at, updated_at)
			SELECT $1 || g::text, 'k' || (g % 100)::text, 'user', $2::bigint, $2::bigint FROM generate_series(1, $3::bigint) AS g`
	} else {
		q = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $3)
			INSERT INTO cached_contacts (intercom_id, person_key_id, role, created_at, updated_at)
			SELECT $1 || i, 'k' || (i % 100), 'user', $2, $2 FROM g`
	}
	if got := storetest.ExecRaw(t, st, q, prefix, us, int64(n)); got != int64(n) {
		t.Fatalf("seeded %d rows, want %d", got, n)
	}
}

func TestPolicyFromConfig(t *testing.T) {
	parse := func(yml string) (Policy, error) {
		cfg, err := config.Parse("test.yaml", strings.NewReader(yml))
		if err != nil {
			t.Fatalf("config: %v", err)
		}
		return FromConfig(cfg)
	}
	p, err := parse("sync:\n  custom_attributes: [plan]\n")
	must(t, err)
	if p.String() != Default().String() {
		t.Fatalf("no sections:\n%s", p)
	}
	p, err = parse("retention:\n  contact_cache: 14d\n  export_files: off\nschedule:\n  cron: \"30 4 * * 1\"\n  timezone: Europe/Dublin\n")
	must(t, err)
	if p.Age(ContactCache).String() != "14d" || !p.Age(ExportFiles).IsOff() || p.Age(ConversationCache).String() != "90d" ||
		p.Schedule.Cron != "30 4 * * 1" || p.Schedule.Location.String() != "Europe/Dublin" {
		t.Fatalf("policy:\n%s", p)
	}
	if p.BatchSize != DefaultBatchSize {
		t.Fatalf("batch size %d", p.BatchSize)
	}
	if _, err := FromConfig(nil); err != nil {
		t.Fatal(err)
	}

	bad := []struct {
		yml       string
		want      error
		line      int
		fragments []string
	}{
		{"sync:\n  pii: []\nretention:\n  audit: 12mo\n", ErrAuditTooShort, 4, []string{"line 4", "retention.audit", "24 months"}},
		{"retention:\n  contact_cache: 30d\n  audit: off\n", ErrAuditOff, 3, []string{"line 3", "cannot be off"}},
		{"retention:\n  contacts: 30d\n", ErrUnknownCategory, 2, []string{"retention.contacts", "contact_cache, conversation_cache, webhook_events, export_files, access_packages, audit"}},
		{"retention:\n  contact_cache: 0d\n", ErrInvalidAge, 2, []string{"positive", "off"}},
		{"retention:\n  contact_cache: 30m\n", ErrInvalidAge, 2, []string{"mo for months"}},
		{"\n\nschedule:\n  cron: \"0 3 * *\"\n", ErrInvalidCron, 4, []string{"schedule.cron", "5 fields"}},
		{"schedule:\n  timezone: Mars/Olympus\n", ErrInvalidTimezone, 2, []string{"IANA"}},
		{"schedule:\n  every: day\n", ErrUnknownKey, 2, []string{"cron, timezone"}},
		{"retention: [30d]\n", ErrWrongType, 1, []string{"mapping"}},
	}
	for _, c := range bad {
		_, err := parse(c.yml)
		var pe *Error
		if !errors.Is(err, c.want) || !errors.As(err, &pe) {
			t.Errorf("%q: %v, want %v", c.yml, err, c.want)
			continue
		}
		if pe.Line != c.line {
			t.Errorf("%q: line %d, want %d (%v)", c.yml, pe.Line, c.line, err)
		}
		for _, f := range c.fragments {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%q: %q lacks %q", c.yml, err, f)
			}
		}
	}
}

// FuzzFromConfig: any configuration file either fails to load or gives a
// policy whose audit retention is at least 24 months, without panicking.
func FuzzFromConfig(f *testing.F) {
	for _, s := range []string{
		"retention:\n  audit: 7y\n", "retention:\n  contact_cache: 14d\nschedule:\n  cron: \"0 3 * * *\"\n",
		"schedule:\n  timezone: Europe/Dublin\n", "retention: &a {audit: 2y}\nschedule: *a\n",
		"retention:\n  audit: 104w\n", "retention:\n  ? [a]\n  : b\n", "schedule: ~\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := config.Parse("f.yaml", strings.NewReader(s))
		if err != nil {
			return
		}
		p, err := FromConfig(cfg)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if !p.Age(Audit).covers(AuditMinimumMonths) || p.Schedule.Location == nil {
			t.Fatalf("accepted %q: %s", s, p)
		}
		if _, err := PeriodicJob(p); err != nil {
			t.Fatalf("valid policy, no periodic job: %v", err)
		}
	})
}

// FuzzFromConfigFields fuzzes the values of a well-formed configuration:
// the result is a valid policy or a *Error whose line lies inside the file.
func FuzzFromConfigFields(f *testing.F) {
	f.Add("30d", "7y", "0 3 * * *", "UTC")
	f.Add("0d", "12mo", "* * *", "Local")
	f.Add("off", "off", "TZ=UTC 0 3 * * *", "Europe/Dublin")
	f.Add("24m", "731d", "0 3 31 2 *", "Mars/Olympus")
	f.Fuzz(func(t *testing.T, contact, aud, cron, tz string) {
		yml := fmt.Sprintf("sync:\n  pii: []\nretention:\n  contact_cache: %q\n  audit: %q\nschedule:\n  cron: %q\n  timezone: %q\n", contact, aud, cron, tz)
		cfg, err := config.Parse("f.yaml", strings.NewReader(yml))
		if err != nil {
			return
		}
		p, err := FromConfig(cfg)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if pe.Line < 0 || pe.Line > strings.Count(yml, "\n") {
				t.Fatalf("line %d outside the file: %v", pe.Line, err)
			}
			return
		}
		if !p.Age(Audit).covers(AuditMinimumMonths) || p.Schedule.Next(now).IsZero() && p.Schedule.Next(now.AddDate(1, 0, 0)).IsZero() {
			t.Fatalf("accepted %q: %s", yml, p)
		}
	})
}

func TestStalledRunMarkedInterruptedStaysMarked(t *testing.T) {
	a := openApp(t, storetest.SQLite().NewURL(t), newMaster(t))
	seed(t, a.Store, 6, "")
	stalled := runnerFor(a)
	stalled.StaleAfter = 200 * time.Millisecond
	stalledBeats := beatCounter(stalled)
	release, blocked := make(chan struct{}), make(chan struct{})
	stalled.afterBatch = func(cat store.Category, batch int) error {
		if cat == store.CategoryContactCache && batch == 1 {
			close(blocked)
			<-release
		}
		return nil
	}
	done := make(chan RunResult, 1)
	go func() {
		res, err := stalled.Run(bg, Default(), RunOptions{Now: now, BatchSize: 2})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-blocked
	// Another runner whose clock is ten minutes ahead takes the stalled run
	// for dead.
	other := runnerFor(a)
	other.StaleAfter = 200 * time.Millisecond
	other.Clock = func() time.Time { return time.Now().Add(10 * time.Minute) }
	res2, err := other.Run(bg, Default(), RunOptions{Now: now, BatchSize: 2})
	must(t, err)
	if len(res2.Interrupted) != 1 {
		t.Fatalf("interrupted %v", res2.Interrupted)
	}
	stalledBeats.await(t, 3) // the stalled run beats on after it was marked
	runs, err := other.Runs(bg, 5)
	must(t, err)
	if runs[1].ID != res2.Interrupted[0] || runs[1].State != StateInterrupted {
		t.Fatalf("the stalled run's heartbeat flipped its row back: %+v", runs[1])
	}
	close(release)
	res1 := <-done
	if res1.State != StateDone || res1.RunID != res2.Interrupted[0] {
		t.Fatalf("stalled run %+v", res1)
	}
	if counts(res1)[ContactCache]+counts(res2)[ContactCache] != 6 {
		t.Fatalf("contacts deleted %d + %d, want 6", counts(res1)[ContactCache], counts(res2)[ContactCache])
	}
	verifyChain(t, a)
}
