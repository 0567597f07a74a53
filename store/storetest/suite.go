package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Run is the shared suite: every store backend must pass it. open returns a
// new, empty, migrated store (closed by the caller's cleanup).
func Run(t *testing.T, open func(t testing.TB) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"KeyStore", testKeyStore},
		{"KeyStoreInTx", testKeyStoreInTx},
		{"PersonKeyConcurrentCreate", testPersonKeyConcurrentCreate},
		{"Contacts", testContacts},
		{"SyncState", testSyncState},
		{"Conversations", testConversations},
		{"WebhookEvents", testWebhookEvents},
		{"WebhookEventListAndClaim", testWebhookListClaim},
		{"Blobs", testBlobs},
		{"Requests", testRequests},
		{"RequestOptimisticConcurrency", testRequestConcurrency},
		{"RequestQueries", testRequestQueries},
		{"RequestStateCounts", testRequestStateCounts},
		{"PendingStepRequests", testPendingStepRequests},
		{"Steps", testSteps},
		{"Suppression", testSuppression},
		{"LegalHoldsAndRetention", testRetention},
		{"ObjectHolds", testObjectHolds},
		{"ObjectHoldsKeepCache", testObjectHoldsKeepCache},
		{"RequestRecords", testRequestRecords},
		{"RetentionRuns", testRetentionRuns},
		{"ExportJobs", testExportJobs},
		{"PurgePerson", testPurge},
		{"Notices", testNotices},
		{"Outbox", testOutbox},
		{"IntercomReplies", testReplies},
		{"RateWindows", testRateWindows},
		{"Intakes", testIntakes},
		{"DownloadLinks", testDownloadLinks},
		{"AgentPermissions", testAgentPermissions},
		{"StepUps", testStepUps},
		{"Limits", testLimits},
		{"LinkedRequests", testLinkedRequests},
		{"TxRollback", testTxRollback},
		{"AuditChain", testAuditChain},
		{"AuditConcurrentAppends", testAuditConcurrent},
		{"Migrations", testMigrateRerun},
		{"Scans", testScans},
		{"ScanRedactionsInTx", testScanRedactionsInTx},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"SignInThrottle", testSignInThrottle},
		{"ScanLeases", testScanLeases},
		{"ScanApprovals", testScanApprovals},
		{"ScanRedactionClaims", testScanRedactionClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// RunBackend runs Run on b, plus the tests that need several stores on one
// database: two instances (two pools) appending to one audit chain, and the
// kill-mid-batch test.
func RunBackend(t *testing.T, b Backend) {
	Run(t, b.Open)
	t.Run("TwoInstancesOneChain", func(t *testing.T) { testTwoInstances(t, b) })
	t.Run("KillMidBatch", func(t *testing.T) { KillMidBatch(t, b) })
	t.Run("ScanLeaseRace", func(t *testing.T) { testScanLeaseRace(t, b) })
}

var bg = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func rnd(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// ts is a time with the precision the store keeps.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func testKeyStore(t *testing.T, st store.Store) { keyStoreChecks(t, st) }

func testKeyStoreInTx(t *testing.T, st store.Store) {
	must(t, st.InTx(bg, func(tx store.Tx) error { keyStoreChecks(t, tx); return nil }))
}

func keyStoreChecks(t *testing.T, ks vault.KeyStore) {
	if _, err := ks.LoadKeyset(bg, "kek"); !errors.Is(err, vault.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LoadKeyset of a missing keyset: %v, want vault.ErrNotFound and store.ErrNotFound", err)
	}
	must(t, ks.SwapKeyset(bg, "kek", nil, []byte("one")))
	if err := ks.SwapKeyset(bg, "kek", nil, []byte("other")); !errors.Is(err, vault.ErrKeysetChanged) {
		t.Fatalf("SwapKeyset(old nil) over an existing keyset: %v, want vault.ErrKeysetChanged", err)
	}
	if err := ks.SwapKeyset(bg, "kek", []byte("stale"), []byte("other")); !errors.Is(err, vault.ErrKeysetChanged) {
		t.Fatalf("SwapKeyset with a stale old: %v, want vault.ErrKeysetChanged", err)
	}
	if err := ks.SwapKeyset(bg, "index", []byte("one"), []byte("other")); !errors.Is(err, vault.ErrKeysetChanged) {
		t.Fatalf("SwapKeyset of a missing keyset with old set: %v, want vault.ErrKeysetChanged", err)
	}
	must(t, ks.SwapKeyset(bg, "kek", []byte("one"), []byte("two")))
	if b, err := ks.LoadKeyset(bg, "kek"); err != nil || string(b) != "two" {
		t.Fatalf("LoadKeyset = %q, %v; want the last saved", b, err)
	}
	if _, err := ks.LoadPersonKey(bg, "p1"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("LoadPersonKey missing: %v", err)
	}
	k1 := vault.PersonKey{ID: "p1", Wrapped: []byte("w1"), KEKVersion: 7, CreatedAt: ts("2026-01-02T03:04:05Z")}
	got, err := ks.CreatePersonKey(bg, k1)
	must(t, err)
	if got.ID != "p1" || string(got.Wrapped) != "w1" || got.KEKVersion != 7 || !got.CreatedAt.Equal(k1.CreatedAt) {
		t.Fatalf("CreatePersonKey = %+v", got)
	}
	again, err := ks.CreatePersonKey(bg, vault.PersonKey{ID: "p1", Wrapped: []byte("other"), KEKVersion: 9})
	must(t, err)
	if string(again.Wrapped) != "w1" || again.KEKVersion != 7 {
		t.Fatalf("second CreatePersonKey replaced the key: %+v", again)
	}
	if err := ks.UpdatePersonKey(bg, vault.PersonKey{ID: "p1", Wrapped: []byte("w1b"), KEKVersion: 8}, []byte("not-w1")); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("UpdatePersonKey with a stale prev: %v, want vault.ErrNotFound (nothing written)", err)
	}
	must(t, ks.UpdatePersonKey(bg, vault.PersonKey{ID: "p1", Wrapped: []byte("w1b"), KEKVersion: 8}, []byte("w1")))
	if k, _ := ks.LoadPersonKey(bg, "p1"); string(k.Wrapped) != "w1b" || k.KEKVersion != 8 || !k.CreatedAt.Equal(k1.CreatedAt) {
		t.Fatalf("after update: %+v", k)
	}
	if err := ks.UpdatePersonKey(bg, vault.PersonKey{ID: "nope", Wrapped: []byte("x")}, nil); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("UpdatePersonKey missing: %v", err)
	}
	for _, id := range []string{"p3", "p2", "p4", "p5"} {
		_, err := ks.CreatePersonKey(bg, vault.PersonKey{ID: id, Wrapped: []byte(id)})
		must(t, err)
	}
	var ids []string
	after := ""
	for {
		batch, err := ks.PersonKeys(bg, after, 2)
		must(t, err)
		if len(batch) == 0 {
			break
		}
		if len(batch) > 2 {
			t.Fatalf("PersonKeys returned %d > limit", len(batch))
		}
		for _, k := range batch {
			ids = append(ids, k.ID)
		}
		after = batch[len(batch)-1].ID
	}
	if !slices.Equal(ids, []string{"p1", "p2", "p3", "p4", "p5"}) {
		t.Fatalf("PersonKeys walk = %v", ids)
	}
	if bu, ok := ks.(vault.PersonKeyBatchUpdater); ok {
		n, err := bu.UpdatePersonKeys(bg, []vault.PersonKeyUpdate{
			{Key: vault.PersonKey{ID: "p2", Wrapped: []byte("p2b"), KEKVersion: 3}, Prev: []byte("p2")},
			{Key: vault.PersonKey{ID: "gone", Wrapped: []byte("x")}, Prev: []byte("x")},
			{Key: vault.PersonKey{ID: "p4", Wrapped: []byte("p4b"), KEKVersion: 3}, Prev: []byte("changed meanwhile")},
			{Key: vault.PersonKey{ID: "p3", Wrapped: []byte("p3b"), KEKVersion: 3}, Prev: []byte("p3")}})
		if err != nil || n != 2 {
			t.Fatalf("UpdatePersonKeys = %d, %v; want 2 (missing and changed keys skipped)", n, err)
		}
		if k, _ := ks.LoadPersonKey(bg, "p4"); string(k.Wrapped) != "p4" {
			t.Fatalf("UpdatePersonKeys replaced a key that changed meanwhile: %+v", k)
		}
		if k, _ := ks.LoadPersonKey(bg, "p3"); string(k.Wrapped) != "p3b" || k.KEKVersion != 3 {
			t.Fatalf("after UpdatePersonKeys: %+v", k)
		}
	} else {
		t.Errorf("%T does not implement vault.PersonKeyBatchUpdater", ks)
	}
	if ok, err := ks.DestroyPersonKey(bg, "p1"); !ok || err != nil {
		t.Fatalf("DestroyPersonKey = %v, %v", ok, err)
	}
	if ok, err := ks.DestroyPersonKey(bg, "p1"); ok || err != nil {
		t.Fatalf("second DestroyPersonKey = %v, %v; want false, nil", ok, err)
	}
	if _, err := ks.LoadPersonKey(bg, "p1"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("LoadPersonKey after destroy: %v", err)
	}
}

