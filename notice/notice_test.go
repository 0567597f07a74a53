package notice

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

const secret = "s3cret-signing-value"

// receiver is a recipient's endpoint: it checks signatures, counts deliveries
// by notice id, and fails the first failFirst deliveries.
type receiver struct {
	mu         sync.Mutex
	deliveries map[string]int
	bad        int
	failFirst  atomic.Int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !Verify(body, secret, r.Header.Get(SignatureHeader)) || !strings.Contains(string(body), r.Header.Get("Idempotency-Key")) {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.failFirst.Add(-1) >= 0 {
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	rc.deliveries[r.Header.Get("Idempotency-Key")]++
}

func (rc *receiver) counts() (distinct, total, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.deliveries {
		distinct++
		total += n
	}
	return distinct, total, rc.bad
}

type fixture struct {
	st    store.Store
	vault *vault.Vault
	svc   *Service
	rc    *receiver
	clock atomic.Int64 // unix micro
}

func (f *fixture) now() time.Time          { return time.UnixMicro(f.clock.Load()) }
func (f *fixture) advance(d time.Duration) { f.clock.Add(d.Microseconds()) }

func setup(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	f := &fixture{rc: &receiver{deliveries: map[string]int{}}}
	f.clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro())
	srv := httptest.NewServer(f.rc)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	f.st = b.Open(t)
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.Init(ctx, f.st, master); err != nil {
		t.Fatal(err)
	}
	if f.vault, err = vault.Open(ctx, f.st, master); err != nil {
		t.Fatal(err)
	}
	chain, err := audit.NewChain(f.vault.AuditSigner(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = &Service{
		Store: f.st, Chain: chain, Actor: "worker", Now: f.now,
		Secret: func(name string) (string, bool) {
			if name == "WAREHOUSE_SECRET" {
				return secret, true
			}
			return "", false
		},
		Registry: []config.RecipientEntry{
			{Name: "Warehouse", Role: "controller", Notify: config.Notify{Method: "webhook", URL: srv.URL, SecretEnv: "WAREHOUSE_SECRET", Events: []string{EventErasure, EventCorrection}}},
			{Name: "Mailer", Role: "processor", Notify: config.Notify{Method: "email", Email: "privacy@mailer.example", Events: []string{EventErasure}}},
			{Name: "CRM", Role: "processor", Notify: config.Notify{Method: "manual", Events: []string{EventErasure}}},
			{Name: "Analytics", Role: "third_party", Notify: config.Notify{Method: "manual", Events: []string{EventRestriction}}},
			{Name: "Unsigned", Role: "processor", Notify: config.Notify{Method: "webhook", URL: srv.URL, SecretEnv: "UNSET_SECRET", Events: []string{EventCorrection}}},
		},
	}
	return f
}

func (f *fixture) plan(t *testing.T, requestID, event string) int {
	t.Helper()
	var n int
	err := f.st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = f.svc.Plan(context.Background(), tx, requestID, event)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func noticeRecords(t *testing.T, s store.Store, requestID string) []audit.Record {
	t.Helper()
	var out []audit.Record
	for sr, err := range s.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		r, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		if r.Action == audit.ActionRecipientsNotified && r.RequestID == requestID {
			out = append(out, r)
		}
	}
	return out
}

func TestPlanSendAndSettle(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t, b)
			if n := f.plan(t, "req_a", EventErasure); n != 3 {
				t.Fatalf("planned %d erasure notices, want 3 (Warehouse, Mailer, CRM)", n)
			}
			if n := f.plan(t, "req_a", EventErasure); n != 0 {
				t.Fatalf("a second plan added %d", n)
			}
			ns, err := f.st.NoticesByRequest(ctx, "req_a")
			if err != nil || len(ns) != 3 {
				t.Fatalf("%+v %v", ns, err)
			}
			states := map[string]store.NoticeState{}
			for _, n := range ns {
				states[n.Recipient] = n.State
			}
			if states["Warehouse"] != store.NoticePending || states["Mailer"] != store.NoticeManual || states["CRM"] != store.NoticeManual {
				t.Fatalf("states %v", states)
			}

			// The recipient is down for two attempts; each waits its backoff.
			f.rc.failFirst.Store(2)
			if r, err := f.svc.SendDue(ctx, 0); err != nil || r.Retrying != 1 {
				t.Fatalf("first attempt: %+v %v", r, err)
			}
			if r, _ := f.svc.SendDue(ctx, 0); r != (SendResult{}) {
				t.Fatalf("retried before its backoff: %+v", r)
			}
			f.advance(2 * time.Minute)
			if r, _ := f.svc.SendDue(ctx, 0); r.Retrying != 1 {
				t.Fatalf("second attempt: %+v", r)
			}
			f.advance(3 * time.Minute)
			if r, _ := f.svc.SendDue(ctx, 0); r.Retrying != 0 {
				t.Fatalf("third attempt came before the doubled backoff: %+v", r)
			}
			f.advance(2 * time.Minute)
			if r, err := f.svc.SendDue(ctx, 0); err != nil || r.Sent != 1 {
				t.Fatalf("third attempt: %+v %v", r, err)
			}
			if d, total, bad := f.rc.counts(); d != 1 || total != 1 || bad != 0 {
				t.Fatalf("receiver: %d distinct, %d total, %d bad", d, total, bad)
			}
			var warehouse store.RecipientNotice
			for _, n := range ns {
				if n.Recipient == "Warehouse" {
					warehouse, _ = f.st.GetNotice(ctx, n.ID)
				}
			}
			if warehouse.State != store.NoticeSent || warehouse.Attempts != 3 || warehouse.LastError != "" {
				t.Fatalf("warehouse notice %+v", warehouse)
			}

			// Operators settle the others.
			var mailer, crm string
			for _, n := range ns {
				switch n.Recipient {
				case "Mailer":
					mailer = n.ID
				case "CRM":
					crm = n.ID
				}
			}
			if _, err := f.svc.Done(ctx, mailer); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Waive(ctx, crm, "jane.doe@example.com asked"); !errors.Is(err, ErrReason) || strings.Contains(err.Error(), "jane") {
				t.Fatalf("a reason with an email: %v", err)
			}
			if _, err := f.svc.Waive(ctx, crm, ""); !errors.Is(err, ErrReason) {
				t.Fatalf("no reason: %v", err)
			}
			if n, err := f.svc.Waive(ctx, crm, "the CRM was decommissioned in 2025"); err != nil || n.State != store.NoticeWaived {
				t.Fatalf("waive: %+v %v", n, err)
			}
			if _, err := f.svc.Done(ctx, warehouse.ID); !errors.Is(err, ErrNotOpen) {
				t.Fatalf("done on a sent notice: %v", err)
			}
			if _, err := f.svc.Done(ctx, "ntc_nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown notice: %v", err)
			}
			// One record for the plan and one per settled notice.
			recs := noticeRecords(t, f.st, "req_a")
			if len(recs) != 4 {
				t.Fatalf("%d audit records, want 4 (plan, sent, done, waived)", len(recs))
			}
			if recs[0].Counts["notices_webhook"] != 1 || recs[0].Counts["notices_email"] != 1 || recs[0].Counts["notices_manual"] != 1 {
				t.Errorf("plan counts %v", recs[0].Counts)
			}
			pub, id := f.vault.AuditPublicKey()
			if rep, err := audit.Verify(ctx, f.st, audit.Keyring{{KeyID: id, Key: pub}}); err != nil || !rep.OK() {
				t.Fatalf("audit verify: %+v %v", rep, err)
			}
		})
	}
}

