package dsar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// manualRecipient is a registry entry told of every change by an operator task.
var manualRecipient = config.RecipientEntry{Name: "Warehouse", Role: "processor",
	Notify: config.Notify{Method: "manual", Events: []string{"erasure", "correction", "restriction"}}}

// submit files and verifies a request with a payload.
func submit(t *testing.T, h *harness, sub dsar.Submission) store.Request {
	t.Helper()
	ctx := context.Background()
	if sub.Jurisdiction == "" {
		sub.Jurisdiction = deadline.GDPR
	}
	sub.Channel = "email"
	r, err := h.app.DSAR.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = h.app.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
		t.Fatal(err)
	}
	return r
}

func runToEnd(t *testing.T, h *harness, id string) store.Request {
	t.Helper()
	ctx := context.Background()
	if err := h.app.DSAR.Run(ctx, id); err != nil {
		t.Fatal(err)
	}
	r, err := h.app.DSAR.Get(ctx, id)
	if err != nil || r.State != store.StateCompleted {
		t.Fatalf("after run: %s %v", r.State, err)
	}
	return r
}

func rightsOutcome(t *testing.T, r store.Request) dsar.RightsOutcome {
	t.Helper()
	var o dsar.RightsOutcome
	if err := json.Unmarshal(r.Outcome, &o); err != nil {
		t.Fatalf("outcome %q: %v", r.Outcome, err)
	}
	return o
}

// auditText is the audit trail's export, for searching values in it.
func auditText(t *testing.T, h *harness) string {
	t.Helper()
	var buf bytes.Buffer
	pub, id := h.app.Vault.AuditPublicKey()
	if err := audit.Export(context.Background(), h.app.Store, &buf, audit.Keyring{{KeyID: id, Key: pub}}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func correction(p sandbox.Person) dsar.Submission {
	return dsar.Submission{Type: store.RequestCorrection, Identifiers: personIdentifiers(p),
		Payload: dsar.Payload{Set: map[string]string{"name": "Corrected Person", "custom_attributes.plan": "Enterprise"}}}
}

func checkCorrected(t *testing.T, h *harness, p sandbox.Person) {
	t.Helper()
	ws, st := h.sb.Workspace(), h.sb.Stats()
	for _, id := range p.LiveContactIDs {
		c, ok := ws.Contact(id)
		if !ok || c.Name != "Corrected Person" || c.CustomAttributes["plan"] != "Enterprise" {
			t.Errorf("contact %s after the correction: %q %q", id, c.Name, c.CustomAttributes["plan"])
		}
		if n := st.Effect(sandbox.EffectContactUpdated, id); n != 1 {
			t.Errorf("contact %s updated %d times, want exactly 1", id, n)
		}
	}
}

func TestCorrectionEndToEnd(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			h.app.Notices.Registry = []config.RecipientEntry{manualRecipient}
			ctx := context.Background()
			p := h.sb.SamplePerson()
			// The local copy the sync keeps, to be refreshed.
			sy := &contactsync.Syncer{Store: h.app.Store, Vault: h.app.Vault, Chain: h.app.Chain, Intercom: h.app.Intercom,
				Config: config.Sync{PII: []string{"email", "name"}}, Actor: "test"}
			h.app.DSAR.LocalCopy = sy
			if _, err := sy.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			r := runToEnd(t, h, submit(t, h, correction(p)).ID)
			checkCorrected(t, h, p)
			o := rightsOutcome(t, r)
			if !slices.Equal(o.Fields, []string{"custom_attributes.plan", "name"}) || o.Counts["contacts_updated"] != int64(len(p.LiveContactIDs)) ||
				o.Counts["contacts_verified"] != int64(len(p.LiveContactIDs)) || o.Counts["local_stored"] != int64(len(p.LiveContactIDs)) {
				t.Errorf("outcome %s for %d live contacts", r.Outcome, len(p.LiveContactIDs))
			}
			// The refreshed copy holds the new name.
			cc, err := h.app.Store.GetContact(ctx, p.LiveContactIDs[0])
			if err != nil {
				t.Fatal(err)
			}
			name, err := h.app.Vault.Decrypt(ctx, cc.PersonKeyID, vault.AAD{Table: contactsync.AADTable, Column: contactsync.ColName, Row: cc.IntercomID}, cc.NameEnc)
			if err != nil || string(name) != "Corrected Person" {
				t.Errorf("local copy after the correction: %v", err)
			}
			// Neither the old nor the new values are in the record.
			text := auditText(t, h)
			for _, v := range []string{"Corrected Person", "Enterprise", p.Name, p.Email} {
				if strings.Contains(text, v) {
					t.Errorf("the audit trail holds a value of the correction")
				}
			}
			steps, err := h.app.Store.Steps(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				if bytes.Contains(s.Detail, []byte("Corrected Person")) || bytes.Contains(s.Detail, []byte("Enterprise")) {
					t.Errorf("step %s holds a new value", s.Name)
				}
			}
			ns, err := h.app.Store.NoticesByRequest(ctx, r.ID)
			if err != nil || len(ns) != 1 || ns[0].Event != "correction" || ns[0].State != store.NoticeManual {
				t.Errorf("notices of the correction: %+v %v", ns, err)
			}
			// Filing the same correction again changes nothing in Intercom.
			r2 := runToEnd(t, h, submit(t, h, correction(p)).ID)
			checkCorrected(t, h, p)
			if o := rightsOutcome(t, r2); o.Counts["contacts_already_correct"] != int64(len(p.LiveContactIDs)) || len(o.Fields) != 0 {
				t.Errorf("second correction: %s", r2.Outcome)
			}
			if ns, _ := h.app.Store.NoticesByRequest(ctx, r2.ID); len(ns) != 0 {
				t.Errorf("a correction that changed nothing planned %d notices", len(ns))
			}
		})
	}
}

