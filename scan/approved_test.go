package scan_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// redactedTimes counts how many times Intercom (the sandbox) redacted the part.
func redactedTimes(sb *sandbox.Server, x store.Redaction) int {
	st := sb.Stats()
	return st.Effect(sandbox.EffectPartRedacted, x.ConversationID+"/part:"+x.PartID) +
		st.Effect(sandbox.EffectPartRedacted, x.ConversationID+"/source:"+x.PartID)
}

// auditActions counts the audit records of the given actions by part
// ("conversation/part action").
func auditActions(t *testing.T, a *app.App, actions ...audit.Action) map[string]int {
	t.Helper()
	out := map[string]int{}
	for sr, err := range a.Store.Records(bg, 1) {
		if err != nil {
			t.Fatal(err)
		}
		rec, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, act := range actions {
			if rec.Action == act && len(rec.ObjectIDs) == 2 {
				out[rec.ObjectIDs[0]+"/"+rec.ObjectIDs[1]+" "+string(act)]++
			}
		}
	}
	return out
}

// jobRunner starts River with the approved-redactions job on the
// workspace's database and runs one job at a time.
type jobRunner struct {
	t      *testing.T
	q      *jobs.Queue
	events <-chan *river.Event
	n      int
}

func startApprovedJob(t *testing.T, w *apptest.Workspace, r *scan.Redactor) *jobRunner {
	t.Helper()
	workers := river.NewWorkers()
	// The periodic job (RunOnStart) is not started here: every job the test
	// waits for is one it inserted.
	if _, err := scan.RegisterApproved(workers, r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	q, err := jobs.Open(ctx, w.DatabaseURL, jobs.Options{Workers: workers, FetchPollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	events, unsubscribe := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	t.Cleanup(unsubscribe)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(bg, time.Minute)
		defer scancel()
		_ = q.Stop(sctx)
	})
	return &jobRunner{t: t, q: q, events: events}
}

// run inserts one scan_redact_approved job and waits for its end; it fails
// the test unless the job completed.
func (j *jobRunner) run() {
	j.t.Helper()
	j.n++
	res, err := j.q.Insert(bg, scan.ApprovedArgs{ScheduledAt: time.Unix(int64(j.n)*60, 0).UTC()}, nil)
	if err != nil {
		j.t.Fatal(err)
	}
	// The bound only turns a hang into a failure; nothing waits on it.
	failsafe := time.After(2 * time.Minute)
	for {
		select {
		case ev := <-j.events:
			if ev.Job.ID != res.Job.ID {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				j.t.Fatalf("job %d ended %s: %v", j.n, ev.Kind, ev.Job.Errors)
			}
			return
		case <-failsafe:
			j.t.Fatalf("job %d did not end", j.n)
		}
	}
}

// The River job sends approved redactions only, each once: a pending
// proposal, a rejected one and one "approved" by its proposer (written to the
// store directly, as a tampered row would be) are never sent; a crash between
// Intercom's answer and the record (the redaction left intended) sends again,
// Intercom answers 400, and the part counts as already redacted; every sent
// part has its intent and outcome audited.
func TestApprovedJob(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 40, Seed: 5}})
			a := w.Open("worker")
			if _, err := scanner(a).Run(bg, scan.ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			r := &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "worker", RetryFor: time.Second, Backoff: time.Millisecond,
				Lease: scan.LeaseOptions{Holder: "worker-1"}}
			agent := authz.Principal{UserID: "u1", Role: authz.RoleAgent}
			officer := authz.Principal{UserID: "u2", Role: authz.RolePrivacyOfficer}
			other := authz.Principal{UserID: "u3", Role: authz.RolePrivacyOfficer}
			res, err := r.Propose(bg, agent, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil || len(res.Proposed) < 4 {
				t.Fatalf("propose: %d proposals, %v", len(res.Proposed), err)
			}
			approved, rejected, pending, self := res.Proposed[0], res.Proposed[1], res.Proposed[2], res.Proposed[3]
			if _, err := r.Decide(bg, officer, approved.ConversationID, approved.PartID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Decide(bg, officer, rejected.ConversationID, rejected.PartID, false); err != nil {
				t.Fatal(err)
			}
			sc := scans(t, a)
			if err := sc.DecideRedaction(bg, self.ConversationID, self.PartID, store.ApprovalApproved, "user:u1", time.Now()); err != nil {
				t.Fatal(err)
			}

			j := startApprovedJob(t, w, r)
			j.run()
			if n := redactedTimes(w.Sandbox, approved); n != 1 {
				t.Fatalf("the approved part was redacted %d times, want 1", n)
			}
			if n := len(w.Sandbox.Stats().Effects[sandbox.EffectPartRedacted]); n != 1 {
				t.Fatalf("%d parts redacted in Intercom, want only the approved one", n)
			}
			get := func(x store.Redaction) store.Redaction {
				t.Helper()
				got, err := sc.GetRedaction(bg, x.ConversationID, x.PartID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := get(approved); got.State != store.RedactionDone {
				t.Fatalf("approved part: %s", got.State)
			}
			for _, x := range []store.Redaction{rejected, pending, self} {
				if got := get(x); got.State != store.RedactionQueued || got.Attempts != 0 {
					t.Fatalf("%s/%s (%s by %s): %s after %d attempts, want untouched", x.ConversationID, x.PartID, got.Approval, got.DecidedBy, got.State, got.Attempts)
				}
			}

			// A second job finds nothing to send.
			j.run()
			if n := redactedTimes(w.Sandbox, approved); n != 1 {
				t.Fatalf("a second job redacted the part again (%d)", n)
			}

			// The process died after Intercom redacted but before the outcome
			// was recorded: the row is left intended.
			crashed := get(approved)
			crashed.State, crashed.FinishedAt, crashed.Reason = store.RedactionIntended, time.Time{}, ""
			if err := sc.PutRedaction(bg, crashed); err != nil {
				t.Fatal(err)
			}
			// Meanwhile another officer approves the pending one.
			if _, err := r.Decide(bg, other, pending.ConversationID, pending.PartID, true); err != nil {
				t.Fatal(err)
			}
			j.run()
			if got := get(approved); got.State != store.RedactionAlready {
				t.Fatalf("after the crash: %s, want %s (Intercom's 400 counts as done)", got.State, store.RedactionAlready)
			}
			if got := get(pending); got.State != store.RedactionDone || redactedTimes(w.Sandbox, pending) != 1 {
				t.Fatalf("the newly approved part: %s, redacted %d times", got.State, redactedTimes(w.Sandbox, pending))
			}
			if n := redactedTimes(w.Sandbox, approved); n != 1 {
				t.Fatalf("the crashed part was redacted %d times in Intercom, want 1", n)
			}
			if n := len(w.Sandbox.Stats().Effects[sandbox.EffectPartRedacted]); n != 2 {
				t.Fatalf("%d parts redacted, want 2", n)
			}
			for _, x := range []store.Redaction{rejected, self} {
				if got := get(x); got.State != store.RedactionQueued {
					t.Fatalf("%s/%s: %s", x.ConversationID, x.PartID, got.State)
				}
			}

			// The trail: an intent and an outcome for every send (the intent
			// the crash left stands for the resend), nothing for the parts
			// never sent.
			key := func(x store.Redaction, act audit.Action) string {
				return x.ConversationID + "/" + x.PartID + " " + string(act)
			}
			got := auditActions(t, a, audit.ActionScanRedactionIntended, audit.ActionScanRedacted)
			want := map[string]int{
				key(approved, audit.ActionScanRedactionIntended): 1, key(approved, audit.ActionScanRedacted): 2,
				key(pending, audit.ActionScanRedactionIntended): 1, key(pending, audit.ActionScanRedacted): 1,
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("audit %q: %d records, want %d", k, got[k], n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("audit records for %d part actions, want %d: %v", len(got), len(want), got)
			}
			if rep, err := a.VerifyAudit(bg); err != nil || !rep.OK() {
				t.Fatalf("audit: %+v %v", rep, err)
			}
		})
	}
}

// Redact itself refuses, inside the transaction that would record the intent,
// a proposal without a second person's approval: whatever path calls it.
func TestRedactRefusesUnapproved(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5}})
			a := w.Open("worker")
			if _, err := scanner(a).Run(bg, scan.ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			r := redactor(a)
			res, err := r.Propose(bg, authz.Principal{UserID: "u1", Role: authz.RoleAgent}, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil || len(res.Proposed) < 3 {
				t.Fatalf("propose: %d, %v", len(res.Proposed), err)
			}
			sc := scans(t, a)
			pending, rejected, self := res.Proposed[0], res.Proposed[1], res.Proposed[2]
			if err := sc.DecideRedaction(bg, rejected.ConversationID, rejected.PartID, store.ApprovalRejected, "user:u2", time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := sc.DecideRedaction(bg, self.ConversationID, self.PartID, store.ApprovalApproved, "user:u1", time.Now()); err != nil {
				t.Fatal(err)
			}
			for _, x := range []store.Redaction{pending, rejected, self} {
				if _, err := r.Redact(bg, x); !errors.Is(err, scan.ErrNotApproved) {
					t.Errorf("%s/%s: %v, want ErrNotApproved", x.ConversationID, x.PartID, err)
				}
			}
			if n := len(w.Sandbox.Stats().Effects[sandbox.EffectPartRedacted]); n != 0 {
				t.Fatalf("%d parts redacted in Intercom, want none", n)
			}
			if got := auditActions(t, a, audit.ActionScanRedactionIntended, audit.ActionScanRedacted); len(got) != 0 {
				t.Fatalf("audit records of sends: %v", got)
			}
		})
	}
}
