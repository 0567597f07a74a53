// Package sqlite is the embedded SQLite backend of package store, through the
// pure-Go driver modernc.org/sqlite (no cgo, nothing to install).
//
// Importing the package registers the "sqlite" URL scheme with store.Open:
// sqlite:///absolute/path.db or sqlite://relative/path.db. The database runs in
// WAL mode with foreign keys on and a busy timeout; every transaction begins
// IMMEDIATE, so writers queue for the one write lock instead of failing when a
// read transaction tries to upgrade, and the audit chain head needs no row lock.
//
// SQLite has one write lock per file, and its busy handler lets waiting
// connections poll for it with growing sleeps: under a burst of concurrent
// writers the unlucky ones wait past any timeout (SQLITE_BUSY) while the lock
// sits idle between polls. So a Store writes through one connection of its own,
// taken in arrival order: every transaction (InTx, migrations) and every
// statement outside one that is not a query (Exec) waits for it in a FIFO queue
// in Go, bounded by the busy timeout (then ErrBusy), and never meets another
// writer of this process in SQLite's busy handler. Queries outside a
// transaction run on a pool of reader connections, which WAL lets run beside
// the writer. Other processes, and River's connections (SQLDB), still meet the
// store's writer through the busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// BusyTimeoutMillis is how long a statement waits for another connection's
// write lock before failing with SQLITE_BUSY, and how long a write of this
// process waits for the store's writer connection before failing with
// store.ErrBusy.
const BusyTimeoutMillis = 10000

// errWriterBusy: the writer connection stayed taken for the whole busy timeout.
var errWriterBusy = fmt.Errorf("sqlite: another write of this process held the database for more than %d ms", BusyTimeoutMillis)

func init() {
	store.Register(func(ctx context.Context, u string, o store.Options) (store.Store, error) {
		return Open(ctx, u, o)
	}, "sqlite", "sqlite3")
}

// Store is a store.Store on one SQLite file.
type Store struct {
	*sqlcore.DB
	db   *sql.DB
	path string
}

var _ store.Store = (*Store)(nil)

// PathFromURL returns the file path in a sqlite:// URL:
// sqlite:///abs/path.db gives /abs/path.db, sqlite://rel.db gives rel.db.
func PathFromURL(rawURL string) (string, error) {
	scheme, rest, ok := strings.Cut(rawURL, ":")
	if !ok || (strings.ToLower(scheme) != "sqlite" && strings.ToLower(scheme) != "sqlite3") {
		return "", fmt.Errorf("%w: not a sqlite URL", store.ErrUnsupportedURL)
	}
	p := strings.TrimPrefix(rest, "//")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	if p == "" || p == "/" {
		return "", &store.OpenError{Cause: store.ErrUnsupportedURL, Detail: "the sqlite URL names no file",
			Remedy: "use sqlite:///absolute/path.db or sqlite://relative/path.db"}
	}
	if strings.Contains(p, ":memory:") || strings.HasPrefix(p, "file:") {
		return "", &store.OpenError{Cause: store.ErrUnsupportedURL, Detail: "in-memory SQLite is not supported",
			Remedy: "use a file (tests: a file in t.TempDir())"}
	}
	return p, nil
}

// Open opens the SQLite file named by a sqlite:// URL (creating it only with
// o.Create; a missing file is store.ErrNoDatabase otherwise), checks that it is
// ours, and applies pending migrations unless o.NoMigrate.
func Open(ctx context.Context, rawURL string, o store.Options) (*Store, error) {
	p, err := PathFromURL(rawURL)
	if err != nil {
		return nil, err
	}
	return OpenFile(ctx, p, o)
}

// OpenFile is Open for a file path.
func OpenFile(ctx context.Context, path string, o store.Options) (*Store, error) {
	migs, err := sqlcore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return openWith(ctx, path, o, migs, nil)
}

