package contactsync_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// TestRestrictedCopyFrozen: while a person's processing is restricted (GDPR
// Art. 18) neither the sync nor a webhook refresh changes their copy, and no
// copy is created; once lifted, both update it again.
func TestRestrictedCopyFrozen(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Seed: 25, Contacts: 10})
			ctx := context.Background()
			s := h.syncer(h.app, nil)
			s.Config.PII = []string{"name"}
			if _, err := s.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			live := h.liveContacts()
			target, fresh := live[1], live[2]
			before, ok := cached(t, h.app.Store, target.ID)
			if !ok {
				t.Fatal("target not cached")
			}
			if _, err := h.app.Store.DeleteContact(ctx, fresh.ID); err != nil {
				t.Fatal(err)
			}
			var ls []store.ProcessingLimit
			for _, id := range []string{target.ID, fresh.ID} {
				ref, _ := h.app.Vault.BlindIndex(vault.KindContactID, id)
				ls = append(ls, store.ProcessingLimit{Kind: store.LimitRestriction, Ref: ref, RefKind: "contact_id", RequestID: "req_restrict"})
			}
			if _, err := h.app.Store.AddLimits(ctx, ls); err != nil {
				t.Fatal(err)
			}
			// Intercom changes the contacts; the sync and a webhook both see it.
			h.clock.Advance(3600e9)
			for _, id := range []string{target.ID, fresh.ID} {
				if _, err := h.app.Intercom.UpdateContact(ctx, id, intercom.ContactFields{Name: intercom.Str("Renamed Person")}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Sync(ctx, contactsync.Options{})
			if err != nil {
				t.Fatal(err)
			}
			hd := handlerFor(s, nil)
			body := notification("notif_r_1", "contact.user.updated", map[string]any{"type": "contact", "id": target.ID})
			if code := deliver(t, hd, body, webhook.Sign([]byte(secret), body)); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			ap, err := s.ApplyPending(ctx, 0)
			if err != nil || ap.Skipped != 1 || ap.Stored != 0 {
				t.Fatalf("ApplyPending %+v: %v", ap, err)
			}
			after, _ := cached(t, h.app.Store, target.ID)
			if !bytes.Equal(after.NameEnc, before.NameEnc) || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("a restricted copy was changed (sync result %+v)", res)
			}
			if _, ok := cached(t, h.app.Store, fresh.ID); ok {
				t.Error("a copy of a restricted contact was created")
			}
			if n, err := h.app.Store.LiftLimits(ctx, store.LimitRestriction, "req_restrict", "req_lift", h.clock.Now()); err != nil || n != 2 {
				t.Fatalf("lift: %d %v", n, err)
			}
			if _, err := s.Sync(ctx, contactsync.Options{Full: true}); err != nil {
				t.Fatal(err)
			}
			after, _ = cached(t, h.app.Store, target.ID)
			if bytes.Equal(after.NameEnc, before.NameEnc) {
				t.Error("the copy was not updated after the lift")
			}
			if _, ok := cached(t, h.app.Store, fresh.ID); !ok {
				t.Error("no copy made after the lift")
			}
		})
	}
}
