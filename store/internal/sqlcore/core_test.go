package sqlcore

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func TestPlaceholdersAndShift(t *testing.T) {
	if got := placeholders(3, 3); got != "$3, $4, $5" {
		t.Fatalf("placeholders = %q", got)
	}
	if got := shift("a IN ($1, $2) AND b = $10 AND c = '$'", 4); got != "a IN ($5, $6) AND b = $14 AND c = '$'" {
		t.Fatalf("shift = %q", got)
	}
	if got := shift("$1", 0); got != "$1" {
		t.Fatalf("shift by 0 = %q", got)
	}
}

func FuzzShift(f *testing.F) {
	for _, s := range []string{"$1", "x = $12 OR $", "$$1", "", "a$9b"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, q string, by int) {
		if by < 0 || by > 1000 {
			return
		}
		out := shift(q, by)
		if strings.Count(out, "$") != strings.Count(q, "$") {
			t.Fatalf("shift(%q, %d) = %q changed the number of placeholders", q, by, out)
		}
		if by == 0 && out != q {
			t.Fatalf("shift by 0 changed %q to %q", q, out)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	good := fstest.MapFS{"0002_b.sql": {Data: []byte("B")}, "0001_a.sql": {Data: []byte("A")}, "README": {Data: nil}}
	m, err := LoadMigrations(good, ".")
	if err != nil || len(m) != 2 || m[0].Name != "a" || m[1].Version != 2 || m[1].SQL != "B" {
		t.Fatalf("LoadMigrations = %+v, %v", m, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"0001_a.sql": {}, "0003_c.sql": {}},
		"bad name": {"first.sql": {}},
		"zero":     {"0000_z.sql": {}},
	} {
		if _, err := LoadMigrations(fsys, "."); err == nil {
			t.Errorf("LoadMigrations accepted %s", name)
		}
	}
}

func TestTimeColumn(t *testing.T) {
	var got time.Time
	for _, src := range []any{int64(1700000000123456), []byte("1700000000123456")} {
		if err := tc(&got).Scan(src); err != nil || got.UnixMicro() != 1700000000123456 || got.Location() != time.UTC {
			t.Fatalf("Scan(%T) = %v, %v", src, got, err)
		}
	}
	if err := tc(&got).Scan(nil); err != nil || !got.IsZero() {
		t.Fatalf("Scan(nil) = %v, %v", got, err)
	}
	if err := tc(&got).Scan("yesterday"); err == nil {
		t.Fatal("Scan of a string accepted")
	}
	if ts(time.Time{}) != nil || ts(time.UnixMicro(5)) != int64(5) {
		t.Fatal("ts does not map the zero time to NULL")
	}
}

func TestWrapClassifies(t *testing.T) {
	dup := errors.New("UNIQUE constraint failed: t.id")
	full := errors.New("database or disk is full")
	o := &Ops{D: &Dialect{
		IsUniqueViolation: func(err error) bool { return err == dup },
		IsDiskFull:        func(err error) bool { return err == full },
	}}
	if err := o.wrap(dup); !errors.Is(err, store.ErrDuplicate) || !errors.Is(err, dup) {
		t.Fatalf("wrap(dup) = %v", err)
	}
	if err := o.wrap(full); !errors.Is(err, store.ErrDiskFull) || !strings.Contains(err.Error(), "free disk space") {
		t.Fatalf("wrap(full) = %v", err)
	}
	if err := o.wrap(o.wrap(dup)); strings.Count(err.Error(), "duplicate key") != 1 {
		t.Fatalf("wrap is not idempotent: %v", err)
	}
}

func TestAnyIn(t *testing.T) {
	q, args := anyIn(inList{"a", []string{"x", "y"}}, inList{"b", nil}, inList{"c", []string{"z"}})
	if q != "(a IN ($1, $2) OR c IN ($3))" || len(args) != 3 || args[0] != "x" || args[2] != "z" {
		t.Fatalf("anyIn = %q, %v", q, args)
	}
	if q, args := anyIn(inList{"a", nil}); q != "1 = 0" || args != nil {
		t.Fatalf("anyIn of no values = %q, %v; want a condition matching nothing", q, args)
	}
}