func TestCorrectionRefusesBadInput(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	for _, tc := range []struct {
		name, field, value string
	}{
		{"invalid email", "email", "not-an-address"},
		{"invalid phone", "phone", "call me maybe"},
		{"field not settable", "role", "lead"},
		{"unknown custom attribute", "custom_attributes.shoe_size", "44"},
		{"standard attribute as custom", "custom_attributes.email", "x@example.com"},
		{"control characters", "name", "Ann\x00Example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestCorrection, Identifiers: personIdentifiers(p),
				Payload: dsar.Payload{Set: map[string]string{tc.field: tc.value}}})
			var fe *dsar.FieldError
			if !errors.Is(err, dsar.ErrInvalidRequest) || !errors.As(err, &fe) {
				t.Fatalf("Submit: %v, want a *FieldError", err)
			}
			if tc.value != "" && strings.Contains(err.Error(), tc.value) {
				t.Errorf("the error repeats the value: %v", err)
			}
		})
	}
	// An email another user has: refused before anything is written.
	var other sandbox.Contact
	for _, c := range h.sb.Workspace().Contacts() {
		if c.Role == "user" && c.Email != "" && !slices.Contains(p.ContactIDs, c.ID) {
			other = c
			break
		}
	}
	_, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestCorrection, Identifiers: personIdentifiers(p),
		Payload: dsar.Payload{Set: map[string]string{"email": other.Email}}})
	var fe *dsar.FieldError
	if !errors.As(err, &fe) || fe.Field != "email" || strings.Contains(err.Error(), other.Email) {
		t.Errorf("a correction to another user's email: %v", err)
	}
	if _, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestCorrection, Identifiers: personIdentifiers(p)}); !errors.Is(err, dsar.ErrInvalidRequest) {
		t.Errorf("a correction without fields: %v", err)
	}
	rs, err := h.app.Store.ListRequests(ctx, store.RequestFilter{})
	if err != nil || len(rs) != 0 {
		t.Errorf("refused corrections left %d requests: %v", len(rs), err)
	}
	if st := h.sb.Stats(); len(st.Effects) != 0 {
		t.Errorf("refused corrections changed the workspace: %v", st.Effects)
	}
}

// TestDenyCorrection: CCPA lets a business refuse a correction that is more
// likely inaccurate, with that reason; nothing is changed in Intercom.
func TestDenyCorrection(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	sub := correction(p)
	sub.Jurisdiction = deadline.CCPA
	r := submit(t, h, sub)
	r, err := h.app.DSAR.DenyCorrection(ctx, r.ID)
	if err != nil || r.State != store.StateDenied || r.DenialReason != dsar.DenyCorrectionAccurate {
		t.Fatalf("deny: %+v %v", r, err)
	}
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if st := h.sb.Stats(); len(st.Effects) != 0 {
		t.Errorf("a denied correction changed the workspace: %v", st.Effects)
	}
	acc := file(t, h, store.RequestAccess, personIdentifiers(p))
	if _, err := h.app.DSAR.DenyCorrection(ctx, acc.ID); !errors.Is(err, dsar.ErrWrongState) {
		t.Errorf("the correction reason on an access request: %v", err)
	}
}

