package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

func TestScanCommands(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 20, Seed: 5, RateLimit: -1})
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("scan:\n  max_redactions_per_run: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.EnvFile, cfg)
	out, err := dsarCLI(t, "scan", "conversations", "--types", "card,password")
	if err != nil || !strings.Contains(out, "scanned") || strings.Contains(out, "\r") {
		t.Fatalf("scan conversations: %v\n%s", err, out)
	}
	out, err = dsarCLI(t, "scan", "report", "--format", "json", "--app-id", "abc")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ByType []struct {
			Type          string `json:"Type"`
			Conversations int64  `json:"Conversations"`
		} `json:"by_type"`
		Redaction struct{ Parts int } `json:"redaction"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.ByType) == 0 || rep.Redaction.Parts < 2 {
		t.Fatalf("report: %v %+v\n%s", err, rep, out)
	}
	out, err = dsarCLI(t, "scan", "redact", "--types", "card", "--dry-run")
	if err != nil || !strings.Contains(out, "This message was deleted") || !strings.Contains(out, "dry run: 1 part(s)") || !strings.Contains(out, "more part(s) are left") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if n := len(sb.Stats().Effects[sandbox.EffectPartRedacted]); n != 0 {
		t.Fatalf("the dry run redacted %d parts", n)
	}
	out, err = dsarCLI(t, "scan", "redact", "--types", "card")
	if err != nil || !strings.Contains(out, "1 redacted") {
		t.Fatalf("redact limited to 1: %v\n%s", err, out)
	}
	out, err = dsarCLI(t, "scan", "redact", "--types", "card", "--yes")
	if err != nil || strings.Contains(out, "more part(s) are left") {
		t.Fatalf("redact --yes: %v\n%s", err, out)
	}
	if n := len(sb.Stats().Effects[sandbox.EffectPartRedacted]); n != rep.Redaction.Parts {
		// the report's default types include passwords; the sandbox writes none
		t.Fatalf("%d parts redacted, want %d", n, rep.Redaction.Parts)
	}
	out, err = dsarCLI(t, "scan", "report", "--format", "html", "--app-id", "abc")
	if err != nil || !strings.Contains(out, "<!DOCTYPE html>") || !strings.Contains(out, "done") {
		t.Fatalf("html report: %v", err)
	}
	for _, bad := range [][]string{
		{"scan", "conversations", "--since", "yesterday"},
		{"scan", "conversations", "--types", "nope"},
		{"scan", "redact", "--author", "robot"},
		{"scan", "report", "--format", "pdf"},
	} {
		if _, err := dsarCLI(t, bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := dsarCLI(t, "audit", "verify"); err != nil {
		t.Fatalf("audit verify: %v", err)
	}
}
