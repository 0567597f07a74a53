package dsar_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// actorsOf returns the actor and action of every audit record of request id,
// in order.
func actorsOf(t *testing.T, st store.Store, id string) [][2]string {
	t.Helper()
	var out [][2]string
	for r, err := range st.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if r.RequestID != id {
			continue
		}
		var body struct{ Actor string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{body.Actor, r.Action})
	}
	return out
}

// TestFileVerifiesQueuesAndAttaches: File submits, verifies and queues; filing
// the same person again with the same identifiers attaches, with other
// identifiers refuses naming the open request, and with New files a second.
// A call whose context carries a Principal is recorded as that user.
func TestFileVerifiesQueuesAndAttaches(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			var mu sync.Mutex
			var queued []string
			h.app.DSAR.Enqueue = func(_ context.Context, id string) error {
				mu.Lock()
				defer mu.Unlock()
				queued = append(queued, id)
				return nil
			}
			ctx := authz.WithPrincipal(context.Background(), authz.Principal{UserID: "u_1", Role: authz.RoleAgent})
			f := dsar.Filing{Submission: dsar.Submission{Type: store.RequestAccess, Channel: "api",
				Identifiers: dsar.Identifiers{Emails: []string{"ada@example.com"}}}, VerifiedBy: "signed email"}
			r, attached, err := h.app.DSAR.File(ctx, f)
			if err != nil || attached || r.State != store.StateVerified {
				t.Fatalf("File: %v attached=%v state=%s", err, attached, r.State)
			}
			want := [][2]string{{"user:u_1", string(audit.ActionRequestReceived)}, {"user:u_1", string(audit.ActionRequestVerified)}}
			if got := actorsOf(t, h.app.Store, r.ID); !slices.Equal(got, want) {
				t.Errorf("audit of the filing: %v, want %v", got, want)
			}
			again, attached, err := h.app.DSAR.File(context.Background(), f)
			if err != nil || !attached || again.ID != r.ID {
				t.Fatalf("filing again: %v attached=%v id=%s, want %s", err, attached, again.ID, r.ID)
			}
			other := f
			other.Identifiers.Phones = []string{"+44 20 7946 0000"}
			var open *dsar.OpenRequestError
			if _, _, err := h.app.DSAR.File(ctx, other); !errors.As(err, &open) || open.Request.ID != r.ID || !errors.Is(err, dsar.ErrOpenRequest) {
				t.Fatalf("other identifiers: %v", err)
			}
			other.New = true
			second, attached, err := h.app.DSAR.File(ctx, other)
			if err != nil || attached || second.ID == r.ID {
				t.Fatalf("New: %v attached=%v", err, attached)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(queued, []string{r.ID, r.ID, second.ID}) {
				t.Errorf("queued %v", queued)
			}
		})
	}
}

// TestFileQueuesOnlyWhatCanRun: an erasure filed through the console or the
// API waits for approval and is not queued (a snoozed job, unique per
// request, would delay the run after the approval); Approve queues it. A
// request filed without a verification is not queued either.
func TestFileQueuesOnlyWhatCanRun(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	var queued []string
	h.app.DSAR.Enqueue = func(_ context.Context, id string) error { queued = append(queued, id); return nil }
	agent := authz.WithPrincipal(context.Background(), authz.Principal{UserID: "u_1", Role: authz.RoleAgent})
	r, _, err := h.app.DSAR.File(agent, dsar.Filing{Submission: dsar.Submission{Type: store.RequestErasure,
		Identifiers: dsar.Identifiers{Emails: []string{"ada@example.com"}}}, VerifiedBy: "signed email"})
	if err != nil || r.State != store.StateAwaitingApproval || len(queued) != 0 {
		t.Fatalf("filed %s, %v; queued %v", r.State, err, queued)
	}
	unverified, _, err := h.app.DSAR.File(agent, dsar.Filing{Submission: dsar.Submission{Type: store.RequestAccess,
		Identifiers: dsar.Identifiers{Emails: []string{"bob@example.com"}}}})
	if err != nil || unverified.State != store.StateReceived || len(queued) != 0 {
		t.Fatalf("filed %s, %v; queued %v", unverified.State, err, queued)
	}
	officer := authz.WithPrincipal(context.Background(), authz.Principal{UserID: "u_2", Role: authz.RolePrivacyOfficer})
	if _, err := h.app.DSAR.Approve(officer, r.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(queued, []string{r.ID}) {
		t.Fatalf("queued %v after the approval", queued)
	}
}

// TestFiledErrorKeepsTheRequest: a queue that fails leaves the request filed
// and verified, and the error names it.
func TestFiledErrorKeepsTheRequest(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	boom := errors.New("queue down")
	h.app.DSAR.Enqueue = func(context.Context, string) error { return boom }
	_, _, err := h.app.DSAR.File(context.Background(), dsar.Filing{Submission: dsar.Submission{Type: store.RequestAccess,
		Identifiers: dsar.Identifiers{ExternalIDs: []string{"u-9"}}}, VerifiedBy: "operator"})
	var filed *dsar.FiledError
	if !errors.As(err, &filed) || filed.Stage != "enqueue" || !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	r, err := h.app.DSAR.Get(context.Background(), filed.Request.ID)
	if err != nil || r.State != store.StateVerified {
		t.Fatalf("request after a failed enqueue: %v %s", err, r.State)
	}
}

// TestShowHidesBookkeepingAndIdentifiers: Show lists the request's steps
// without the bookkeeping rows and never carries the identifiers.
func TestShowHidesBookkeepingAndIdentifiers(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Identifiers: dsar.Identifiers{Emails: []string{"grace@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.app.DSAR.Show(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != r.ID || v.State != string(store.StateReceived) || v.Deadline == nil || v.Due() != r.DueAt {
		t.Errorf("view %+v", v)
	}
	b, _ := json.Marshal(v)
	if strings.Contains(string(b), "grace") {
		t.Fatal("bad view JSON")
	}
	if _, err := h.app.DSAR.Show(ctx, "req_"+"00000000000000000000000000000000"); !errors.Is(err, dsar.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}