func subscribed(c sandbox.Contact, sub string) string {
	for _, s := range c.Subscriptions {
		if s.SubscriptionID == sub {
			return s.Consent
		}
	}
	return ""
}

func TestRestrictionAndLift(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			h.app.Notices.Registry = []config.RecipientEntry{manualRecipient}
			tag := h.sb.Workspace().Tags()[0].ID
			h.app.Config.Rights = config.Rights{RestrictionTag: tag, MarketingSubscriptions: []string{"37846"}}
			ctx := context.Background()
			p := h.sb.SamplePerson()
			ws := h.sb.Workspace()
			before := map[string]bool{}
			for _, id := range p.LiveContactIDs {
				c, _ := ws.Contact(id)
				before[id] = c.UnsubscribedFromEmails
			}
			sy := &contactsync.Syncer{Store: h.app.Store, Vault: h.app.Vault, Chain: h.app.Chain, Intercom: h.app.Intercom,
				Config: config.Sync{PII: []string{"email", "name"}}, Actor: "test"}
			if _, err := sy.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			cachedBefore, err := h.app.Store.GetContact(ctx, p.LiveContactIDs[0])
			if err != nil {
				t.Fatal(err)
			}

			r := runToEnd(t, h, submit(t, h, dsar.Submission{Type: store.RequestRestriction, Identifiers: personIdentifiers(p)}).ID)
			st := h.sb.Stats()
			for _, id := range p.LiveContactIDs {
				c, _ := ws.Contact(id)
				if !slices.Contains(c.TagIDs, tag) || !c.UnsubscribedFromEmails || subscribed(c, "37846") != "opt_out" {
					t.Errorf("contact %s not marked: tags %v unsubscribed %v", id, c.TagIDs, c.UnsubscribedFromEmails)
				}
				if n := st.Effect(sandbox.EffectContactTagged, id+"/"+tag); n != 1 {
					t.Errorf("contact %s tagged %d times", id, n)
				}
				if n := st.Effect(sandbox.EffectSubscriptionSet, id+"/37846"); n != 1 {
					t.Errorf("contact %s opted out %d times", id, n)
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
			if ok, err := h.app.Store.Limited(ctx, store.LimitRestriction, ref); err != nil || !ok {
				t.Fatalf("restriction not recorded locally: %v %v", ok, err)
			}
			if ns, _ := h.app.Store.NoticesByRequest(ctx, r.ID); len(ns) != 1 || ns[0].Event != "restriction" {
				t.Errorf("notices of the restriction: %+v", ns)
			}
			// The sync leaves the restricted person's copy as it was.
			res, err := sy.Sync(ctx, contactsync.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cachedAfter, err := h.app.Store.GetContact(ctx, p.LiveContactIDs[0])
			if err != nil || !cachedAfter.UpdatedAt.Equal(cachedBefore.UpdatedAt) || !bytes.Equal(cachedAfter.NameEnc, cachedBefore.NameEnc) {
				t.Errorf("the sync updated a restricted copy (result %+v): %v", res, err)
			}
			// A later request of the person shows the restriction.
			acc, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
			if err != nil {
				t.Fatal(err)
			}
			ls, err := h.app.DSAR.Limits(ctx, acc)
			if err != nil || len(ls) != 1 || ls[0].Kind != store.LimitRestriction || ls[0].RequestID != r.ID {
				t.Errorf("limits shown with a later request: %+v %v", ls, err)
			}
			if !strings.Contains(auditText(t, h), "restricted (GDPR Art. 18)") {
				t.Error("the later request's record does not mention the restriction")
			}
			if _, err := h.app.DSAR.Cancel(ctx, acc.ID); err != nil {
				t.Fatal(err)
			}

			// Lifting is a request of its own.
			lift, err := h.app.DSAR.LiftRestriction(ctx, r.ID, "email")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.LiftRestriction(ctx, r.ID, "email"); !errors.Is(err, dsar.ErrWrongState) {
				t.Errorf("a second lift while one is open: %v", err)
			}
			if _, err := h.app.DSAR.Verify(ctx, lift.ID, "operator"); err != nil {
				t.Fatal(err)
			}
			lift = runToEnd(t, h, lift.ID)
			st = h.sb.Stats()
			for _, id := range p.LiveContactIDs {
				c, _ := ws.Contact(id)
				if slices.Contains(c.TagIDs, tag) || c.UnsubscribedFromEmails != before[id] || subscribed(c, "37846") != "opt_out" {
					t.Errorf("contact %s after the lift: tags %v unsubscribed %v (before %v), subscription %q",
						id, c.TagIDs, c.UnsubscribedFromEmails, before[id], subscribed(c, "37846"))
				}
				if n := st.Effect(sandbox.EffectContactUntagged, id+"/"+tag); n != 1 {
					t.Errorf("contact %s untagged %d times", id, n)
				}
			}
			if ok, err := h.app.Store.Limited(ctx, store.LimitRestriction, ref); err != nil || ok {
				t.Errorf("restriction still recorded after the lift: %v %v", ok, err)
			}
			if _, err := h.app.DSAR.LiftRestriction(ctx, r.ID, "email"); !errors.Is(err, dsar.ErrFinished) {
				t.Errorf("lifting twice: %v", err)
			}
			if _, err := sy.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			if c, err := h.app.Store.GetContact(ctx, p.LiveContactIDs[0]); err != nil || c.UpdatedAt.Equal(cachedBefore.UpdatedAt) {
				t.Errorf("the sync did not update the copy after the lift: %v", err)
			}
		})
	}
}