// A crash after the recipient answered and before the answer was recorded sends
// the notice again, with the same notice id and Idempotency-Key, and records it
// once.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite())
	f.plan(t, "req_b", EventErasure)
	crash := errors.New("killed")
	f.svc.afterSend = func(store.RecipientNotice) error { return crash }
	if _, err := f.svc.SendDue(ctx, 0); !errors.Is(err, crash) {
		t.Fatalf("crash: %v", err)
	}
	f.svc.afterSend = nil
	// Another worker finds it claimed until the lease ends.
	if r, err := f.svc.SendDue(ctx, 0); err != nil || r != (SendResult{}) {
		t.Fatalf("sent while claimed: %+v %v", r, err)
	}
	f.advance(f.svc.lease())
	if r, err := f.svc.SendDue(ctx, 0); err != nil || r.Sent != 1 {
		t.Fatalf("resend: %+v %v", r, err)
	}
	distinct, total, _ := f.rc.counts()
	if distinct != 1 || total != 2 {
		t.Fatalf("receiver saw %d notices in %d deliveries; want 1 in 2", distinct, total)
	}
	if recs := noticeRecords(t, f.st, "req_b"); len(recs) != 2 {
		t.Fatalf("%d records, want the plan and one send", len(recs))
	}
}

// Two workers sending at once POST each notice once.
func TestConcurrentSenders(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite())
	for _, id := range []string{"req_1", "req_2", "req_3", "req_4", "req_5", "req_6"} {
		f.plan(t, id, EventCorrection) // Warehouse and Unsigned
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := f.svc.SendDue(ctx, 0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d, total, _ := f.rc.counts(); d != 6 || total != 6 {
		t.Fatalf("%d distinct in %d deliveries, want 6 in 6", d, total)
	}
	// The webhook without its secret is never sent: it waits, saying why.
	pending, err := f.st.NoticesInState(ctx, 0, store.NoticePending)
	if err != nil || len(pending) != 6 {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	if pending[0].Recipient != "Unsigned" || !strings.Contains(pending[0].LastError, "UNSET_SECRET is empty") {
		t.Fatalf("pending %+v", pending[0])
	}
}

// A recipient that never answers well ends failed, for an operator, and can be
// retried.
func TestGiveUpAndRetry(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite())
	f.svc.GiveUpAfter = 10 * time.Minute
	f.rc.failFirst.Store(1 << 30)
	f.plan(t, "req_c", EventErasure)
	var res SendResult
	for i := 0; i < 20 && res.Failed == 0; i++ {
		r, err := f.svc.SendDue(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		res = r
		f.advance(time.Hour)
	}
	if res.Failed != 1 {
		t.Fatalf("never gave up: %+v", res)
	}
	failed, err := f.st.NoticesInState(ctx, 0, store.NoticeFailed)
	if err != nil || len(failed) != 1 || failed[0].LastError != "status 500" {
		t.Fatalf("failed: %+v %v", failed, err)
	}
	f.rc.failFirst.Store(0)
	if _, err := f.svc.Retry(ctx, failed[0].ID); err != nil {
		t.Fatal(err)
	}
	if r, err := f.svc.SendDue(ctx, 0); err != nil || r.Sent != 1 {
		t.Fatalf("after retry: %+v %v", r, err)
	}
	if _, err := f.svc.Retry(ctx, failed[0].ID); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("retry of a sent notice: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	base := 2 * time.Minute
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := backoff(i+1, base); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if n := maxAttempts(72*time.Hour, base); n < 70 || n > 80 {
		t.Errorf("72 hours of retries is %d attempts", n)
	}
}
