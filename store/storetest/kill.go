package storetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Environment variables of the kill test's child process.
const (
	envKillChild = "STORETEST_KILL_CHILD_URL"
	killBatch    = 200
)

// KillMidBatch starts a child process (this test binary, re-executed with
// -test.run selecting the calling test) that writes cached contacts in batch
// transactions of 200, SIGKILLs it when it has written every row of its fourth
// batch and not yet committed (the child waits there, so the kill always lands
// inside the transaction), reopens the database and checks that every batch is there
// entirely or not at all, that the three committed batches are there, and that
// nothing of the killed batch is.
//
// The calling test must reach KillMidBatch in the child too: it is the child
// when STORETEST_KILL_CHILD_URL is set, and then it never returns.
func KillMidBatch(t *testing.T, b Backend) {
	if u := os.Getenv(envKillChild); u != "" {
		killChild(u)
		return
	}
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	u := b.NewURL(t)
	OpenURL(t, u) // migrate before the child starts
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexpQuote(part)+"$")
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(pattern, "/"), "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), envKillChild+"="+u)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	committed, killedIn := -1, -1
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			committed, _ = strconv.Atoi(n)
		}
		// The child has written all of batch 3 inside its transaction and is
		// about to commit: kill it without warning.
		if n, ok := strings.CutPrefix(line, "inbatch "); ok && n == "3" {
			killedIn = 3
			must(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	_ = cmd.Wait()
	if killedIn != 3 || committed != 2 {
		t.Fatalf("the child stopped after %d committed batches without reaching batch 3; see its output above", committed+1)
	}
	st := OpenURL(t, u)
	partial := 0
	for batch := 0; batch <= committed+3; batch++ {
		n := 0
		for i := range killBatch {
			_, err := st.GetContact(bg, fmt.Sprintf("b%d-%d", batch, i))
			switch {
			case err == nil:
				n++
			case !errors.Is(err, store.ErrNotFound):
				t.Fatal(err)
			}
		}
		if n != 0 && n != killBatch {
			partial++
			t.Errorf("batch %d has %d of %d contacts after the kill: a partial write", batch, n, killBatch)
		}
		if batch <= committed && n != killBatch {
			t.Errorf("batch %d was reported committed but has %d contacts", batch, n)
		}
	}
	if n, _ := st.CountExpired(bg, store.CategoryContactCache, time.Now().Add(time.Hour)); n != int64(3*killBatch) {
		t.Errorf("%d contacts after the kill, want the %d of the three committed batches", n, 3*killBatch)
	}
	t.Logf("killed inside batch 3 after %d committed batches; batch 3 left no row", committed+1)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// killChild writes batches forever (until killed), reporting each commit.
func killChild(u string) {
	ctx := context.Background()
	st, err := store.Open(ctx, u, store.WithCreate())
	if err != nil {
		fmt.Fprintln(os.Stderr, "kill child:", err)
		os.Exit(2)
	}
	for batch := 0; ; batch++ {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := range killBatch {
				if err := tx.UpsertContact(ctx, sampleContact(fmt.Sprintf("b%d-%d", batch, i), "k")); err != nil {
					return err
				}
			}
			if batch == 3 {
				// Every row of the batch is written, the commit has not
				// happened: the parent kills us here.
				fmt.Printf("inbatch %d\n", batch)
				time.Sleep(time.Minute)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "kill child:", err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", batch)
	}
}

// Opener opens a store at url with the given migrations instead of the
// backend's own (backends expose it to their tests to simulate a failing
// migration).
type Opener func(ctx context.Context, url string, o store.Options, migrations fs.FS) (store.Store, error)

// RunMigrations checks migrations on a backend: a fresh database reaches the
// latest version, a failing migration leaves the previous version intact (and
// none of its effects), and a schema newer than the binary is refused on open.
// migrations is the backend's own migration directory (files NNNN_name.sql at
// its root).
func RunMigrations(t *testing.T, b Backend, open Opener, migrations fs.FS) {
	ctx := context.Background()
	entries, err := fs.ReadDir(migrations, ".")
	must(t, err)
	good := fstest.MapFS{}
	for _, e := range entries {
		data, err := fs.ReadFile(migrations, e.Name())
		must(t, err)
		good[e.Name()] = &fstest.MapFile{Data: data}
	}
	latest := len(entries)

	t.Run("FreshAndRerun", func(t *testing.T) {
		u := b.NewURL(t)
		st, err := open(ctx, u, store.Options{NoMigrate: true, Create: true}, good)
		must(t, err)
		defer st.Close()
		if v, err := st.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("empty database at version %d, %v", v, err)
		}
		before, after, err := st.Migrate(ctx)
		must(t, err)
		if before != 0 || after != latest {
			t.Fatalf("Migrate: %d -> %d, want 0 -> %d", before, after, latest)
		}
		before, after, err = st.Migrate(ctx)
		if err != nil || before != latest || after != latest {
			t.Fatalf("re-run Migrate: %d -> %d, %v", before, after, err)
		}
	})

	t.Run("Interrupted", func(t *testing.T) {
		u := b.NewURL(t)
		broken := fstest.MapFS{}
		for k, v := range good {
			broken[k] = v
		}
		name := fmt.Sprintf("%04d_broken.sql", latest+1)
		broken[name] = &fstest.MapFile{Data: []byte(
			"CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")}
		_, err := open(ctx, u, store.Options{Create: true}, broken)
		var me *store.MigrationError
		if !errors.As(err, &me) || !errors.Is(err, store.ErrMigration) || me.Version != latest+1 {
			t.Fatalf("open with a failing migration: %v", err)
		}
		st, err := open(ctx, u, store.Options{NoMigrate: true, Create: true}, good)
		must(t, err)
		defer st.Close()
		if v, err := st.SchemaVersion(ctx); err != nil || v != latest {
			t.Fatalf("after the failed migration the version is %d (%v), want %d", v, err, latest)
		}
		raw, ok := st.(interface {
			ExecRaw(ctx context.Context, query string, args ...any) (int64, error)
		})
		if !ok {
			t.Fatalf("%T offers no ExecRaw", st)
		}
		if _, err := raw.ExecRaw(ctx, `INSERT INTO half_done (x) VALUES (1)`); err == nil {
			t.Fatal("the failed migration's first statement survived its rollback")
		}
		// Fixing the migration and opening again applies it.
		broken[name] = &fstest.MapFile{Data: []byte("CREATE TABLE half_done (x INTEGER);\n")}
		st2, err := open(ctx, u, store.Options{Create: true}, broken)
		must(t, err)
		defer st2.Close()
		if v, _ := st2.SchemaVersion(ctx); v != latest+1 {
			t.Fatalf("after the fixed migration the version is %d, want %d", v, latest+1)
		}
	})

	// Migration 13 fills the counts per state from the requests already
	// there; the triggers keep them from then on.
	t.Run("StateCountsBackfilled", func(t *testing.T) {
		u := b.NewURL(t)
		upTo12 := fstest.MapFS{}
		for k, v := range good {
			if n, err := strconv.Atoi(strings.SplitN(k, "_", 2)[0]); err == nil && n <= 12 {
				upTo12[k] = v
			}
		}
		st, err := open(ctx, u, store.Options{Create: true}, upTo12)
		must(t, err)
		base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		for i, s := range []store.RequestState{store.StateReceived, store.StateReceived, store.StateCompleted, store.StateInProgress, store.StateCompleted, store.StateCompleted} {
			_, err := st.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: s,
				ReceivedAt: base.Add(time.Duration(i) * time.Hour), DueAt: base.AddDate(0, 1, 0)})
			must(t, err)
		}
		st.Close()
		st, err = open(ctx, u, store.Options{Create: true}, good)
		must(t, err)
		defer st.Close()
		got, err := st.CountRequestsByState(ctx)
		must(t, err)
		if want := map[store.RequestState]int64{store.StateReceived: 2, store.StateCompleted: 3, store.StateInProgress: 1}; !maps.Equal(got, want) {
			t.Fatalf("counts after migration 13: %v, want %v", got, want)
		}
	})

	t.Run("NewerThanBinary", func(t *testing.T) {
		u := b.NewURL(t)
		st, err := open(ctx, u, store.Options{Create: true}, good)
		must(t, err)
		ExecRaw(t, st, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)`, int64(latest+1))
		st.Close()
		_, err = open(ctx, u, store.Options{Create: true}, good)
		var ve *store.SchemaVersionError
		if !errors.As(err, &ve) || ve.Database != latest+1 || ve.Binary != latest {
			t.Fatalf("open of a newer schema: %v", err)
		}
		if !strings.Contains(err.Error(), "upgrade") {
			t.Fatalf("the error does not say what to do: %v", err)
		}
	})
}