func testPersonKeyConcurrentCreate(t *testing.T, st store.Store) {
	var wg sync.WaitGroup
	got := make([]vault.PersonKey, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Go(func() {
			got[i], errs[i] = st.CreatePersonKey(bg, vault.PersonKey{ID: "same", Wrapped: fmt.Appendf(nil, "w%d", i)})
		})
	}
	wg.Wait()
	for i := range 8 {
		must(t, errs[i])
		if !bytes.Equal(got[i].Wrapped, got[0].Wrapped) {
			t.Fatalf("concurrent creators got different keys: %q vs %q", got[i].Wrapped, got[0].Wrapped)
		}
	}
}

func sampleContact(id, key string) store.CachedContact {
	return store.CachedContact{
		IntercomID: id, PersonKeyID: key, Role: "user",
		ExternalIDEnc: rnd(60), ExternalIDIdx: []byte("x-" + id), EmailEnc: rnd(80), EmailIdx: []byte("e-" + key),
		NameEnc: rnd(50), PhoneEnc: rnd(55), PhoneIdx: []byte("p-" + id), AttributesEnc: rnd(200),
		LastSeenAt: ts("2026-03-01T10:00:00Z"), RemoteUpdatedAt: ts("2026-03-02T11:00:00Z"),
	}
}

func sameContact(t *testing.T, got, want store.CachedContact) {
	t.Helper()
	eq := got.IntercomID == want.IntercomID && got.PersonKeyID == want.PersonKeyID && got.Role == want.Role &&
		bytes.Equal(got.ExternalIDEnc, want.ExternalIDEnc) && bytes.Equal(got.ExternalIDIdx, want.ExternalIDIdx) &&
		bytes.Equal(got.EmailEnc, want.EmailEnc) && bytes.Equal(got.EmailIdx, want.EmailIdx) &&
		bytes.Equal(got.NameEnc, want.NameEnc) && bytes.Equal(got.PhoneEnc, want.PhoneEnc) &&
		bytes.Equal(got.PhoneIdx, want.PhoneIdx) && bytes.Equal(got.AttributesEnc, want.AttributesEnc) &&
		got.LastSeenAt.Equal(want.LastSeenAt) && got.RemoteUpdatedAt.Equal(want.RemoteUpdatedAt)
	if !eq {
		t.Fatalf("contact round trip differs:\n got %+v\nwant %+v", got, want)
	}
}

