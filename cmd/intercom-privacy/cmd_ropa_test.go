package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRopaExport(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("recipients:\n  - {name: Warehouse, role: controller, country: DE}\nretention:\n  conversation_cache: 45d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := dsarCLI(t, "ropa", "export", "--config", cfg, "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("%d rows, %v:\n%s", len(rows), err, out)
	}
	if !strings.Contains(rows[1][5], "Warehouse (controller, DE)") || !strings.Contains(rows[1][7], "conversations: 45 days") {
		t.Errorf("registry or policy not in the record: %q / %q", rows[1][5], rows[1][7])
	}
	file := filepath.Join(dir, "ropa.md")
	if _, err := dsarCLI(t, "ropa", "export", "--config", cfg, "--out", file); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.HasPrefix(string(b), "# Record of processing activities") {
		t.Fatalf("--out: %v %.60q", err, b)
	}
	if _, err := dsarCLI(t, "ropa", "export", "--format", "pdf"); err == nil || !strings.Contains(err.Error(), "md, csv or json") {
		t.Errorf("bad format: %v", err)
	}
	if err := os.WriteFile(cfg, []byte("retention:\n  audit: 1y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := dsarCLI(t, "ropa", "export", "--config", cfg); err == nil || !strings.Contains(err.Error(), cfg) {
		t.Errorf("a policy below the legal minimum: %v", err)
	}
}
