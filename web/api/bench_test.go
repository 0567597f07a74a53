package api_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/metrics"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/api"
)

// Load of the benchmark: the figures (storetest.SeedAt100k).
const (
	benchRequests = storetest.SeedRequests
	benchAudit    = storetest.SeedAudit
)

func benchID(x int) string { return storetest.SeedID(x) }

// BenchmarkAPIAt100k measures the console's and API's reads on a store holding
// 100,000 requests and 2,000,000 audit records, on SQLite and (with
// TEST_DATABASE_URL) PostgreSQL, through the real handler (routing, role
// check, workflow, JSON): the request list with each filter, a deep page, the
// request page view (with its timeline), the identifier search and the yearly
// metrics. Each runs with the indexes of migration 8 ("indexed") and then,
// on the same data in the same run, with the indexes before it
// ("before-0008"); the identifier search's baseline is the only lookup
// there was before, requests.subject_ref. p99-ms is reported beside ns/op.
func BenchmarkAPIAt100k(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ws := apptest.New(b, be, apptest.Options{})
			a := ws.Open("server")
			ctx := context.Background()
			ex := storetest.Raw(b, a.Store)
			t0 := time.Now()
			storetest.SeedAt100k(b, a.Store, be.Name)
			b.Logf("%s: seeded %d requests and %d audit records in %s", be.Name, benchRequests, benchAudit, time.Since(t0).Round(time.Second))
			h, err := api.New(a, api.Options{Authenticate: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r.WithContext(authz.WithPrincipal(r.Context(), authz.Principal{UserID: "u_bench", Role: authz.RolePrivacyOfficer})))
				})
			}, Now: func() time.Time { return fixedNow }})
			if err != nil {
				b.Fatal(err)
			}
			mid, _ := a.Store.GetRequest(ctx, benchID(benchRequests/2))
			deep := store.CursorAfter(mid).Encode()
			email := "lookup@example.com"
			ref, err := a.DSAR.IdentifierRef("", email)
			if err != nil {
				b.Fatal(err)
			}
			// One request filed with that e-mail, among the 100,000.
			if _, err := ex.ExecRaw(ctx, `INSERT INTO request_subjects (ref, request_id) VALUES ($1, $2)`, ref, benchID(4242)); err != nil {
				b.Fatal(err)
			}
			if _, err := ex.ExecRaw(ctx, `UPDATE requests SET subject_ref = $1 WHERE id = $2`, ref, benchID(4242)); err != nil {
				b.Fatal(err)
			}
			get := func(path string) func(b *testing.B, i int) {
				return func(b *testing.B, i int) {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
					if rec.Code != 200 {
						b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
					}
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			cases := []struct {
				name string
				run  func(b *testing.B, i int)
			}{
				{"list/first-page", get("/api/v1/requests?limit=50")},
				{"list/state", get("/api/v1/requests?state=verified&limit=50")},
				{"list/overdue", get("/api/v1/requests?overdue=true&limit=50")},
				{"list/assignee", get("/api/v1/requests?assignee=user:u_3&limit=50")},
				{"list/law+type", get("/api/v1/requests?jurisdiction=ccpa&type=erasure&limit=50")},
				{"list/due-before+state", get("/api/v1/requests?due_before=2025-01-01&state=received&limit=50")},
				{"list/deep-page", get("/api/v1/requests?limit=50&cursor=" + deep)},
				{"request-page", func(b *testing.B, i int) {
					get("/api/v1/requests/"+benchID(1+rng.IntN(benchRequests)))(b, i)
				}},
				{"search/api", get("/api/v1/requests/search?identifier=" + email)},
				{"search/subject-ref", func(b *testing.B, i int) {
					rs, err := a.Store.ListRequests(ctx, store.RequestFilter{SubjectRef: ref, Limit: 50})
					if err != nil || len(rs) != 1 {
						b.Fatalf("subject_ref lookup: %v %d", err, len(rs))
					}
				}},
				{"metrics-year", func(b *testing.B, i int) {
					rep, err := metrics.Requests(ctx, a.Store, 2025, time.UTC)
					if err != nil || len(rep.Rows) == 0 {
						b.Fatalf("metrics: %v", err)
					}
				}},
				// The report's first design: keyset pages of whole request rows.
				{"metrics-year-paged-rows", func(b *testing.B, i int) {
					from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
					f := store.RequestFilter{ReceivedFrom: from, ReceivedBefore: from.AddDate(1, 0, 0), Limit: 1000}
					n := 0
					for {
						page, err := a.Store.ListRequests(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						n += len(page)
						if len(page) < f.Limit {
							break
						}
						c := store.CursorAfter(page[len(page)-1])
						f.After = &c
					}
					if n == 0 {
						b.Fatal("no request in 2025")
					}
				}},
			}
			for _, phase := range []string{"indexed", "before-0008"} {
				if phase == "before-0008" {
					storetest.UseRequestIndexesBefore0008(b, a.Store)
				}
				for _, c := range cases {
					if phase == "before-0008" && c.name == "search/api" {
						continue // no search before #13; the subject_ref lookup is its baseline
					}
					b.Run(phase+"/"+c.name, func(b *testing.B) {
						lat := make([]time.Duration, 0, b.N)
						for i := range b.N {
							t := time.Now()
							c.run(b, i)
							lat = append(lat, time.Since(t))
						}
						slices.Sort(lat)
						b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
					})
				}
			}
		})
	}
}
