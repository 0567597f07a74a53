package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func as(userID string, role authz.Role) context.Context {
	return authz.WithPrincipal(context.Background(), authz.Principal{UserID: userID, Role: role})
}

// TestFourEyesErasure: an erasure filed through the console or the API waits,
// once verified, for a second privacy officer: nothing is sent to Intercom
// before, the filer cannot approve (nor reject) it, another officer can, and
// the approval is in the audit trail; then it runs to its end.
func TestFourEyesErasure(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			h.app.DSAR.Enqueue = nil
			p := h.sb.SamplePerson()
			filer, second := as("u_ann", authz.RolePrivacyOfficer), as("u_bob", authz.RolePrivacyOfficer)
			r, _, err := h.app.DSAR.File(filer, dsar.Filing{Submission: dsar.Submission{Type: store.RequestErasure, Channel: "api",
				Identifiers: dsar.Identifiers{Emails: []string{p.Email}}}, VerifiedBy: "signed email"})
			if err != nil {
				t.Fatal(err)
			}
			if r.State != store.StateAwaitingApproval || r.Approval != store.ApprovalRequired || r.FiledBy != "user:u_ann" {
				t.Fatalf("filed through the API: state %s approval %q filed by %q", r.State, r.Approval, r.FiledBy)
			}
			if err := h.app.DSAR.Run(context.Background(), r.ID); !errors.Is(err, dsar.ErrAwaitingApproval) {
				t.Fatalf("run before approval: %v", err)
			}
			if n := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls }); n != 0 {
				t.Fatalf("%d calls to Intercom before the approval", n)
			}
			if _, err := h.app.DSAR.Approve(filer, r.ID); !errors.Is(err, dsar.ErrSelfApproval) {
				t.Fatalf("the filer approved her own erasure: %v", err)
			}
			if _, err := h.app.DSAR.Reject(filer, r.ID, "changed my mind"); !errors.Is(err, dsar.ErrSelfApproval) {
				t.Fatalf("the filer rejected her own erasure: %v", err)
			}
			got, err := h.app.DSAR.Get(context.Background(), r.ID)
			if err != nil || got.State != store.StateAwaitingApproval {
				t.Fatalf("after refused attempts: %v %s", err, got.State)
			}
			ok, err := h.app.DSAR.Approve(second, r.ID)
			if err != nil || ok.State != store.StateVerified || ok.ApprovedBy != "user:u_bob" || ok.Approval != store.ApprovalGiven {
				t.Fatalf("second officer's approval: %v %+v", err, ok)
			}
			if _, err := h.app.DSAR.Approve(second, r.ID); !errors.Is(err, dsar.ErrWrongState) {
				t.Fatalf("approving twice: %v", err)
			}
			if err := h.app.DSAR.Run(context.Background(), r.ID); err != nil {
				t.Fatal(err)
			}
			done, _ := h.app.DSAR.Get(context.Background(), r.ID)
			if done.State != store.StateCompleted {
				t.Fatalf("after approval the erasure ended %s", done.State)
			}
			var approvedBy string
			for _, a := range actorsOf(t, h.app.Store, r.ID) {
				if a[1] == string(audit.ActionRequestApproved) {
					approvedBy = a[0]
				}
			}
			if approvedBy != "user:u_bob" {
				t.Fatalf("approval recorded as %q", approvedBy)
			}
		})
	}
}

