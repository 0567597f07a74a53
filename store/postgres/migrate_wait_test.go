package postgres_test

import (
	"context"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"testing"

	"github.com/jackc/pgx/v5"

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
	go func() {
		st, err := store.Open(ctx, u)
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
		var waiting int
		if err := holder.QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND objid = ($1::bigint & 4294967295)`, postgres.MigrationLockKey).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting > 0
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
