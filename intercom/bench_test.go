package intercom_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// Figures and commands: docs/bench/client.md.

const (
	benchLimit   = 200         // sandbox calls per window
	benchWindow  = time.Second // sandbox window (Intercom's is 10 s; shortened to keep the run short)
	benchLatency = 50 * time.Millisecond
	benchConvs   = 1000
	benchWorkers = 32
)

func benchSandbox(b *testing.B) (*sandbox.Server, *intercom.Client, []string) {
	s, c := startSandbox(b, sandbox.Options{Seed: 3, Contacts: 600, Latency: benchLatency, RateLimit: benchLimit, Window: benchWindow},
		func(cfg *intercom.Config) {
			if getenv("BENCH_LEARN_WINDOW") == "" {
				cfg.RateWindow = benchWindow
			}
		})
	var ids []string
	for _, cv := range s.Workspace().Conversations() {
		ids = append(ids, cv.ID)
	}
	if len(ids) < benchConvs {
		b.Fatalf("sandbox has %d conversations, need %d", len(ids), benchConvs)
	}
	return s, c, ids[:benchConvs]
}

// BenchmarkConversations retrieves 1,000 conversations concurrently against the
// sandbox (50 ms latency, 200 calls per 1 s window: the run needs 5+ windows at the
// client's 80% share), and a sequential loop (what a naive integration does) over the
// same sandbox settings, and reports each rate and its ratio to the rate the client
// allows itself (limit x BudgetShare / window).
func BenchmarkConversations(b *testing.B) {
	bound := float64(int(benchLimit*intercom.DefaultBudgetShare)) / benchWindow.Seconds()
	b.Run("concurrent", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s, c, ids := benchSandbox(b)
			ctx := context.Background()
			var surfaced atomic.Int64
			work := make(chan string)
			var wg sync.WaitGroup
			start := time.Now()
			for w := 0; w < benchWorkers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for id := range work {
						cv, err := c.GetConversation(ctx, id, intercom.GetConversationOptions{})
						if err != nil || string(cv.ID) != id {
							surfaced.Add(1)
						}
					}
				}()
			}
			for _, id := range ids {
				work <- id
			}
			close(work)
			wg.Wait()
			elapsed := time.Since(start)
			rate := float64(len(ids)) / elapsed.Seconds()
			st := s.Stats()
			b.ReportMetric(rate, "calls/s")
			b.ReportMetric(rate/bound, "ratio-to-bound")
			b.ReportMetric(float64(surfaced.Load()), "errors-surfaced")
			b.ReportMetric(float64(st.Total(func(e sandbox.EndpointStats) int { return e.RateLimited })), "429s-at-server")
			b.ReportMetric(elapsed.Seconds(), "s/1000-convs")
			if surfaced.Load() != 0 {
				b.Fatalf("%d errors surfaced to the caller", surfaced.Load())
			}
		}
	})
	b.Run("sequential", func(b *testing.B) {
		n := 200 // a sequential loop at 50 ms latency needs ~50 s for 1,000; its rate is what matters
		if v, err := strconv.Atoi(getenv("BENCH_SEQUENTIAL_N")); err == nil && v > 0 {
			n = min(v, benchConvs)
		}
		for i := 0; i < b.N; i++ {
			_, c, ids := benchSandbox(b)
			ctx := context.Background()
			start := time.Now()
			for _, id := range ids[:n] {
				if _, err := c.GetConversation(ctx, id, intercom.GetConversationOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			rate := float64(n) / time.Since(start).Seconds()
			b.ReportMetric(rate, "calls/s")
			b.ReportMetric(rate/bound, "ratio-to-bound")
			b.ReportMetric(float64(benchConvs)/rate, "s/1000-convs")
		}
	})
}

// syntheticContacts serves n generated contacts of realistic size in pages, the
// cursor in the query, without keeping them: the client's memory is what is measured.
func syntheticContacts(tb testing.TB, n int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		start, _ := strconv.Atoi(r.URL.Query().Get("starting_after"))
		if per <= 0 || per > 150 {
			w.WriteHeader(400)
			return
		}
		data := make([]map[string]any, 0, per)
		for i := start; i < min(start+per, n); i++ {
			data = append(data, map[string]any{
				"type": "contact", "id": fmt.Sprintf("%024x", i), "external_id": strconv.Itoa(i), "role": "user",
				"email": fmt.Sprintf("person%d@example.com", i), "name": fmt.Sprintf("Person Number %d", i),
				"phone": "+33 6 12 34 56 78", "created_at": 1700000000 + i, "updated_at": 1700000000 + i,
				"custom_attributes": map[string]any{"plan": "pro", "notes": "likes long walks on the beach and Go"},
				"location":          map[string]any{"type": "location", "country": "France", "city": "Paris", "country_code": "FRA"},
				"tags":              map[string]any{"type": "list", "data": []any{map[string]any{"type": "tag", "id": "1"}}, "total_count": 1},
				"social_profiles":   map[string]any{"type": "list", "data": []any{}},
			})
		}
		pages := map[string]any{"type": "pages", "per_page": per}
		if start+per < n {
			pages["next"] = map[string]any{"per_page": per, "starting_after": strconv.Itoa(start + per)}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "list", "data": data, "total_count": n, "pages": pages})
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// walkHeap walks n contacts and returns how many it saw and the largest live heap
// above the starting point, sampled (after a GC) every sample contacts.
func walkHeap(tb testing.TB, n, sample int) (int, uint64) {
	srv := syntheticContacts(tb, n)
	c, err := intercom.New(intercom.Config{Token: "t", BaseURL: srv.URL})
	if err != nil {
		tb.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	seen := 0
	for ct, err := range c.ListContacts(context.Background(), intercom.ListOptions{PerPage: 150}) {
		if err != nil {
			tb.Fatal(err)
		}
		_ = ct
		seen++
		if seen%sample == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
				peak = ms.HeapAlloc - base
			}
		}
	}
	return seen, peak
}

// TestWalkHoldsOnePage walks 10,000 and 100,000 contacts and checks the live heap does
// not grow with the number of contacts (O(one page)).
func TestWalkHoldsOnePage(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("walks 110,000 contacts; skipped with -short and -race (the race detector distorts the heap)")
	}
	n1, small := walkHeap(t, 10_000, 1_000)
	n2, large := walkHeap(t, 100_000, 5_000)
	if n1 != 10_000 || n2 != 100_000 {
		t.Fatalf("walked %d and %d contacts", n1, n2)
	}
	t.Logf("peak live heap above baseline: %d KiB walking 10k, %d KiB walking 100k", small>>10, large>>10)
	if large > 8<<20 || large > 3*small+(1<<20) {
		t.Fatalf("heap grows with the walk: %d KiB for 10k, %d KiB for 100k", small>>10, large>>10)
	}
}

// BenchmarkWalkContacts walks 100,000 contacts and reports the peak live heap.
func BenchmarkWalkContacts(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n, peak := walkHeap(b, 100_000, 5_000)
		b.ReportMetric(float64(peak)/1024, "peak-live-KiB")
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "contacts/s")
	}
}
