package sqlite_test

import (
	"bytes"
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
	st, err := store.Open(context.Background(), "sqlite://"+p, store.WithoutMigrate(), store.WithCreate())
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

// TestMissingFileIsNotCreated: a DATABASE_URL naming a file that does not exist
// (a typo) is refused with the path named, and no file is created; only an
// explicit store.WithCreate (migrate, keys init) creates it.
func TestMissingFileIsNotCreated(t *testing.T) {
	p := filepath.Join(t.TempDir(), "privcay.db")
	_, err := store.Open(context.Background(), "sqlite://"+p)
	if !errors.Is(err, store.ErrNoDatabase) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("open of a missing file: %v, want ErrNoDatabase naming %s and the command that creates one", err, p)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused open created the file: %v", err)
	}
	st, err := store.Open(context.Background(), "sqlite://"+p, store.WithCreate())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(context.Background(), "sqlite://"+p)
	if err != nil {
		t.Fatalf("open of the created file: %v", err)
	}
	st.Close()
}

func TestDefaultURLInWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	st, err := store.Open(context.Background(), "", store.WithCreate())
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

func TestPragmas(t *testing.T) {
	st := storetest.SQLite().Open(t)
	ctx := context.Background()
	// Every connection of the pool must have the settings, not only the first.
	for range 4 {
		err := st.InTx(ctx, func(tx store.Tx) error {
			// A foreign key violation proves foreign_keys=ON on this connection.
			if err := tx.UpsertPart(ctx, store.CachedPart{ConversationID: "missing", PartID: "p"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UpsertPart without a conversation: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	raw := st.(*sqlite.Store)
	if _, err := raw.ExecRaw(ctx, `INSERT INTO cached_parts (conversation_id, part_id, created_at) VALUES ('none', 'p', 0)`); err == nil {
		t.Fatal("foreign keys are not enforced")
	}
	if _, err := os.Stat(raw.Path() + "-wal"); err != nil {
		t.Fatalf("no WAL file next to the database: %v", err)
	}
}

// TestDiskFull caps the database at about a MiB (max_page_count: the schema of
// eleven migrations takes more than 120 pages, the blob written 3 MiB) and
// writes more: the error says the disk is full and what to do, and nothing of
// the failed write remains.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenWithPragmas(ctx, filepath.Join(t.TempDir(), "full.db"), "max_page_count(300)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	big := bytes.Repeat([]byte{0x5a}, 3<<20)
	_, err = st.PutBlob(ctx, store.Blob{Kind: store.BlobExportFile, RequestID: "req_full"}, bytes.NewReader(big))
	if !errors.Is(err, store.ErrDiskFull) || !strings.Contains(err.Error(), "free disk space") {
		t.Fatalf("write past the size limit: %v, want ErrDiskFull with a remedy", err)
	}
	if blobs, err := st.BlobsByRequest(ctx, "req_full"); err != nil || len(blobs) != 0 {
		t.Fatalf("a partial blob remains after the failed write: %d, %v", len(blobs), err)
	}
	// The store keeps working for writes that fit.
	if err := st.UpsertContact(ctx, store.CachedContact{IntercomID: "c1"}); err != nil {
		t.Fatalf("small write after a full-disk error: %v", err)
	}
}

func BenchmarkAuditRecords(b *testing.B) {
	storetest.BenchmarkAuditRecords(b, storetest.SQLite().Open, 200000)
}
