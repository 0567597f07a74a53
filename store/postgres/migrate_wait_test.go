package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/postgres"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestOpenWaitsForMigrationInProgress: while another process holds the
// migration lock (it is migrating), Open waits instead of failing or
// migrating alongside, then migrates once the lock is released.
func TestOpenWaitsForMigrationInProgress(t *testing.T) {
	ctx := context.Background()
	u := storetest.RequirePostgres(t).NewURL(t)
	holder, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, postgres.MigrationLockKey); err != nil {
		t.Fatal(err)
	}
	type result struct {
		st  store.Store
		err error
	}
	done := make(chan result, 1)
	name := fmt.Sprintf("opener_%d", rand.Uint32())
	go func() {
		st, err := store.Open(ctx, u+"&application_name="+name)
		done <- result{st, err}
	}()
	// Wait until the opener is queued behind the lock (in another session: there
	// is nothing to be told, so the lock table is checked until it shows).
	testwait.Until(t, "Open to wait on the migration lock", func() bool {
		select {
		case r := <-done:
			t.Fatalf("Open returned while the migration lock was held: %v", r.err)
		default:
		}
		return waitingOn(t, holder, postgres.MigrationLockKey, name) > 0
	})
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockKey); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Open after the lock was released: %v", r.err)
	}
	defer r.st.Close()
	v, err := r.st.SchemaVersion(ctx)
	if err != nil || v != r.st.LatestVersion() {
		t.Fatalf("schema version %d (%v), want %d", v, err, r.st.LatestVersion())
	}
}

// waitingOn counts the sessions named app (application_name) waiting for the
// advisory lock key. The test database is shared: other tests' migrators may
// queue on the same lock, so sessions are told apart by name.
func waitingOn(t *testing.T, conn *pgx.Conn, key int64, app string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = $2
		AND l.objid = ($1::bigint & 4294967295) AND l.classid = (($1::bigint >> 32) & 4294967295)`, key, app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTwoMigratorsOneWaits runs two real migrators at once on an empty
// database: the first is held inside its migration (the migration waits on a
// lock the test holds), the second queues on the migration lock instead of
// migrating alongside or failing; once the first commits, the second finds the
// migration applied and applies nothing: both open, the migration ran once.
func TestTwoMigratorsOneWaits(t *testing.T) {
	ctx := context.Background()
	u := storetest.RequirePostgres(t).NewURL(t)
	gateKey := int64(rand.Uint32()>>1) + 1
	migs := fstest.MapFS{"0001_probe.sql": &fstest.MapFile{Data: []byte(fmt.Sprintf(
		"CREATE TABLE mig_probe (n INTEGER);\nINSERT INTO mig_probe VALUES (1);\nSELECT pg_advisory_xact_lock_shared(%d);\n", gateKey))}}
	holder, err := pgx.Connect(ctx, storetest.RequirePostgres(t).NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, gateKey); err != nil {
		t.Fatal(err)
	}
	type result struct {
		st  store.Store
		err error
	}
	tag := fmt.Sprintf("migrator_%d_", gateKey)
	open := func(name string) <-chan result {
		c := make(chan result, 1)
		go func() {
			st, err := postgres.OpenWithMigrations(ctx, u+"&application_name="+tag+name, store.Options{}, migs)
			c <- result{st, err}
		}()
		return c
	}
	notDone := func(c <-chan result, who string) {
		select {
		case r := <-c:
			t.Fatalf("the %s migrator returned while it should wait: %v", who, r.err)
		default:
		}
	}
	first := open("first")
	testwait.Until(t, "the first migrator to be inside its migration", func() bool {
		notDone(first, "first")
		return waitingOn(t, holder, gateKey, tag+"first") == 1
	})
	second := open("second")
	testwait.Until(t, "the second migrator to wait on the migration lock", func() bool {
		notDone(first, "first")
		notDone(second, "second")
		return waitingOn(t, holder, postgres.MigrationLockKey, tag+"second") == 1
	})
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gateKey); err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan result{first, second} {
		r := <-c
		if r.err != nil {
			t.Fatalf("a migrator failed: %v", r.err)
		}
		defer r.st.Close()
		if v, err := r.st.SchemaVersion(ctx); err != nil || v != 1 {
			t.Fatalf("schema version %d (%v), want 1", v, err)
		}
	}
	check, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(ctx)
	var rows, applied int
	if err := check.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM mig_probe), (SELECT COUNT(*) FROM schema_migrations)`).Scan(&rows, &applied); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || applied != 1 {
		t.Fatalf("the migration ran %d time(s) and is recorded %d time(s), want once", rows, applied)
	}
}
