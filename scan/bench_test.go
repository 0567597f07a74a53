package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// benchEnvInt reads a size from the environment (the figures in
// docs/bench/scan.md use 50000 contacts, about 100,000 conversations).
func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchWorld serves a sandbox with Intercom's rate limit (1666 requests per 10 s)
// and a realistic latency over HTTP, and opens the application on SQLite.
func benchWorld(b *testing.B, contacts int, wrap func(http.Handler) http.Handler) (*sandbox.Server, *app.App) {
	b.Helper()
	sb, err := sandbox.New(sandbox.Options{Contacts: contacts, Seed: 11, Latency: 60 * time.Millisecond, LatencyJitter: 40 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	h := sb.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	text, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(text)
	a := apptest.Open(b, apptest.Target{DatabaseURL: "sqlite://" + filepath.Join(b.TempDir(), "bench.db"), MasterKey: master,
		Token: sb.Token(), BaseURL: srv.URL, Actor: "cli", Timeout: 30 * time.Second})
	return sb, a
}

// heapSampler records the heap in use every 100 ms.
type heapSampler struct {
	mu      sync.Mutex
	samples []uint64
	stop    chan struct{}
	done    chan struct{}
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			h.mu.Lock()
			h.samples = append(h.samples, m.HeapInuse)
			h.mu.Unlock()
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// result returns the heap in use at 10%, 50% and 100% of the run, in MiB.
func (h *heapSampler) result() [3]float64 {
	close(h.stop)
	<-h.done
	n := len(h.samples)
	at := func(f float64) float64 { return float64(h.samples[min(n-1, int(f*float64(n)))]) / (1 << 20) }
	return [3]float64{at(0.1), at(0.5), at(1)}
}

// BenchmarkScanWorkspace scans the whole workspace (scan) and, side by side,
// walks it with the same calls and nothing else (fetch: search pages and one
// GET per conversation, no engine, no store), each with the client spending
// 80% of every rate-limit window (its default BudgetShare) and 100% of it.
// The bound is the calls needed divided by Intercom's nominal rate (the whole
// window): 80% of the window cannot come closer than 1.25 times it.
// SCAN_BENCH_MODES chooses the runs (comma-separated, all when empty);
// SCAN_BENCH_API_URL and SCAN_BENCH_TOKEN point it at a sandbox in another
// process (see benchTarget).
func BenchmarkScanWorkspace(b *testing.B) {
	contacts := benchEnvInt("SCAN_BENCH_CONTACTS", 1000)
	parallel := benchEnvInt("SCAN_BENCH_PARALLEL", 32)
	modes := []string{"fetch/share=1.0", "scan/share=1.0", "fetch/share=0.8", "scan/share=0.8"}
	if m := os.Getenv("SCAN_BENCH_MODES"); m != "" {
		modes = strings.Split(m, ",")
	}
	for _, mode := range modes {
		kind, shareText, _ := strings.Cut(mode, "/share=")
		share, err := strconv.ParseFloat(shareText, 64)
		if err != nil || (kind != "scan" && kind != "fetch") {
			b.Fatalf("mode %q: want scan/share=F or fetch/share=F", mode)
		}
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				a, token, n := benchTarget(b, contacts)
				client, err := intercom.New(intercom.Config{Token: intercom.Token(token), BaseURL: a.Intercom.BaseURL(), Timeout: 30 * time.Second, BudgetShare: share})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				heap := sampleHeap()
				var cpu0 time.Duration
				b.StartTimer()
				start := time.Now()
				cpu0 = cpuTime()
				var calls int64
				if kind == "scan" {
					s := &scan.Scanner{Store: a.Store, Intercom: client, Chain: a.Chain, Actor: "cli", Parallelism: parallel}
					res, err := s.Run(context.Background(), scan.ScanOptions{})
					if err != nil || res.Run.Scanned != int64(n) {
						b.Fatalf("scan: %+v %v", res.Run, err)
					}
					calls = scanCalls(n, int(res.Tickets))
				} else {
					fetchOnly(b, client, parallel, n)
					calls = scanCalls(n, -1)
				}
				el := time.Since(start)
				cpu := cpuTime() - cpu0
				b.StopTimer()
				h := heap.result()
				st := client.Stats()
				bound := time.Duration(float64(calls) / (float64(sandbox.DefaultRateLimit) / sandbox.DefaultWindow.Seconds()) * float64(time.Second))
				b.ReportMetric(float64(n), "conversations")
				b.ReportMetric(el.Seconds(), "s/run")
				b.ReportMetric(el.Seconds()/bound.Seconds(), "x_bound")
				b.ReportMetric(float64(st.Requests), "requests")
				b.ReportMetric(float64(st.RateLimited), "429s")
				b.ReportMetric(cpu.Seconds(), "cpu_s")
				b.ReportMetric(h[0], "heapMiB@10%")
				b.ReportMetric(h[1], "heapMiB@50%")
				b.ReportMetric(h[2], "heapMiB@100%")
				b.Logf("%s: %d conversations, %d requests (%d needed) in %s; bound %s (x%.3f); process CPU %s; heap in use %.0f/%.0f/%.0f MiB at 10/50/100%%",
					mode, n, st.Requests, calls, el.Round(time.Millisecond), bound.Round(time.Millisecond), el.Seconds()/bound.Seconds(), cpu.Round(time.Millisecond), h[0], h[1], h[2])
			}
		})
	}
}

