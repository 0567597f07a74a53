package dsar_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// BenchmarkAccessUnderRateLimit measures the access time for a person with many
// conversations against the rate-limit bound: (Intercom calls needed) / (calls per
// second the client allows itself). The sandbox answers every call after a fixed
// latency and limits calls per window, with the window shortened from Intercom's
// 10 s so that the run hits the limit several times and still stays short.
//
// Settings (environment): BENCH_ACCESS_CONVS (default 500), BENCH_ACCESS_LATENCY (50ms),
// BENCH_ACCESS_LIMIT (calls per window, 166: Intercom's 10,000 calls a minute scaled to
// the window), BENCH_ACCESS_WINDOW (1s), BENCH_ACCESS_PARALLELISM (the parallel run's
// Service.Parallelism, default 8), BENCH_ACCESS_DEBUG (log the phases).
//
//	go test ./dsar -run '^$' -bench BenchmarkAccessUnderRateLimit -benchtime 1x -count 2
func BenchmarkAccessUnderRateLimit(b *testing.B) {
	convs := envIntB("BENCH_ACCESS_CONVS", 500)
	latency := envDurB("BENCH_ACCESS_LATENCY", 50*time.Millisecond)
	limit := envIntB("BENCH_ACCESS_LIMIT", 166)
	window := envDurB("BENCH_ACCESS_WINDOW", time.Second)

	sb, err := sandbox.New(sandbox.Options{Contacts: 20, ContactsOnly: true, Latency: latency, RateLimit: limit, Window: window})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	b.Cleanup(srv.Close)
	b.Cleanup(func() { sb.Close() })
	p := sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1, Conversations: convs, PartsPerConversation: 4,
		SharedConversations: 5, Tickets: 5, Notes: 5, Events: 20, OldEvents: 5})
	ids := dsar.Identifiers{Emails: []string{p.Email}}

	text, err := vault.GenerateMasterKey()
	if err != nil {
		b.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		b.Fatal(err)
	}
	dbURL := storetest.SQLite().NewURL(b)
	const share = 0.8 // the client's default BudgetShare
	allowed := share * float64(limit) / window.Seconds()

	for _, mode := range []struct {
		name        string
		parallelism int
	}{{"parallel", envIntB("BENCH_ACCESS_PARALLELISM", dsar.DefaultParallelism)}, {"sequential", 1}} {
		b.Run(mode.name, func(b *testing.B) {
			var elapsed time.Duration
			var calls int64
			var limited int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				// A fresh client (its own statistics) on the same store, and a fresh
				// window, so that each run starts from the same budget.
				a, err := app.Open(context.Background(), app.Settings{DatabaseURL: dbURL, MasterKey: master, InitKeys: true, Actor: "bench",
					Intercom: intercom.Config{Token: intercom.Token(sb.Token()), BaseURL: srv.URL, RateWindow: window, Timeout: 30 * time.Second}})
				if err != nil {
					b.Fatal(err)
				}
				svc := *a.DSAR
				svc.Parallelism = mode.parallelism
				if os.Getenv("BENCH_ACCESS_DEBUG") != "" {
					svc.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
				}
				ctx := context.Background()
				r, err := svc.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Identifiers: ids})
				if err != nil {
					b.Fatal(err)
				}
				if r, err = svc.Verify(ctx, r.ID, "bench"); err != nil {
					b.Fatal(err)
				}
				time.Sleep(window + window/10)
				b.StartTimer()
				start := time.Now()
				res, err := svc.Resolve(ctx, ids)
				if err != nil {
					b.Fatal(err)
				}
				info, err := svc.BuildPackage(ctx, r, ids, res)
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				st := a.Intercom.Stats()
				calls += st.Requests
				limited += st.RateLimited
				b.StopTimer()
				if info.Counts["conversations"] < int64(convs) {
					b.Fatalf("package holds %d conversations, want at least %d", info.Counts["conversations"], convs)
				}
				a.Close()
				b.StartTimer()
			}
			secs := elapsed.Seconds() / float64(b.N)
			perRun := float64(calls) / float64(b.N)
			bound := perRun / allowed
			b.ReportMetric(secs, "s/access")
			b.ReportMetric(perRun, "calls/access")
			b.ReportMetric(bound, "bound-s")
			b.ReportMetric(secs/bound, "x-bound")
			b.ReportMetric(float64(limited)/float64(b.N), "429s/access")
			b.Logf("%s: %.2f s for %.0f calls; bound %.2f s at %.0f calls/s allowed (%.0f%% of %d per %s); ratio %.3f",
				mode.name, secs, perRun, bound, allowed, share*100, limit, window, secs/bound)
		})
	}
}

func envIntB(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDurB(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