func testContacts(t *testing.T, st store.Store) {
	if _, err := st.GetContact(bg, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetContact missing: %v", err)
	}
	c := sampleContact("c1", "k1")
	must(t, st.UpsertContact(bg, c))
	got, err := st.GetContact(bg, "c1")
	must(t, err)
	sameContact(t, got, c)
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Fatal("CreatedAt/UpdatedAt not set")
	}
	created := got.CreatedAt
	time.Sleep(2 * time.Millisecond)
	c.Role, c.EmailEnc, c.NameEnc = "lead", rnd(81), nil
	must(t, st.UpsertContact(bg, c))
	got2, err := st.GetContact(bg, "c1")
	must(t, err)
	sameContact(t, got2, c)
	if !got2.CreatedAt.Equal(created) || !got2.UpdatedAt.After(got.UpdatedAt) {
		t.Fatalf("upsert: CreatedAt %v (want %v kept), UpdatedAt %v (want after %v)", got2.CreatedAt, created,
			got2.UpdatedAt, got.UpdatedAt)
	}
	c2 := sampleContact("c2", "k1") // same email index as c1 (shared email)
	must(t, st.UpsertContact(bg, c2))
	for _, q := range []struct {
		kind store.IndexKind
		idx  string
		want []string
	}{
		{store.IndexEmail, "e-k1", []string{"c1", "c2"}},
		{store.IndexPhone, "p-c2", []string{"c2"}},
		{store.IndexExternalID, "x-c1", []string{"c1"}},
		{store.IndexEmail, "nobody", nil},
	} {
		found, err := st.FindContacts(bg, q.kind, []byte(q.idx))
		must(t, err)
		var ids []string
		for _, f := range found {
			ids = append(ids, f.IntercomID)
		}
		if !slices.Equal(ids, q.want) {
			t.Fatalf("FindContacts(%s) = %v, want %v", q.kind, ids, q.want)
		}
	}
	if _, err := st.FindContacts(bg, "name", []byte("x")); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("FindContacts by an unknown kind: %v", err)
	}
	if err := st.UpsertContact(bg, store.CachedContact{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("UpsertContact without id: %v", err)
	}
	if ok, err := st.DeleteContact(bg, "c1"); !ok || err != nil {
		t.Fatalf("DeleteContact = %v, %v", ok, err)
	}
	if ok, err := st.DeleteContact(bg, "c1"); ok || err != nil {
		t.Fatalf("DeleteContact again = %v, %v", ok, err)
	}
	if _, err := st.GetContact(bg, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetContact after delete: %v", err)
	}
}

func testSyncState(t *testing.T, st store.Store) {
	if _, err := st.GetSyncState(bg, "contacts"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSyncState missing: %v", err)
	}
	must(t, st.PutSyncState(bg, store.SyncState{Name: "contacts", Cursor: "1700000000"}))
	must(t, st.PutSyncState(bg, store.SyncState{Name: "contacts", Cursor: "1700000100"}))
	s, err := st.GetSyncState(bg, "contacts")
	must(t, err)
	if s.Cursor != "1700000100" || s.UpdatedAt.IsZero() {
		t.Fatalf("GetSyncState = %+v", s)
	}
}

func testConversations(t *testing.T, st store.Store) {
	must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v1", ContactIDs: []string{"a", "b"},
		PersonKeyID: "ka", SubjectEnc: rnd(40), RemoteUpdatedAt: ts("2026-02-01T00:00:00Z")}))
	must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v2", ContactIDs: []string{"b"}, PersonKeyID: "kb"}))
	must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v3", ContactIDs: []string{"a"}, PersonKeyID: "ka"}))
	// Re-upserting replaces the contact links.
	must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v3", ContactIDs: []string{"c"}, PersonKeyID: "kc"}))
	for i, p := range []string{"p2", "p1", "p3"} {
		must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: "v1", PartID: p, AuthorType: "user",
			BodyEnc: rnd(300), CreatedAt: ts("2026-02-01T00:00:00Z").Add(time.Duration(i) * time.Second)}))
	}
	must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: "v2", PartID: "q1", AuthorType: "admin", BodyEnc: rnd(10)}))
	if err := st.UpsertPart(bg, store.CachedPart{ConversationID: "nope", PartID: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpsertPart of a missing conversation: %v", err)
	}
	convs, err := st.ConversationsByContact(bg, "a")
	must(t, err)
	if len(convs) != 1 || convs[0].ID != "v1" || !slices.Equal(convs[0].ContactIDs, []string{"a", "b"}) ||
		len(convs[0].SubjectEnc) != 40 || !convs[0].RemoteUpdatedAt.Equal(ts("2026-02-01T00:00:00Z")) {
		t.Fatalf("ConversationsByContact(a) = %+v", convs)
	}
	// Several conversations: each gets its own links, all of them.
	convs, err = st.ConversationsByContact(bg, "b")
	must(t, err)
	if len(convs) != 2 || convs[0].ID != "v1" || !slices.Equal(convs[0].ContactIDs, []string{"a", "b"}) ||
		convs[1].ID != "v2" || !slices.Equal(convs[1].ContactIDs, []string{"b"}) {
		t.Fatalf("ConversationsByContact(b) = %+v", convs)
	}
	if convs, err := st.ConversationsByContact(bg, "nobody"); err != nil || len(convs) != 0 {
		t.Fatalf("ConversationsByContact(nobody) = %+v, %v", convs, err)
	}
	parts, err := st.Parts(bg, "v1")
	must(t, err)
	if len(parts) != 3 || parts[0].PartID != "p2" || parts[2].PartID != "p3" || len(parts[1].BodyEnc) != 300 {
		t.Fatalf("Parts = %+v", parts)
	}
	nc, np, err := st.DeleteConversationsByContact(bg, "b")
	must(t, err)
	if nc != 2 || np != 4 {
		t.Fatalf("DeleteConversationsByContact(b) = %d conversations, %d parts; want 2, 4", nc, np)
	}
	if convs, _ := st.ConversationsByContact(bg, "c"); len(convs) != 1 {
		t.Fatalf("conversation of another contact deleted: %+v", convs)
	}
	if parts, _ := st.Parts(bg, "v1"); len(parts) != 0 {
		t.Fatalf("parts survived their conversation: %d", len(parts))
	}
}

