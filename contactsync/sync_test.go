package contactsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func open(t *testing.T, h *harness, c store.CachedContact, col string, ct []byte) (string, error) {
	t.Helper()
	b, err := h.app.Vault.Decrypt(context.Background(), c.PersonKeyID,
		vault.AAD{Table: contactsync.AADTable, Column: col, Row: c.IntercomID}, ct)
	return string(b), err
}

// TestSyncStoresOnlyAllowList: the default allow-list keeps id, role, last seen,
// the external id (encrypted, indexed) and the plan attribute (encrypted), and
// no email, name or phone, nor any other custom attribute.
func TestSyncStoresOnlyAllowList(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Seed: 3})
			ctx := context.Background()
			res, err := h.syncer(h.app, nil).Sync(ctx, contactsync.Options{})
			if err != nil {
				t.Fatal(err)
			}
			live := h.liveContacts()
			if res.Mode != "full" || res.Fetched != int64(len(live)) || res.Stored != int64(len(live)) {
				t.Fatalf("result %+v, want a full run storing all %d live contacts", res, len(live))
			}
			sawExt, sawBilling := false, false
			for _, sc := range live {
				c, ok := cached(t, h.app.Store, sc.ID)
				if !ok {
					t.Fatalf("contact %s not cached", sc.ID)
				}
				if c.EmailEnc != nil || c.EmailIdx != nil || c.NameEnc != nil || c.PhoneEnc != nil || c.PhoneIdx != nil {
					t.Fatalf("contact %s: a personal field is stored without being configured", sc.ID)
				}
				if c.Role != sc.Role || !c.LastSeenAt.Equal(time.Unix(sc.LastSeenAt, 0)) || !c.RemoteUpdatedAt.Equal(time.Unix(sc.UpdatedAt, 0)) {
					t.Fatalf("contact %s: role/last seen/updated at not kept: %+v", sc.ID, c)
				}
				want, err := contactsync.PersonKeyID(h.app.Vault, sc.ID)
				if err != nil || c.PersonKeyID != want {
					t.Fatalf("person key id %q, want the contact's subject ref", c.PersonKeyID)
				}
				if sc.ExternalID != "" {
					sawExt = true
					got, err := open(t, h, c, contactsync.ColExternalID, c.ExternalIDEnc)
					if err != nil || got != sc.ExternalID {
						t.Fatalf("external id does not decrypt to the original: %v", err)
					}
					if bytes.Contains(c.ExternalIDEnc, []byte(sc.ExternalID)) {
						t.Fatal("external id ciphertext contains the plaintext")
					}
					idx, _ := h.app.Vault.BlindIndex(vault.KindExternalID, sc.ExternalID)
					found, err := h.app.Store.FindContacts(ctx, store.IndexExternalID, idx)
					if err != nil || len(found) != 1 || found[0].IntercomID != sc.ID {
						t.Fatalf("blind index lookup by external id: %v %d", err, len(found))
					}
				} else if c.ExternalIDEnc != nil {
					t.Fatal("external id stored for a contact without one")
				}
				if _, ok := sc.CustomAttributes["plan"]; !ok {
					if c.AttributesEnc != nil {
						t.Fatalf("contact %s without allow-listed attributes has attributes stored", sc.ID)
					}
					continue
				}
				attrs, err := open(t, h, c, contactsync.ColAttributes, c.AttributesEnc)
				if err != nil {
					t.Fatalf("attributes: %v", err)
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(attrs), &m); err != nil {
					t.Fatal(err)
				}
				if len(m) != 1 || m["plan"] != sc.CustomAttributes["plan"] {
					t.Fatalf("attributes %v, want only plan=%q", m, sc.CustomAttributes["plan"])
				}
				if _, ok := sc.CustomAttributes["billing_address"]; ok {
					sawBilling = true
				}
				// A ciphertext moved to another column does not open.
				if _, err := open(t, h, c, contactsync.ColEmail, c.AttributesEnc); !errors.Is(err, vault.ErrDecrypt) {
					t.Fatalf("attributes ciphertext opened as the email column: %v", err)
				}
			}
			if !sawExt || !sawBilling {
				t.Fatalf("fixture lacks an external id (%v) or a billing address attribute (%v)", sawExt, sawBilling)
			}
			acts := h.auditActions()
			if acts["sync.run"] < 2 {
				t.Fatalf("sync.run records: %d, want one per page and one for the run", acts["sync.run"])
			}
			if _, ok, err := h.syncer(h.app, nil).Cursor(ctx); err != nil || !ok {
				t.Fatalf("no cursor after a full run: %v", err)
			}
		})
	}
}

