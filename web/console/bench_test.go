package console

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// benchNow is the console's clock in the benchmark: the day after the last
// seeded request's receipt (storetest.SeedStart plus three years), so every
// request is in the past and the open ones of the last month are due.
var benchNow = storetest.SeedStart.AddDate(3, 0, 0)

// benchStates gives the seeded open requests the states the dashboard lists
// besides "received" and "verified": of the requests numbered x with
// x % 10 = 9 ("received"), those with x % 20 = 19 are in progress (a quarter
// of those paused, waiting out a rate limit) and those with x % 40 = 9 await
// a second person's approval. x is recovered from the receipt time.
func benchStates() []string {
	x := storetest.SeedNumberSQL
	return []string{
		`UPDATE requests SET state = 'in_progress' WHERE state = 'received' AND ` + x + ` % 20 = 19`,
		`UPDATE requests SET state = 'awaiting_approval', approval = 'required' WHERE state = 'received' AND ` + x + ` % 40 = 9`,
		`INSERT INTO request_steps (request_id, name, step_order, state, detail, started_at)
			SELECT id, '_pause', 0, 'pending', '{"reason":"rate_limited"}', received_at FROM requests
			WHERE state = 'in_progress' AND ` + x + ` % 80 = 19`,
		"ANALYZE",
	}
}

// BenchmarkConsoleAt100k measures the console's pages on a store holding
// 100,000 requests and 2,000,000 audit records (storetest.SeedAt100k, the
// load of web/api's BenchmarkAPIAt100k), on SQLite and (with
// TEST_DATABASE_URL) PostgreSQL, through the real console handler (routing,
// role check, workflow, templates) with an injected principal: a privacy
// officer and an auditor. Pages: the dashboard, the request list with each
// filter and a page half-way, and a request page (a random request each
// call). Each runs on the current schema ("indexed") and then, on the same
// data in the same run, with the request indexes as they were before
// migration 8 ("before-0008"). p50-ms and p99-ms are reported beside ns/op,
// and cpu-ms/op, the CPU time (user and system) this process spent per call:
// on a loaded machine it moves far less than the wall clock, which counts the
// time spent waiting for a CPU. It leaves out PostgreSQL's server processes.
// Skipped under -short.
func BenchmarkConsoleAt100k(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 2,000,000 audit records")
	}
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ws := apptest.New(b, be, apptest.Options{Now: func() time.Time { return benchNow }})
			a := ws.Open("server")
			ctx := context.Background()
			ex := storetest.Raw(b, a.Store)
			t0 := time.Now()
			storetest.SeedAt100k(b, a.Store, be.Name)
			for _, q := range benchStates() {
				if _, err := ex.ExecRaw(ctx, q); err != nil {
					b.Fatalf("states: %v", err)
				}
			}
			b.Logf("%s: seeded %d requests and %d audit records in %s", be.Name, storetest.SeedRequests, storetest.SeedAudit, time.Since(t0).Round(time.Second))
			o, err := FromApp(a)
			if err != nil {
				b.Fatal(err)
			}
			o.Now = func() time.Time { return benchNow }
			h, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			srv := h.Handler()
			as := func(role authz.Role) http.Handler {
				p := authz.Principal{UserID: "u_bench_" + string(role), Role: role, Via: authz.ViaSession, SessionID: "s_bench"}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					srv.ServeHTTP(w, r.WithContext(authz.WithPrincipal(r.Context(), p)))
				})
			}
			officer, auditor := as(authz.RolePrivacyOfficer), as(authz.RoleAuditor)
			mid, err := a.Store.GetRequest(ctx, storetest.SeedID(storetest.SeedRequests/2))
			if err != nil {
				b.Fatal(err)
			}
			deep := store.CursorAfter(mid).Encode()
			get := func(hh http.Handler, path string) func(b *testing.B) {
				return func(b *testing.B) {
					rec := httptest.NewRecorder()
					hh.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
					if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "</html>") {
						b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
					}
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			page := func(hh http.Handler) func(b *testing.B) {
				return func(b *testing.B) {
					get(hh, "/requests/"+storetest.SeedID(1+rng.IntN(storetest.SeedRequests)))(b)
				}
			}
			listQuery := func(f store.RequestFilter) func(b *testing.B) {
				f.Limit = sectionCap + 1
				return func(b *testing.B) {
					if _, err := a.DSAR.List(ctx, f); err != nil {
						b.Fatal(err)
					}
				}
			}
			soon := benchNow.AddDate(0, 0, 7).Format("2006-01-02")
			cases := []struct {
				name string
				run  func(b *testing.B)
			}{
				{"officer/dashboard", get(officer, "/")},
				{"auditor/dashboard", get(auditor, "/")},
				{"officer/list/first-page", get(officer, "/requests")},
				{"auditor/list/first-page", get(auditor, "/requests")},
				{"officer/list/state=received", get(officer, "/requests?state=received")},
				{"officer/list/state=in_progress", get(officer, "/requests?state=in_progress")},
				{"officer/list/state=completed", get(officer, "/requests?state=completed")},
				{"officer/list/type", get(officer, "/requests?type=erasure")},
				{"officer/list/law", get(officer, "/requests?jurisdiction=ccpa")},
				{"officer/list/due-before", get(officer, "/requests?due_before="+soon)},
				{"officer/list/overdue", get(officer, "/requests?overdue=1")},
				{"officer/list/assignee", get(officer, "/requests?assignee=u_3")},
				{"officer/list/all-filters", get(officer, "/requests?state=verified&type=access&jurisdiction=gdpr&due_before=2026-06-30&assignee=u_4")},
				{"officer/list/deep-page", get(officer, "/requests?after="+deep)},
				// The dashboard's "due within 7 days" query, and its previous
				// form (due before now+7 days, the overdue ones dropped after).
				{"dashboard-query/due-soon", listQuery(dueSoon(benchNow))},
				{"dashboard-query/due-soon-previous", listQuery(store.RequestFilter{States: openStates, DueBefore: benchNow.AddDate(0, 0, 7)})},
				// The dashboard's paused section's query (one join).
				{"dashboard-query/paused", func(b *testing.B) {
					if _, err := a.DSAR.ListPaused(ctx, sectionCap+1); err != nil {
						b.Fatal(err)
					}
				}},
				// The dashboard's count per state.
				{"dashboard-query/counts", func(b *testing.B) {
					if _, err := a.Store.CountRequestsByState(ctx); err != nil {
						b.Fatal(err)
					}
				}},
				{"officer/request-page", page(officer)},
				{"auditor/request-page", page(auditor)},
			}
			for _, phase := range []string{"indexed", "before-0008"} {
				if phase == "before-0008" {
					storetest.UseRequestIndexesBefore0008(b, a.Store)
				}
				for _, c := range cases {
					b.Run(phase+"/"+c.name, func(b *testing.B) {
						lat := make([]time.Duration, 0, b.N)
						cpu0 := cpuTime(b)
						for range b.N {
							t := time.Now()
							c.run(b)
							lat = append(lat, time.Since(t))
						}
						b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
						slices.Sort(lat)
						ms := func(q int) float64 { return float64(lat[(len(lat)*q)/100].Microseconds()) / 1000 }
						b.ReportMetric(ms(50), "p50-ms")
						b.ReportMetric(ms(99), "p99-ms")
					})
				}
			}
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