func testWebhookEvents(t *testing.T, st store.Store) {
	e := store.WebhookEvent{NotificationID: "n1", Topic: "contact.user.created", ContactID: "c1", PayloadEnc: rnd(500),
		PersonKeyID: "k1", ReceivedAt: ts("2026-04-01T00:00:00Z")}
	for i := range 3 {
		ins, err := st.InsertWebhookEvent(bg, e)
		must(t, err)
		if ins != (i == 0) {
			t.Fatalf("InsertWebhookEvent #%d inserted=%v", i, ins)
		}
	}
	_, err := st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: "n2", Topic: "contact.deleted", ContactID: "c2",
		ReceivedAt: ts("2026-04-01T00:00:01Z")})
	must(t, err)
	_, err = st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: "n3", Topic: "x", ContactID: "c1"})
	must(t, err)
	un, err := st.UnprocessedWebhookEvents(bg, 10)
	must(t, err)
	if len(un) != 3 || un[0].NotificationID != "n1" || !bytes.Equal(un[0].PayloadEnc, e.PayloadEnc) || un[0].PersonKeyID != "k1" {
		t.Fatalf("UnprocessedWebhookEvents = %+v", un)
	}
	must(t, st.MarkWebhookProcessed(bg, "n1", time.Time{}))
	if err := st.MarkWebhookProcessed(bg, "nope", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MarkWebhookProcessed missing: %v", err)
	}
	un, _ = st.UnprocessedWebhookEvents(bg, 10)
	if len(un) != 2 || un[0].NotificationID != "n2" {
		t.Fatalf("after processing n1: %+v", un)
	}
	if un, _ := st.UnprocessedWebhookEvents(bg, 1); len(un) != 1 {
		t.Fatalf("limit not honoured: %d", len(un))
	}
	n, err := st.DeleteWebhookEventsByContact(bg, "c1")
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteWebhookEventsByContact = %d, want 2", n)
	}
}

func testWebhookListClaim(t *testing.T, st store.Store) {
	lister, ok1 := st.(store.WebhookEventLister)
	claimer, ok2 := st.(store.WebhookEventClaimer)
	if !ok1 || !ok2 {
		t.Fatalf("%T does not implement WebhookEventLister and WebhookEventClaimer", st)
	}
	for i, id := range []string{"n2", "n1", "n3"} {
		_, err := st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: id, ContactID: map[bool]string{true: "c1", false: "c2"}[i < 2],
			ReceivedAt: ts("2026-04-01T00:00:00Z").Add(time.Duration(i) * time.Second)})
		must(t, err)
	}
	evs, err := lister.WebhookEventsByContact(bg, "c1")
	must(t, err)
	if len(evs) != 2 || evs[0].NotificationID != "n2" || evs[1].NotificationID != "n1" {
		t.Fatalf("WebhookEventsByContact = %+v", evs)
	}
	if _, err := lister.WebhookEventsByContact(bg, ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("WebhookEventsByContact(\"\"): %v", err)
	}
	if _, err := claimer.ClaimWebhookEvent(bg, "nope", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim of a missing event: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	claims := 0
	for range 6 {
		wg.Go(func() {
			err := st.InTx(bg, func(tx store.Tx) error {
				ok, err := tx.(store.WebhookEventClaimer).ClaimWebhookEvent(bg, "n3", time.Time{})
				if ok {
					mu.Lock()
					claims++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if claims != 1 {
		t.Fatalf("6 concurrent claims of one event: %d succeeded, want 1", claims)
	}
	if un, _ := st.UnprocessedWebhookEvents(bg, 10); len(un) != 2 {
		t.Fatalf("after the claim %d events are unprocessed, want 2", len(un))
	}
}

func testBlobs(t *testing.T, st store.Store) {
	content := rnd(2*1024*1024 + 12345) // three chunks
	sum := sha256.Sum256(content)
	b, err := st.PutBlob(bg, store.Blob{Kind: store.BlobAccessPackage, RequestID: "req_1", PersonKeyID: "k1",
		Name: "package.zip", ExpiresAt: ts("2026-05-01T00:00:00Z")}, bytes.NewReader(content))
	must(t, err)
	if b.ID == "" || b.Size != int64(len(content)) || !bytes.Equal(b.SHA256, sum[:]) || b.CreatedAt.IsZero() {
		t.Fatalf("PutBlob = %+v", b)
	}
	got, err := st.GetBlob(bg, b.ID)
	must(t, err)
	if got.Name != "package.zip" || got.Kind != store.BlobAccessPackage || !got.ExpiresAt.Equal(b.ExpiresAt) ||
		got.Size != b.Size || !bytes.Equal(got.SHA256, b.SHA256) {
		t.Fatalf("GetBlob = %+v", got)
	}
	rc, err := st.OpenBlob(bg, b.ID)
	must(t, err)
	read, err := io.ReadAll(rc)
	must(t, err)
	must(t, rc.Close())
	if !bytes.Equal(read, content) {
		t.Fatal("OpenBlob content differs")
	}
	empty, err := st.PutBlob(bg, store.Blob{Kind: store.BlobExportFile, RequestID: "req_1"}, bytes.NewReader(nil))
	must(t, err)
	rc, err = st.OpenBlob(bg, empty.ID)
	must(t, err)
	if read, err := io.ReadAll(rc); err != nil || len(read) != 0 {
		t.Fatalf("empty blob read = %d bytes, %v", len(read), err)
	}
	list, err := st.BlobsByRequest(bg, "req_1")
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("BlobsByRequest = %d blobs", len(list))
	}
	if _, err := st.PutBlob(bg, store.Blob{Kind: "other"}, bytes.NewReader(nil)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("PutBlob with a bad kind: %v", err)
	}
	// A changed chunk is detected at the end of the stream.
	ExecRaw(t, st, `UPDATE blob_chunks SET data = $1 WHERE blob_id = $2 AND n = 1`, rnd(1024*1024), b.ID)
	rc, err = st.OpenBlob(bg, b.ID)
	must(t, err)
	if _, err := io.ReadAll(rc); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("reading an altered blob: %v, want ErrCorrupt", err)
	}
	if ok, err := st.DeleteBlob(bg, b.ID); !ok || err != nil {
		t.Fatalf("DeleteBlob = %v, %v", ok, err)
	}
	if _, err := st.OpenBlob(bg, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("OpenBlob after delete: %v", err)
	}
	if n := ExecRaw(t, st, `DELETE FROM blob_chunks WHERE blob_id = $1`, b.ID); n != 0 {
		t.Fatalf("%d chunks survived their blob", n)
	}
}

func testRequests(t *testing.T, st store.Store) {
	r, err := st.CreateRequest(bg, store.Request{Type: store.RequestAccessErasure, Jurisdiction: store.JurisdictionGDPR,
		Channel: "email", IdentifiersEnc: rnd(90), SubjectRef: "subj1", ReceivedAt: ts("2026-01-10T09:00:00Z"),
		DueAt: ts("2026-02-10T09:00:00Z"), Outcome: []byte(`{"note":"x"}`)})
	must(t, err)
	if len(r.ID) != 4+32 || r.ID[:4] != "req_" || r.State != store.StateReceived || r.CreatedAt.IsZero() {
		t.Fatalf("CreateRequest = %+v", r)
	}
	got, err := st.GetRequest(bg, r.ID)
	must(t, err)
	if got.Type != store.RequestAccessErasure || !bytes.Equal(got.IdentifiersEnc, r.IdentifiersEnc) ||
		!got.DueAt.Equal(ts("2026-02-10T09:00:00Z")) || string(got.Outcome) != `{"note":"x"}` || !got.AckDueAt.IsZero() {
		t.Fatalf("GetRequest = %+v", got)
	}
	if _, err := st.CreateRequest(bg, store.Request{ID: r.ID, Type: store.RequestAccess}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate CreateRequest: %v", err)
	}
	if _, err := st.CreateRequest(bg, store.Request{Type: store.RequestAccess, Outcome: []byte("{bad")}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("CreateRequest with bad JSON: %v", err)
	}
	if _, err := st.GetRequest(bg, "req_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRequest missing: %v", err)
	}
	r2, err := st.CreateRequest(bg, store.Request{Type: store.RequestAccess, Jurisdiction: store.JurisdictionCCPA,
		ReceivedAt: ts("2026-01-11T09:00:00Z"), DueAt: ts("2026-02-25T09:00:00Z")})
	must(t, err)
	// Extend r: its effective due date moves past the filter.
	r.State = store.StateVerified
	r.ExtendedDueAt, r.ExtensionReason = ts("2026-04-10T09:00:00Z"), "complexity"
	r, err = st.UpdateRequest(bg, r, store.StateReceived)
	must(t, err)
	if r.State != store.StateVerified || r.ExtensionReason != "complexity" {
		t.Fatalf("UpdateRequest = %+v", r)
	}
	list, err := st.ListRequests(bg, store.RequestFilter{})
	must(t, err)
	if len(list) != 2 || list[0].ID != r.ID || list[1].ID != r2.ID {
		t.Fatalf("ListRequests = %v", list)
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{States: []store.RequestState{store.StateReceived}})
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Fatalf("ListRequests by state = %v", list)
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{DueBefore: ts("2026-03-01T00:00:00Z")})
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Fatalf("ListRequests due before (extension honoured) = %v", list)
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{Limit: 1})
	if len(list) != 1 {
		t.Fatalf("ListRequests limit = %d", len(list))
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{SubjectRef: "subj1"})
	if len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("ListRequests by subject = %v", list)
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{SubjectRef: "subj1", Types: []store.RequestType{store.RequestAccess}})
	if len(list) != 0 {
		t.Fatalf("ListRequests by subject and another type = %v", list)
	}
	list, _ = st.ListRequests(bg, store.RequestFilter{Types: []store.RequestType{store.RequestAccess, store.RequestErasure}})
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Fatalf("ListRequests by type = %v", list)
	}
	// A stale expected state is refused, naming the actual state.
	r.State = store.StateCompleted
	_, err = st.UpdateRequest(bg, r, store.StateReceived)
	var sc *store.StateConflictError
	if !errors.As(err, &sc) || !errors.Is(err, store.ErrStateConflict) || sc.Actual != store.StateVerified {
		t.Fatalf("stale UpdateRequest: %v", err)
	}
	if _, err := st.UpdateRequest(bg, store.Request{ID: "req_missing", State: store.StateDenied}, store.StateReceived); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateRequest missing: %v", err)
	}
	// The verification level is stored at creation and by an update.
	if r2.VerificationLevel != "" {
		t.Fatalf("a new request has verification level %q", r2.VerificationLevel)
	}
	r3, err := st.CreateRequest(bg, store.Request{Type: store.RequestAccess, Jurisdiction: store.JurisdictionCCPA, State: store.StateVerified,
		VerificationLevel: store.VerificationLow, ReceivedAt: ts("2026-01-12T09:00:00Z"), DueAt: ts("2026-02-26T09:00:00Z")})
	must(t, err)
	if got, err := st.GetRequest(bg, r3.ID); err != nil || got.VerificationLevel != store.VerificationLow {
		t.Fatalf("created at level low, read back %q (%v)", got.VerificationLevel, err)
	}
	r3.VerificationLevel = store.VerificationHigh
	r3, err = st.UpdateRequest(bg, r3, store.StateVerified)
	must(t, err)
	if got, err := st.GetRequest(bg, r3.ID); err != nil || got.VerificationLevel != store.VerificationHigh || r3.VerificationLevel != store.VerificationHigh {
		t.Fatalf("updated to level high, read back %q (%v)", got.VerificationLevel, err)
	}
}

