package dsar_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// countAction counts the audit records of action for request id.
func countAction(t *testing.T, h *harness, id, action string) int {
	t.Helper()
	n := 0
	for rec, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Action) == action && rec.RequestID == id {
			n++
		}
	}
	return n
}

func restrictionRights(ws *sandbox.Workspace) config.Rights {
	return config.Rights{RestrictionTag: ws.Tags()[0].ID, MarketingSubscriptions: []string{"37846"}}
}

// unsubscribedBefore snapshots each live contact's email opt-out before a run.
func unsubscribedBefore(h *harness, p sandbox.Person) map[string]bool {
	out := map[string]bool{}
	for _, id := range p.LiveContactIDs {
		c, _ := h.sb.Workspace().Contact(id)
		out[id] = c.UnsubscribedFromEmails
	}
	return out
}

// TestCrashCorrection kills the worker at every request a correction sends
// (reads, PUTs, the verification and the refresh's reads), before and after the
// sandbox acts: every contact is updated exactly once, the step and its audit
// record are written once.
func TestCrashCorrection(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
		t.Helper()
		checkCorrected(t, w.h, p)
		if n := countAction(t, w.h, id, "correction.intercom_updated"); n != 1 {
			t.Errorf("correction.intercom_updated recorded %d times, want 1", n)
		}
		if n := countAction(t, w.h, id, "request.completed"); n != 1 {
			t.Errorf("request.completed recorded %d times, want 1", n)
		}
		checkAudit(t, w.h, p)
	}
	submitCorrection := func(t *testing.T, h *harness, p sandbox.Person) store.Request { return submit(t, h, correction(p)) }
	n := crashSweep(t, crashCase{typ: store.RequestCorrection, submit: submitCorrection, check: check}, 0, []bool{false, true})
	t.Logf("correction: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestCrashRestriction kills the worker at every request a restriction sends:
// every tag, email opt-out and subscription opt-out is made exactly once, and
// the restriction is recorded locally.
func TestCrashRestriction(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	var before map[string]bool
	sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request {
		before = unsubscribedBefore(h, p)
		return submit(t, h, dsarSubmission(store.RequestRestriction, p))
	}
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
		t.Helper()
		checkRestricted(t, w.h, p, before)
		if n := countAction(t, w.h, id, "request.completed"); n != 1 {
			t.Errorf("request.completed recorded %d times, want 1", n)
		}
		checkAudit(t, w.h, p)
	}
	n := crashSweep(t, crashCase{typ: store.RequestRestriction, submit: sub, rights: restrictionRights, check: check}, 0, []bool{false, true})
	t.Logf("restriction: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}

func checkRestricted(t *testing.T, h *harness, p sandbox.Person, before map[string]bool) {
	t.Helper()
	ws, st := h.sb.Workspace(), h.sb.Stats()
	tag := ws.Tags()[0].ID
	for _, id := range p.LiveContactIDs {
		c, _ := ws.Contact(id)
		if !slices.Contains(c.TagIDs, tag) || !c.UnsubscribedFromEmails || subscribed(c, "37846") != "opt_out" {
			t.Errorf("contact %s not marked", id)
		}
		if n := st.Effect(sandbox.EffectContactTagged, id+"/"+tag); n != 1 {
			t.Errorf("contact %s tagged %d times, want 1", id, n)
		}
		if n := st.Effect(sandbox.EffectSubscriptionSet, id+"/37846"); n != 1 {
			t.Errorf("contact %s opted out %d times, want 1", id, n)
		}
		want := 1
		if before[id] {
			want = 0
		}
		if n := st.Effect(sandbox.EffectContactUpdated, id); n != want {
			t.Errorf("contact %s updated %d times, want %d", id, n, want)
		}
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
	if ok, err := h.app.Store.Limited(context.Background(), store.LimitRestriction, ref); err != nil || !ok {
		t.Errorf("restriction not recorded locally: %v %v", ok, err)
	}
}

// TestCrashLiftRestriction restricts the person (uninterrupted), then kills the
// worker at every request lifting it sends: each tag comes off once, each email
// opt-out the restriction set is cleared once, and the local limit ends.
func TestCrashLiftRestriction(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	var before map[string]bool
	sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request {
		ctx := context.Background()
		before = unsubscribedBefore(h, p)
		r := submit(t, h, dsarSubmission(store.RequestRestriction, p))
		if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		lift, err := h.app.DSAR.LiftRestriction(ctx, r.ID, "email")
		if err != nil {
			t.Fatal(err)
		}
		if lift, err = h.app.DSAR.Verify(ctx, lift.ID, "operator"); err != nil {
			t.Fatal(err)
		}
		return lift
	}
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
		t.Helper()
		ws, st := w.h.sb.Workspace(), w.h.sb.Stats()
		tag := ws.Tags()[0].ID
		for _, cid := range p.LiveContactIDs {
			c, _ := ws.Contact(cid)
			if slices.Contains(c.TagIDs, tag) || c.UnsubscribedFromEmails != before[cid] {
				t.Errorf("contact %s after the lift: tags %v unsubscribed %v, before %v", cid, c.TagIDs, c.UnsubscribedFromEmails, before[cid])
			}
			if n := st.Effect(sandbox.EffectContactUntagged, cid+"/"+tag); n != 1 {
				t.Errorf("contact %s untagged %d times, want 1", cid, n)
			}
			want := 2 // unsubscribed by the restriction, subscribed again by the lift
			if before[cid] {
				want = 0
			}
			if n := st.Effect(sandbox.EffectContactUpdated, cid); n != want {
				t.Errorf("contact %s updated %d times, want %d", cid, n, want)
			}
		}
		ref, _ := w.h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
		if ok, err := w.h.app.Store.Limited(context.Background(), store.LimitRestriction, ref); err != nil || ok {
			t.Errorf("restriction still recorded after the lift: %v %v", ok, err)
		}
		if n := countAction(t, w.h, id, "request.completed"); n != 1 {
			t.Errorf("request.completed recorded %d times, want 1", n)
		}
	}
	n := crashSweep(t, crashCase{typ: store.RequestLiftRestriction, submit: sub, rights: restrictionRights, check: check}, 0, []bool{false, true})
	t.Logf("lift: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestCrashObjection kills the worker at every request a CCPA opt-out of sale
// and marketing sends: the do-not-sell tag, the email opt-out and each
// subscription opt-out are made exactly once, and the objection is recorded.
func TestCrashObjection(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	rights := func(ws *sandbox.Workspace) config.Rights {
		return config.Rights{DoNotSellTag: ws.Tags()[1].ID, MarketingSubscriptions: []string{"37846", "37847"}}
	}
	var before map[string]bool
	sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request {
		before = unsubscribedBefore(h, p)
		s := dsarSubmission(store.RequestObjection, p)
		s.Jurisdiction = deadline.CCPA
		s.Payload.Scope = []string{dsar.ScopeSaleSharing, dsar.ScopeMarketing}
		return submit(t, h, s)
	}
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
		t.Helper()
		ws, st := w.h.sb.Workspace(), w.h.sb.Stats()
		tag := ws.Tags()[1].ID
		for _, cid := range p.LiveContactIDs {
			c, _ := ws.Contact(cid)
			if !slices.Contains(c.TagIDs, tag) || !c.UnsubscribedFromEmails || subscribed(c, "37846") != "opt_out" || subscribed(c, "37847") != "opt_out" {
				t.Errorf("contact %s not opted out", cid)
			}
			for _, eff := range []struct {
				kind sandbox.Effect
				key  string
				want int
			}{{sandbox.EffectContactTagged, cid + "/" + tag, 1}, {sandbox.EffectSubscriptionSet, cid + "/37846", 1},
				{sandbox.EffectSubscriptionSet, cid + "/37847", 1}, {sandbox.EffectContactUpdated, cid, map[bool]int{false: 1, true: 0}[before[cid]]}} {
				if n := st.Effect(eff.kind, eff.key); n != eff.want {
					t.Errorf("%s %s: %d times, want %d", eff.kind, eff.key, n, eff.want)
				}
			}
		}
		ref, _ := w.h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
		if ok, err := w.h.app.Store.Limited(context.Background(), store.LimitObjection, ref); err != nil || !ok {
			t.Errorf("objection not recorded: %v %v", ok, err)
		}
		if n := countAction(t, w.h, id, "request.completed"); n != 1 {
			t.Errorf("request.completed recorded %d times, want 1", n)
		}
	}
	n := crashSweep(t, crashCase{typ: store.RequestObjection, submit: sub, rights: rights, check: check}, 0, []bool{false, true})
	t.Logf("objection: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestCrashRightsPostgres runs the correction and restriction sweeps on
// PostgreSQL, killing the worker at every third Intercom request (before and
// after the sandbox acts); the SQLite sweeps above kill at every request.
func TestCrashRightsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	b := storetest.RequirePostgres(t)
	url := func(t *testing.T) string { return b.NewURL(t) }
	t.Run("correction", func(t *testing.T) {
		check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
			t.Helper()
			checkCorrected(t, w.h, p)
			if n := countAction(t, w.h, id, "correction.intercom_updated"); n != 1 {
				t.Errorf("correction.intercom_updated recorded %d times, want 1", n)
			}
		}
		sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request { return submit(t, h, correction(p)) }
		n := crashSweep(t, crashCase{typ: store.RequestCorrection, submit: sub, dbURL: url, check: check}, 3, []bool{false, true})
		t.Logf("correction on PostgreSQL: %d kill points", n)
	})
	t.Run("restriction", func(t *testing.T) {
		var before map[string]bool
		sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request {
			before = unsubscribedBefore(h, p)
			return submit(t, h, dsarSubmission(store.RequestRestriction, p))
		}
		check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
			t.Helper()
			checkRestricted(t, w.h, p, before)
		}
		n := crashSweep(t, crashCase{typ: store.RequestRestriction, submit: sub, rights: restrictionRights, dbURL: url, check: check}, 3, []bool{false, true})
		t.Logf("restriction on PostgreSQL: %d kill points", n)
	})
}

// TestCrashCorrectionRiver kills a River worker process at every second
// Intercom request of a correction (the job left running is handed back as
// River's rescuer would): the correction is carried out once, as when the
// worker runs it directly.
func TestCrashCorrectionRiver(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, _ cached, id string) {
		t.Helper()
		checkCorrected(t, w.h, p)
		if n := countAction(t, w.h, id, "correction.intercom_updated"); n != 1 {
			t.Errorf("correction.intercom_updated recorded %d times, want 1", n)
		}
	}
	sub := func(t *testing.T, h *harness, p sandbox.Person) store.Request { return submit(t, h, correction(p)) }
	n := crashSweep(t, crashCase{typ: store.RequestCorrection, river: true, submit: sub, check: check}, 2, []bool{false, true})
	t.Logf("correction through River: %d kill points", n)
}
