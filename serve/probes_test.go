package serve

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// condition returns whether the named condition holds in p's report.
func condition(t *testing.T, p *Probes, name string) bool {
	t.Helper()
	for _, c := range p.Checker.Ready(context.Background()).Conditions {
		if c.Name == name {
			return c.Ready
		}
	}
	t.Fatalf("no condition %q", name)
	return false
}

// TestProbesFollowTheProcess flips each readiness condition of serve and
// worker through the real parts: a store with migrations pending, then
// migrated, an opened vault, a started then stopped River queue, a closed
// database.
func TestProbesFollowTheProcess(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "probes.db")
	p := NewProbes(nil, true)
	for _, name := range []string{"database", "migrations", "keysets", "workers"} {
		if condition(t, p, name) {
			t.Errorf("%s ready before the application is open", name)
		}
	}

	// Migrations pending: the database answers, the migrations check fails.
	raw, err := store.Open(ctx, dbURL, store.WithoutMigrate(), store.WithCreate())
	if err != nil {
		t.Fatal(err)
	}
	err = migrationsCurrent(ctx, raw)
	if err == nil || !strings.Contains(err.Error(), "pending") || !strings.Contains(err.Error(), "intercom-privacy migrate") {
		t.Fatalf("unmigrated database: %v", err)
	}
	if _, _, err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := migrationsCurrent(ctx, raw); err != nil {
		t.Fatalf("migrated database: %v", err)
	}
	raw.Close()

	text, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(text)
	a, err := app.Open(ctx, app.Settings{DatabaseURL: dbURL, MasterKey: master, InitKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	p.Opened(a)
	for name, want := range map[string]bool{"database": true, "migrations": true, "keysets": true, "workers": false} {
		if got := condition(t, p, name); got != want {
			t.Errorf("%s = %v after open, want %v", name, got, want)
		}
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[noopArgs]) error { return nil }))
	q, err := jobs.Open(ctx, dbURL, jobs.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p.WorkersStarted(q)
	if rep := p.Checker.Ready(ctx); !rep.Ready {
		t.Fatalf("not ready with everything up: %+v", rep)
	}
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the workers condition to notice the stopped queue", func() bool { return !condition(t, p, "workers") })

	// The database goes away.
	a.Close()
	if condition(t, p, "database") || condition(t, p, "migrations") {
		t.Error("database conditions hold on a closed database")
	}
}

type noopArgs struct{}

func (noopArgs) Kind() string { return "test_noop" }

// TestLateSinkAnswers503: a notification that arrives before serve has opened
// its database is refused with 503 and Retry-After (nothing stored), never
// 500; once the sink is set it reaches it.
func TestLateSinkAnswers503(t *testing.T) {
	const secret = "late-secret"
	ls := &lateSink{}
	h := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: ls})
	d := webhooktest.NewDelivery([]byte(secret), "notif_late", "contact.deleted", "c1")
	rec := webhooktest.Post(h, d.Body, d.Signature)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" {
		t.Fatalf("before the database is open: %d, Retry-After %q; want 503 and 5", rec.Code, rec.Header().Get("Retry-After"))
	}
	mem := &webhooktest.MemorySink{}
	ls.set(mem)
	if rec := webhooktest.Post(h, d.Body, d.Signature); rec.Code != http.StatusOK || len(mem.Stored()) != 1 {
		t.Fatalf("after: %d, %d stored", rec.Code, len(mem.Stored()))
	}
}
