package store

import (
	"errors"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Sentinel errors; match them with errors.Is. No error of this package carries a
// stored value (ciphertext, blind index, identifier) or a password.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicate: a row with the same key exists.
	ErrDuplicate = errors.New("store: duplicate key")
	// ErrStateConflict: an optimistic state check failed (see StateConflictError).
	ErrStateConflict = errors.New("store: state changed concurrently")
	// ErrInvalid: an argument is not acceptable (unknown category, empty key, ...).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrCorrupt: stored data failed an integrity check (blob hash mismatch).
	ErrCorrupt = errors.New("store: stored data is corrupt")
	// ErrChainConflict: an audit record does not extend the chain head.
	ErrChainConflict = errors.New("store: audit record does not follow the chain head")

	// ErrUnsupportedURL: DATABASE_URL has a scheme no registered backend handles.
	ErrUnsupportedURL = errors.New("store: unsupported database URL")
	// ErrSchemaTooNew: the database was migrated by a newer binary.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrNotDatabase: the SQLite file is not a database (corrupt or another format).
	ErrNotDatabase = errors.New("store: file is not a SQLite database")
	// ErrForeignDatabase: the database holds tables that are not ours.
	ErrForeignDatabase = errors.New("store: database belongs to another application")
	// ErrNoDatabase: the database named does not exist, and the caller did not
	// ask to create it (store.WithCreate).
	ErrNoDatabase = errors.New("store: no database at this location")
	// ErrConnect: the database server cannot be reached or refused the login.
	ErrConnect = errors.New("store: cannot connect to the database")
	// ErrMigration: a migration failed; the schema stays at the previous version.
	ErrMigration = errors.New("store: migration failed")
	// ErrDiskFull: the disk or the database quota is full.
	ErrDiskFull = errors.New("store: disk full")
	// ErrBusy: another writer held the database longer than the store waits
	// (SQLite's busy timeout; a PostgreSQL lock or connection limit). Nothing
	// was written; the same call may succeed later.
	ErrBusy = errors.New("store: database busy")
)

// NotFoundError is returned when a row does not exist. It matches ErrNotFound,
// and vault.ErrNotFound for keysets and person keys.
type NotFoundError struct {
	// What names the kind of row: "contact", "request", "keyset", "person_key", ...
	What string
}

func (e *NotFoundError) Error() string { return "store: " + e.What + " not found" }

// Is matches ErrNotFound, and vault.ErrNotFound for the vault's rows.
func (e *NotFoundError) Is(target error) bool {
	if target == ErrNotFound {
		return true
	}
	return target == vault.ErrNotFound && (e.What == "keyset" || e.What == "person_key")
}

// NotFound returns a *NotFoundError for a kind of row; backends use it.
func NotFound(what string) error { return &NotFoundError{What: what} }

// StateConflictError is returned by UpdateRequest when the request is no longer
// in the state the caller expected. Request ids and states hold no personal data.
type StateConflictError struct {
	RequestID string
	Expected  RequestState
	Actual    RequestState
}

func (e *StateConflictError) Error() string {
	return fmt.Sprintf("store: request %s is %q, not %q as expected; reload it and retry",
		e.RequestID, e.Actual, e.Expected)
}

// Is matches ErrStateConflict.
func (e *StateConflictError) Is(target error) bool { return target == ErrStateConflict }

// SchemaVersionError is returned by Open when the database's schema version is
// higher than the migrations this binary knows.
type SchemaVersionError struct {
	Database, Binary int
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("store: database schema is at version %d but this binary knows only up to %d: "+
		"upgrade intercom-privacy (or point DATABASE_URL at another database)", e.Database, e.Binary)
}

// Is matches ErrSchemaTooNew.
func (e *SchemaVersionError) Is(target error) bool { return target == ErrSchemaTooNew }

// MigrationError is returned when a migration fails; the migration's own
// transaction is rolled back, so the schema stays at the previous version.
type MigrationError struct {
	Version int
	Name    string
	Err     error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("store: migration %d (%s) failed and was rolled back, the schema stays at version %d: %v",
		e.Version, e.Name, e.Version-1, e.Err)
}

// Unwrap returns the database error.
func (e *MigrationError) Unwrap() error { return e.Err }

// Is matches ErrMigration.
func (e *MigrationError) Is(target error) bool { return target == ErrMigration }

// OpenError explains why a database could not be opened: Cause is one of the
// sentinel errors (ErrNotDatabase, ErrForeignDatabase, ErrConnect, ...), Where
// names the database without any password, Remedy says what to do.
type OpenError struct {
	Cause  error
	Where  string
	Detail string
	Remedy string
	Err    error
}

func (e *OpenError) Error() string {
	msg := e.Cause.Error()
	if e.Where != "" {
		msg += " (" + e.Where + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Remedy != "" {
		msg += "; " + e.Remedy
	}
	return msg
}

// Is matches Cause.
func (e *OpenError) Is(target error) bool { return target == e.Cause }

// Unwrap returns the underlying driver error, if any.
func (e *OpenError) Unwrap() error { return e.Err }