func testRequestConcurrency(t *testing.T, st store.Store) {
	r, err := st.CreateRequest(bg, store.Request{Type: store.RequestErasure})
	must(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range 8 {
		wg.Go(func() {
			x := r
			x.State = store.StateVerified
			_, err := st.UpdateRequest(bg, x, store.StateReceived)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, store.ErrStateConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("8 concurrent transitions: %d won, %d conflicted; want 1 and 7", wins, conflicts)
	}
}

func testSteps(t *testing.T, st store.Store) {
	r, err := st.CreateRequest(bg, store.Request{Type: store.RequestErasure})
	must(t, err)
	for _, name := range []string{"resolve", "delete_contacts", "purge_local"} {
		must(t, st.UpsertStep(bg, store.Step{RequestID: r.ID, Name: name, StartedAt: ts("2026-01-01T00:00:00Z")}))
	}
	must(t, st.UpsertStep(bg, store.Step{RequestID: r.ID, Name: "resolve", State: store.StepDone, Attempts: 2,
		Detail: []byte(`{"contacts":3}`), StartedAt: ts("2026-01-01T00:00:00Z"), FinishedAt: ts("2026-01-01T00:00:05Z")}))
	steps, err := st.Steps(bg, r.ID)
	must(t, err)
	if len(steps) != 3 || steps[0].Name != "resolve" || steps[0].State != store.StepDone || steps[0].Attempts != 2 ||
		string(steps[0].Detail) != `{"contacts":3}` || !steps[0].FinishedAt.Equal(ts("2026-01-01T00:00:05Z")) ||
		steps[1].Name != "delete_contacts" || steps[1].State != store.StepPending || steps[2].Name != "purge_local" {
		t.Fatalf("Steps = %+v", steps)
	}
	if err := st.UpsertStep(bg, store.Step{RequestID: "req_missing", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpsertStep of a missing request: %v", err)
	}
}

func testSuppression(t *testing.T, st store.Store) {
	a, b := rnd(32), rnd(32)
	added, err := st.AddSuppression(bg, store.Suppression{Ref: a, Kind: "email"})
	must(t, err)
	again, err := st.AddSuppression(bg, store.Suppression{Ref: a, Kind: "email"})
	must(t, err)
	if !added || again {
		t.Fatalf("AddSuppression added=%v then %v; want true then false", added, again)
	}
	for _, q := range []struct {
		refs [][]byte
		want bool
	}{{[][]byte{a}, true}, {[][]byte{b}, false}, {[][]byte{b, a}, true}, {nil, false}, {[][]byte{nil}, false}} {
		got, err := st.Suppressed(bg, q.refs...)
		must(t, err)
		if got != q.want {
			t.Fatalf("Suppressed(%d refs) = %v, want %v", len(q.refs), got, q.want)
		}
	}
	if _, err := st.AddSuppression(bg, store.Suppression{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("AddSuppression without ref: %v", err)
	}
}

func testRetention(t *testing.T, st store.Store) {
	old := ts("2026-01-01T00:00:00Z")
	cutoff := ts("2026-02-01T00:00:00Z")
	for i, key := range []string{"held", "free", "free", "free"} {
		c := sampleContact(fmt.Sprintf("c%d", i), key)
		c.CreatedAt = old
		must(t, st.UpsertContact(bg, c))
		must(t, st.UpsertConversation(bg, store.CachedConversation{ID: fmt.Sprintf("v%d", i), ContactIDs: []string{c.IntercomID},
			PersonKeyID: key, CreatedAt: old}))
		must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: fmt.Sprintf("v%d", i), PartID: "p", BodyEnc: rnd(9)}))
		_, err := st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: fmt.Sprintf("n%d", i), ContactID: c.IntercomID,
			PersonKeyID: key, ReceivedAt: old})
		must(t, err)
		_, err = st.PutBlob(bg, store.Blob{Kind: store.BlobExportFile, PersonKeyID: key, CreatedAt: old}, bytes.NewReader(rnd(10)))
		must(t, err)
		_, err = st.PutBlob(bg, store.Blob{Kind: store.BlobAccessPackage, RequestID: fmt.Sprintf("req_%d", i), CreatedAt: old},
			bytes.NewReader(rnd(10)))
		must(t, err)
	}
	// A recent contact is never expired.
	must(t, st.UpsertContact(bg, sampleContact("recent", "free")))
	h1, err := st.AddLegalHold(bg, store.LegalHold{SubjectRef: "held", Reason: "litigation"})
	must(t, err)
	h2, err := st.AddLegalHold(bg, store.LegalHold{RequestID: "req_2", Reason: "regulator inquiry"})
	must(t, err)
	if _, err := st.AddLegalHold(bg, store.LegalHold{Reason: "none"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("AddLegalHold with no target: %v", err)
	}
	holds, err := st.ActiveLegalHolds(bg)
	must(t, err)
	if len(holds) != 2 {
		t.Fatalf("ActiveLegalHolds = %+v", holds)
	}
	want := map[store.Category]int64{store.CategoryContactCache: 3, store.CategoryConversationCache: 3,
		store.CategoryWebhookEvents: 3, store.CategoryExportFiles: 3, store.CategoryAccessPackages: 3}
	for _, cat := range store.Categories() {
		n, err := st.CountExpired(bg, cat, cutoff)
		must(t, err)
		if n != want[cat] {
			t.Fatalf("CountExpired(%s) = %d, want %d", cat, n, want[cat])
		}
		var total int64
		for {
			d, err := st.DeleteExpired(bg, cat, cutoff, 2)
			must(t, err)
			if d > 2 {
				t.Fatalf("DeleteExpired(%s) deleted %d > limit 2", cat, d)
			}
			total += d
			if d < 2 {
				break
			}
		}
		if total != want[cat] {
			t.Fatalf("DeleteExpired(%s) deleted %d in all, want %d", cat, total, want[cat])
		}
		if n, _ := st.CountExpired(bg, cat, cutoff); n != 0 {
			t.Fatalf("after deletion CountExpired(%s) = %d", cat, n)
		}
	}
	if _, err := st.GetContact(bg, "c0"); err != nil {
		t.Fatalf("held contact deleted: %v", err)
	}
	if _, err := st.GetContact(bg, "recent"); err != nil {
		t.Fatalf("recent contact deleted: %v", err)
	}
	if b, _ := st.BlobsByRequest(bg, "req_2"); len(b) != 1 {
		t.Fatal("package of a held request deleted")
	}
	if parts, _ := st.Parts(bg, "v1"); len(parts) != 0 {
		t.Fatal("parts of an expired conversation survived")
	}
	// Releasing the holds makes the rows deletable.
	if ok, err := st.ReleaseLegalHold(bg, h1.ID, time.Time{}); !ok || err != nil {
		t.Fatalf("ReleaseLegalHold = %v, %v", ok, err)
	}
	if ok, _ := st.ReleaseLegalHold(bg, h1.ID, time.Time{}); ok {
		t.Fatal("a released hold released twice")
	}
	_, _ = st.ReleaseLegalHold(bg, h2.ID, time.Time{})
	if n, _ := st.CountExpired(bg, store.CategoryContactCache, cutoff); n != 1 {
		t.Fatalf("after release CountExpired = %d, want 1", n)
	}
	if n, _ := st.DeleteExpired(bg, store.CategoryAccessPackages, cutoff, 10); n != 1 {
		t.Fatalf("after release DeleteExpired(access_packages) = %d, want 1", n)
	}
	if _, err := st.CountExpired(bg, "audit", cutoff); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("CountExpired of an unknown category: %v", err)
	}
	if _, err := st.DeleteExpired(bg, store.CategoryContactCache, cutoff, 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("DeleteExpired with limit 0: %v", err)
	}
}