// benchTarget opens the application on SQLite against the workspace to scan:
// a sandbox of contacts contacts in this process, or, when SCAN_BENCH_API_URL
// and SCAN_BENCH_TOKEN name one (`intercom-privacy sandbox --contacts N` with
// its rate limit, in another process, so that its memory and CPU are not the
// benchmark's), that one. It returns the token and the number of
// conversations.
func benchTarget(b *testing.B, contacts int) (*app.App, string, int) {
	b.Helper()
	url, token := os.Getenv("SCAN_BENCH_API_URL"), os.Getenv("SCAN_BENCH_TOKEN")
	if url == "" || token == "" {
		sb, a := benchWorld(b, contacts, nil)
		return a, sb.Token(), len(sb.Workspace().Conversations())
	}
	text, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(text)
	a := apptest.Open(b, apptest.Target{DatabaseURL: "sqlite://" + filepath.Join(b.TempDir(), "bench.db"), MasterKey: master,
		Token: token, BaseURL: url, Actor: "cli", Timeout: 30 * time.Second})
	n, err := a.Intercom.CountConversations(context.Background(), intercom.Field("updated_at").Lt(time.Now().Unix()))
	if err != nil {
		b.Fatal(err)
	}
	return a, token, n
}

// scanCalls is the number of calls a scan needs: the count and the search
// pages (150 a page) and one GET for every conversation; and, when tickets >= 0,
// the ticket search pages (their results carry the attributes; an empty search
// is one page).
func scanCalls(conversations, tickets int) int64 {
	calls := int64(conversations) + int64((conversations+149)/150) + 1
	if tickets >= 0 {
		calls += int64(max(1, (tickets+149)/150))
	}
	return calls
}