// openWith is OpenFile with a given migration list and extra pragmas (tests use
// them to simulate a failing migration and a full disk).
func openWith(ctx context.Context, path string, o store.Options, migs []sqlcore.Migration, pragmas []string) (*Store, error) {
	where := "sqlite file " + filepath.Base(path)
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, &store.OpenError{Cause: store.ErrConnect, Where: "sqlite file " + path,
				Detail: "its directory does not exist", Remedy: "create the directory or fix DATABASE_URL"}
		}
	}
	if !o.Create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, &store.OpenError{Cause: store.ErrNoDatabase, Where: "sqlite file " + path,
				Detail: "the file does not exist, and only `migrate` and `keys init` create a database",
				Remedy: "check DATABASE_URL (or --database-url) for a typo; to set up a new database on purpose, run `intercom-privacy migrate` or `intercom-privacy keys init`"}
		}
	}
	if err := writableDir(filepath.Dir(path)); err != nil {
		return nil, &store.OpenError{Cause: store.ErrConnect, Where: where, Err: err,
			Detail: "its directory is not writable (SQLite writes the database and its -wal and -shm files there)",
			Remedy: readOnlyRemedy(err)}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)") // a commit the caller saw survives a power loss
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, classifyOpen(where, err)
	}
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, classifyOpen(where, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	s := &Store{db: db, path: path}
	b := &backend{db: db, writer: writer, wlock: make(chan struct{}, 1)}
	s.DB = sqlcore.NewDB("sqlite", b, dialect, migs,
		`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`)
	if err := s.check(ctx, where); err != nil {
		b.Close()
		return nil, err
	}
	if !o.NoMigrate {
		if _, _, err := s.Migrate(ctx); err != nil {
			b.Close()
			return nil, err
		}
	}
	return s, nil
}

// check tells a corrupt or foreign file, or a too-new schema, apart from ours.
func (s *Store) check(ctx context.Context, where string) error {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n)
	if err != nil {
		return classifyOpen(where, err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return classifyOpen(where, err)
	}
	if v == 0 && n > 0 {
		return &store.OpenError{Cause: store.ErrForeignDatabase, Where: where,
			Detail: "the file holds tables but no schema_migrations table",
			Remedy: "point DATABASE_URL at a new file; intercom-privacy will not touch another application's database"}
	}
	_, err = s.CheckVersion(ctx)
	return err
}

func classifyOpen(where string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return &store.OpenError{Cause: store.ErrNotDatabase, Where: where, Err: err,
				Detail: "the file is corrupt or not a SQLite database",
				Remedy: "restore it from a backup, or point DATABASE_URL at a new file"}
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_AUTH:
			return &store.OpenError{Cause: store.ErrConnect, Where: where, Err: err,
				Detail: "the file cannot be opened for writing",
				Remedy: "check the path and its permissions, or fix DATABASE_URL"}
		case sqlite3.SQLITE_FULL:
			return &store.OpenError{Cause: store.ErrDiskFull, Where: where, Err: err,
				Remedy: "free disk space and retry"}
		}
	}
	return &store.OpenError{Cause: store.ErrConnect, Where: where, Err: err, Detail: err.Error(),
		Remedy: "check DATABASE_URL"}
}

// SQLDB returns the database/sql handle, for packages that share the database
// file (River's riversqlite driver). Its connections have the store's pragmas.
func (s *Store) SQLDB() *sql.DB { return s.db }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// ExecRaw runs a statement outside the store's API. It exists for tests (of
// this and other packages, e.g. tampering with audit rows to prove that
// verification notices) and for operators' tooling; applications use the Store
// methods.
func (s *Store) ExecRaw(ctx context.Context, query string, args ...any) (int64, error) {
	return s.Ops.Q.Exec(ctx, query, args...)
}

var dialect = &sqlcore.Dialect{
	Name:      "sqlite",
	ForUpdate: "",
	IsUniqueViolation: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsDiskFull: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
	},
	IsBusy: func(err error) bool {
		if errors.Is(err, errWriterBusy) {
			return true
		}
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
	},
}

// backend adapts database/sql to sqlcore.Backend: writes go through writer,
// one connection taken in FIFO order through wlock; queries outside a
// transaction through the reader pool db.
type backend struct {
	db     *sql.DB
	writer *sql.DB
	// wlock holds one token while a write of this process uses writer.
	// Goroutines blocked sending on a channel are served in the order they
	// came, so writers are served first come, first served.
	wlock  chan struct{}
	stmts  stmtCache // prepared on db
	wstmts stmtCache // prepared on writer
}

