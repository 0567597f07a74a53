package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/postgres"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func TestSuite(t *testing.T) { storetest.RunBackend(t, storetest.RequirePostgres(t)) }

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, storetest.RequirePostgres(t), postgres.OpenWithMigrations, postgres.MigrationFiles)
}

func TestForeignSchema(t *testing.T) {
	b := storetest.RequirePostgres(t)
	u := b.NewURL(t)
	st, err := store.Open(context.Background(), u, store.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	storetest.ExecRaw(t, st, `CREATE TABLE invoices (id BIGINT PRIMARY KEY, customer TEXT)`)
	st.Close()
	_, err = store.Open(context.Background(), u)
	if !errors.Is(err, store.ErrForeignDatabase) || !strings.Contains(err.Error(), "search_path") {
		t.Fatalf("open of a schema holding other tables: %v, want ErrForeignDatabase with a remedy", err)
	}
}

func TestConcurrentFirstOpenMigratesOnce(t *testing.T) {
	u := storetest.RequirePostgres(t).NewURL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := store.Open(context.Background(), u)
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent first open: %v", err)
		}
	}
}

// TestConnectErrors needs no server: nothing listens on port 1.
func TestConnectErrors(t *testing.T) {
	const secret = "s3cret-Pa55word"
	u := "postgres://alice:" + secret + "@127.0.0.1:1/privacy?sslmode=disable&connect_timeout=2"
	_, err := store.Open(context.Background(), u)
	if !errors.Is(err, store.ErrConnect) {
		t.Fatalf("open with nothing listening: %v, want ErrConnect", err)
	}
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), secret) {
			t.Fatalf("an error in the chain shows the password: %v", e)
		}
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "running") {
		t.Fatalf("the error names no server or remedy: %v", err)
	}
	_, err = store.Open(context.Background(), "postgres://alice:"+secret+"@[::1/x")
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("open of an unparsable URL: %v", err)
	}
}

func TestMissingDatabase(t *testing.T) {
	storetest.RequirePostgres(t)
	_, err := store.Open(context.Background(), "postgres://postgres@127.0.0.1:5432/no_such_db_storetest?sslmode=disable")
	if !errors.Is(err, store.ErrConnect) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("open of a missing database: %v", err)
	}
}

func TestMissingSchema(t *testing.T) {
	storetest.RequirePostgres(t)
	_, err := store.Open(context.Background(), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=no_such_schema_storetest")
	if !errors.Is(err, store.ErrConnect) || !strings.Contains(err.Error(), "CREATE SCHEMA") {
		t.Fatalf("open with a missing schema: %v", err)
	}
}

func BenchmarkContactWrites(b *testing.B) {
	storetest.BenchmarkContactWrites(b, storetest.RequirePostgres(b).Open)
}

// TestDeadlockRetried makes two transactions lock two rows in opposite orders;
// PostgreSQL aborts one with a deadlock error, and InTx re-runs it.
func TestDeadlockRetried(t *testing.T) {
	st := storetest.RequirePostgres(t).Open(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := st.UpsertContact(ctx, store.CachedContact{IntercomID: id}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		barrier  sync.WaitGroup
		mu       sync.Mutex
		attempts int
	)
	barrier.Add(2)
	first := [2]sync.Once{}
	run := func(w int, order [2]string) error {
		return st.InTx(ctx, func(tx store.Tx) error {
			mu.Lock()
			attempts++
			mu.Unlock()
			if err := tx.UpsertContact(ctx, store.CachedContact{IntercomID: order[0], Role: "user"}); err != nil {
				return err
			}
			first[w].Do(func() { barrier.Done(); barrier.Wait() }) // both hold their first row
			return tx.UpsertContact(ctx, store.CachedContact{IntercomID: order[1], Role: "lead"})
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(0, [2]string{"a", "b"}) }()
	go func() { errs <- run(1, [2]string{"b", "a"}) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked transaction was not retried: %v", err)
		}
	}
	if attempts < 3 {
		t.Fatalf("%d attempts: the deadlock did not happen, the test proves nothing", attempts)
	}
}

func BenchmarkAuditRecords(b *testing.B) {
	storetest.BenchmarkAuditRecords(b, storetest.RequirePostgres(b).Open, 200000)
}
