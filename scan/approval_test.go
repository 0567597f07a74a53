package scan_test

import (
	"errors"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// The console's four-eyes rule: an agent proposes, the proposer and an agent
// cannot approve, an officer approves one and rejects another; a command-line
// run leaves proposals alone; an approved-only run sends exactly the approved
// one; every step is audited with the actor's user id.
func TestApprovals(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5}})
			a := w.Open("server")
			if _, err := scanner(a).Run(bg, scan.ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			r := redactor(a)
			agent := authz.Principal{UserID: "u1", Role: authz.RoleAgent}
			officer := authz.Principal{UserID: "u2", Role: authz.RolePrivacyOfficer}
			auditor := authz.Principal{UserID: "u3", Role: authz.RoleAuditor}
			card := scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true}

			if _, err := r.Propose(bg, auditor, card); !errors.Is(err, scan.ErrNotAllowed) {
				t.Fatalf("an auditor proposes: %v", err)
			}
			res, err := r.Propose(bg, agent, card)
			if err != nil || len(res.Proposed) < 2 {
				t.Fatalf("propose: %+v %v", res, err)
			}
			again, err := r.Propose(bg, agent, card)
			if err != nil || len(again.Proposed) != 0 {
				t.Fatalf("a second proposal of the same parts: %+v %v", again, err)
			}
			waiting, err := r.Awaiting(bg, store.ApprovalProposed, 1000)
			if err != nil || len(waiting) != len(res.Proposed) || waiting[0].ProposedBy != "user:u1" {
				t.Fatalf("awaiting: %+v %v", waiting, err)
			}
			// A command-line run sends none of them.
			if cli, err := r.Run(bg, card); err != nil || len(cli.Planned) != 0 {
				t.Fatalf("a command-line run over proposals: %+v %v", cli, err)
			}
			one, two := res.Proposed[0], res.Proposed[1]
			for _, p := range []authz.Principal{agent, {UserID: "u1", Role: authz.RolePrivacyOfficer}} {
				if _, err := r.Decide(bg, p, one.ConversationID, one.PartID, true); !errors.Is(err, scan.ErrNotAllowed) {
					t.Fatalf("%s approves: %v", p.Actor(), err)
				}
			}
			x, err := r.Decide(bg, officer, one.ConversationID, one.PartID, true)
			if err != nil || x.Approval != store.ApprovalApproved || x.DecidedBy != "user:u2" {
				t.Fatalf("approve: %+v %v", x, err)
			}
			if _, err := r.Decide(bg, officer, two.ConversationID, two.PartID, false); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Decide(bg, officer, one.ConversationID, one.PartID, false); !errors.Is(err, scan.ErrNotAwaiting) || !errors.Is(err, store.ErrStateConflict) {
				t.Fatalf("a second decision: %v", err)
			}
			sent, err := r.Run(bg, scan.RedactOptions{ApprovedOnly: true, Yes: true})
			if err != nil || len(sent.Planned) != 1 || sent.Planned[0].PartID != one.PartID || sent.Counts[store.RedactionDone] != 1 {
				t.Fatalf("approved-only run: %+v %v", sent, err)
			}
			st := w.Sandbox.Stats()
			if n := len(st.Effects[sandbox.EffectPartRedacted]); n != 1 {
				t.Fatalf("%d parts redacted in Intercom, want the approved one", n)
			}
			// The trail: proposals by u1, the refusal of u1, decisions by u2.
			by := map[string]int{}
			for sr, err := range a.Store.Records(bg, 1) {
				if err != nil {
					t.Fatal(err)
				}
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == audit.ActionScanRedactionProposed || rec.Action == audit.ActionScanRedactionDecided {
					by[string(rec.Action)+" "+rec.Actor+" "+string(rec.Outcome)]++
				}
			}
			want := map[string]int{
				"scan.redaction_proposed user:u1 success": len(res.Proposed),
				"scan.redaction_decided user:u1 failure":  1, // the proposer as an officer; the agent is refused by role first
				"scan.redaction_decided user:u2 success":  1,
				"scan.redaction_decided user:u2 noop":     1,
			}
			for k, n := range want {
				if by[k] != n {
					t.Errorf("audit %q: %d records, want %d (all: %v)", k, by[k], n, by)
				}
			}
			if rep, err := a.VerifyAudit(bg); err != nil || !rep.OK() {
				t.Fatalf("audit: %+v %v", rep, err)
			}
		})
	}
}
