package contactsync_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// handlerFor returns the webhook handler over the syncer's sink.
func handlerFor(s *contactsync.Syncer, wake func()) http.Handler {
	return webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: &contactsync.WebhookSink{Syncer: s, Wake: wake}})
}

// events lists every stored webhook event of a contact.
func events(t testing.TB, st store.Store, contactID string) []store.WebhookEvent {
	t.Helper()
	evs, err := st.(store.WebhookEventLister).WebhookEventsByContact(context.Background(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func unprocessed(t testing.TB, st store.Store) []store.WebhookEvent {
	t.Helper()
	evs, err := st.UnprocessedWebhookEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestWebhookDeletedReplayedThousandTimes: a contact.deleted notification
// delivered 1,000 times stores one event, purges once, writes one audit record.
func TestWebhookDeletedReplayedThousandTimes(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Seed: 21, Contacts: 20})
			ctx := context.Background()
			s := h.syncer(h.app, nil)
			if _, err := s.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			target := h.liveContacts()[4]
			c, ok := cached(t, h.app.Store, target.ID)
			if !ok {
				t.Fatal("target not cached")
			}
			hd := handlerFor(s, nil)
			body := notification("notif_del_1", "contact.deleted", map[string]any{"type": "contact", "id": target.ID, "external_id": target.ExternalID})
			sig := webhook.Sign([]byte(secret), body)
			before := h.auditActions()["webhook.applied"]
			for i := 0; i < 1000; i++ {
				if code := deliver(t, hd, body, sig); code != http.StatusOK {
					t.Fatalf("delivery %d: status %d", i, code)
				}
			}
			if _, ok := cached(t, h.app.Store, target.ID); ok {
				t.Fatal("contact still cached after contact.deleted")
			}
			if _, err := h.app.Store.LoadPersonKey(ctx, c.PersonKeyID); err == nil {
				t.Fatal("person key not destroyed")
			}
			evs := events(t, h.app.Store, target.ID)
			if len(evs) != 1 || evs[0].NotificationID != "notif_del_1" || evs[0].ProcessedAt.IsZero() || evs[0].PayloadEnc != nil {
				t.Fatalf("events %+v, want one processed event without payload", evs)
			}
			if got := h.auditActions()["webhook.applied"] - before; got != 1 {
				t.Fatalf("%d webhook.applied records, want 1", got)
			}
			// Other contacts are untouched.
			if _, ok := cached(t, h.app.Store, h.liveContacts()[5].ID); !ok {
				t.Fatal("another contact was purged")
			}
		})
	}
}

// TestWebhookRejectionsHaveNoEffect: bad or missing signatures, oversized
// bodies and malformed JSON get a 4xx and store nothing.
func TestWebhookRejectionsHaveNoEffect(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 22, Contacts: 10})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	if _, err := s.Sync(ctx, contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	target := h.liveContacts()[0]
	hd := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), MaxBody: 4096, Sink: &contactsync.WebhookSink{Syncer: s}})
	body := notification("notif_x", "contact.deleted", map[string]any{"type": "contact", "id": target.ID})
	big := notification("notif_big", "contact.deleted", map[string]any{"type": "contact", "id": target.ID, "pad": strings.Repeat("a", 5000)})
	malformed := []byte(`{"type":"notification_event","id":"notif_m","topic":"contact.deleted","data":{"item":`)
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"missing signature", body, "", http.StatusUnauthorized},
		{"wrong secret", body, webhook.Sign([]byte("other"), body), http.StatusUnauthorized},
		{"malformed signature", body, "sha1=xyz", http.StatusUnauthorized},
		{"modified body", bytes.Replace(body, []byte("notif_x"), []byte("notif_y"), 1), webhook.Sign([]byte(secret), body), http.StatusUnauthorized},
		{"oversized", big, webhook.Sign([]byte(secret), big), http.StatusRequestEntityTooLarge},
		{"malformed JSON", malformed, webhook.Sign([]byte(secret), malformed), http.StatusBadRequest},
	} {
		if code := deliver(t, hd, tc.body, tc.sig); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
	if evs := events(t, h.app.Store, target.ID); len(evs) != 0 {
		t.Fatalf("rejected notifications stored %d events", len(evs))
	}
	if _, ok := cached(t, h.app.Store, target.ID); !ok {
		t.Fatal("a rejected notification purged the contact")
	}
	if n := h.auditActions()["webhook.applied"]; n != 0 {
		t.Fatalf("%d webhook.applied records after rejections", n)
	}
}

