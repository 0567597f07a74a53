package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMessagesPreview(t *testing.T) {
	out, err := dsarCLI(t, "messages", "preview", "denial", "--jurisdiction", "ccpa")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "Subject: Your privacy request") || !strings.Contains(out, "California") {
		t.Fatalf("preview:\n%s", out)
	}
	html, err := dsarCLI(t, "messages", "preview", "verification", "--jurisdiction", "gdpr", "--html")
	if err != nil || !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "123456") {
		t.Fatalf("html: %v\n%s", err, html)
	}
	// An override next to the configuration file replaces the built-in text.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "messages"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "messages", "denial.de.txt"), []byte(`{{define "subject"}}Ihre Anfrage{{end}}Abgelehnt: {{.DenialReason}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("mail:\n  templates_dir: messages\n  language: de\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = dsarCLI(t, "messages", "preview", "denial", "--config", cfg)
	if err != nil || !strings.HasPrefix(out, "Subject: Ihre Anfrage") {
		t.Fatalf("override: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"messages", "preview", "nope"},
		{"messages", "preview", "denial", "--jurisdiction", "mars"},
		{"messages", "preview", "denial", "--lang", "../x"},
	} {
		if _, err := dsarCLI(t, args...); err == nil || exitCodeOf(err, false) != exitUsage {
			t.Errorf("%v: %v", args, err)
		}
	}
}