// TestSyncPIIWhenConfigured: email, name and phone are stored encrypted with
// blind indexes when configured, and no ciphertext contains its plaintext.
func TestSyncPIIWhenConfigured(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 5, Contacts: 30})
	cfg := config.Default()
	cfg.Sync.PII = []string{"email", "name", "phone"}
	ctx := context.Background()
	if _, err := h.syncer(h.app, cfg).Sync(ctx, contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, sc := range h.liveContacts() {
		c, ok := cached(t, h.app.Store, sc.ID)
		if !ok {
			t.Fatalf("contact %s not cached", sc.ID)
		}
		for _, f := range []struct {
			col, want string
			ct        []byte
		}{{contactsync.ColEmail, sc.Email, c.EmailEnc}, {contactsync.ColName, sc.Name, c.NameEnc}, {contactsync.ColPhone, sc.Phone, c.PhoneEnc}} {
			if f.want == "" {
				if f.ct != nil {
					t.Fatalf("%s stored for a contact without one", f.col)
				}
				continue
			}
			got, err := open(t, h, c, f.col, f.ct)
			if err != nil || got != f.want {
				t.Fatalf("%s does not decrypt to the original: %v", f.col, err)
			}
			if bytes.Contains(f.ct, []byte(f.want)) {
				t.Fatalf("%s ciphertext contains the plaintext", f.col)
			}
			checked++
		}
		if sc.Email != "" {
			idx, _ := h.app.Vault.BlindIndex(vault.KindEmail, sc.Email)
			found, err := h.app.Store.FindContacts(ctx, store.IndexEmail, idx)
			if err != nil || !slices.ContainsFunc(found, func(f store.CachedContact) bool { return f.IntercomID == sc.ID }) {
				t.Fatalf("blind index lookup by email: %v", err)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no personal field checked")
	}
}

// TestSyncIncremental: a later run searches by updated_at and stores only the
// contacts changed since the cursor, without listing the workspace again.
func TestSyncIncremental(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 7, Contacts: 200})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	opts := contactsync.Options{ClockSkew: time.Second}
	h.clock.Advance(time.Hour)
	first, err := s.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	lists := h.sb.Stats().Endpoints["GET /contacts"].Calls
	if first.Mode != "full" || lists < 2 {
		t.Fatalf("first run %+v with %d list calls, want a full walk of several pages", first, lists)
	}
	h.clock.Advance(48 * time.Hour)
	live := h.liveContacts()
	var changed []string
	for _, c := range live[10:13] {
		if !h.sb.UpdateContact(c.ID, map[string]string{"plan": "changed"}) {
			t.Fatalf("could not update contact %s", c.ID)
		}
		changed = append(changed, c.ID)
	}
	h.clock.Advance(24 * time.Hour)
	second, err := s.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	st := h.sb.Stats()
	if got := st.Endpoints["GET /contacts"].Calls; got != lists {
		t.Fatalf("incremental run listed contacts (%d list calls, was %d)", got, lists)
	}
	if st.Endpoints["POST /contacts/search"].Calls == 0 {
		t.Fatal("incremental run did not search")
	}
	// The search is day-granular: it also returns the contacts updated on the
	// cursor's day (UTC in the sandbox) or the day before, which are filtered out.
	from := first.Cursor.Add(-25 * time.Hour).Truncate(24 * time.Hour).Add(24 * time.Hour).Unix()
	window := int64(0)
	for _, c := range h.liveContacts() {
		if c.UpdatedAt >= from {
			window++
		}
	}
	if second.Mode != "incremental" || second.Stored != int64(len(changed)) || second.Fetched != window ||
		second.Unchanged != window-int64(len(changed)) {
		t.Fatalf("second run %+v: want the %d contacts of the search window fetched and only the %d changed stored", second, window, len(changed))
	}
	if window >= first.Fetched/4 {
		t.Fatalf("search window of %d contacts is not much smaller than the workspace (%d): test fixture too dense", window, first.Fetched)
	}
	for _, id := range changed {
		c, ok := cached(t, h.app.Store, id)
		if !ok {
			t.Fatalf("changed contact %s not cached", id)
		}
		attrs, err := open(t, h, c, contactsync.ColAttributes, c.AttributesEnc)
		if err != nil || attrs != `{"plan":"changed"}` {
			t.Fatalf("changed contact %s holds %q (%v)", id, attrs, err)
		}
	}
	if !second.Cursor.After(first.Cursor) {
		t.Fatalf("cursor did not move: %v then %v", first.Cursor, second.Cursor)
	}
	third, err := s.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if third.Stored != 0 {
		t.Fatalf("a run with nothing changed stored %d contacts", third.Stored)
	}
	// --full walks everything again.
	full, err := s.Sync(ctx, contactsync.Options{Full: true, ClockSkew: time.Second})
	if err != nil || full.Mode != "full" || full.Fetched != int64(len(h.liveContacts())) {
		t.Fatalf("full run %+v: %v", full, err)
	}
}

