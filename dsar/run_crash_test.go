package dsar_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The crash test re-executes this test binary as a worker process. These
// environment variables tell TestMain to be that worker.
const (
	envCrashChild    = "DSAR_CRASH_CHILD"
	envCrashDB       = "DSAR_CRASH_DATABASE_URL"
	envCrashKey      = "DSAR_CRASH_MASTER_KEY"
	envCrashAPI      = "DSAR_CRASH_API_URL"
	envCrashToken    = "DSAR_CRASH_TOKEN"
	envCrashRequests = "DSAR_CRASH_REQUESTS"
	envCrashOwner    = "DSAR_CRASH_OWNER"
	// envCrashRights is the JSON of the worker's config.Rights (the tags and
	// subscription types restrictions and objections mark).
	envCrashRights = "DSAR_CRASH_RIGHTS"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envCrashChild) {
	case "1":
		os.Exit(crashChild())
	case "river":
		os.Exit(riverChild())
	}
	os.Exit(m.Run())
}

// crashChild is the worker process: it opens the application on the database and
// the sandbox given in the environment and runs each request until it finishes,
// retrying failed attempts as River would. It exits 0 when all are finished.
func crashChild() int {
	ctx := context.Background()
	master, err := vault.ParseMasterKey(os.Getenv(envCrashKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	a, err := app.Open(ctx, app.Settings{
		DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "worker", Config: apptest.Config(),
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI),
			Timeout: 5 * time.Second, MaxRetries: 1},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	a.Config.Erasure.DeleteConversations = true
	if v := os.Getenv(envCrashRights); v != "" {
		if err := json.Unmarshal([]byte(v), &a.Config.Rights); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 3
		}
	}
	owner := os.Getenv(envCrashOwner)
	if owner == "" {
		owner = "crash-child"
	}
	for _, id := range strings.Split(os.Getenv(envCrashRequests), ",") {
		// A failed attempt is retried on the next tick, as River retries a
		// failed job (with a shorter backoff), until the killed worker's
		// lease lapses and the run can finish; the deadline only bounds a
		// run that never can.
		var err error
		retry := time.NewTicker(20 * time.Millisecond)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			err = a.DSAR.RunWith(ctx, id, dsar.RunOptions{Owner: owner, LeaseTTL: 2 * time.Second})
			if err == nil || time.Now().After(deadline) {
				break
			}
			<-retry.C
		}
		retry.Stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "child: request", id, "not finished:", err)
			return 4
		}
	}
	return 0
}

// crashWorld is one sandbox and one database, and the worker process the test
// kills: the sandbox is served through a handler that SIGKILLs the worker when it
// sends its Nth request, either before the request reaches the sandbox or after
// the sandbox carried it out (the answer is then lost with the process).
type crashWorld struct {
	t       *testing.T
	h       *harness
	keyText string
	// rights is the JSON of the worker's config.Rights ("" for the default).
	rights string
	// mode is the worker process's mode: "1" runs the requests directly, "river"
	// runs River's worker.
	mode string

	mu     sync.Mutex
	child  *exec.Cmd
	killAt int64
	after  bool
	count  atomic.Int64
	killed atomic.Bool
}

func newCrashWorld(t *testing.T) *crashWorld {
	t.Helper()
	return newWorld(t, "sqlite://"+filepath.Join(t.TempDir(), "crash.db"), sandbox.Options{Contacts: 20, RateLimit: -1, Seed: 3})
}

// newWorld builds a world on the database at dbURL.
func newWorld(t *testing.T, dbURL string, opts sandbox.Options) *crashWorld {
	t.Helper()
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	w := &crashWorld{t: t, mode: "1"}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(srv.Close)
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	w.keyText = text
	w.h = &harness{t: t, sb: sb, srv: srv, master: master, dbURL: dbURL}
	w.h.app = w.h.open("operator")
	return w
}

