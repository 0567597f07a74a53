package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func TestRetentionCommands(t *testing.T) {
	dbURL := cliStore(t)
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -45)
	for _, id := range []string{"c1", "c2"} {
		if err := st.UpsertContact(ctx, store.CachedContact{IntercomID: id, PersonKeyID: "key-" + id, Role: "user", CreatedAt: old}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpsertContact(ctx, store.CachedContact{IntercomID: "c3", PersonKeyID: "key-c3", Role: "user"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := dsarCLI(t, "retention", "show", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var show struct {
		Policy struct {
			Ages map[string]string `json:"ages"`
			Cron string            `json:"cron"`
		} `json:"policy"`
		Would []retention.CategoryResult `json:"next_run_would_delete"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil || show.Policy.Cron != "0 3 * * *" || show.Policy.Ages["audit"] != "7y" {
		t.Fatalf("show --json: %v %s", err, out)
	}
	if show.Would[0].Category != retention.ContactCache || show.Would[0].Deleted != 2 {
		t.Fatalf("would delete %+v", show.Would)
	}

	out, err = dsarCLI(t, "retention", "hold", "add", "--contact-id", "c1", "--reason", "litigation hold, case 17", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var hold retention.Hold
	if err := json.Unmarshal([]byte(out), &hold); err != nil || hold.ID == "" || hold.SubjectRef != "key-c1" {
		t.Fatalf("hold add: %v %s", err, out)
	}
	if _, err := dsarCLI(t, "retention", "hold", "add", "--contact-id", "c2", "--reason", "asked by someone@example.com"); err == nil ||
		strings.Contains(err.Error(), "someone@") {
		t.Fatalf("a reason with an e-mail address: %v", err)
	}
	if _, err := dsarCLI(t, "retention", "hold", "add", "--reason", "x"); err == nil {
		t.Fatal("a hold without a target")
	}

	runJSON := func(args ...string) retention.RunResult {
		t.Helper()
		out, err := dsarCLI(t, append([]string{"retention", "run", "--json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var res retention.RunResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("run --json: %v %s", err, out)
		}
		return res
	}
	if res := runJSON("--dry-run"); !res.DryRun || res.Categories[0].Deleted != 1 || res.ActiveHolds != 1 {
		t.Fatalf("dry run %+v", res)
	}
	if res := runJSON("--batch-size", "1"); res.Categories[0].Deleted != 1 || res.Categories[0].Batches != 2 {
		t.Fatalf("run %+v", res)
	}
	out, err = dsarCLI(t, "retention", "hold", "list")
	if err != nil || !strings.Contains(out, hold.ID) || !strings.Contains(out, "litigation hold") {
		t.Fatalf("hold list: %v %s", err, out)
	}
	if _, err := dsarCLI(t, "retention", "hold", "release", hold.ID, "--reason", "case closed"); err != nil {
		t.Fatal(err)
	}
	if res := runJSON(); res.Categories[0].Deleted != 1 {
		t.Fatalf("run after release %+v", res)
	}
	out, err = dsarCLI(t, "retention", "show")
	if err != nil || strings.Count(out, "ret_") != 3 || !strings.Contains(out, "Active legal holds: 0") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	if _, err := dsarCLI(t, "retention", "run", "--batch-size", "0"); err == nil {
		t.Fatal("--batch-size 0 accepted")
	}
	out, err = dsarCLI(t, "audit", "verify")
	if err != nil {
		t.Fatalf("audit verify: %v %s", err, out)
	}
	// audit export --out writes the file whole, mode 0600, replacing the one
	// there; the file verifies on its own.
	exp := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(exp, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := dsarCLI(t, "audit", "export", "--out", exp); err != nil || out != "" {
		t.Fatalf("audit export --out: %v %s", err, out)
	}
	if st, err := os.Stat(exp); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit export file: %v %v", st, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("files left next to the export: %v", ents)
	}
	if out, err := dsarCLI(t, "audit", "verify", "--file", exp); err != nil || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify --file: %v %s", err, out)
	}

	// A policy error in the configuration file names the file, the line and
	// the valid values.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sync:\n  pii: []\nretention:\n  audit: 12mo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = dsarCLI(t, "retention", "run", "--config", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml: retention policy: line 4: retention.audit") || !strings.Contains(err.Error(), "24 months") {
		t.Fatalf("bad policy: %v", err)
	}
}

func TestRetentionWorkerHook(t *testing.T) {
	key, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(key)
	if err != nil {
		t.Fatal(err)
	}
	openErr := func(cfg *config.Config) (*app.App, error) {
		path := ""
		if cfg != nil {
			path = "c.yaml"
		}
		a, err := app.Open(context.Background(), app.Settings{DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "t.db"),
			MasterKey: master, InitKeys: true, Config: cfg, ConfigPath: path, Actor: "worker"})
		if err == nil {
			t.Cleanup(func() { a.Close() })
		}
		return a, err
	}
	open := func(cfg *config.Config) *app.App {
		a, err := openErr(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	pjs, err := retentionWorkerHook(open(nil), river.NewWorkers())
	if err != nil || len(pjs) != 1 {
		t.Fatalf("hook: %v %d", err, len(pjs))
	}
	cfg, err := config.Parse("c.yaml", strings.NewReader("schedule:\n  cron: \"0 3 * *\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	// A bad schedule stops every command at app.Open, the worker included.
	if _, err := openErr(cfg); err == nil || !strings.Contains(err.Error(), "schedule.cron") ||
		!strings.HasPrefix(err.Error(), "c.yaml: ") {
		t.Fatalf("a bad schedule did not stop the worker: %v", err)
	}
	t.Setenv(envRetentionBatchSize, "0")
	if _, err := retentionWorkerHook(open(nil), river.NewWorkers()); err == nil {
		t.Fatal("a bad batch size did not stop the worker")
	}
}
