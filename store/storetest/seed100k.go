package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// The load of issue #13's performance targets, shared by the API's and the
// console's benchmarks (web/api BenchmarkAPIAt100k, web/console
// BenchmarkConsoleAt100k).
const (
	// SeedRequests is how many requests SeedAt100k writes.
	SeedRequests = 100_000
	// SeedAudit is how many audit records it writes (20 a request).
	SeedAudit = 2_000_000
)

// SeedStart is the receipt of the first seeded request; the requests are
// spread evenly over three years (2024 to 2026), so a year holds about a
// third.
var SeedStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// seedStep is the time between two seeded requests' receipts, in µs.
const seedStep = int64(3*365*24*time.Hour/time.Microsecond) / SeedRequests

// SeedNumberSQL is an SQL expression, in both dialects, of a seeded
// request's number x, read back from its receipt time (for statements that
// change the seeded store by number).
var SeedNumberSQL = fmt.Sprintf("((received_at - %d) / %d)", SeedStart.UnixMicro(), seedStep)

// SeedID is the id of seeded request x (1 to SeedRequests).
func SeedID(x int) string { return fmt.Sprintf("req_%032x", x) }

// RawExecer runs a statement outside the store's API (both backends' stores
// offer it for tests).
type RawExecer interface {
	ExecRaw(ctx context.Context, q string, args ...any) (int64, error)
}

// Raw returns st's ExecRaw, failing tb when the store has none.
func Raw(tb testing.TB, st store.Store) RawExecer {
	tb.Helper()
	ex, ok := st.(RawExecer)
	if !ok {
		tb.Fatalf("%T offers no ExecRaw", st)
	}
	return ex
}

// SeedAt100k fills st (of backend "sqlite" or "postgres") with SeedRequests
// requests (states, types, laws, assignees and answer dates spread by the
// request's number x: 70 % completed, 10 % denied, 10 % verified, 10 %
// received; three types; a quarter CCPA; one in ten assigned), their
// identifier index, and SeedAudit audit records (20 a request), in one SQL
// statement each, and analyses the tables.
func SeedAt100k(tb testing.TB, st store.Store, backend string) {
	tb.Helper()
	ex := Raw(tb, st)
	for _, q := range SeedSQL(backend) {
		if _, err := ex.ExecRaw(context.Background(), q); err != nil {
			tb.Fatalf("seed: %v", err)
		}
	}
}

// SeedSQL is SeedAt100k's statements, as SQL both dialects accept with their
// own series.
func SeedSQL(backend string) []string {
	start := SeedStart.UnixMicro()
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
	recv := fmt.Sprintf("(%d + CAST(x AS BIGINT) * %d)", start, seedStep)
	reqs := seriesN(SeedRequests) + `INSERT INTO requests (id, type, jurisdiction, channel, state, subject_ref, received_at, due_at,
		completed_at, denial_reason, outcome, created_at, updated_at, filed_by, assignee)
		SELECT ` + fmt.Sprintf(id, "x") + `,
			CASE x % 3 WHEN 0 THEN 'erasure' WHEN 1 THEN 'access' ELSE 'access+erasure' END,
			CASE x % 4 WHEN 0 THEN 'ccpa' ELSE 'gdpr' END, 'api',
			CASE WHEN x % 10 < 7 THEN 'completed' WHEN x % 10 = 7 THEN 'denied' WHEN x % 10 = 8 THEN 'verified' ELSE 'received' END,
			` + fmt.Sprintf(ref, "x") + `, ` + recv + `, ` + recv + fmt.Sprintf(` + %d, `, 30*day) + `
			CASE WHEN x % 10 < 8 THEN ` + recv + fmt.Sprintf(` + (x %% 40) * %d`, day) + ` ELSE NULL END,
			CASE WHEN x % 10 = 7 THEN 'identity not verified' ELSE '' END, '', ` + recv + `, ` + recv + `,
			'user:u_' || (x % 7), CASE WHEN x % 10 = 0 THEN 'user:u_' || (x % 5) ELSE '' END
		FROM ` + fromN(SeedRequests)
	subjects := `INSERT INTO request_subjects (ref, request_id) SELECT subject_ref, id FROM requests`
	recs := seriesN(SeedAudit) + `INSERT INTO audit_records (seq, recorded_at, action, request_id, subject_ref, body, prev_hash, hash)
		SELECT x, ` + fmt.Sprintf("%d + CAST(x AS BIGINT) * 1000", start) + `, 'request.step', ` + fmt.Sprintf(id, fmt.Sprintf("x %% %d + 1", SeedRequests)) + `,
			` + fmt.Sprintf(ref, fmt.Sprintf("x %% %d + 1", SeedRequests)) + `, ` + body + `, ` + zero + `, ` + zero + `
		FROM ` + fromN(SeedAudit)
	analyze := "ANALYZE"
	return []string{reqs, subjects, recs, analyze}
}

// UseRequestIndexesBefore0008 puts the request indexes of st back as they
// were before migration 8 (BeforeRequestIndexes): the baseline phase of a
// benchmark, on the same data.
func UseRequestIndexesBefore0008(tb testing.TB, st store.Store) {
	tb.Helper()
	ex := Raw(tb, st)
	for _, q := range BeforeRequestIndexes {
		if _, err := ex.ExecRaw(context.Background(), q); err != nil {
			tb.Fatalf("baseline: %s: %v", q, err)
		}
	}
}

// BeforeRequestIndexes puts the request indexes back as they were before
// migration 8 (the #13 baseline of both benchmarks).
var BeforeRequestIndexes = []string{
	"DROP INDEX requests_received_id", "DROP INDEX requests_state_received", "DROP INDEX requests_assignee_received", "DROP INDEX requests_open_received",
	"DROP INDEX requests_due", "DROP INDEX requests_subject_ref", "DROP INDEX requests_approval",
	"CREATE INDEX requests_received_at ON requests (received_at)", "ANALYZE",
}