func TestObjectionOptOut(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	dns := h.sb.Workspace().Tags()[1].ID
	h.app.Config.Rights = config.Rights{DoNotSellTag: dns, MarketingSubscriptions: []string{"37846", "37847"}}
	// The ad partner the data is shared with is told of opt-outs (CCPA
	// §7026(f)); the processor is not.
	h.app.Notices.Registry = []config.RecipientEntry{manualRecipient, {Name: "Ad partner", Role: "third_party",
		Notify: config.Notify{Method: "manual", Events: []string{"opt_out"}}}}
	ctx := context.Background()
	p := h.sb.SamplePerson()
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestObjection, Jurisdiction: deadline.CCPA, Channel: "web_form",
		Identifiers: personIdentifiers(p), ReceivedAt: received, Payload: dsar.Payload{Scope: []string{"sale_sharing,marketing"}}})
	if err != nil {
		t.Fatal(err)
	}
	// CCPA §7026(f): 15 business days, no acknowledgement clock.
	if got := r.DueAt.Format("2006-01-02"); got != "2026-03-23" || !r.AckDueAt.IsZero() {
		t.Errorf("opt-out due %s (ack %v), want 2026-03-23 and none", got, r.AckDueAt)
	}
	if _, err := h.app.DSAR.Verify(ctx, r.ID, "none needed (opt-out)"); err != nil {
		t.Fatal(err)
	}
	r = runToEnd(t, h, r.ID)
	ws, st := h.sb.Workspace(), h.sb.Stats()
	for _, id := range p.LiveContactIDs {
		c, _ := ws.Contact(id)
		if !slices.Contains(c.TagIDs, dns) || !c.UnsubscribedFromEmails || subscribed(c, "37846") != "opt_out" || subscribed(c, "37847") != "opt_out" {
			t.Errorf("contact %s after the opt-out: %+v", id, c)
		}
		if st.Effect(sandbox.EffectContactTagged, id+"/"+dns) != 1 || st.Effect(sandbox.EffectSubscriptionSet, id+"/37847") != 1 {
			t.Errorf("contact %s: effects %v", id, st.Effects)
		}
	}
	if o := rightsOutcome(t, r); !slices.Equal(o.Scope, []string{"marketing", "sale_sharing"}) {
		t.Errorf("outcome %s", r.Outcome)
	}
	if ns, err := h.app.Store.NoticesByRequest(ctx, r.ID); err != nil || len(ns) != 1 || ns[0].Recipient != "Ad partner" || ns[0].Event != "opt_out" {
		t.Errorf("opt-out notices: %+v %v", ns, err)
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
	if ok, _ := h.app.Store.Limited(ctx, store.LimitObjection, ref); !ok {
		t.Error("the objection is not recorded locally")
	}
	if ok, _ := h.app.Store.Limited(ctx, store.LimitRestriction, ref); ok {
		t.Error("an objection recorded a restriction")
	}
	if _, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestObjection, Identifiers: personIdentifiers(p),
		Payload: dsar.Payload{Scope: []string{"everything"}}}); !errors.Is(err, dsar.ErrInvalidRequest) {
		t.Errorf("an unknown scope: %v", err)
	}
}

