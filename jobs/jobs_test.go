package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
)

type countArgs struct {
	N int `json:"n"`
}

func (countArgs) Kind() string { return "test_count" }

type countWorker struct {
	river.WorkerDefaults[countArgs]
	mu   sync.Mutex
	runs map[int]int
}

func (w *countWorker) Work(ctx context.Context, job *river.Job[countArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.runs[job.Args.N]++
	return nil
}

// ranOnceEach waits until every inserted job has run and River has recorded
// it completed (a completed job is never worked again), then fails for every
// job that did not run exactly once.
func (w *countWorker) ranOnceEach(t *testing.T, q *Queue, ids []int64) {
	t.Helper()
	testwait.Until(t, "each job to run", func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.runs) == len(ids) })
	testwait.Until(t, "each job to be recorded completed", func() bool {
		for _, id := range ids {
			row, err := q.Job(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if row.State != rivertype.JobStateCompleted {
				return false
			}
		}
		return true
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	for job, c := range w.runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", job, c)
		}
	}
}

// backend is one database a test runs against.
type backend struct {
	name string
	url  func(t *testing.T) (url, schema string)
}

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", func(t *testing.T) (string, string) {
		return "sqlite://" + filepath.Join(t.TempDir(), "jobs.db"), ""
	}}}
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Log("PostgreSQL half skipped: TEST_DATABASE_URL is not set")
		return bs
	}
	return append(bs, backend{"postgres", func(t *testing.T) (string, string) {
		return os.Getenv("TEST_DATABASE_URL"), pgSchema(t)
	}})
}

// pgSchema creates a schema of the test's own and drops it afterwards.
func pgSchema(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "jobs_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), os.Getenv("TEST_DATABASE_URL"))
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			c.Close(context.Background())
		}
	})
	return name
}

func TestJobsRunOnceEach(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dbURL, schema := b.url(t)
			w := &countWorker{runs: map[int]int{}}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			q, err := Open(ctx, dbURL, Options{Workers: workers, Schema: schema, FetchPollInterval: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			var ids []int64
			for i := range 20 {
				res, err := q.Insert(ctx, countArgs{N: i}, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Job.ID)
			}
			w.ranOnceEach(t, q, ids)
		})
	}
}

func TestUniqueJobsAreNotInsertedTwice(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dbURL, schema := b.url(t)
			q, err := Open(ctx, dbURL, Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
			first, err := q.Insert(ctx, countArgs{N: 7}, opts)
			if err != nil {
				t.Fatal(err)
			}
			second, err := q.Insert(ctx, countArgs{N: 7}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if first.UniqueSkippedAsDuplicate || !second.UniqueSkippedAsDuplicate || first.Job.ID != second.Job.ID {
				t.Fatalf("unique insert: first skipped=%v second skipped=%v", first.UniqueSkippedAsDuplicate, second.UniqueSkippedAsDuplicate)
			}
		})
	}
}

// Two worker processes (two clients, two pools) on one PostgreSQL database share the
// work and never run a job twice.
func TestTwoWorkersShareWork(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	ctx := context.Background()
	schema := pgSchema(t)
	w := &countWorker{runs: map[int]int{}}
	var queues []*Queue
	for i := range 2 {
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := Open(ctx, os.Getenv("TEST_DATABASE_URL"), Options{Workers: workers, Schema: schema, ID: "worker-" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		queues = append(queues, q)
	}
	var ids []int64
	for i := range 100 {
		res, err := queues[i%2].Insert(ctx, countArgs{N: i}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	w.ranOnceEach(t, queues[0], ids)
}

func TestCronInZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata")
	}
	s, err := Cron("0 3 * * *", paris)
	if err != nil {
		t.Fatal(err)
	}
	next := s.Next(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC))
	if got := next.In(paris); got.Hour() != 3 || got.Day() != 29 {
		t.Fatalf("next run %v, want 03:00 Paris on the 29th", got)
	}
	if _, err := Cron("61 * * * *", nil); err == nil {
		t.Fatal("invalid minute accepted")
	}
}

// Several worker processes starting at once on an empty PostgreSQL database migrate
// River's tables once, without racing.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	ctx := context.Background()
	schema := pgSchema(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			q, err := Open(ctx, os.Getenv("TEST_DATABASE_URL"), Options{Schema: schema})
			if err == nil {
				q.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
}
