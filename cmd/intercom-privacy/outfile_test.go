package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteOutFile: a failed write leaves no file and keeps an existing one
// (with --force too); success writes mode 0600; without force an existing
// file is refused; no temporary file is left behind; errors never name the
// path.
func TestWriteOutFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "alice-smith.zip")
	boom := errors.New("no such request")
	fail := func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return boom }
	ok := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := writeOutFile("--out", p, false, fail); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("a failed write left a file: %v", err)
	}
	if err := writeOutFile("--out", p, false, ok("one")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", st, err)
	}
	err := writeOutFile("--out", p, false, ok("two"))
	if !errors.Is(err, errOutExists) || strings.Contains(err.Error(), "alice") {
		t.Fatalf("existing file without force: %v", err)
	}
	// --force with a failing write keeps the file that was there.
	if err := writeOutFile("--out", p, true, fail); !errors.Is(err, boom) {
		t.Fatalf("failed forced write: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("a failed forced write changed the file: %q", b)
	}
	if err := writeOutFile("--out", p, true, ok("three")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "three" {
		t.Fatalf("forced write: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files left in the directory: %v", ents)
	}
	err = writeOutFile("--out", filepath.Join(dir, "missing-dir", "alice-smith.zip"), false, ok("x"))
	if err == nil || strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "force") {
		t.Fatalf("missing directory: %v", err)
	}
}