func TestAppeal(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.SamplePerson()
			received := time.Now().UTC().Add(-24 * time.Hour)
			r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.Virginia, Channel: "email",
				Identifiers: personIdentifiers(p), ReceivedAt: received})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Appeal(ctx, r.ID, "email", time.Time{}); !errors.Is(err, dsar.ErrWrongState) {
				t.Errorf("an appeal before the decision: %v", err)
			}
			if r, err = h.app.DSAR.Deny(ctx, r.ID, "identity could not be verified"); err != nil {
				t.Fatal(err)
			}
			at := time.Now().UTC()
			ap, err := h.app.DSAR.Appeal(ctx, r.ID, "email", at)
			if err != nil {
				t.Fatal(err)
			}
			due, _, _ := deadline.Calculator{}.AppealDue(deadline.Virginia, at, time.UTC)
			if ap.Type != store.RequestAppeal || ap.LinkedRequestID != r.ID || ap.SubjectRef != r.SubjectRef || !ap.DueAt.Equal(due.UTC().Truncate(time.Microsecond)) {
				t.Errorf("appeal %+v, due want %v", ap, due)
			}
			if _, err := h.app.DSAR.Appeal(ctx, r.ID, "email", at); !errors.Is(err, dsar.ErrWrongState) {
				t.Errorf("a second open appeal: %v", err)
			}
			if _, err := h.app.DSAR.Appeal(ctx, ap.ID, "email", at); !errors.Is(err, dsar.ErrWrongState) {
				t.Errorf("an appeal of an appeal: %v", err)
			}
			if err := h.app.DSAR.Run(ctx, ap.ID); err != nil {
				t.Errorf("running an appeal: %v", err)
			}
			if _, err := h.app.DSAR.DecideAppeal(ctx, ap.ID, "maybe", "x"); !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Errorf("an unknown decision: %v", err)
			}
			ap, err = h.app.DSAR.DecideAppeal(ctx, ap.ID, dsar.AppealUpheld, "identity still not verified")
			if err != nil || ap.State != store.StateCompleted {
				t.Fatalf("decide: %+v %v", ap, err)
			}
			var o dsar.AppealOutcome
			if err := json.Unmarshal(ap.Outcome, &o); err != nil || o.Decision != dsar.AppealUpheld || !strings.Contains(o.Authority, "Attorney General") || o.Complaint == "" {
				t.Errorf("appeal outcome %s: %v", ap.Outcome, err)
			}
			// GDPR has no appeal process: the person goes to the authority.
			g := file(t, h, store.RequestAccess, personIdentifiers(p))
			if g, err = h.app.DSAR.Deny(ctx, g.ID, "manifestly unfounded (Art. 12(5))"); err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Appeal(ctx, g.ID, "email", at); !errors.Is(err, dsar.ErrInvalidRequest) || !errors.Is(err, deadline.ErrNoAppeal) && !strings.Contains(err.Error(), "appeal") {
				t.Errorf("a GDPR appeal: %v", err)
			}
		})
	}
}

func dsarSubmission(typ store.RequestType, p sandbox.Person) dsar.Submission {
	return dsar.Submission{Type: typ, Identifiers: personIdentifiers(p)}
}

// TestCorrectionRefusedAtRunPauses: an email free when the correction was
// filed but taken by another user before it runs makes Intercom refuse the
// update; the request pauses with the reason (recorded once) instead of
// retrying blindly, and can be denied.
func TestCorrectionRefusedAtRunPauses(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := submit(t, h, dsar.Submission{Type: store.RequestCorrection, Identifiers: personIdentifiers(p),
		Payload: dsar.Payload{Set: map[string]string{"email": "taken-later@example.com"}}})
	if _, err := h.app.Intercom.CreateContact(ctx, intercom.ContactFields{Email: intercom.Str("taken-later@example.com")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := h.app.DSAR.Run(ctx, r.ID)
		var paused *dsar.PausedError
		if !errors.As(err, &paused) || paused.Reason != dsar.PauseUpdateRefused {
			t.Fatalf("run: %v, want a pause for a refused update", err)
		}
	}
	if n := countAction(t, h, r.ID, "request.paused"); n != 1 {
		t.Errorf("request.paused recorded %d times, want 1", n)
	}
	if pz, ok, err := h.app.DSAR.Paused(ctx, r.ID); err != nil || !ok || !strings.Contains(pz.Fix(), "deny") {
		t.Errorf("pause %+v %v %v", pz, ok, err)
	}
	if r, err := h.app.DSAR.Deny(ctx, r.ID, "the new address belongs to another account"); err != nil || r.State != store.StateDenied {
		t.Fatalf("deny a paused correction: %v", err)
	}
}
