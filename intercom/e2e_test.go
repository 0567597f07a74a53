package intercom_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// startSandbox serves a sandbox in-process and returns it with a client for it.
func startSandbox(t testing.TB, opts sandbox.Options, mod func(*intercom.Config)) (*sandbox.Server, *intercom.Client) {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); _ = s.Close() })
	cfg := intercom.Config{Token: intercom.Token(s.Token()), BaseURL: srv.URL, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := intercom.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func collect[T any](t *testing.T, what string, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, v)
	}
	return out
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	sort.Strings(out)
	return out
}

func noDuplicates(t *testing.T, what string, xs []string) {
	t.Helper()
	for i := 1; i < len(xs); i++ {
		if xs[i] == xs[i-1] {
			t.Fatalf("%s: %s returned twice", what, xs[i])
		}
	}
}

// TestEndToEndUnderFaults drives the client against the sandbox with latency, 5xx
// answers (JSON and proxy HTML), 429 bursts, a tight rate limit and dropped
// connections (half of them after the change was made), and checks that every result
// is complete and that nothing was changed twice.
func TestEndToEndUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run takes several seconds")
	}
	opts := sandbox.Options{
		Seed: 7, Contacts: 400,
		Latency: 2 * time.Millisecond, LatencyJitter: 8 * time.Millisecond,
		ErrorRate: 0.1, DropRate: 0.08,
		RateLimit: 60, Window: time.Second,
		Burst429: sandbox.Burst{Every: 40, Length: 3},
	}
	s, c := startSandbox(t, opts, func(cfg *intercom.Config) {
		cfg.MaxRetries = 10
		cfg.RateWindow = time.Second
		cfg.MaxRateLimitRetries = 20
	})
	cx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := s.AddPerson(sandbox.PersonSpec{
		Users: 2, Leads: 1, Archived: 1, Merged: 1,
		Conversations: 3, PartsPerConversation: 520, SharedConversations: 1,
		Tickets: 2, Notes: 3, Events: 25, OldEvents: 4,
	})
	ws := s.Workspace()

	// Every live contact, once, in pages of 50.
	var want []string
	for _, ct := range ws.Contacts() {
		if !ct.Archived && ct.MergedInto == "" && !ws.ContactDeleted(ct.ID) {
			want = append(want, ct.ID)
		}
	}
	sort.Strings(want)
	got := ids(collect(t, "list contacts", c.ListContacts(cx, intercom.ListOptions{PerPage: 50})), func(ct intercom.Contact) string { return string(ct.ID) })
	noDuplicates(t, "list contacts", got)
	if !slices.Equal(got, want) {
		t.Fatalf("list: %d contacts, want %d", len(got), len(want))
	}

	// The person's contacts by email, their conversations and tickets by contact id.
	found := ids(collect(t, "search contacts", c.SearchContacts(cx, intercom.Field("email").Eq(p.Email), intercom.SearchOptions{PerPage: 2})),
		func(ct intercom.Contact) string { return string(ct.ID) })
	if !slices.Equal(found, sorted(p.LiveContactIDs)) {
		t.Fatalf("search by email: %v, want %v", found, sorted(p.LiveContactIDs))
	}
	var cids []any
	for _, id := range p.LiveContactIDs {
		cids = append(cids, id)
	}
	convs := ids(collect(t, "search conversations", c.SearchConversations(cx, intercom.Field("contact_ids").In(cids...), intercom.SearchOptions{PerPage: 2})),
		func(cv intercom.Conversation) string { return string(cv.ID) })
	noDuplicates(t, "search conversations", convs)
	if !slices.Equal(convs, sorted(p.ConversationIDs)) {
		t.Fatalf("conversations %v, want %v", convs, sorted(p.ConversationIDs))
	}
	tickets := ids(collect(t, "search tickets", c.SearchTickets(cx, intercom.Field("contact_ids").In(cids...), intercom.SearchOptions{PerPage: 1})),
		func(tk intercom.Ticket) string { return string(tk.ID) })
	if !slices.Equal(tickets, sorted(p.TicketIDs)) {
		t.Fatalf("tickets %v, want %v", tickets, sorted(p.TicketIDs))
	}

	// Each conversation complete up to Intercom's 500 most recent parts.
	for _, id := range p.ConversationIDs {
		cv, err := c.GetConversation(cx, id, intercom.GetConversationOptions{})
		if err != nil {
			t.Fatalf("get conversation: %v", err)
		}
		wc, _ := ws.Conversation(id)
		if n := len(cv.ConversationParts.ConversationParts); n != min(500, len(wc.Parts)) || int(cv.ConversationParts.TotalCount) != len(wc.Parts) {
			t.Fatalf("conversation %s: %d parts (total %d), workspace has %d", id, n, cv.ConversationParts.TotalCount, len(wc.Parts))
		}
	}

	// Archived and merged contacts.
	for _, id := range p.ArchivedIDs {
		if _, err := c.GetContact(cx, id); !errors.Is(err, intercom.ErrNotFound) {
			t.Fatalf("archived contact: %v", err)
		}
	}
	for _, id := range p.MergedIDs {
		_, err := c.GetContact(cx, id)
		var me *intercom.MergedError
		if !errors.As(err, &me) || !slices.Contains(p.ContactIDs, me.CanonicalID) {
			t.Fatalf("merged contact: %v", err)
		}
	}

	// Sub-resources and events.
	var notes, events int
	for _, id := range p.LiveContactIDs {
		if _, err := c.ContactTags(cx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ContactSegments(cx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ContactSubscriptions(cx, id); err != nil {
			t.Fatal(err)
		}
		collect(t, "companies", c.ContactCompanies(cx, id, intercom.ListOptions{PerPage: 1}))
		notes += len(collect(t, "notes", c.ContactNotes(cx, id, intercom.ListOptions{PerPage: 1})))
		evs := collect(t, "events", c.ListEvents(cx, intercom.EventsOf{IntercomUserID: id}, intercom.ListOptions{PerPage: 5}))
		noDuplicates(t, "events", ids(evs, func(e intercom.DataEvent) string { return string(e.ID) + e.EventName + string(rune(e.CreatedAt)) }))
		events += len(evs)
		if _, err := c.EventSummary(cx, intercom.EventsOf{IntercomUserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	// Expected events: those of the last 90 days in the workspace. (Person.RecentEvents
	// disagrees with the workspace's own events at the time of writing; the workspace
	// is the ground truth here.)
	wantEvents := 0
	since := time.Now().Add(-90 * 24 * time.Hour).Unix()
	for _, id := range p.LiveContactIDs {
		for _, e := range ws.Events(id) {
			if e.CreatedAt >= since+60 { // a minute of slack for the run itself
				wantEvents++
			}
		}
	}
	if notes != len(p.NoteIDs) || events != wantEvents || events == 0 {
		t.Fatalf("notes %d (want %d), events %d (want %d)", notes, len(p.NoteIDs), events, wantEvents)
	}

	// Redact every part with a body of the first conversation. A redaction whose
	// outcome is unknown is simply asked again: the second answer says whether it
	// was done.
	cv, _ := ws.Conversation(p.ConversationIDs[0])
	redacted := 0
	for _, part := range cv.Parts[len(cv.Parts)-20:] {
		if part.Body == "" {
			continue
		}
		for attempt := 0; ; attempt++ {
			_, err := c.RedactConversationPart(cx, cv.ID, part.ID)
			if err == nil {
				break
			}
			if !errors.Is(err, intercom.ErrUnknownOutcome) || attempt > 10 {
				t.Fatalf("redact: %v", err)
			}
		}
		redacted++
	}
	after, _ := ws.Conversation(cv.ID)
	for _, part := range after.Parts[len(after.Parts)-20:] {
		if part.Body != "" && !part.Redacted {
			t.Fatalf("part %s not redacted", part.ID)
		}
	}

	// Erase: tickets, conversations, contacts (archived ones too). A retried delete
	// whose first attempt was carried out answers 404: that is done.
	del := func(what string, err error) {
		var ae *intercom.Error
		if err != nil && !(errors.Is(err, intercom.ErrNotFound) && errors.As(err, &ae) && ae.Attempts > 1) {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, id := range p.TicketIDs {
		_, err := c.DeleteTicket(cx, id)
		del("delete ticket", err)
	}
	for _, id := range p.ConversationIDs {
		_, err := c.DeleteConversation(cx, id, intercom.DeleteConversationOptions{})
		del("delete conversation", err)
	}
	for _, id := range append(append([]string{}, p.LiveContactIDs...), p.ArchivedIDs...) {
		_, err := c.DeleteContact(cx, id)
		del("delete contact", err)
		if !ws.ContactDeleted(id) {
			t.Fatalf("contact %s not deleted", id)
		}
	}

	st := s.Stats()
	for _, e := range []sandbox.Effect{sandbox.EffectContactDeleted, sandbox.EffectConversationDeleted, sandbox.EffectTicketDeleted, sandbox.EffectPartRedacted} {
		if r := st.Repeated(e); len(r) > 0 {
			t.Fatalf("%s happened more than once to %v", e, r)
		}
	}
	if got := len(st.Effects[sandbox.EffectPartRedacted]); got != redacted {
		t.Fatalf("%d redactions recorded, want %d", got, redacted)
	}
	cs := c.Stats()
	faults := st.Total(func(e sandbox.EndpointStats) int { return e.ServerErrors })
	drops := st.Total(func(e sandbox.EndpointStats) int { return e.Dropped })
	limited := st.Total(func(e sandbox.EndpointStats) int { return e.RateLimited })
	t.Logf("sandbox: %d 5xx, %d drops, %d 429s injected or hit; client: %+v", faults, drops, limited, cs)
	if faults == 0 || drops == 0 || limited == 0 {
		t.Fatalf("the run did not exercise every fault (5xx %d, drops %d, 429 %d)", faults, drops, limited)
	}
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	sort.Strings(out)
	return out
}

// TestExportAgainstSandbox runs a content export end to end: create, poll until the
// job is complete (either spelling), download from the URL given, check it is gzip.
func TestExportAgainstSandbox(t *testing.T) {
	for _, st := range []sandbox.ExportStatus{sandbox.ExportComplete, sandbox.ExportCompleted, sandbox.ExportFailed} {
		t.Run(string(st), func(t *testing.T) {
			s, c := startSandbox(t, sandbox.Options{Seed: 1, Contacts: 20, ExportDuration: 200 * time.Millisecond, ExportStatus: st}, nil)
			_ = s
			cx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			now := time.Now()
			job, err := c.CreateContentExport(cx, now.AddDate(0, -1, 0), now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateContentExport(cx, now.AddDate(0, -1, 0), now); !errors.Is(err, intercom.ErrRateLimited) {
				t.Fatalf("second export while one runs: %v", err)
			}
			testwait.Until(t, "the export job to finish", func() bool {
				if job, err = c.GetContentExport(cx, job.JobIdentifier); err != nil {
					t.Fatal(err)
				}
				return job.Finished()
			})
			if st == sandbox.ExportFailed {
				if job.Status != intercom.ExportFailed {
					t.Fatalf("status %q", job.Status)
				}
				return
			}
			if !job.Completed() || job.Status != string(st) || job.DownloadExpiresAt.IsZero() {
				t.Fatalf("job %+v", job)
			}
			rc, err := c.DownloadExport(cx, job.DownloadURL)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			head := make([]byte, 2)
			if _, err := io.ReadFull(rc, head); err != nil || !bytes.Equal(head, []byte{0x1f, 0x8b}) {
				t.Fatalf("download is not gzip: %x %v", head, err)
			}
			zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(head), rc))
			if err != nil {
				t.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
				t.Fatalf("gzip body: %d bytes, %v", n, err)
			}
		})
	}
}

// TestVersionBehaviour pins older versions: a merged contact answers 404 before 2.16
// (410 with the canonical id from 2.16), and an endpoint the version lacks answers
// ErrVersionInvalid.
func TestVersionBehaviour(t *testing.T) {
	s, c16 := startSandbox(t, sandbox.Options{Seed: 2, Contacts: 10}, nil)
	p := s.AddPerson(sandbox.PersonSpec{Users: 1, Merged: 1, Tickets: 1})
	cx := context.Background()
	_, err := c16.GetContact(cx, p.MergedIDs[0])
	var me *intercom.MergedError
	if !errors.As(err, &me) || me.CanonicalID != p.LiveContactIDs[0] {
		t.Fatalf("2.16 merged: %v", err)
	}
	c14, err := intercom.New(intercom.Config{Token: intercom.Token(s.Token()), BaseURL: c16.BaseURL(), Version: "2.14"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c14.GetContact(cx, p.MergedIDs[0]); !errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
		t.Fatalf("2.14 merged: %v", err)
	}
	c12, _ := intercom.New(intercom.Config{Token: intercom.Token(s.Token()), BaseURL: c16.BaseURL(), Version: "2.12"})
	if _, err := c12.DeleteTicket(cx, p.TicketIDs[0]); !errors.Is(err, intercom.ErrVersionInvalid) || errors.Is(err, intercom.ErrValidation) {
		t.Fatalf("2.12 delete ticket: %v", err)
	}
	bad, _ := intercom.New(intercom.Config{Token: "wrong-token", BaseURL: c16.BaseURL()})
	if _, err := bad.Me(cx); !errors.Is(err, intercom.ErrUnauthorized) || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("bad token: %v", err)
	}
}
