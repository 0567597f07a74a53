package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func scansOf(t *testing.T, v any) store.Scans {
	t.Helper()
	s, ok := v.(store.Scans)
	if !ok {
		t.Fatalf("%T does not implement store.Scans", v)
	}
	return s
}

func finding(conv, part string, seq int, kind, role, typ, month, inbox string) store.ScanFinding {
	return store.ScanFinding{ConversationID: conv, PartID: part, Seq: seq, PartKind: kind, AuthorRole: role, Type: typ,
		Confidence: 0.95, Validator: "luhn+iin", Field: "body", PartCreatedAt: ts("2026-03-04T05:06:07Z"), Month: month, Inbox: inbox}
}

func testScans(t *testing.T, st store.Store) {
	sc := scansOf(t, st)
	if _, err := sc.LatestScanRun(bg); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("latest run of an empty store: %v", err)
	}
	must(t, sc.CreateScanRun(bg, store.ScanRun{ID: "r1", WindowTo: ts("2026-04-01T00:00:00Z"), StartedAt: ts("2026-04-01T00:00:00Z")}))
	must(t, sc.CreateScanRun(bg, store.ScanRun{ID: "r2", WindowFrom: ts("2026-04-01T00:00:00Z"), WindowTo: ts("2026-05-01T00:00:00Z"), StartedAt: ts("2026-05-01T00:00:00Z"), Types: "CARD"}))
	if err := sc.CreateScanRun(bg, store.ScanRun{ID: "r1", WindowTo: ts("2026-04-01T00:00:00Z")}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate run: %v", err)
	}
	r, err := sc.LatestScanRun(bg, store.ScanRunning)
	if err != nil || r.ID != "r2" || r.Types != "CARD" || !r.WindowFrom.Equal(ts("2026-04-01T00:00:00Z")) {
		t.Fatalf("latest running: %+v %v", r, err)
	}
	r.State, r.FinishedAt, r.Scanned, r.Unchanged, r.Failed, r.Total = store.ScanDone, ts("2026-05-01T01:00:00Z"), 3, 2, 1, 6
	must(t, sc.UpdateScanRun(bg, r))
	if got, err := sc.LatestScanRun(bg, store.ScanDone); err != nil || got != r {
		t.Fatalf("after update: %+v %v, want %+v", got, err, r)
	}
	if got, err := sc.LatestScanRun(bg, store.ScanRunning); err != nil || got.ID != "r1" {
		t.Fatalf("latest running after r2 finished: %+v %v", got, err)
	}
	if err := sc.UpdateScanRun(bg, store.ScanRun{ID: "nope", State: store.ScanDone}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing run: %v", err)
	}

	// Conversations and findings.
	c1 := store.ScannedConversation{ConversationID: "c1", UpdatedAt: ts("2026-03-05T00:00:00Z"), RunID: "r1", Inbox: "team7",
		PartsTotal: 620, PartsScanned: 500, AttachmentOnly: 2, Status: store.ScanStatusScanned}
	must(t, sc.PutScannedConversation(bg, c1, []store.ScanFinding{
		finding("c1", "s1", 0, "source", "customer", "CARD", "2026-03", "team7"),
		finding("c1", "p1", 0, "part", "customer", "CARD", "2026-03", "team7"),
		finding("c1", "p1", 1, "part", "customer", "PASSWORD", "2026-03", "team7"),
		finding("c1", "p2", 0, "part", "teammate", "EMAIL", "2026-03", "team7"),
	}))
	must(t, sc.PutScannedConversation(bg, store.ScannedConversation{ConversationID: "c2", UpdatedAt: ts("2026-02-01T00:00:00Z"), Status: store.ScanStatusScanned,
		PartsTotal: 3, PartsScanned: 3}, []store.ScanFinding{finding("c2", "p9", 0, "part", "customer", "CARD", "2026-02", "")}))
	if err := sc.PutScannedConversation(bg, store.ScannedConversation{ConversationID: "c3", Status: store.ScanStatusScanned},
		[]store.ScanFinding{finding("c1", "p9", 0, "part", "customer", "CARD", "2026-02", "")}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("finding of another conversation: %v", err)
	}
	got, err := sc.ScannedConversation(bg, "c1")
	if err != nil || got.PartsTotal != 620 || got.PartsScanned != 500 || got.Inbox != "team7" || !got.UpdatedAt.Equal(c1.UpdatedAt) || got.ScannedAt.IsZero() {
		t.Fatalf("scanned conversation: %+v %v", got, err)
	}
	counts, err := sc.ScanCounts(bg, store.ByType)
	must(t, err)
	want := []store.ScanCount{{Type: "CARD", Findings: 3, Parts: 3, Conversations: 2}, {Type: "EMAIL", Findings: 1, Parts: 1, Conversations: 1}, {Type: "PASSWORD", Findings: 1, Parts: 1, Conversations: 1}}
	if !slices.Equal(counts, want) {
		t.Fatalf("by type: %+v, want %+v", counts, want)
	}
	byMonth, err := sc.ScanCounts(bg, store.ByMonth)
	must(t, err)
	if len(byMonth) != 4 || byMonth[0] != (store.ScanCount{Key: "2026-02", Type: "CARD", Findings: 1, Parts: 1, Conversations: 1}) {
		t.Fatalf("by month: %+v", byMonth)
	}
	byRole, err := sc.ScanCounts(bg, store.ByAuthorRole)
	must(t, err)
	if len(byRole) != 3 || byRole[0].Key != "customer" || byRole[2].Key != "teammate" {
		t.Fatalf("by role: %+v", byRole)
	}
	if _, err := sc.ScanCounts(bg, store.ScanGroup("type; DROP TABLE scan_findings")); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown grouping: %v", err)
	}
	top, err := sc.TopScanConversations(bg, 1)
	if err != nil || len(top) != 1 || top[0].ConversationID != "c1" || top[0].Findings != 4 || !slices.Equal(top[0].Types, []string{"CARD", "EMAIL", "PASSWORD"}) {
		t.Fatalf("top: %+v %v", top, err)
	}
	cov, err := sc.ScanCoverage(bg)
	if err != nil || cov != (store.ScanCoverage{Conversations: 2, Truncated: 1, PartsNotScanned: 120, PartsScanned: 503, AttachmentOnly: 2}) {
		t.Fatalf("coverage: %+v %v", cov, err)
	}

	// Redaction targets: parts with a chosen type, filtered by author role.
	tg, err := sc.RedactionTargets(bg, []string{"CARD", "PASSWORD"}, nil)
	must(t, err)
	if len(tg) != 3 || tg[0].PartID != "p1" || tg[0].Types != "CARD,PASSWORD" || tg[1].PartKind != "source" || tg[2].ConversationID != "c2" {
		t.Fatalf("targets: %+v", tg)
	}
	tg, err = sc.RedactionTargets(bg, []string{"EMAIL"}, []string{"customer"})
	if err != nil || len(tg) != 0 {
		t.Fatalf("targets by role: %+v %v", tg, err)
	}
	x := store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part", AuthorRole: "customer", Types: "CARD,PASSWORD", Origin: "scan",
		MessageCreatedAt: ts("2026-03-04T05:06:07Z")}
	ok, err := sc.QueueRedaction(bg, x)
	if err != nil || !ok {
		t.Fatalf("queue: %v %v", ok, err)
	}
	if ok, err := sc.QueueRedaction(bg, x); err != nil || ok {
		t.Fatalf("second queue: %v %v", ok, err)
	}
	if _, err := sc.QueueRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "comment"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad kind: %v", err)
	}
	r1, err := sc.GetRedaction(bg, "c1", "p1")
	if err != nil || r1.State != store.RedactionQueued || r1.QueuedAt.IsZero() || !r1.MessageCreatedAt.Equal(x.MessageCreatedAt) {
		t.Fatalf("get: %+v %v", r1, err)
	}
	r1.State, r1.IntendedAt, r1.Attempts = store.RedactionIntended, ts("2026-05-02T00:00:00Z"), 1
	must(t, sc.PutRedaction(bg, r1))
	tg, err = sc.RedactionTargets(bg, []string{"CARD"}, nil)
	if err != nil || len(tg) != 3 {
		t.Fatalf("an intended redaction is still a target: %+v %v", tg, err)
	}
	r1.State, r1.FinishedAt = store.RedactionDone, ts("2026-05-02T00:00:01Z")
	must(t, sc.PutRedaction(bg, r1))
	tg, err = sc.RedactionTargets(bg, []string{"CARD"}, nil)
	if err != nil || len(tg) != 2 {
		t.Fatalf("a done redaction is no target: %+v %v", tg, err)
	}
	if got, _ := sc.GetRedaction(bg, "c1", "p1"); got.State != r1.State || got.FinishedAt != r1.FinishedAt {
		t.Fatalf("after put: %+v, want %+v", got, r1)
	}
	if err := sc.PutRedaction(bg, store.Redaction{ConversationID: "c9", PartID: "p", State: store.RedactionDone}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("put of a missing redaction: %v", err)
	}
	_, err = sc.QueueRedaction(bg, store.Redaction{ConversationID: "c2", PartID: "p9", PartKind: "part", QueuedAt: ts("2026-05-03T00:00:00Z")})
	must(t, err)
	open, err := sc.Redactions(bg, 10, store.RedactionQueued, store.RedactionIntended)
	if err != nil || len(open) != 1 || open[0].PartID != "p9" {
		t.Fatalf("open redactions: %+v %v", open, err)
	}
	if notes, err := sc.RedactionsWithOpenNotes(bg, 10); err != nil || len(notes) != 0 {
		t.Fatalf("open notes before any was wanted: %+v %v", notes, err)
	}
	r1.NoteState = "intended"
	must(t, sc.PutRedaction(bg, r1))
	if notes, err := sc.RedactionsWithOpenNotes(bg, 10); err != nil || len(notes) != 1 || notes[0].PartID != "p1" {
		t.Fatalf("open notes: %+v %v", notes, err)
	}
	r1.NoteState = "posted"
	must(t, sc.PutRedaction(bg, r1))
	rc, err := sc.RedactionCounts(bg)
	if err != nil || rc[store.RedactionDone] != 1 || rc[store.RedactionQueued] != 1 {
		t.Fatalf("counts: %v %v", rc, err)
	}

	// A part's findings are replaced alone; a rescan replaces the conversation's.
	must(t, sc.PutPartFindings(bg, "c1", "p2", nil))
	must(t, sc.PutPartFindings(bg, "c1", "p3", []store.ScanFinding{finding("c1", "p3", 0, "part", "customer", "SECRET", "2026-05", "")}))
	counts, _ = sc.ScanCounts(bg, store.ByType)
	if len(counts) != 3 || counts[1].Type != "PASSWORD" || counts[2].Type != "SECRET" {
		t.Fatalf("after part findings: %+v", counts)
	}
	c1.UpdatedAt = ts("2026-05-06T00:00:00Z")
	must(t, sc.PutScannedConversation(bg, c1, nil))
	// A failed fetch keeps what was found before.
	must(t, sc.PutScannedConversation(bg, store.ScannedConversation{ConversationID: "c2", UpdatedAt: ts("2026-05-07T00:00:00Z"),
		Status: store.ScanStatusFailed, ErrorClass: "server"}, nil))
	counts, _ = sc.ScanCounts(bg, store.ByType)
	if len(counts) != 1 || counts[0] != (store.ScanCount{Type: "CARD", Findings: 1, Parts: 1, Conversations: 1}) {
		t.Fatalf("after rescan: %+v", counts)
	}

	// The findings of one conversation, as stored.
	if fs, err := sc.ScanFindings(bg, "c2"); err != nil || len(fs) != 1 || fs[0].ConversationID != "c2" || fs[0].Type != "CARD" || fs[0].Confidence != 0.95 {
		t.Fatalf("findings of c2: %+v %v", fs, err)
	}
	if fs, err := sc.ScanFindings(bg, "c1"); err != nil || len(fs) != 0 {
		t.Fatalf("findings of a conversation rescanned clean: %+v %v", fs, err)
	}

	// A ticket's attributes are recorded as "ticket:<id>": counted apart, and
	// never redaction targets (Intercom redacts messages only).
	before, err := sc.RedactionTargets(bg, []string{"CARD"}, nil)
	must(t, err)
	must(t, sc.PutScannedConversation(bg, store.ScannedConversation{ConversationID: "ticket:t1", UpdatedAt: ts("2026-05-08T00:00:00Z"), Status: store.ScanStatusScanned},
		[]store.ScanFinding{finding("ticket:t1", "Payment details", 0, "ticket_attribute", "other", "CARD", "2026-05", "")}))
	after, err := sc.RedactionTargets(bg, []string{"CARD"}, nil)
	if err != nil || len(after) != len(before) {
		t.Fatalf("a ticket attribute became a redaction target: %+v %v", after, err)
	}
	if cov, err := sc.ScanCoverage(bg); err != nil || cov.Tickets != 1 || cov.TicketAttributeFindings != 1 || cov.Conversations != 2 {
		t.Fatalf("coverage with a ticket: %+v %v", cov, err)
	}

	// Notifications are de-duplicated by id.
	for i, want := range []bool{true, false} {
		ok, err := sc.InsertScanNotification(bg, "n1", "conversation.user.replied", "c1", time.Time{})
		if err != nil || ok != want {
			t.Fatalf("notification insert %d: %v %v", i, ok, err)
		}
	}
}