// TestWebhookRefresh: an updated contact is stored unprocessed, then applied
// from Intercom by ApplyPending (in another process, as after a crash), once.
func TestWebhookRefresh(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 23, Contacts: 10})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	target := h.liveContacts()[2]
	woken := 0
	hd := handlerFor(s, func() { woken++ })
	body := notification("notif_up_1", "contact.user.updated", map[string]any{"type": "contact", "id": target.ID, "role": target.Role})
	sig := webhook.Sign([]byte(secret), body)
	for i := 0; i < 3; i++ {
		if code := deliver(t, hd, body, sig); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	if woken == 0 {
		t.Fatal("applier not woken")
	}
	if len(unprocessed(t, h.app.Store)) != 1 {
		t.Fatal("want one unprocessed event")
	}
	if _, ok := cached(t, h.app.Store, target.ID); ok {
		t.Fatal("contact stored before the event was applied")
	}
	// The receiving process died before applying: another one picks it up.
	other := h.syncer(h.open(), nil)
	gets := h.sb.Stats().Endpoints["GET /contacts/{id}"].Calls
	res, err := other.ApplyPending(ctx, 0)
	if err != nil || res.Stored != 1 {
		t.Fatalf("ApplyPending %+v: %v", res, err)
	}
	c, ok := cached(t, h.app.Store, target.ID)
	if !ok || c.Role != target.Role {
		t.Fatalf("contact not refreshed: %+v", c)
	}
	if c.EmailEnc != nil {
		t.Fatal("webhook refresh stored the email without configuration")
	}
	if h.sb.Stats().Endpoints["GET /contacts/{id}"].Calls != gets+1 {
		t.Fatal("want exactly one GetContact")
	}
	res, err = other.ApplyPending(ctx, 0)
	if err != nil || res.Seen != 0 {
		t.Fatalf("second ApplyPending %+v: %v", res, err)
	}
	if n := h.auditActions()["webhook.applied"]; n != 1 {
		t.Fatalf("%d webhook.applied records, want 1", n)
	}
}

// TestWebhookRefreshGoneOrSuppressed: an update for a contact Intercom no longer
// has purges the cached copy; one for a suppressed person stores nothing.
func TestWebhookRefreshGoneOrSuppressed(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 24, Contacts: 10})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	if _, err := s.Sync(ctx, contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	live := h.liveContacts()
	gone, supp := live[1], live[2]
	if _, err := h.app.Intercom.ArchiveContact(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindContactID, supp.ID)
	if _, err := h.app.Store.AddSuppression(ctx, store.Suppression{Ref: ref, Kind: "contact_id"}); err != nil {
		t.Fatal(err)
	}
	hd := handlerFor(s, nil)
	for i, id := range []string{gone.ID, supp.ID} {
		body := notification("notif_g_"+string(rune('a'+i)), "contact.user.updated", map[string]any{"type": "contact", "id": id})
		if code := deliver(t, hd, body, webhook.Sign([]byte(secret), body)); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	res, err := s.ApplyPending(ctx, 0)
	if err != nil || res.Purged != 1 || res.Skipped != 1 {
		t.Fatalf("ApplyPending %+v: %v", res, err)
	}
	// The batch's records are signed when it ends.
	if rep, err := h.app.VerifyAudit(ctx); err != nil || !rep.OK() || rep.Unsigned != 0 || rep.LastSeq == 0 {
		t.Fatalf("after a webhook batch, want every record signed: %+v %v", rep, err)
	}
	for _, id := range []string{gone.ID, supp.ID} {
		if _, ok := cached(t, h.app.Store, id); ok {
			t.Fatalf("contact %s still cached", id)
		}
	}
}

// TestWebhookPurgeBeatsPendingRefresh: a refresh stored before a delete is not
// applied after it (the contact does not come back).
func TestWebhookPurgeBeatsPendingRefresh(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 25, Contacts: 10})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	target := h.liveContacts()[3]
	hd := handlerFor(s, nil)
	up := notification("notif_r1", "contact.user.updated", map[string]any{"type": "contact", "id": target.ID})
	del := notification("notif_r2", "contact.archived", map[string]any{"type": "contact", "id": target.ID})
	for _, b := range [][]byte{up, del} {
		if code := deliver(t, hd, b, webhook.Sign([]byte(secret), b)); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	res, err := s.ApplyPending(ctx, 0)
	if err != nil || res.Seen != 0 {
		t.Fatalf("ApplyPending %+v: %v (the purge should have removed the pending refresh)", res, err)
	}
	if _, ok := cached(t, h.app.Store, target.ID); ok {
		t.Fatal("contact came back")
	}
}

