package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/sqlite"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func TestSuite(t *testing.T) { storetest.RunBackend(t, storetest.SQLite()) }

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, storetest.SQLite(), sqlite.OpenWithMigrations, sqlite.MigrationFiles)
}

func TestCorruptFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "corrupt.db")
	junk := []byte(strings.Repeat("this is not a database, just some text. ", 200))
	if err := os.WriteFile(p, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), "sqlite://"+p)
	if !errors.Is(err, store.ErrNotDatabase) {
		t.Fatalf("open of a text file: %v, want ErrNotDatabase", err)
	}
	if !strings.Contains(err.Error(), "backup") || !strings.Contains(err.Error(), "corrupt.db") {
		t.Fatalf("the error names no file or remedy: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(junk) {
		t.Fatal("open modified the corrupt file")
	}
}

func TestForeignFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "other.db")
	st, err := store.Open(context.Background(), "sqlite://"+p, store.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	storetest.ExecRaw(t, st, `CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT)`)
	st.Close()
	_, err = store.Open(context.Background(), "sqlite://"+p)
	if !errors.Is(err, store.ErrForeignDatabase) {
		t.Fatalf("open of another application's database: %v, want ErrForeignDatabase", err)
	}
}

func TestMissingDirectory(t *testing.T) {
	_, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if !errors.Is(err, store.ErrConnect) || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("open in a missing directory: %v", err)
	}
}

func TestURLForms(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"sqlite:///abs/path.db", "/abs/path.db"},
		{"sqlite://relative.db", "relative.db"},
		{"sqlite://dir/relative.db", "dir/relative.db"},
		{"sqlite:relative.db", "relative.db"},
		{"SQLITE:///abs/x.db?mode=rw", "/abs/x.db"},
		{"sqlite:///with%20space.db", "/with space.db"},
	} {
		got, err := sqlite.PathFromURL(c.in)
		if err != nil || got != c.want {
			t.Errorf("PathFromURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"sqlite://", "sqlite:///", "postgres://x/y", "sqlite::memory:", "sqlite://file:x.db"} {
		if _, err := sqlite.PathFromURL(bad); err == nil {
			t.Errorf("PathFromURL(%q) accepted", bad)
		}
	}
}

func TestDefaultURLInWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	st, err := store.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Backend() != "sqlite" {
		t.Fatalf("default backend = %s", st.Backend())
	}
	if _, err := os.Stat("intercom-privacy.db"); err != nil {
		t.Fatalf("default database file not created in the working directory: %v", err)
	}
}

func FuzzPathFromURL(f *testing.F) {
	for _, s := range []string{"sqlite:///a.db", "sqlite://b.db", "sqlite:", "sqlite://%zz", "sqlite:///a?b=c", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := sqlite.PathFromURL(s)
		if err == nil && p == "" {
			t.Fatalf("PathFromURL(%q) returned an empty path without error", s)
		}
	})
}

func BenchmarkContactWrites(b *testing.B) {
	storetest.BenchmarkContactWrites(b, storetest.SQLite().Open)
}
