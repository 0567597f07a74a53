package scan_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// approvedChild does what the scan_redact_approved job does
// (Redactor.SendApproved) until it succeeds, as River retries it.
func approvedChild() int {
	ctx := context.Background()
	master, err := vaultKey()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	a, err := app.Open(ctx, app.Settings{DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "worker",
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI), Timeout: 5 * time.Second, MaxRetries: 1}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	r := &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "worker", Backoff: 10 * time.Millisecond, RetryFor: 5 * time.Second,
		Lease: scan.LeaseOptions{Holder: "crash-child"}}
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = r.SendApproved(ctx); err == nil {
			return 0
		}
	}
	fmt.Fprintln(os.Stderr, "child:", err)
	return 1
}

// approvedWorld is a crash world whose card parts were proposed by one
// person and approved by another, except one rejected and one pending.
func approvedWorld(t *testing.T) (w *crashWorld, approved, left map[string]bool) {
	t.Helper()
	w = newCrashWorld(t)
	w.mode = "approved"
	r := redactor(w.a)
	res, err := r.Propose(bg, authz.Principal{UserID: "u1", Role: authz.RoleAgent}, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
	if err != nil || len(res.Proposed) < 4 {
		t.Fatalf("propose: %d, %v", len(res.Proposed), err)
	}
	officer := authz.Principal{UserID: "u2", Role: authz.RolePrivacyOfficer}
	approved, left = map[string]bool{}, map[string]bool{}
	for i, x := range res.Proposed {
		k := x.ConversationID + "/" + x.PartID
		switch i {
		case 0: // pending
			left[k] = true
		case 1:
			left[k] = true
			if _, err := r.Decide(bg, officer, x.ConversationID, x.PartID, false); err != nil {
				t.Fatal(err)
			}
		default:
			approved[k] = true
			if _, err := r.Decide(bg, officer, x.ConversationID, x.PartID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w, approved, left
}

// checkApproved: every approved part redacted exactly once in Intercom and
// final in the store, the pending and rejected ones never sent, the audit
// trail whole.
func (w *crashWorld) checkApproved(approved, left map[string]bool) {
	t := w.t
	t.Helper()
	st := w.sb.Stats()
	times := func(k string) int {
		conv, part, _ := strings.Cut(k, "/")
		return st.Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + st.Effect(sandbox.EffectPartRedacted, conv+"/source:"+part)
	}
	for k := range approved {
		if n := times(k); n != 1 {
			t.Errorf("approved %s redacted %d times, want exactly 1", k, n)
		}
	}
	for k := range left {
		if n := times(k); n != 0 {
			t.Errorf("unapproved %s redacted %d times", k, n)
		}
	}
	if n := len(st.Effects[sandbox.EffectPartRedacted]); n != len(approved) {
		t.Errorf("%d parts redacted, want %d", n, len(approved))
	}
	rs, err := scans(t, w.a).Redactions(bg, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs {
		k := x.ConversationID + "/" + x.PartID
		switch {
		case approved[k] && x.State != store.RedactionDone && x.State != store.RedactionAlready:
			t.Errorf("approved %s ended %s", k, x.State)
		case left[k] && (x.State != store.RedactionQueued || x.Attempts != 0):
			t.Errorf("unapproved %s: %s after %d attempts", k, x.State, x.Attempts)
		}
	}
	rep, err := w.a.VerifyAudit(bg)
	if err != nil || !rep.OK() {
		t.Errorf("audit: %+v %v", rep, err)
	}
}

// The approved-redactions job's work killed (SIGKILL) at every redaction
// request, before Intercom acts and after Intercom acted but before the
// answer arrives, then restarted: every approved part is redacted exactly
// once, nothing unapproved is sent.
func TestCrashSendApproved(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	w, approved, left := approvedWorld(t)
	w.runChild(0, false)
	total := w.count.Load()
	w.checkApproved(approved, left)
	if total != int64(len(approved)) {
		t.Fatalf("an uninterrupted run sent %d redact requests for %d approved parts", total, len(approved))
	}
	points := 0
	for n := int64(1); n <= total; n++ {
		for _, after := range []bool{false, true} {
			if t.Failed() {
				return
			}
			w, approved, left := approvedWorld(t)
			if !w.runChild(n, after) {
				t.Fatalf("kill point %d was never reached", n)
			}
			for restarts := 0; w.runChild(0, false); restarts++ {
				if restarts > 3 {
					t.Fatalf("kill point %d: not finished after %d restarts", n, restarts)
				}
			}
			w.checkApproved(approved, left)
			if t.Failed() {
				t.Logf("failed at kill point %d (after the effect: %v)", n, after)
			}
			points++
		}
	}
	t.Logf("%d kill points (every redact request, before and after its effect) in %s", points, time.Since(start).Round(time.Millisecond))
}
