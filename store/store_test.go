package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func TestOpenUnsupportedURL(t *testing.T) {
	for _, u := range []string{"mysql://root@localhost/db", "no-scheme-here", "redis://x"} {
		_, err := store.Open(context.Background(), u)
		if !errors.Is(err, store.ErrUnsupportedURL) {
			t.Errorf("Open(%q) = %v, want ErrUnsupportedURL", u, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://bob:secret@db:5432/x?sslmode=require", "postgres://bob:xxxxx@db:5432/x?sslmode=require"},
		{"postgres://bob@db/x", "postgres://bob@db/x"},
		{"postgres://db/x?password=secret&sslmode=disable", "postgres://db/x?password=xxxxx&sslmode=disable"},
		{"sqlite:///var/lib/x.db", "sqlite:///var/lib/x.db"},
	} {
		if got := store.RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h/d", "postgres://h/d?password=p", "x:%zz", "postgres://u:p@[::1/x", ""} {
		f.Add(s, "p4ssw0rd")
	}
	f.Fuzz(func(t *testing.T, raw, pw string) {
		if len(pw) < 6 || strings.ContainsAny(pw, "%@:/?#[]&=+ \\") {
			return
		}
		u := "postgres://user:" + pw + "@" + raw
		// The password may legitimately appear elsewhere in the URL (the fuzzer
		// puts it in the host); it must not appear more often than there.
		if got := store.RedactURL(u); strings.Count(got, pw) > strings.Count(raw, pw) ||
			strings.Count(got, url.QueryEscape(pw)) > strings.Count(raw, url.QueryEscape(pw)) {
			t.Fatalf("RedactURL kept the password: %q", got)
		}
		_ = store.RedactURL(raw) // never panics
	})
}

func TestErrorsMatch(t *testing.T) {
	if err := store.NotFound("person_key"); !errors.Is(err, vault.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Error("a missing person key must match vault.ErrNotFound and store.ErrNotFound")
	}
	if err := store.NotFound("contact"); errors.Is(err, vault.ErrNotFound) {
		t.Error("a missing contact must not match vault.ErrNotFound")
	}
	var err error = &store.StateConflictError{RequestID: "req_1", Expected: store.StateReceived, Actual: store.StateCancelled}
	if !errors.Is(err, store.ErrStateConflict) || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("StateConflictError: %v", err)
	}
	err = fmt.Errorf("wrapped: %w", &store.MigrationError{Version: 3, Name: "x", Err: errors.New("boom")})
	if !errors.Is(err, store.ErrMigration) || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("MigrationError: %v", err)
	}
	err = &store.SchemaVersionError{Database: 5, Binary: 3}
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade") {
		t.Errorf("SchemaVersionError: %v", err)
	}
}

func TestNewID(t *testing.T) {
	a, b := store.NewID("req_"), store.NewID("req_")
	if a == b || len(a) != 36 || !strings.HasPrefix(a, "req_") {
		t.Fatalf("NewID = %q, %q", a, b)
	}
}

func TestCategoriesComplete(t *testing.T) {
	want := "contact_cache conversation_cache webhook_events export_files access_packages"
	var got []string
	for _, c := range store.Categories() {
		got = append(got, string(c))
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("Categories() = %v", got)
	}
}