// lockWriter takes the writer connection, waiting at most the busy timeout.
func (b *backend) lockWriter(ctx context.Context) error {
	select {
	case b.wlock <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(BusyTimeoutMillis * time.Millisecond)
	defer t.Stop()
	select {
	case b.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errWriterBusy
	}
}

func (b *backend) unlockWriter() { <-b.wlock }

func (b *backend) Pool() sqlcore.Querier {
	return &poolQuerier{
		read:  querier{q: b.db, stmts: &b.stmts, prep: b.db},
		write: querier{q: b.writer, stmts: &b.wstmts, prep: b.writer},
		b:     b,
	}
}

// poolQuerier runs queries on the reader pool and every other statement on
// the writer connection.
type poolQuerier struct {
	read, write querier
	b           *backend
}

func (p *poolQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := p.b.lockWriter(ctx); err != nil {
		return 0, err
	}
	defer p.b.unlockWriter()
	return p.write.Exec(ctx, query, args...)
}

func (p *poolQuerier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	return p.read.Query(ctx, query, args...)
}

func (b *backend) Begin(ctx context.Context) (sqlcore.BackendTx, error) {
	if err := b.lockWriter(ctx); err != nil {
		return nil, err
	}
	tx, err := b.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE through _txlock=immediate
	if err != nil {
		b.unlockWriter()
		return nil, err
	}
	// A transaction's prepared statements are closed by database/sql when it ends.
	return &sqlTx{querier: querier{q: tx, stmts: &stmtCache{}, prep: tx}, tx: tx, unlock: b.unlockWriter}, nil
}

// Retryable: with BEGIN IMMEDIATE and a busy timeout, SQLite transactions do not
// deadlock; a busy error after the timeout is reported, not retried blindly.
func (b *backend) Retryable(error) bool { return false }

func (b *backend) LockMigrations(context.Context, sqlcore.Querier) error { return nil }

func (b *backend) Close() error {
	b.stmts.closeAll()
	b.wstmts.closeAll()
	return errors.Join(b.writer.Close(), b.db.Close())
}

// maxCachedStmts bounds the prepared statements kept per cache (queries with IN
// lists of varying length are distinct texts).
const maxCachedStmts = 128

// stmtCache keeps prepared statements by query text: SQLite spends about a third
// of a small INSERT parsing it, and database/sql does not cache.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// get returns a cached statement for query, preparing it if needed; nil when
// the cache is full (the caller runs the query unprepared).
func (c *stmtCache) get(ctx context.Context, p preparer, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// querier runs statements with arguments through the statement cache, and
// statements without (DDL, migrations that hold several statements) directly.
type querier struct {
	q     execQuerier
	stmts *stmtCache
	prep  preparer
}

func (q *querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var r sql.Result
	st, err := q.stmt(ctx, query, args)
	switch {
	case err != nil:
		return 0, err
	case st != nil:
		r, err = st.ExecContext(ctx, args...)
	default:
		r, err = q.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (q *querier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	var r *sql.Rows
	st, err := q.stmt(ctx, query, args)
	switch {
	case err != nil:
		return nil, err
	case st != nil:
		r, err = st.QueryContext(ctx, args...)
	default:
		r, err = q.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (q *querier) stmt(ctx context.Context, query string, args []any) (*sql.Stmt, error) {
	if len(args) == 0 || q.stmts == nil {
		return nil, nil
	}
	return q.stmts.get(ctx, q.prep, query)
}

type rows struct{ *sql.Rows }

func (r rows) Close() { _ = r.Rows.Close() }

type sqlTx struct {
	querier
	tx     *sql.Tx
	unlock func()
	once   sync.Once
}

// Commit commits and gives the writer connection back. A failed COMMIT ends
// the transaction too (database/sql rolls it back), so the connection is free
// either way.
func (t *sqlTx) Commit(context.Context) error {
	defer t.once.Do(t.unlock)
	return t.tx.Commit()
}

func (t *sqlTx) Rollback(context.Context) error {
	defer t.once.Do(t.unlock)
	return t.tx.Rollback()
}

// writableDir checks that a file can be created in dir: SQLite needs to
// create the database and its -wal and -shm files next to each other.
func writableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".intercom-privacy-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// readOnlyRemedy says what to do about a directory SQLite cannot write in.
func readOnlyRemedy(err error) string {
	if errors.Is(err, syscall.EROFS) {
		return "the file system is mounted read-only (a container with a read-only root file system?): " +
			"point DATABASE_URL at a writable volume, e.g. sqlite:///data/intercom-privacy.db with /data mounted, or use PostgreSQL"
	}
	return "give this user write permission on the directory, or point DATABASE_URL at a writable one"
}
