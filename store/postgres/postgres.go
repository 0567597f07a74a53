// Package postgres is the PostgreSQL backend of package store, through pgx and
// its connection pool, for teams and for several worker processes sharing one
// database.
//
// Importing the package registers the "postgres" and "postgresql" URL schemes
// with store.Open. Transactions run at READ COMMITTED; the audit chain head is
// a one-row table locked with SELECT ... FOR UPDATE, so appends from several
// processes serialise into one gap-free chain; a transaction that fails with a
// serialization failure or a deadlock is re-run a bounded number of times.
// Migrations take a transaction-scoped advisory lock, so several processes
// starting at once migrate once.
//
// A search_path query parameter in the URL (postgres://.../db?search_path=s)
// selects the schema, which the shared test suite uses to isolate each test.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the advisory lock key migrations hold ("icprivacy" as a number).
const migrationLockKey int64 = 0x6963707269766163

// ConnectTimeout bounds the first connection made by Open.
const ConnectTimeout = 10 * time.Second

func init() {
	store.Register(func(ctx context.Context, u string, o store.Options) (store.Store, error) {
		return Open(ctx, u, o)
	}, "postgres", "postgresql")
}

// Store is a store.Store on a PostgreSQL database (one pgx pool).
type Store struct {
	*sqlcore.DB
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by a postgres:// URL, checks that the
// schema is ours, and applies pending migrations unless o.NoMigrate.
func Open(ctx context.Context, rawURL string, o store.Options) (*Store, error) {
	migs, err := sqlcore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return openWith(ctx, rawURL, o, migs)
}

func openWith(ctx context.Context, rawURL string, o store.Options, migs []sqlcore.Migration) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, &store.OpenError{Cause: store.ErrUnsupportedURL, Where: store.RedactURL(rawURL),
			Detail: "the PostgreSQL URL does not parse",
			Remedy: "use postgres://user[:password]@host[:port]/database[?sslmode=...]"}
	}
	where := describe(cfg)
	password := cfg.ConnConfig.Password
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(where, password, err)
	}
	pctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	err = pool.Ping(pctx)
	cancel()
	if err != nil {
		pool.Close()
		return nil, connectError(where, password, err)
	}
	s := &Store{pool: pool}
	s.DB = sqlcore.NewDB("postgres", &backend{pool: pool}, dialect, migs,
		`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`)
	if err := s.check(ctx, where); err != nil {
		pool.Close()
		return nil, err
	}
	if !o.NoMigrate {
		if _, _, err := s.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// describe names the database for messages: host, port, database, user, never
// the password.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("PostgreSQL database %q on %s as user %q", c.Database,
		net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), c.User)
}

// connectError explains a failed connection without the password.
func connectError(where, password string, err error) error {
	detail := "the server cannot be reached"
	remedy := "check that PostgreSQL is running and that host and port in DATABASE_URL are right"
	var pge *pgconn.PgError
	switch {
	case errors.As(err, &pge) && (pge.Code == "28P01" || pge.Code == "28000"):
		detail, remedy = "the server refused the login", "check the user and password in DATABASE_URL (or ~/.pgpass)"
	case errors.As(err, &pge) && pge.Code == "3D000":
		detail, remedy = "the database does not exist", "create it (createdb) or fix the database name in DATABASE_URL"
	case errors.Is(err, context.DeadlineExceeded):
		detail = "no answer within " + ConnectTimeout.String()
	}
	msg := strings.Join(strings.Fields(strings.NewReplacer(":\n", ": ", "\n", "; ").Replace(err.Error())), " ")
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return &store.OpenError{Cause: store.ErrConnect, Where: where, Detail: detail + " (" + msg + ")",
		Remedy: remedy, Err: redacted{msg: msg, err: err}}
}

// redacted carries a driver error whose text had the password removed.
type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// check refuses a schema holding other applications' tables and a schema
// newer than this binary.
func (s *Store) check(ctx context.Context, where string) error {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return &store.OpenError{Cause: store.ErrConnect, Where: where, Detail: "cannot read the current schema", Err: err,
			Remedy: "check that the user may use the database"}
	}
	if schema == nil {
		return &store.OpenError{Cause: store.ErrConnect, Where: where,
			Detail: "no schema of the search_path exists",
			Remedy: "create the schema (CREATE SCHEMA name) or fix search_path in DATABASE_URL"}
	}
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = current_schema()`).Scan(&n); err != nil {
		return &store.OpenError{Cause: store.ErrConnect, Where: where, Detail: "cannot read the catalogue", Err: err,
			Remedy: "check that the user may read the schema named by search_path"}
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v == 0 && n > 0 {
		return &store.OpenError{Cause: store.ErrForeignDatabase, Where: where,
			Detail: "the schema holds tables but no schema_migrations table",
			Remedy: "use an empty database or set search_path=<schema> in DATABASE_URL to a schema of its own"}
	}
	_, err = s.CheckVersion(ctx)
	return err
}

// Pool returns the pgx pool, for packages that share the database (River's
// riverpgxv5 driver).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ExecRaw runs a statement outside the store's API. It exists for tests (of
// this and other packages, e.g. tampering with audit rows to prove that
// verification notices) and for operators' tooling; applications use the Store
// methods.
func (s *Store) ExecRaw(ctx context.Context, query string, args ...any) (int64, error) {
	return s.Ops.Q.Exec(ctx, query, args...)
}

func pgCode(err error) string {
	var pge *pgconn.PgError
	if errors.As(err, &pge) {
		return pge.Code
	}
	return ""
}

var dialect = &sqlcore.Dialect{
	Name:              "postgres",
	ForUpdate:         " FOR UPDATE",
	IsUniqueViolation: func(err error) bool { return pgCode(err) == "23505" },
	IsDiskFull: func(err error) bool {
		c := pgCode(err)
		return c == "53100" || c == "53400"
	},
	// lock_not_available (lock_timeout), too_many_connections.
	IsBusy: func(err error) bool {
		c := pgCode(err)
		return c == "55P03" || c == "53300"
	},
}

type backend struct{ pool *pgxpool.Pool }

func (b *backend) Pool() sqlcore.Querier { return querier{b.pool} }

func (b *backend) Begin(ctx context.Context) (sqlcore.BackendTx, error) {
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, err
	}
	return pgTx{querier{tx}, tx}, nil
}

func (b *backend) Retryable(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}

func (b *backend) LockMigrations(ctx context.Context, q sqlcore.Querier) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey)
	return err
}

func (b *backend) Close() error { b.pool.Close(); return nil }

type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

type querier struct{ q pgQuerier }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	r, err := q.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

type rows struct{ pgx.Rows }

func (r rows) Close() { r.Rows.Close() }

type pgTx struct {
	querier
	tx pgx.Tx
}

func (t pgTx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
