// Package storetest is the one test suite every store backend passes (Run,
// RunBackend), and the helpers other packages' tests use to get a fresh store
// on every available backend (Backends).
//
// SQLite is always available (a file in t.TempDir()); PostgreSQL is used when
// TEST_DATABASE_URL is set, each store in a schema of its own that is dropped
// when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/intercom-privacy/intercom-privacy/store"
	_ "github.com/intercom-privacy/intercom-privacy/store/postgres" // registers postgres://
	_ "github.com/intercom-privacy/intercom-privacy/store/sqlite"   // registers sqlite://
)

// EnvDatabaseURL names the variable holding the PostgreSQL URL tests may use.
const EnvDatabaseURL = "TEST_DATABASE_URL"

// Backend is one database backend as tests see it.
type Backend struct {
	// Name is "sqlite" or "postgres".
	Name string
	// NewURL returns the URL of a new, empty database (a file or a schema),
	// removed when the test ends. Several stores may be opened on it.
	NewURL func(t testing.TB) string
	// Open opens a store on a new, empty database, migrated, closed when the
	// test ends.
	Open func(t testing.TB) store.Store
}

// Backends returns SQLite always and PostgreSQL when TEST_DATABASE_URL is set
// (it logs that PostgreSQL is skipped otherwise).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{SQLite()}
	if pg, ok := Postgres(t); ok {
		out = append(out, pg)
	}
	return out
}

// SQLite returns the SQLite backend: each database is a file in t.TempDir().
func SQLite() Backend {
	b := Backend{Name: "sqlite", NewURL: func(t testing.TB) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "store.db")
	}}
	b.Open = func(t testing.TB) store.Store { return OpenURL(t, b.NewURL(t)) }
	return b
}

// Postgres returns the PostgreSQL backend when TEST_DATABASE_URL is set; each
// database is a new schema with a random name, selected through search_path and
// dropped when the test ends. Without TEST_DATABASE_URL it logs why and returns false.
func Postgres(t testing.TB) (Backend, bool) {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Logf("storetest: PostgreSQL skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it", EnvDatabaseURL)
		return Backend{}, false
	}
	b := Backend{Name: "postgres", NewURL: func(t testing.TB) string { return newSchema(t, base) }}
	b.Open = func(t testing.TB) store.Store { return OpenURL(t, b.NewURL(t)) }
	return b, true
}

// RequirePostgres returns the PostgreSQL backend or skips the test with a clear
// message when TEST_DATABASE_URL is unset.
func RequirePostgres(t testing.TB) Backend {
	t.Helper()
	b, ok := Postgres(t)
	if !ok {
		t.Skipf("PostgreSQL tests skipped: %s is not set", EnvDatabaseURL)
	}
	return b
}

// OpenURL opens a store on url (creating and migrating it) and closes it when
// the test ends.
func OpenURL(t testing.TB, url string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, store.WithCreate())
	if err != nil {
		t.Fatalf("storetest: open %s: %v", store.RedactURL(url), err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newSchema creates a schema with a random name and returns base with
// search_path set to it; the schema is dropped at cleanup.
func newSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	var r [8]byte
	_, _ = rand.Read(r[:])
	schema := "storetest_" + hex.EncodeToString(r[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("storetest: connect to %s: %v", EnvDatabaseURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s does not parse as a URL", EnvDatabaseURL)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// ExecRaw runs SQL on a store outside its API (for tests that tamper with rows,
// e.g. to prove that audit verification notices). It fails the test if the
// store's backend does not offer raw access.
func ExecRaw(t testing.TB, st store.Store, query string, args ...any) int64 {
	t.Helper()
	r, ok := st.(interface {
		ExecRaw(ctx context.Context, query string, args ...any) (int64, error)
	})
	if !ok {
		t.Fatalf("storetest: %T offers no ExecRaw", st)
	}
	n, err := r.ExecRaw(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("storetest: exec raw SQL: %v", err)
	}
	return n
}