// testScanRedactionsInTx checks that a redaction's state rolls back with its
// transaction (the audit record of the state change commits with it).
func testScanRedactionsInTx(t *testing.T, st store.Store) {
	sc := scansOf(t, st)
	_, err := sc.QueueRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part"})
	must(t, err)
	boom := errors.New("boom")
	err = st.InTx(bg, func(tx store.Tx) error {
		x, err := scansOf(t, tx).GetRedaction(bg, "c1", "p1")
		if err != nil {
			return err
		}
		x.State = store.RedactionIntended
		if err := scansOf(t, tx).PutRedaction(bg, x); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if x, _ := sc.GetRedaction(bg, "c1", "p1"); x.State != store.RedactionQueued {
		t.Fatalf("state after rollback: %s", x.State)
	}
}

// testScanLeases checks the lease's rules on one store: one holder at a time,
// the holder renews and re-enters, a lease is taken over only once expired,
// and renewing a lease lost to another holder fails.
func testScanLeases(t *testing.T, st store.Store) {
	sc := scansOf(t, st)
	t0 := ts("2026-05-01T00:00:00Z")
	ttl := time.Minute
	if _, err := sc.GetScanLease(bg, "scan"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease nobody took: %v", err)
	}
	if _, err := sc.AcquireScanLease(bg, "", "a", t0, ttl); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("lease without a name: %v", err)
	}
	l, err := sc.AcquireScanLease(bg, "scan", "a", t0, ttl)
	if err != nil || l.Holder != "a" || !l.AcquiredAt.Equal(t0) || !l.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Fatalf("first acquire: %+v %v", l, err)
	}
	// Another holder is refused while it is live, even at its last instant.
	for _, at := range []time.Time{t0.Add(time.Second), t0.Add(ttl - time.Microsecond)} {
		if l, err := sc.AcquireScanLease(bg, "scan", "b", at, ttl); err != nil || l.Holder != "a" {
			t.Fatalf("b at %s: %+v %v", at, l, err)
		}
	}
	// Another name is another lease.
	if l, err := sc.AcquireScanLease(bg, "redact", "b", t0, ttl); err != nil || l.Holder != "b" {
		t.Fatalf("b on another name: %+v %v", l, err)
	}
	// The holder renews (and re-enters) and keeps its acquisition time.
	must(t, sc.RenewScanLease(bg, "scan", "a", t0.Add(30*time.Second), ttl))
	l, err = sc.AcquireScanLease(bg, "scan", "a", t0.Add(40*time.Second), ttl)
	if err != nil || l.Holder != "a" || !l.AcquiredAt.Equal(t0) || !l.HeartbeatAt.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("re-entry: %+v %v", l, err)
	}
	// Expired: b takes it over, and a can no longer renew it.
	late := t0.Add(40*time.Second + ttl)
	l, err = sc.AcquireScanLease(bg, "scan", "b", late, ttl)
	if err != nil || l.Holder != "b" || !l.AcquiredAt.Equal(late) {
		t.Fatalf("takeover: %+v %v", l, err)
	}
	if err := sc.RenewScanLease(bg, "scan", "a", late, ttl); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("renewal of a lost lease: %v", err)
	}
	// Releasing someone else's lease does nothing; the holder's own frees it.
	must(t, sc.ReleaseScanLease(bg, "scan", "a"))
	if l, err := sc.GetScanLease(bg, "scan"); err != nil || l.Holder != "b" {
		t.Fatalf("after a's release: %+v %v", l, err)
	}
	must(t, sc.ReleaseScanLease(bg, "scan", "b"))
	if l, err := sc.AcquireScanLease(bg, "scan", "a", late, ttl); err != nil || l.Holder != "a" {
		t.Fatalf("after b's release: %+v %v", l, err)
	}
}