// TestApprovalConfiguration: by default the command line files erasures that
// need no approval and access requests never wait; erasure.approval
// "required" makes every erasure wait, "none" none; a rejection sends it back
// to received.
func TestApprovalConfiguration(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	h.app.DSAR.Enqueue = nil
	file := func(ctx context.Context, typ store.RequestType, id string) store.Request {
		t.Helper()
		r, _, err := h.app.DSAR.File(ctx, dsar.Filing{Submission: dsar.Submission{Type: typ,
			Identifiers: dsar.Identifiers{ExternalIDs: []string{id}}}, VerifiedBy: "operator", New: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	web := as("u_1", authz.RoleAgent)
	if r := file(context.Background(), store.RequestErasure, "cli-1"); r.State != store.StateVerified {
		t.Errorf("CLI erasure by default: %s", r.State)
	}
	if r := file(web, store.RequestAccess, "web-1"); r.State != store.StateVerified {
		t.Errorf("API access request: %s", r.State)
	}
	if r := file(web, store.RequestAccessErasure, "web-2"); r.State != store.StateAwaitingApproval {
		t.Errorf("API access+erasure: %s", r.State)
	}
	cfg := *h.app.DSAR.Config
	cfg.Erasure.Approval = config.ApprovalRequired
	h.app.DSAR.Config = &cfg
	r := file(context.Background(), store.RequestErasure, "cli-2")
	if r.State != store.StateAwaitingApproval {
		t.Errorf("CLI erasure with approval required: %s", r.State)
	}
	back, err := h.app.DSAR.Reject(as("u_2", authz.RolePrivacyOfficer), r.ID, "identity check too weak")
	if err != nil || back.State != store.StateReceived {
		t.Fatalf("reject: %v %s", err, back.State)
	}
	if _, err := h.app.DSAR.Reject(as("u_2", authz.RolePrivacyOfficer), r.ID, "again"); !errors.Is(err, dsar.ErrWrongState) {
		t.Fatalf("reject of a received request: %v", err)
	}
	cfg.Erasure.Approval = config.ApprovalNone
	if r := file(web, store.RequestErasure, "web-3"); r.State != store.StateVerified {
		t.Errorf("API erasure with approval none: %s", r.State)
	}
	if _, err := config.Parse("c.yaml", strings.NewReader("erasure:\n  approval: maybe\n")); err == nil || !strings.Contains(err.Error(), "erasure.approval") {
		t.Errorf("erasure.approval maybe: %v", err)
	}
}

// TestAssignNotesTimelineAndSearch: a request is assigned and annotated with
// audit records that carry ids only; notes are encrypted under the request's
// key; the timeline lists the records; the identifier search finds a request
// by any identifier it was filed with, normalised, and refuses wildcards.
func TestAssignNotesTimelineAndSearch(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			h.app.DSAR.Enqueue = nil
			ctx := as("u_7", authz.RoleAgent)
			r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess,
				Identifiers: dsar.Identifiers{Emails: []string{"lin@example.com"}, Phones: []string{"+44 20 7946 0018"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Assign(ctx, r.ID, "user:u_9"); err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Assign(ctx, r.ID, "lin@example.com"); !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Fatalf("assign to an e-mail: %v", err)
			}
			const secret = "Lin called from +44 20 7946 0018 about it"
			n, err := h.app.DSAR.AddNote(ctx, r.ID, secret)
			if err != nil {
				t.Fatal(err)
			}
			notes, err := h.app.DSAR.Notes(context.Background(), r.ID)
			if err != nil || len(notes) != 1 || notes[0].Text != secret || notes[0].Author != "user:u_7" || notes[0].ID != n.ID {
				t.Fatalf("notes %+v %v", notes, err)
			}
			stored, _ := h.app.Store.RequestNotes(context.Background(), r.ID)
			if len(stored) != 1 || strings.Contains(string(stored[0].BodyEnc), "Lin") {
				t.Fatal("note stored in clear")
			}
			tl, err := h.app.DSAR.Timeline(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range tl {
				actions = append(actions, e.Action)
				if e.Actor != "user:u_7" || strings.Contains(e.Reason, "Lin") {
					t.Errorf("event %+v", e)
				}
			}
			want := []string{string(audit.ActionRequestReceived), string(audit.ActionRequestAssigned), string(audit.ActionRequestNoteAdded)}
			if !slices.Equal(actions, want) {
				t.Errorf("timeline %v, want %v", actions, want)
			} else if last := tl[len(tl)-1]; !slices.Equal(last.ObjectIDs, []string{n.ID}) {
				// The timeline decodes the canonical body: the ids a record
				// touched are there (JSON decoding into audit.Record lost them).
				t.Errorf("note event object ids %v, want [%s]", last.ObjectIDs, n.ID)
			}
			view, _ := h.app.DSAR.Show(context.Background(), r.ID)
			if view.Assignee != "user:u_9" || view.FiledBy != "user:u_7" {
				t.Errorf("view assignee %q filed by %q", view.Assignee, view.FiledBy)
			}
			for _, q := range [][2]string{{"", "LIN@example.com"}, {"phone", "+442079460018"}} {
				ref, err := h.app.DSAR.IdentifierRef(q[0], q[1])
				if err != nil {
					t.Fatal(err)
				}
				got, err := h.app.Store.ListRequests(context.Background(), store.RequestFilter{IdentifierRef: ref})
				if err != nil || len(got) != 1 || got[0].ID != r.ID {
					t.Errorf("search %v: %v %d", q, err, len(got))
				}
			}
			for _, q := range []string{"lin*", "%@example.com", "l?n@example.com"} {
				if _, err := h.app.DSAR.IdentifierRef("", q); !errors.Is(err, dsar.ErrWildcard) || strings.Contains(err.Error(), "lin") {
					t.Errorf("search %q: %v", q, err)
				}
			}
			if _, err := h.app.DSAR.IdentifierRef("", "12345"); !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Errorf("search without a kind: %v", err)
			}
		})
	}
}