func testRetentionRuns(t *testing.T, st store.Store) {
	r1, err := st.InsertRetentionRun(bg, store.RetentionRun{StartedAt: ts("2026-01-01T03:00:00Z"), DryRun: true, State: "running"})
	must(t, err)
	r2, err := st.InsertRetentionRun(bg, store.RetentionRun{StartedAt: ts("2026-01-02T03:00:00Z"), State: "running"})
	must(t, err)
	r1.State, r1.FinishedAt, r1.Counts = "done", ts("2026-01-01T03:00:09Z"), map[string]int64{"contact_cache": 12}
	must(t, st.UpdateRetentionRun(bg, r1))
	if err := st.UpdateRetentionRun(bg, store.RetentionRun{ID: "ret_missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateRetentionRun missing: %v", err)
	}
	runs, err := st.RecentRetentionRuns(bg, 10)
	must(t, err)
	if len(runs) != 2 || runs[0].ID != r2.ID || runs[1].ID != r1.ID || !runs[1].DryRun || runs[0].DryRun ||
		runs[1].Counts["contact_cache"] != 12 || runs[1].State != "done" || !runs[1].FinishedAt.Equal(r1.FinishedAt) {
		t.Fatalf("RecentRetentionRuns = %+v", runs)
	}
}

func testExportJobs(t *testing.T, st store.Store) {
	j := store.ExportJob{JobIdentifier: "job1", Since: ts("2026-01-01T00:00:00Z"), Until: ts("2026-01-31T00:00:00Z"), State: "pending"}
	must(t, st.PutExportJob(bg, j))
	must(t, st.PutExportJob(bg, store.ExportJob{JobIdentifier: "job2", State: "completed"}))
	first, err := st.GetExportJob(bg, "job1")
	must(t, err)
	j.State, j.DownloadURL, j.Outcome = "completed", "https://example.invalid/download/job1", []byte(`{"rows":10}`)
	must(t, st.PutExportJob(bg, j))
	got, err := st.GetExportJob(bg, "job1")
	must(t, err)
	if got.State != "completed" || got.DownloadURL != j.DownloadURL || string(got.Outcome) != `{"rows":10}` ||
		!got.CreatedAt.Equal(first.CreatedAt) || !got.Since.Equal(j.Since) || !got.Until.Equal(j.Until) {
		t.Fatalf("GetExportJob = %+v", got)
	}
	if _, err := st.GetExportJob(bg, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetExportJob missing: %v", err)
	}
	pending, err := st.ExportJobs(bg, "pending", "in_progress")
	must(t, err)
	all, err2 := st.ExportJobs(bg)
	must(t, err2)
	if len(pending) != 0 || len(all) != 2 {
		t.Fatalf("ExportJobs: %d pending, %d in all", len(pending), len(all))
	}
}