// fetchOnly makes the calls a scan makes and nothing else.
func fetchOnly(b *testing.B, c *intercom.Client, parallel, want int) {
	ctx := context.Background()
	q := intercom.Field("updated_at").Lt(time.Now().Unix())
	if _, err := c.CountConversations(ctx, q); err != nil {
		b.Fatal(err)
	}
	ids := make(chan string, parallel)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if _, err := c.GetConversation(ctx, id, intercom.GetConversationOptions{}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	n := 0
	for cv, err := range c.SearchConversations(ctx, q, intercom.SearchOptions{}) {
		if err != nil {
			b.Fatal(err)
		}
		ids <- string(cv.ID)
		n++
	}
	close(ids)
	wg.Wait()
	if n != want {
		b.Fatalf("walked %d conversations, want %d", n, want)
	}
}

// BenchmarkContinuous posts signed conversation.user.replied notifications,
// each for a part holding a card number, at a steady rate to the webhook
// handler in front of a Monitor on SQLite, and measures the delay from the
// notification's receipt to the redaction request reaching the sandbox
// (Intercom's rate limit and latency as above). 10 and 50 messages a second
// side by side.
func BenchmarkContinuous(b *testing.B) {
	secs := benchEnvInt("SCAN_BENCH_SECONDS", 10)
	for _, rate := range []int{10, 50} {
		b.Run(fmt.Sprintf("msgs_per_s=%d", rate), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				var mu sync.Mutex
				sentAt := map[string]time.Time{}
				var delays []time.Duration
				redacted := make(chan struct{}, rate*secs) // one per redaction request of a sent message
				wrap := func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/conversations/redact" {
							body, _ := io.ReadAll(r.Body)
							now := time.Now()
							var req struct {
								ConversationID string `json:"conversation_id"`
								PartID         string `json:"conversation_part_id"`
								SourceID       string `json:"source_id"`
							}
							_ = json.Unmarshal(body, &req)
							key := req.ConversationID + "/" + req.PartID + req.SourceID
							mu.Lock()
							if t, ok := sentAt[key]; ok {
								delays = append(delays, now.Sub(t))
								delete(sentAt, key)
								redacted <- struct{}{}
							}
							mu.Unlock()
							r.Body = io.NopCloser(bytes.NewReader(body))
						}
						h.ServeHTTP(w, r)
					})
				}
				sb, a := benchWorld(b, 3000, wrap)
				engine, _ := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
				m := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedact,
					Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook"}}
				h := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: m.Wrap(&webhooktest.MemorySink{})})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- m.Run(ctx) }()
				total := rate * secs
				bodies := make([][]byte, 0, total)
				keys := make([]string, 0, total)
				// One card part per conversation: a notification carries the
				// conversation's source too, so a second card in it would be
				// redacted before its own notification is sent.
				cards := cardParts(sb)
				perConv := map[string]int{}
				for k := range cards {
					conv, _, _ := strings.Cut(k, "/")
					perConv[conv]++
				}
				for k := range cards {
					if len(bodies) == total {
						break
					}
					conv, part, _ := strings.Cut(k, "/")
					if perConv[conv] != 1 {
						continue
					}
					if !engineFindsCard(sb, engine, conv, part) {
						continue // a card number the engine does not recognise: a recall question, not a delay
					}
					bodies = append(bodies, notification(b, a, "n_"+conv+"_"+part, conv, part))
					keys = append(keys, k)
				}
				if len(bodies) < total {
					b.Fatalf("only %d card parts for %d messages", len(bodies), total)
				}
				b.StartTimer()
				tick := time.NewTicker(time.Second / time.Duration(rate))
				for i, body := range bodies {
					<-tick.C
					mu.Lock()
					sentAt[keys[i]] = time.Now()
					mu.Unlock()
					go webhooktest.Post(h, body, webhook.Sign([]byte(secret), body))
				}
				tick.Stop()
				// Every sent message's redaction request, or the timeout.
				timeout := time.NewTimer(2 * time.Minute)
			wait:
				for range total {
					select {
					case <-redacted:
					case <-timeout.C:
						break wait
					}
				}
				timeout.Stop()
				b.StopTimer()
				cancel()
				<-done
				mu.Lock()
				ds := slices.Clone(delays)
				mu.Unlock()
				if len(ds) != total {
					mu.Lock()
					for k := range sentAt {
						conv, part, _ := strings.Cut(k, "/")
						x, err := a.Store.(store.Scans).GetRedaction(context.Background(), conv, part)
						b.Logf("no redaction request for %s: %+v %v", k, x, err)
					}
					mu.Unlock()
					b.Fatalf("%d of %d redaction requests seen", len(ds), total)
				}
				slices.Sort(ds)
				p := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
				b.ReportMetric(float64(p(0.5).Milliseconds()), "p50_ms")
				b.ReportMetric(float64(p(0.99).Milliseconds()), "p99_ms")
				b.ReportMetric(float64(ds[len(ds)-1].Milliseconds()), "max_ms")
				b.Logf("%d msgs/s for %d s: receipt -> redaction request p50 %s, p99 %s, max %s", rate, secs, p(0.5), p(0.99), ds[len(ds)-1])
			}
		})
	}
}

// engineFindsCard reports whether the engine finds a card number in the part.
func engineFindsCard(sb *sandbox.Server, e *pii.Engine, conv, part string) bool {
	c, _ := sb.Workspace().Conversation(conv)
	body := c.Source.Body
	for _, p := range c.Parts {
		if p.ID == part {
			body = p.Body
		}
	}
	for _, f := range e.FindString(body, nil) {
		if f.Type == pii.TypeCard {
			return true
		}
	}
	return false
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
