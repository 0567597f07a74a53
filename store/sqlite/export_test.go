package sqlite

import (
	"context"
	"io/fs"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/internal/sqlcore"
)

// MigrationFiles are the embedded migrations, for the shared migration tests.
var MigrationFiles, _ = fs.Sub(migrationFS, "migrations")

// OpenWithMigrations opens a store with another migration list, to simulate a
// failing migration.
func OpenWithMigrations(ctx context.Context, url string, o store.Options, fsys fs.FS) (store.Store, error) {
	migs, err := sqlcore.LoadMigrations(fsys, ".")
	if err != nil {
		return nil, err
	}
	p, err := PathFromURL(url)
	if err != nil {
		return nil, err
	}
	return openWith(ctx, p, o, migs, nil)
}

// OpenWithPragmas opens a store with extra pragmas (e.g. max_page_count, to
// simulate a full disk).
func OpenWithPragmas(ctx context.Context, path string, pragmas ...string) (store.Store, error) {
	migs, err := sqlcore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return openWith(ctx, path, store.Options{Create: true}, migs, pragmas)
}