// TestSyncSuppressed: a suppressed person is never stored, and a cached copy is
// purged with its person key.
func TestSyncSuppressed(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 9, Contacts: 20})
	ctx := context.Background()
	s := h.syncer(h.app, nil)
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1})
	idx, _ := h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
	if _, err := h.app.Store.AddSuppression(ctx, store.Suppression{Ref: idx, Kind: "email"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Sync(ctx, contactsync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Suppressed != int64(len(p.LiveContactIDs)) {
		t.Fatalf("suppressed %d, want %d", res.Suppressed, len(p.LiveContactIDs))
	}
	for _, id := range p.LiveContactIDs {
		if _, ok := cached(t, h.app.Store, id); ok {
			t.Fatalf("suppressed contact %s stored", id)
		}
	}
	// A person cached before being suppressed (by external id) is purged by
	// the next run, and their key destroyed.
	q := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, ExternalID: "ext-suppress-me"})
	if _, err := s.Sync(ctx, contactsync.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	c, ok := cached(t, h.app.Store, q.LiveContactIDs[0])
	if !ok {
		t.Fatal("contact not cached before suppression")
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindExternalID, "ext-suppress-me")
	if _, err := h.app.Store.AddSuppression(ctx, store.Suppression{Ref: ref, Kind: "external_id"}); err != nil {
		t.Fatal(err)
	}
	res, err = s.Sync(ctx, contactsync.Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Purged != 1 {
		t.Fatalf("purged %d, want 1", res.Purged)
	}
	if _, ok := cached(t, h.app.Store, c.IntercomID); ok {
		t.Fatal("suppressed contact still cached")
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, c.PersonKeyID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("person key of the suppressed contact not destroyed: %v", err)
	}
}

// TestSyncStopsCleanly: an Intercom failure mid-walk keeps the committed pages,
// records a partial run, and the next run completes.
func TestSyncStopsCleanly(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 11, Contacts: 80})
	ctx, cancel := context.WithCancel(context.Background())
	s := h.syncer(h.app, nil)
	pages := 0
	_, err := s.Sync(ctx, contactsync.Options{PerPage: 20, Progress: func(contactsync.Result) {
		pages++
		if pages == 2 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("a cancelled run reported success")
	}
	if _, ok, _ := s.Cursor(context.Background()); ok {
		t.Fatal("a stopped full run moved the cursor")
	}
	acts := h.auditActions()
	if acts["sync.run"] == 0 {
		t.Fatal("the stopped run left no audit record")
	}
	res, err := s.Sync(context.Background(), contactsync.Options{PerPage: 20})
	if err != nil || res.Mode != "full" || res.Stored != int64(len(h.liveContacts())) {
		t.Fatalf("re-run %+v: %v", res, err)
	}
}

func TestParseCursor(t *testing.T) {
	now := time.Unix(1767225600, 0).UTC()
	got, err := contactsync.ParseCursor(contactsync.FormatCursor(now))
	if err != nil || !got.Equal(now) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "-1", "1e9", " 12", "12 ", "999999999999", "0x10", "١٢"} {
		if _, err := contactsync.ParseCursor(bad); !errors.Is(err, contactsync.ErrCursor) {
			t.Errorf("ParseCursor(%q) = %v, want ErrCursor", bad, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"0", "1767225600", "253402300799", "253402300800", "", "-5", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := contactsync.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, contactsync.ErrCursor) {
				t.Fatalf("unexpected error type %v", err)
			}
			return
		}
		if c.Year() > 9999 || c.Before(time.Unix(0, 0)) {
			t.Fatalf("out of range %v", c)
		}
		back, err := contactsync.ParseCursor(contactsync.FormatCursor(c))
		if err != nil || !back.Equal(c) {
			t.Fatalf("round trip of %q", s)
		}
	})
}

