package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Backend is what a database backend supplies to DB.
type Backend interface {
	// Pool runs auto-commit statements.
	Pool() Querier
	// Begin starts a read-write transaction (SQLite: BEGIN IMMEDIATE).
	Begin(ctx context.Context) (BackendTx, error)
	// Retryable reports whether a failed transaction may simply be run again
	// (serialization failure, deadlock).
	Retryable(err error) bool
	// LockMigrations is run first in every migration transaction, to keep two
	// processes from migrating at once (a no-op where the transaction is
	// exclusive anyway).
	LockMigrations(ctx context.Context, q Querier) error
	// Close releases the connections.
	Close() error
}

// BackendTx is one transaction of a Backend.
type BackendTx interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files "NNNN_name.sql" in dir of fsys, sorted by
// version; versions must be 1, 2, 3, ... without gaps.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlcore: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("sqlcore: migrations must be numbered 1, 2, 3...: found %d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// MaxRetries is how many times InTx runs a function whose transaction failed
// with a retryable error before giving up.
const MaxRetries = 5

// DB implements store.Store over a Backend.
type DB struct {
	*Ops
	name           string
	b              Backend
	migrations     []Migration
	tableExistsSQL string
}

// NewDB returns a store over b. tableExistsSQL is a query with one parameter
// (a table name) returning a count, used to tell an empty database from ours.
func NewDB(name string, b Backend, d *Dialect, migrations []Migration, tableExistsSQL string) *DB {
	db := &DB{name: name, b: b, migrations: migrations, tableExistsSQL: tableExistsSQL}
	db.Ops = &Ops{Q: b.Pool(), D: d}
	db.Ops.Atomic = func(ctx context.Context, f func(*Ops) error) error {
		return db.inTx(ctx, func(t *TxOps) error { return f(t.Ops) })
	}
	return db
}

// Backend implements store.Store.
func (db *DB) Backend() string { return db.name }

// Close implements store.Store.
func (db *DB) Close() error { return db.b.Close() }

// InTx implements store.Store.
func (db *DB) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return db.inTx(ctx, func(t *TxOps) error { return fn(t) })
}

func (db *DB) inTx(ctx context.Context, fn func(*TxOps) error) error {
	var err error
	for attempt := 0; attempt < MaxRetries; attempt++ {
		if attempt > 0 {
			// Back off a little, growing, so that contenders spread out.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			}
		}
		err = db.runTx(ctx, fn)
		if err == nil || !db.b.Retryable(err) {
			return err
		}
	}
	return fmt.Errorf("store: transaction gave up after %d attempts: %w", MaxRetries, err)
}

func (db *DB) runTx(ctx context.Context, fn func(*TxOps) error) (err error) {
	tx, err := db.b.Begin(ctx)
	if err != nil {
		return db.Ops.wrap(err)
	}
	committed := false
	defer func() {
		// Runs on an error, a failed commit and a panic alike (the panic goes on
		// with its own stack). A rollback error after a failure adds nothing the
		// caller can act on.
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &TxOps{Ops: &Ops{Q: tx, D: db.D, Now: db.Now}}
	t.Ops.Atomic = func(ctx context.Context, f func(*Ops) error) error { return f(t.Ops) }
	if err := fn(t); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return db.Ops.wrap(err)
	}
	committed = true
	return nil
}

// DeleteExpired implements store.Store.
func (db *DB) DeleteExpired(ctx context.Context, cat store.Category, before time.Time, limit int) (int64, error) {
	return db.Ops.DeleteExpired(ctx, cat, before, limit)
}

// LatestVersion is the highest migration this binary knows.
func (db *DB) LatestVersion() int { return len(db.migrations) }

// SchemaVersion implements store.Store.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return db.schemaVersion(ctx, db.Ops)
}

func (db *DB) schemaVersion(ctx context.Context, o *Ops) (int, error) {
	var n int64
	if err := o.queryRow(ctx, db.tableExistsSQL, []any{"schema_migrations"}, &n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int64
	if err := o.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`, nil, &v); err != nil {
		return 0, err
	}
	return int(v), nil
}

// CheckVersion returns a *store.SchemaVersionError if the database is newer
// than this binary.
func (db *DB) CheckVersion(ctx context.Context) (int, error) {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if v > db.LatestVersion() {
		return v, &store.SchemaVersionError{Database: v, Binary: db.LatestVersion()}
	}
	return v, nil
}

// Migrate implements store.Store: every migration runs in its own transaction
// (DDL is transactional on both backends), so a failure leaves the schema at
// the previous version.
func (db *DB) Migrate(ctx context.Context) (before, after int, err error) {
	before, err = db.CheckVersion(ctx)
	if err != nil {
		return before, before, err
	}
	after = before
	for _, m := range db.migrations {
		if m.Version <= after {
			continue
		}
		err := db.runTx(ctx, func(t *TxOps) error {
			if err := db.b.LockMigrations(ctx, t.Q); err != nil {
				return err
			}
			if _, err := t.Q.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			// Another process may have migrated meanwhile: re-read under the lock.
			cur, err := db.schemaVersion(ctx, t.Ops)
			if err != nil {
				return err
			}
			if cur >= m.Version {
				return nil
			}
			if cur != m.Version-1 {
				return fmt.Errorf("schema is at version %d, cannot apply %d", cur, m.Version)
			}
			if _, err := t.Q.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := t.Q.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				int64(m.Version), m.Name, time.Now().UnixMicro()); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return before, after, err
			}
			return before, after, &store.MigrationError{Version: m.Version, Name: m.Name, Err: err}
		}
		after = m.Version
	}
	return before, after, nil
}