// TestWebhookOtherTopics: unknown topics and pings are acknowledged; unknown
// topics are stored processed, without payload; pings are not stored.
func TestWebhookOtherTopics(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 26, Contacts: 5})
	s := h.syncer(h.app, nil)
	hd := handlerFor(s, nil)
	target := h.liveContacts()[0]
	for _, b := range [][]byte{
		notification("notif_o1", "contact.tag.created", map[string]any{"type": "contact", "id": target.ID, "email": target.Email}),
		notification("notif_o2", "conversation.user.created", map[string]any{"type": "conversation", "id": "123", "source": map[string]any{"body": "<p>hi " + target.Email + "</p>"}}),
		notification("", "ping", map[string]any{"type": "ping", "message": "hello"}),
	} {
		if code := deliver(t, hd, b, webhook.Sign([]byte(secret), b)); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	if n := len(unprocessed(t, h.app.Store)); n != 0 {
		t.Fatalf("%d unprocessed events", n)
	}
	evs := events(t, h.app.Store, target.ID)
	if len(evs) != 1 || evs[0].Topic != "contact.tag.created" || evs[0].PayloadEnc != nil {
		t.Fatalf("events %+v", evs)
	}
}

// TestApplyPendingConcurrent: several processes applying the same pending
// events apply each exactly once (one record each, no double count).
func TestApplyPendingConcurrent(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Seed: 27, Contacts: 30})
			ctx := context.Background()
			hd := handlerFor(h.syncer(h.app, nil), nil)
			live := h.liveContacts()
			for i, c := range live[:20] {
				body := notification("notif_c"+strconv.Itoa(i), "contact.user.updated", map[string]any{"type": "contact", "id": c.ID})
				if code := deliver(t, hd, body, webhook.Sign([]byte(secret), body)); code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
			}
			const procs = 4
			results := make([]contactsync.ApplyResult, procs)
			errs := make([]error, procs)
			syncers := make([]*contactsync.Syncer, procs)
			for i := range syncers {
				syncers[i] = h.syncer(h.open(), nil)
			}
			var wg sync.WaitGroup
			for i := range syncers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = syncers[i].ApplyPending(ctx, 0)
				}()
			}
			wg.Wait()
			stored := 0
			for i := range results {
				if errs[i] != nil {
					t.Fatalf("process %d: %v", i, errs[i])
				}
				stored += results[i].Stored
			}
			if stored != 20 {
				t.Fatalf("stored %d times in total, want 20 (once per event)", stored)
			}
			if n := h.auditActions()["webhook.applied"]; n != 20 {
				t.Fatalf("%d webhook.applied records, want 20", n)
			}
			if n := len(unprocessed(t, h.app.Store)); n != 0 {
				t.Fatalf("%d events left unprocessed", n)
			}
		})
	}
}