// TestSyncUnreadableCursor: a damaged cursor stops an incremental run with an
// error saying what to do; --full starts over and replaces it.
func TestSyncUnreadableCursor(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 13, Contacts: 10})
	ctx := context.Background()
	if err := h.app.Store.PutSyncState(ctx, store.SyncState{Name: contactsync.CursorName, Cursor: "not-a-time"}); err != nil {
		t.Fatal(err)
	}
	s := h.syncer(h.app, nil)
	if _, err := s.Sync(ctx, contactsync.Options{}); !errors.Is(err, contactsync.ErrCursor) || !strings.Contains(err.Error(), "--full") {
		t.Fatalf("err = %v, want ErrCursor advising --full", err)
	}
	res, err := s.Sync(ctx, contactsync.Options{Full: true})
	if err != nil || res.Mode != "full" {
		t.Fatalf("--full: %+v %v", res, err)
	}
	if _, ok, err := s.Cursor(ctx); err != nil || !ok {
		t.Fatalf("cursor not replaced: %v", err)
	}
}

// TestSyncIncrementalResumes: an incremental run stopped after its first page
// keeps the cursor where no changed contact is lost, even when every changed
// contact has the same updated_at second and they span several pages.
func TestSyncIncrementalResumes(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{Seed: 15, Contacts: 60})
	s := h.syncer(h.app, nil)
	h.clock.Advance(time.Hour)
	if _, err := s.Sync(context.Background(), contactsync.Options{ClockSkew: time.Second}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(48 * time.Hour)
	var changed []string
	for _, c := range h.liveContacts()[:25] {
		h.sb.UpdateContact(c.ID, map[string]string{"plan": "resumed"})
		changed = append(changed, c.ID)
	}
	h.clock.Advance(24 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Sync(ctx, contactsync.Options{PerPage: 10, ClockSkew: time.Second, Progress: func(contactsync.Result) { cancel() }})
	if err == nil {
		t.Fatal("stopped run reported success")
	}
	if _, err := s.Sync(context.Background(), contactsync.Options{PerPage: 10, ClockSkew: time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, id := range changed {
		c, _ := cached(t, h.app.Store, id)
		if got, err := open(t, h, c, contactsync.ColAttributes, c.AttributesEnc); err != nil || got != `{"plan":"resumed"}` {
			t.Fatalf("contact %s lost its update after a resumed run: %q %v", id, got, err)
		}
	}
}