func (w *crashWorld) serve(rw http.ResponseWriter, r *http.Request) {
	n := w.count.Add(1)
	w.mu.Lock()
	at, after := w.killAt, w.after
	w.mu.Unlock()
	if at == 0 || n != at {
		w.h.sb.Handler().ServeHTTP(rw, r)
		return
	}
	if after {
		// The effect happens; the worker never hears of it.
		w.h.sb.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	w.kill()
	if hj, ok := rw.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

func (w *crashWorld) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.child != nil && w.child.Process != nil {
		w.killed.Store(true)
		_ = w.child.Process.Kill() // SIGKILL
	}
}

// rescue hands the jobs a killed worker left running back to the queue, as River's
// rescuer does after jobs.Options.RescueAfter (35 minutes by default, far too long
// for a sweep of kills).
func (w *crashWorld) rescue() {
	w.t.Helper()
	path := strings.TrimPrefix(w.h.dbURL, "sqlite://")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE river_job SET state = 'available', scheduled_at = CURRENT_TIMESTAMP WHERE state = 'running'`); err != nil {
		w.t.Fatalf("rescue River jobs: %v", err)
	}
}

// command prepares a worker process of the given mode ("1": runs the requests
// directly; "river": a River worker) for the requests.
func (w *crashWorld) command(mode, owner string, ids []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envCrashChild+"="+mode, envCrashDB+"="+w.h.dbURL, envCrashKey+"="+w.keyText, envCrashOwner+"="+owner, envCrashRights+"="+w.rights,
		envCrashAPI+"="+w.h.srv.URL, envCrashToken+"="+w.h.sb.Token(), envCrashRequests+"="+strings.Join(ids, ","))
	return cmd
}

// runChild starts the worker process for the requests and waits for it. killAt 0
// lets it run to the end. It reports whether the process was killed.
func (w *crashWorld) runChild(killAt int64, after bool, ids ...string) bool {
	w.t.Helper()
	cmd := w.command(w.mode, "crash-child", ids)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	w.count.Store(0)
	w.killed.Store(false)
	// Started under the lock: kill, called from the sandbox's handler when the
	// process sends its Nth request, then waits until cmd.Process is set (the
	// race detector cannot see that the process's requests follow Start).
	w.mu.Lock()
	w.killAt, w.after, w.child = killAt, after, cmd
	err := cmd.Start()
	w.mu.Unlock()
	if err != nil {
		w.t.Fatal(err)
	}
	err = cmd.Wait()
	w.mu.Lock()
	w.child, w.killAt = nil, 0
	w.mu.Unlock()
	if w.killed.Load() {
		return true
	}
	if err != nil {
		w.t.Fatalf("worker process failed: %v\n%s", err, stderr.String())
	}
	return false
}

// maxKillPoints bounds the kill points of a sampled sweep, to keep CI time bounded.
const maxKillPoints = 40

// crashCase is one kind of request the sweep kills at every request it sends.
type crashCase struct {
	typ store.RequestType
	// river runs the worker process as a River worker; a job left running by a
	// killed process is handed back to the queue as River's rescuer would.
	river bool
	// submit, when set, files and verifies the request (default: file with
	// the person's identifiers).
	submit func(t *testing.T, h *harness, p sandbox.Person) store.Request
	// rights, when set, configures the marks of restrictions and objections,
	// in the test's application and in the worker process.
	rights func(ws *sandbox.Workspace) config.Rights
	// dbURL, when set, gives each world a fresh database (PostgreSQL); the
	// default is a SQLite file.
	dbURL func(t *testing.T) string
	// check asserts the end state of the world.
	check func(t *testing.T, w *crashWorld, p sandbox.Person, c cached, id string)
}

func checkErasureWorld(t *testing.T, w *crashWorld, p sandbox.Person, c cached, id string) {
	t.Helper()
	checkErased(t, w.h, p, c)
	st := w.h.sb.Stats()
	for _, cid := range p.ContactIDs {
		if n := st.Effect(sandbox.EffectContactDeleted, cid); n != 1 {
			t.Errorf("contact %s deleted %d times, want exactly 1", cid, n)
		}
	}
	for _, tid := range p.TicketIDs {
		if n := st.Effect(sandbox.EffectTicketDeleted, tid); n != 1 {
			t.Errorf("ticket %s deleted %d times, want exactly 1", tid, n)
		}
	}
	// The person's messages in conversations shared with others: redacted once.
	for convID, items := range personParts(t, w.h, p) {
		for _, item := range items {
			if n := st.Effect(sandbox.EffectPartRedacted, convID+"/"+item); n != 1 {
				t.Errorf("%s/%s redacted %d times, want exactly 1", convID, item, n)
			}
		}
	}
}

// crashSweep files a request, measures how many Intercom requests running it
// takes, then, for each kill point N (every stride-th request), builds a fresh
// world, kills the worker at its Nth request (before or after the sandbox acts on
// it), restarts it until the request completes, and checks the end state.
func crashSweep(t *testing.T, cc crashCase, stride int, variants []bool) (points int) {
	setup := func() (*crashWorld, sandbox.Person, cached, string) {
		var w *crashWorld
		if cc.dbURL != nil {
			w = newWorld(t, cc.dbURL(t), sandbox.Options{Contacts: 20, RateLimit: -1, Seed: 3})
		} else {
			w = newCrashWorld(t)
		}
		if cc.river {
			w.mode = "river"
		}
		p := w.h.sb.SamplePerson()
		c := seedCache(t, w.h, p)
		if cc.rights != nil {
			rights := cc.rights(w.h.sb.Workspace())
			w.h.app.Config.Rights = rights
			b, err := json.Marshal(rights)
			if err != nil {
				t.Fatal(err)
			}
			w.rights = string(b)
		}
		var r store.Request
		if cc.submit != nil {
			r = cc.submit(t, w.h, p)
		} else {
			r = file(t, w.h, cc.typ, personIdentifiers(p))
		}
		return w, p, c, r.ID
	}
	w, p, c, id := setup()
	w.runChild(0, false, id)
	total := w.count.Load()
	cc.check(t, w, p, c, id)
	t.Logf("%s: %d Intercom requests in an uninterrupted run", cc.typ, total)
	if total == 0 {
		t.Fatal("the request sent nothing to Intercom")
	}
	if stride <= 0 {
		// At most maxKillPoints points per variant: every request of a short run,
		// an even sample of a long one.
		stride = int((total + maxKillPoints - 1) / maxKillPoints)
	}
	t.Logf("%s: killing at requests 1, 1+%d, 1+2×%d, ... (%d points per variant)", cc.typ, stride, stride, (total+int64(stride)-1)/int64(stride))
	for n := int64(1); n <= total; n += int64(stride) {
		for _, after := range variants {
			if t.Failed() {
				return points
			}
			w, p, c, id := setup()
			killed := w.runChild(n, after, id)
			if !killed {
				t.Fatalf("kill point %d was never reached", n)
			}
			for restarts := 0; ; restarts++ {
				if restarts > 5 {
					t.Fatalf("kill point %d: request not finished after %d restarts", n, restarts)
				}
				if cc.river {
					w.rescue()
				}
				if !w.runChild(0, false, id) {
					break
				}
			}
			r, err := w.h.app.DSAR.Get(context.Background(), id)
			if err != nil || r.State != store.StateCompleted {
				t.Fatalf("kill point %d (after=%v): state %s, %v", n, after, r.State, err)
			}
			cc.check(t, w, p, c, id)
			if t.Failed() {
				t.Logf("failed at kill point %d (after the effect: %v)", n, after)
			}
			points++
		}
	}
	return points
}

func TestCrashErasure(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	n := crashSweep(t, crashCase{typ: store.RequestErasure, river: true, check: checkErasureWorld}, 0, []bool{false, true})
	t.Logf("erasure: %d kill points (each request killed before and after its effect) in %s", n, time.Since(start).Round(time.Millisecond))
}

func checkAccessWorld(t *testing.T, w *crashWorld, p sandbox.Person, c cached, id string) {
	t.Helper()
	if st := w.h.sb.Stats(); len(st.Effects) != 0 {
		t.Errorf("an access request changed the workspace: %v", st.Effects)
	}
	checkOnePackage(t, w.h.app, id)
	checkAudit(t, w.h, p)
}

// checkOnePackage checks that exactly one access package is stored for the request,
// that it can be written out, and that access.package_created was recorded once.
func checkOnePackage(t *testing.T, a *app.App, id string) {
	t.Helper()
	ctx := context.Background()
	blobs, err := a.Store.BlobsByRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range blobs {
		if b.Kind == store.BlobAccessPackage {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d access packages stored for one request, want exactly 1", n)
	}
	var buf bytes.Buffer
	if _, err := a.DSAR.WritePackage(ctx, id, &buf); err != nil || buf.Len() == 0 {
		t.Errorf("package after crashes: %v", err)
	}
	created := 0
	for rec, err := range a.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == "access.package_created" && rec.RequestID == id {
			created++
		}
	}
	if created != 1 {
		t.Errorf("access.package_created recorded %d times, want 1", created)
	}
}

func TestCrashAccess(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	// The first (uninterrupted) run sets the baseline: every run killed and resumed
	// must build a package with the same contents.
	var baseline string
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, c cached, id string) {
		t.Helper()
		checkAccessWorld(t, w, p, c, id)
		steps, err := w.h.app.Store.Steps(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if s.Name != dsar.StepPackage {
				continue
			}
			var d dsar.PackageDetail
			if err := json.Unmarshal(s.Detail, &d); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(d.Counts)
			if baseline == "" {
				baseline = got
			} else if got != baseline {
				t.Errorf("package after a crash differs from an uninterrupted run's:\n got %s\nwant %s", got, baseline)
			}
		}
	}
	n := crashSweep(t, crashCase{typ: store.RequestAccess, check: check}, 0, []bool{false, true})
	t.Logf("access: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestCrashAccessErasure kills an access+erasure at sampled Intercom requests (the
// package step's reads, the deletions, the verification), before and after each
// takes effect: every run ends with the person erased, every effect done once, the
// identifiers shredded (the completing transaction destroys the request's key),
// and exactly one access package, which the person can still fetch.
func TestCrashAccessErasure(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	check := func(t *testing.T, w *crashWorld, p sandbox.Person, c cached, id string) {
		t.Helper()
		ctx := context.Background()
		checkErasureWorld(t, w, p, c, id)
		reader := w.h.open("reader") // a fresh process: no key cache
		r, err := reader.DSAR.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reader.DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
			t.Errorf("identifiers after the access+erasure: %v, want ErrShredded", err)
		}
		checkOnePackage(t, reader, id)
	}
	// Every 4th request (about 16 points per variant): the erasure and access
	// sweeps above cover each step densely; this one covers their combination.
	n := crashSweep(t, crashCase{typ: store.RequestAccessErasure, check: check}, 4, []bool{false, true})
	t.Logf("access+erasure: %d kill points in %s", n, time.Since(start).Round(time.Millisecond))
}
