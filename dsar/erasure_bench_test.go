package dsar_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// BenchmarkErasure erases one person with many contacts, conversations and tickets
// from a sandbox answering with a realistic latency (40 ms + up to 20 ms jitter) and
// Intercom's default rate limit, one DELETE at a time and in parallel. Run it with
// -benchtime 1x: each iteration builds a fresh workspace.
func BenchmarkErasure(b *testing.B) {
	for _, bc := range []struct {
		name string
		par  int
	}{{"sequential", 1}, {"parallel8", 8}} {
		b.Run(bc.name, func(b *testing.B) {
			var calls, deletes int
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				a, sb, id, p := benchWorld(b)
				a.DSAR.Parallelism = bc.par
				b.StartTimer()
				start := time.Now()
				if err := a.DSAR.Run(context.Background(), id); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				b.StopTimer()
				st := sb.Stats()
				calls += st.Total(func(e sandbox.EndpointStats) int { return e.Calls })
				for _, m := range st.Effects {
					for _, n := range m {
						deletes += n
					}
				}
				if want := len(p.ContactIDs) + len(p.TicketIDs); deletes < want*(i+1) {
					b.Fatalf("only %d deletions for %d contacts and tickets", deletes, want)
				}
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(deletes)/float64(b.N), "deletes/op")
			b.ReportMetric(float64(deletes)/elapsed.Seconds(), "deletes/s")
		})
	}
}

func benchWorld(b *testing.B) (*app.App, *sandbox.Server, string, sandbox.Person) {
	b.Helper()
	sb, err := sandbox.New(sandbox.Options{Contacts: 20, Seed: 11, Latency: 40 * time.Millisecond, LatencyJitter: 20 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	p := sb.AddPerson(sandbox.PersonSpec{Users: 10, Leads: 10, Archived: 5, Merged: 5,
		Conversations: 200, SharedConversations: 10, Tickets: 20, PartsPerConversation: 2})
	srv := httptest.NewServer(sb.Handler())
	b.Cleanup(srv.Close)
	text, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(text)
	a, err := app.Open(context.Background(), app.Settings{
		DatabaseURL: "sqlite://" + filepath.Join(b.TempDir(), "bench.db"), MasterKey: master, InitKeys: true, Actor: "bench",
		Intercom: intercom.Config{Token: intercom.Token(sb.Token()), BaseURL: srv.URL},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	a.Config.Erasure.DeleteConversations = true
	ctx := context.Background()
	r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Jurisdiction: deadline.GDPR,
		Identifiers: dsar.Identifiers{Emails: []string{p.Email}, ContactIDs: append(append([]string{}, p.ArchivedIDs...), p.MergedIDs...)}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.DSAR.Verify(ctx, r.ID, "bench"); err != nil {
		b.Fatal(err)
	}
	return a, sb, r.ID, p
}
