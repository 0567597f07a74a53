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
	// The answers to the other rights preview too, with their law's text.
	for _, c := range []struct{ kind, jur, want string }{
		{"correction_completed", "gdpr", "custom_attributes.plan"},
		{"correction_denied", "ccpa", "§7023(b)"},
		{"restriction_completed", "uk_gdpr", "How to lift it"},
		{"restriction_lifted", "gdpr", "is lifted"},
		{"objection_completed", "ccpa", "15 business days"},
		{"appeal_decided", "us_va", "we uphold our earlier answer"},
	} {
		out, err := dsarCLI(t, "messages", "preview", c.kind, "--jurisdiction", c.jur)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("preview %s %s: %v\n%s", c.kind, c.jur, err, out)
		}
	}
	if out, err := dsarCLI(t, "messages", "preview", "appeal_decided", "--jurisdiction", "us_co", "--reversed"); err != nil || !strings.Contains(out, "we reverse") {
		t.Errorf("preview of a reversed appeal: %v\n%s", err, out)
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
