// Package jobs runs the project's durable jobs on River (riverqueue/river): privacy
// requests, bulk exports and the retention schedule survive crashes, are retried
// with backoff, are unique per request, and are shared by several workers on one
// PostgreSQL database.
//
// River keeps its tables in the same database as the store: SQLite through the
// riversqlite driver (the embedded default), PostgreSQL through riverpgxv5. The two
// drivers have different transaction types, so this package hides River's type
// parameter behind Queue: workflows register workers and insert jobs without knowing
// which database runs underneath.
//
// Exactly-once external effects are not River's job: River may run a job again after
// a crash (or after RescueAfter when a worker stalls). Workflows record each step in
// the store before the next starts and make every external effect idempotent; this
// package only makes sure the job runs again until it succeeds.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options configure a Queue. The zero value inserts jobs but works none.
type Options struct {
	// Workers are the job kinds this process works. Nil means insert only (the CLI
	// filing a request for a separate worker process).
	Workers *river.Workers
	// PeriodicJobs are scheduled jobs (the retention run) started with the queue.
	PeriodicJobs []*river.PeriodicJob
	// MaxWorkers is how many jobs run at once in this process (default 4).
	MaxWorkers int
	// ID names this worker process in River's tables (default: River's own).
	ID string
	// JobTimeout bounds one attempt (default 30 minutes; requests under heavy rate
	// limiting take long).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River assumes its worker
	// died and runs it again (default JobTimeout + 5 minutes). Workflows stay correct
	// if it fires early; it only costs a duplicate attempt.
	RescueAfter time.Duration
	// FetchPollInterval is how often idle workers look for new jobs when the database
	// cannot notify them (SQLite). Default 1 second.
	FetchPollInterval time.Duration
	// Schema puts River's tables in a PostgreSQL schema (tests give each run its own).
	Schema string
	// Logger receives River's own logs (they carry job ids and kinds, never args).
	Logger *slog.Logger
	// StopGrace is how long running jobs may go on once the queue is told to
	// stop (by Stop, or by the end of the context given to Start) before their
	// contexts are cancelled (River's SoftStopTimeout). A job that then returns
	// its context's error is handed back: River makes it available again at
	// once, without counting the attempt, for another worker to take up. Zero
	// means no grace: ending Start's context cancels running jobs at once (they
	// are retried as failed attempts) and Stop waits for them indefinitely.
	StopGrace time.Duration
}

// Queue is a started or startable River client over one database.
type Queue struct {
	backend string
	insert  func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	start   func(ctx context.Context) error
	stop    func(ctx context.Context) error
	stopped func() <-chan struct{}
	sub     func(kinds ...river.EventKind) (<-chan *river.Event, func())
	get     func(ctx context.Context, id int64) (*rivertype.JobRow, error)
	close   func()
}

// ErrUnsupportedURL reports a database URL whose scheme is neither sqlite nor postgres.
var ErrUnsupportedURL = errors.New("jobs: unsupported database URL (use sqlite://PATH or postgres://...)")

// Open connects River to the database at databaseURL (the same DATABASE_URL as the
// store), applies River's migrations, and returns a Queue ready to Start.
func Open(ctx context.Context, databaseURL string, opts Options) (*Queue, error) {
	cfg := riverConfig(opts)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path, err := sqlitePath(databaseURL)
		if err != nil {
			return nil, err
		}
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("jobs: open sqlite: %w", err)
		}
		// SQLite allows one writer; River's own advice is a single connection.
		db.SetMaxOpenConns(1)
		cfg.PollOnly = true
		q, err := build(ctx, "sqlite", riversqlite.New(db), cfg)
		if err != nil {
			db.Close()
			return nil, err
		}
		q.close = func() { db.Close() }
		return q, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		pool, err := pgxpool.New(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("jobs: connect to PostgreSQL: %w", redactURLError(err))
		}
		// Several worker processes may start at once on an empty database; River's
		// migrator does not serialise itself, so hold an advisory lock around it.
		unlock, err := lockMigrations(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, err
		}
		q, err := build(ctx, "postgres", riverpgxv5.New(pool), cfg)
		unlock()
		if err != nil {
			pool.Close()
			return nil, err
		}
		q.close = pool.Close
		return q, nil
	default:
		return nil, ErrUnsupportedURL
	}
}

