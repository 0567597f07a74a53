package api_test

import (
	"context"
	"fmt"
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

// Load of the benchmark: the figures.
const (
	benchRequests = 100_000
	benchAudit    = 2_000_000
)

type rawExec interface {
	ExecRaw(ctx context.Context, q string, args ...any) (int64, error)
}

// benchStart is the receipt of the first request; the requests are spread
// evenly over three years (2024 to 2026), so a year holds about a third.
var benchStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const benchStep = int64(3*365*24*time.Hour/time.Microsecond) / benchRequests

// seedSQL fills the store with benchRequests requests (states, types, laws,
// assignees and answer dates spread by the request's number), their
// identifier index, and benchAudit audit records (20 a request), in one
// statement each, as SQL both dialects accept with their own series.
func seedSQL(backend string) []string {
	start := benchStart.UnixMicro()
	day := int64(24 * time.Hour / time.Microsecond)
	series, id, ref := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < %d) ", "printf('req_%%032x', %s)", "printf('%%064x', %s)"
	from, body, zero := "c", "CAST('{\"action\":\"request.step\",\"actor\":\"worker\",\"outcome\":\"success\",\"seq\":' || x || '}' AS BLOB)", "zeroblob(32)"
	if backend == "postgres" {
		series, id, ref = "", "'req_' || lpad(to_hex(%s), 32, '0')", "lpad(to_hex(%s), 64, '0')"
		from = "generate_series(1, %d) AS c(x)"
		body, zero = "convert_to('{\"action\":\"request.step\",\"actor\":\"worker\",\"outcome\":\"success\",\"seq\":' || x || '}', 'UTF8')", "decode(repeat('00', 32), 'hex')"
	}
	fromN := func(n int) string {
		if backend == "postgres" {
			return fmt.Sprintf(from, n)
		}
		return from
	}
	seriesN := func(n int) string {
		if backend == "postgres" {
			return ""
		}
		return fmt.Sprintf(series, n)
	}
	recv := fmt.Sprintf("(%d + CAST(x AS BIGINT) * %d)", start, benchStep)
	reqs := seriesN(benchRequests) + `INSERT INTO requests (id, type, jurisdiction, channel, state, subject_ref, received_at, due_at,
		completed_at, denial_reason, outcome, created_at, updated_at, filed_by, assignee)
		SELECT ` + fmt.Sprintf(id, "x") + `,
			CASE x % 3 WHEN 0 THEN 'erasure' WHEN 1 THEN 'access' ELSE 'access+erasure' END,
			CASE x % 4 WHEN 0 THEN 'ccpa' ELSE 'gdpr' END, 'api',
			CASE WHEN x % 10 < 7 THEN 'completed' WHEN x % 10 = 7 THEN 'denied' WHEN x % 10 = 8 THEN 'verified' ELSE 'received' END,
			` + fmt.Sprintf(ref, "x") + `, ` + recv + `, ` + recv + fmt.Sprintf(` + %d, `, 30*day) + `
			CASE WHEN x % 10 < 8 THEN ` + recv + fmt.Sprintf(` + (x %% 40) * %d`, day) + ` ELSE NULL END,
			CASE WHEN x % 10 = 7 THEN 'identity not verified' ELSE '' END, '', ` + recv + `, ` + recv + `,
			'user:u_' || (x % 7), CASE WHEN x % 10 = 0 THEN 'user:u_' || (x % 5) ELSE '' END
		FROM ` + fromN(benchRequests)
	subjects := `INSERT INTO request_subjects (ref, request_id) SELECT subject_ref, id FROM requests`
	recs := seriesN(benchAudit) + `INSERT INTO audit_records (seq, recorded_at, action, request_id, subject_ref, body, prev_hash, hash)
		SELECT x, ` + fmt.Sprintf("%d + CAST(x AS BIGINT) * 1000", start) + `, 'request.step', ` + fmt.Sprintf(id, fmt.Sprintf("x %% %d + 1", benchRequests)) + `,
			` + fmt.Sprintf(ref, fmt.Sprintf("x %% %d + 1", benchRequests)) + `, ` + body + `, ` + zero + `, ` + zero + `
		FROM ` + fromN(benchAudit)
	analyze := "ANALYZE"
	return []string{reqs, subjects, recs, analyze}
}

// beforeIndexes puts the request indexes back as they were before migration
// 8: the baseline.
var beforeIndexes = []string{
	"DROP INDEX requests_received_id", "DROP INDEX requests_state_received", "DROP INDEX requests_assignee_received", "DROP INDEX requests_open_received",
	"DROP INDEX requests_due", "DROP INDEX requests_subject_ref", "DROP INDEX requests_approval",
	"CREATE INDEX requests_received_at ON requests (received_at)", "ANALYZE",
}

func benchID(x int) string { return fmt.Sprintf("req_%032x", x) }

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
			ex := a.Store.(rawExec)
			t0 := time.Now()
			for _, q := range seedSQL(be.Name) {
				if _, err := ex.ExecRaw(ctx, q); err != nil {
					b.Fatalf("seed: %v", err)
				}
			}
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
					for _, q := range beforeIndexes {
						if _, err := ex.ExecRaw(ctx, q); err != nil {
							b.Fatalf("baseline: %s: %v", q, err)
						}
					}
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