// testScanApprovals checks proposed redactions: they wait for a decision, are
// not redaction targets until approved, and are decided once.
func testScanApprovals(t *testing.T, st store.Store) {
	sc := scansOf(t, st)
	must(t, sc.PutScannedConversation(bg, store.ScannedConversation{ConversationID: "c1", UpdatedAt: ts("2026-03-05T00:00:00Z"), Status: store.ScanStatusScanned},
		[]store.ScanFinding{
			finding("c1", "p1", 0, "part", "customer", "CARD", "2026-03", ""),
			finding("c1", "p2", 0, "part", "customer", "CARD", "2026-03", ""),
			finding("c1", "p3", 0, "part", "customer", "CARD", "2026-03", ""),
		}))
	if _, err := sc.ProposeRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("proposal without a proposer: %v", err)
	}
	for _, p := range []string{"p1", "p2"} {
		ok, err := sc.ProposeRedaction(bg, store.Redaction{ConversationID: "c1", PartID: p, PartKind: "part", Types: "CARD", ProposedBy: "user:u1"})
		if err != nil || !ok {
			t.Fatalf("propose %s: %v %v", p, ok, err)
		}
	}
	if ok, err := sc.ProposeRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part", ProposedBy: "user:u1"}); err != nil || ok {
		t.Fatalf("second proposal of p1: %v %v", ok, err)
	}
	targets := func() []string {
		xs, err := sc.RedactionTargets(bg, []string{"CARD"}, nil)
		must(t, err)
		var out []string
		for _, x := range xs {
			out = append(out, x.PartID)
		}
		return out
	}
	if got := targets(); !slices.Equal(got, []string{"p3"}) {
		t.Fatalf("targets while p1, p2 await a decision: %v", got)
	}
	waiting, err := sc.RedactionsAwaiting(bg, store.ApprovalProposed, 10)
	if err != nil || len(waiting) != 2 || waiting[0].ProposedBy != "user:u1" || waiting[0].Approval != store.ApprovalProposed {
		t.Fatalf("awaiting: %+v %v", waiting, err)
	}
	at := ts("2026-05-02T00:00:00Z")
	must(t, sc.DecideRedaction(bg, "c1", "p1", store.ApprovalApproved, "user:u2", at))
	must(t, sc.DecideRedaction(bg, "c1", "p2", store.ApprovalRejected, "user:u2", at))
	if err := sc.DecideRedaction(bg, "c1", "p1", store.ApprovalRejected, "user:u3", at); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("second decision: %v", err)
	}
	if err := sc.DecideRedaction(bg, "c1", "nope", store.ApprovalApproved, "user:u3", at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("decision on a missing redaction: %v", err)
	}
	if got := targets(); !slices.Equal(got, []string{"p1", "p3"}) {
		t.Fatalf("targets after the decisions: %v", got)
	}
	x, err := sc.GetRedaction(bg, "c1", "p1")
	if err != nil || x.Approval != store.ApprovalApproved || x.DecidedBy != "user:u2" || !x.DecidedAt.Equal(at) || x.State != store.RedactionQueued {
		t.Fatalf("approved: %+v %v", x, err)
	}
	if got, err := sc.RedactionsAwaiting(bg, store.ApprovalApproved, 10); err != nil || len(got) != 1 || got[0].PartID != "p1" {
		t.Fatalf("approved list: %+v %v", got, err)
	}
}