func seedPerson(t *testing.T, st store.Store, contact, key string) {
	must(t, st.UpsertContact(bg, sampleContact(contact, key)))
	must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v-" + contact, ContactIDs: []string{contact}, PersonKeyID: key}))
	must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: "v-" + contact, PartID: "1"}))
	must(t, st.UpsertPart(bg, store.CachedPart{ConversationID: "v-" + contact, PartID: "2"}))
	_, err := st.InsertWebhookEvent(bg, store.WebhookEvent{NotificationID: "n-" + contact, ContactID: contact})
	must(t, err)
	_, err = st.PutBlob(bg, store.Blob{Kind: store.BlobAccessPackage, PersonKeyID: key}, bytes.NewReader(rnd(100)))
	must(t, err)
}

func testPurge(t *testing.T, st store.Store) {
	seedPerson(t, st, "x1", "kx")
	seedPerson(t, st, "x2", "kx") // a second contact of the same person, found by key only
	seedPerson(t, st, "y1", "ky")
	if _, err := st.PurgePerson(bg, store.PurgeTarget{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("PurgePerson with no target: %v", err)
	}
	// Rolled back with its transaction: nothing happens.
	sentinel := errors.New("abort")
	err := st.InTx(bg, func(tx store.Tx) error {
		if _, err := tx.PurgePerson(bg, store.PurgeTarget{PersonKeyIDs: []string{"kx"}}); err != nil {
			return err
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := st.GetContact(bg, "x2"); err != nil {
		t.Fatalf("rolled-back purge deleted: %v", err)
	}
	var counts store.PurgeCounts
	must(t, st.InTx(bg, func(tx store.Tx) error {
		var err error
		counts, err = tx.PurgePerson(bg, store.PurgeTarget{PersonKeyIDs: []string{"kx"}, ContactIDs: []string{"x1"}})
		return err
	}))
	want := store.PurgeCounts{Contacts: 2, Conversations: 2, Parts: 4, WebhookEvents: 2, Blobs: 2}
	if counts != want {
		t.Fatalf("PurgePerson = %+v, want %+v", counts, want)
	}
	for _, id := range []string{"x1", "x2"} {
		if _, err := st.GetContact(bg, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("contact %s survived the purge", id)
		}
		if c, _ := st.ConversationsByContact(bg, id); len(c) != 0 {
			t.Fatalf("conversations of %s survived", id)
		}
	}
	if _, err := st.GetContact(bg, "y1"); err != nil {
		t.Fatalf("another person was purged: %v", err)
	}
	if c, _ := st.ConversationsByContact(bg, "y1"); len(c) != 1 {
		t.Fatal("another person's conversation was purged")
	}
	// Purging again finds nothing: erasure is idempotent.
	again, err := st.PurgePerson(bg, store.PurgeTarget{PersonKeyIDs: []string{"kx"}, ContactIDs: []string{"x1"}})
	must(t, err)
	if again.Total() != 0 {
		t.Fatalf("second purge = %+v", again)
	}
	// By contact only: that contact's rows go, not what only its person key
	// names (the blob of y1 is found by key only).
	byContact, err := st.PurgePerson(bg, store.PurgeTarget{ContactIDs: []string{"y1"}})
	must(t, err)
	if want := (store.PurgeCounts{Contacts: 1, Conversations: 1, Parts: 2, WebhookEvents: 1}); byContact != want {
		t.Fatalf("PurgePerson by contact = %+v, want %+v", byContact, want)
	}
}

func testTxRollback(t *testing.T, st store.Store) {
	boom := errors.New("boom")
	err := st.InTx(bg, func(tx store.Tx) error {
		must(t, tx.UpsertContact(bg, sampleContact("r1", "k")))
		if _, err := tx.GetContact(bg, "r1"); err != nil {
			t.Errorf("a transaction does not see its own write: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if _, err := st.GetContact(bg, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back write is visible: %v", err)
	}
}

// appendRecord appends one record to the chain in its own transaction the way
// package audit does: lock the head, link to it.
func appendRecord(ctx context.Context, st store.Store, action string) (int64, error) {
	var seq int64
	err := st.InTx(ctx, func(tx store.Tx) error {
		head, prev, err := tx.Head(ctx)
		if err != nil {
			return err
		}
		seq = head + 1
		body := fmt.Appendf(nil, `{"seq":%d,"action":%q}`, seq, action)
		h := sha256.Sum256(append(slices.Clone(prev), body...))
		return tx.InsertRecord(ctx, audit.StoredRecord{Seq: seq, Time: time.Now().UTC().Truncate(time.Microsecond),
			Action: action, RequestID: "req_x", SubjectRef: "ref", Body: body, PrevHash: prev, Hash: h[:]})
	})
	return seq, err
}

// checkChain reads the whole chain and checks it is 1..n, gap-free and linked.
func checkChain(t *testing.T, st store.Store, n int) {
	t.Helper()
	var prev []byte
	var i int64
	for r, err := range st.Records(bg, 1) {
		must(t, err)
		i++
		if r.Seq != i {
			t.Fatalf("chain has seq %d where %d was expected (gap or disorder)", r.Seq, i)
		}
		h := sha256.Sum256(append(slices.Clone(prev), r.Body...))
		if !bytes.Equal(r.PrevHash, prev) || !bytes.Equal(r.Hash, h[:]) {
			t.Fatalf("record %d is not linked to its predecessor", r.Seq)
		}
		prev = r.Hash
	}
	if i != int64(n) {
		t.Fatalf("chain has %d records, want %d", i, n)
	}
}

func testAuditChain(t *testing.T, st store.Store) {
	must(t, st.InTx(bg, func(tx store.Tx) error {
		seq, hash, err := tx.Head(bg)
		if seq != 0 || hash != nil || err != nil {
			t.Fatalf("Head of an empty chain = %d, %x, %v", seq, hash, err)
		}
		_, ok, err := tx.LastCheckpoint(bg)
		if ok || err != nil {
			t.Fatalf("LastCheckpoint of an empty chain = %v, %v", ok, err)
		}
		return nil
	}))
	const n = 2*2000 + 7 // crosses the read batch boundary
	must(t, st.InTx(bg, func(tx store.Tx) error {
		var prev []byte
		for seq := int64(1); seq <= n; seq++ {
			body := fmt.Appendf(nil, `{"seq":%d}`, seq)
			h := sha256.Sum256(append(slices.Clone(prev), body...))
			if err := tx.InsertRecord(bg, audit.StoredRecord{Seq: seq, Time: ts("2026-01-01T00:00:00Z"), Action: "a",
				Body: body, PrevHash: prev, Hash: h[:]}); err != nil {
				return err
			}
			prev = h[:]
			if seq%1000 == 0 {
				if err := tx.InsertCheckpoint(bg, audit.Checkpoint{Seq: seq, Hash: prev, Time: ts("2026-01-01T00:00:00Z"),
					KeyID: "k1", Signature: rnd(64)}); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	checkChain(t, st, n)
	var from []int64
	for r, err := range st.Records(bg, n-2) {
		must(t, err)
		from = append(from, r.Seq)
	}
	if !slices.Equal(from, []int64{n - 2, n - 1, n}) {
		t.Fatalf("Records(from %d) = %v", n-2, from)
	}
	for r, err := range st.Records(bg, 1) { // stopping early must not leak or fail
		must(t, err)
		if r.Seq == 3 {
			break
		}
	}
	must(t, st.InTx(bg, func(tx store.Tx) error {
		seq, hash, err := tx.Head(bg)
		if err != nil || seq != n || len(hash) != 32 {
			t.Fatalf("Head = %d, %d bytes, %v", seq, len(hash), err)
		}
		// Not head+1: refused, the chain stays gap-free.
		if err := tx.InsertRecord(bg, audit.StoredRecord{Seq: n + 2, Body: []byte("{}"), Hash: rnd(32)}); !errors.Is(err, store.ErrChainConflict) {
			t.Fatalf("InsertRecord with a gap: %v", err)
		}
		if err := tx.InsertRecord(bg, audit.StoredRecord{Seq: n, Body: []byte("{}"), Hash: rnd(32)}); !errors.Is(err, store.ErrChainConflict) {
			t.Fatalf("InsertRecord of an existing seq: %v", err)
		}
		c, ok, err := tx.LastCheckpoint(bg)
		if err != nil || !ok || c.Seq != 4000 || c.KeyID != "k1" || len(c.Signature) != 64 {
			t.Fatalf("LastCheckpoint = %+v, %v, %v", c, ok, err)
		}
		return nil
	}))
	var cps []int64
	for c, err := range st.Checkpoints(bg) {
		must(t, err)
		cps = append(cps, c.Seq)
	}
	if !slices.Equal(cps, []int64{1000, 2000, 3000, 4000}) {
		t.Fatalf("Checkpoints = %v", cps)
	}
}

func testAuditConcurrent(t *testing.T, st store.Store) {
	const writers, each = 8, 15
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				if _, err := appendRecord(bg, st, fmt.Sprintf("w%d", w)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkChain(t, st, writers*each)
}

func testTwoInstances(t *testing.T, b Backend) {
	u := b.NewURL(t)
	s1, s2 := OpenURL(t, u), OpenURL(t, u)
	const each = 30
	var wg sync.WaitGroup
	for _, st := range []store.Store{s1, s2, s1, s2} {
		wg.Go(func() {
			for range each {
				if _, err := appendRecord(bg, st, "two"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkChain(t, s1, 4*each)
	checkChain(t, s2, 4*each)
}

func testMigrateRerun(t *testing.T, st store.Store) {
	v, err := st.SchemaVersion(bg)
	must(t, err)
	if v < 1 {
		t.Fatalf("SchemaVersion after Open = %d", v)
	}
	before, after, err := st.Migrate(bg)
	must(t, err)
	if before != v || after != v {
		t.Fatalf("re-running Migrate: %d -> %d, want %d -> %d", before, after, v, v)
	}
	// Schema newer than the binary.
	ExecRaw(t, st, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)`, int64(v+1))
	if _, _, err := st.Migrate(bg); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema: %v", err)
	}
}
