package postgres

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
	return openWith(ctx, url, o, migs)
}

// MigrationLockKey is the advisory lock key migrations hold.
const MigrationLockKey = migrationLockKey