// testScanRedactionClaims checks the claim of one part's redaction: one
// holder at a time until it lapses, renewed by its holder.
func testScanRedactionClaims(t *testing.T, st store.Store) {
	sc := scansOf(t, st)
	t0 := ts("2026-05-01T00:00:00Z")
	if _, err := sc.ClaimRedaction(bg, "c1", "p1", "a", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim of a missing redaction: %v", err)
	}
	_, err := sc.QueueRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part"})
	must(t, err)
	for i, c := range []struct {
		holder string
		at     time.Time
		want   bool
	}{
		{"a", t0, true},
		{"b", t0.Add(30 * time.Second), false},
		{"a", t0.Add(30 * time.Second), true}, // renewed to 1m30s
		{"b", t0.Add(80 * time.Second), false},
		{"b", t0.Add(90 * time.Second), true}, // lapsed
		{"a", t0.Add(100 * time.Second), false},
	} {
		got, err := sc.ClaimRedaction(bg, "c1", "p1", c.holder, c.at, c.at.Add(time.Minute))
		if err != nil || got != c.want {
			t.Fatalf("claim %d by %s: %v %v, want %v", i, c.holder, got, err, c.want)
		}
	}
}

// testScanLeaseRace has two stores (two pools, as two processes) on one
// database race for one lease many times: exactly one wins each round.
func testScanLeaseRace(t *testing.T, b Backend) {
	u := b.NewURL(t)
	stores := []store.Store{OpenURL(t, u), OpenURL(t, u), OpenURL(t, u), OpenURL(t, u)}
	t0 := ts("2026-05-01T00:00:00Z")
	for round := range 25 {
		now := t0.Add(time.Duration(round) * time.Hour) // the previous round's lease has expired
		won := make([]bool, len(stores))
		var wg sync.WaitGroup
		claimed := make([]bool, len(stores))
		if round == 0 {
			_, err := scansOf(t, stores[0]).QueueRedaction(bg, store.Redaction{ConversationID: "c1", PartID: "p1", PartKind: "part"})
			must(t, err)
		}
		for i, st := range stores {
			wg.Go(func() {
				holder := fmt.Sprintf("h%d", i)
				l, err := scansOf(t, st).AcquireScanLease(bg, "scan", holder, now, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				won[i] = l.Holder == holder
				claimed[i], err = scansOf(t, st).ClaimRedaction(bg, "c1", "p1", holder, now, now.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		n := 0
		for _, w := range won {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d holders won the lease", round, n)
		}
		n = 0
		for _, c := range claimed {
			if c {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d holders claimed the part", round, n)
		}
	}
}