func riverConfig(opts Options) *river.Config {
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = 4
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = 30 * time.Minute
	}
	if opts.RescueAfter <= opts.JobTimeout {
		opts.RescueAfter = opts.JobTimeout + 5*time.Minute
	}
	if opts.FetchPollInterval <= 0 {
		opts.FetchPollInterval = time.Second
	}
	cfg := &river.Config{
		ID:                   opts.ID,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		FetchPollInterval:    opts.FetchPollInterval,
		FetchCooldown:        min(100*time.Millisecond, opts.FetchPollInterval),
		MaxAttempts:          25,
		Schema:               opts.Schema,
		Logger:               opts.Logger,
		PeriodicJobs:         opts.PeriodicJobs,
		Workers:              opts.Workers,
		SoftStopTimeout:      opts.StopGrace,
	}
	if opts.Workers != nil {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}}
	}
	return cfg
}

func build[TTx any](ctx context.Context, backend string, driver riverdriver.Driver[TTx], cfg *river.Config) (*Queue, error) {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: cfg.Schema, Logger: quiet(cfg.Logger)})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrate River's tables: %w", redactURLError(err))
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet(nil)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{
		backend: backend,
		insert:  client.Insert,
		start:   client.Start,
		stop:    client.Stop,
		stopped: client.Stopped,
		sub:     client.Subscribe,
		get:     client.JobGet,
	}, nil
}

// quiet returns l, or a logger that drops River's informational chatter.
func quiet(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// Backend names the database: "sqlite" or "postgres".
func (q *Queue) Backend() string { return q.backend }

// Insert enqueues a job. With InsertOpts.UniqueOpts a job already waiting or
// running with the same unique key is not inserted again (the result says so).
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.insert(ctx, args, opts)
}

// Job returns a job's current row.
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) { return q.get(ctx, id) }

// Start starts working jobs (only when Options.Workers was set) and the periodic jobs.
func (q *Queue) Start(ctx context.Context) error { return q.start(ctx) }

// Stop stops fetching jobs and waits for running jobs to finish; after
// Options.StopGrace their contexts are cancelled and they are handed back.
// It returns ctx's error if ctx ends first.
func (q *Queue) Stop(ctx context.Context) error { return q.stop(ctx) }

// Stopped is closed once the started queue has stopped, whatever stopped it.
func (q *Queue) Stopped() <-chan struct{} { return q.stopped() }

// Subscribe delivers events of the given kinds (completed, failed, ...) for jobs
// worked by this process.
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.sub(kinds...)
}

// Close releases the database connections. Stop first if the queue was started.
func (q *Queue) Close() {
	if q.close != nil {
		q.close()
	}
}

// migrationLockKey is the PostgreSQL advisory lock held while River's tables are
// migrated (an arbitrary constant: "ip-river" in ASCII).
const migrationLockKey = 0x69702d7269766572

// lockMigrations takes the migration advisory lock on a connection of its own and
// returns the function that releases it.
func lockMigrations(ctx context.Context, pool *pgxpool.Pool) (func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: connect to PostgreSQL: %w", redactURLError(err))
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		conn.Release()
		return nil, fmt.Errorf("jobs: lock River's migrations: %w", redactURLError(err))
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		conn.Release()
	}, nil
}

// sqlitePath extracts the file path from sqlite://PATH or sqlite:///ABS/PATH.
func sqlitePath(u string) (string, error) {
	rest := strings.TrimPrefix(u, "sqlite:")
	rest = strings.TrimPrefix(rest, "//")
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return "", fmt.Errorf("jobs: sqlite URL without a path (use sqlite://FILE or sqlite:///ABSOLUTE/FILE)")
	}
	if p, err := url.PathUnescape(rest); err == nil {
		rest = p
	}
	return rest, nil
}

// redactURLError strips anything that looks like a connection string from an error,
// so a password in DATABASE_URL never reaches a message.
func redactURLError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "://") {
		return errors.New("database error (connection details withheld): check DATABASE_URL and that the server is reachable")
	}
	return err
}
