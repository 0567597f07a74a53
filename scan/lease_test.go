package scan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// gate holds the first request matching match until open is called, and
// counts the requests per path.
type gate struct {
	match   func(*http.Request) bool
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
	opened  sync.Once
	mu      sync.Mutex
	seen    map[string]int
}

func newGate(match func(*http.Request) bool) *gate {
	return &gate{match: match, arrived: make(chan struct{}), release: make(chan struct{}), seen: map[string]int{}}
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.seen[r.Method+" "+r.URL.Path]++
		g.mu.Unlock()
		if g.match(r) {
			first := false
			g.once.Do(func() { first = true; close(g.arrived) })
			if first {
				<-g.release
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (g *gate) open() { g.opened.Do(func() { close(g.release) }) }

func (g *gate) count(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[key]
}

func isGetConversation(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/conversations/")
}

func isRedact(r *http.Request) bool { return r.URL.Path == "/conversations/redact" }

// mux forwards to whichever gate is current, so one sandbox serves both
// phases of a test.
type mux struct {
	mu sync.Mutex
	g  *gate
}

func (m *mux) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		g := m.g
		m.mu.Unlock()
		if g == nil {
			h.ServeHTTP(w, r)
			return
		}
		g.wrap(h).ServeHTTP(w, r)
	})
}

func (m *mux) set(g *gate) {
	m.mu.Lock()
	m.g = g
	m.mu.Unlock()
}

// Two runners (two applications, as two processes, each with its own pool) on
// one database: while the first scans, the second is refused and told who
// holds the lease; no conversation is fetched twice; then the same for
// redactions, and no part is redacted twice.
func TestLeaseOneRunAtATime(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var m mux
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 20, Seed: 5}, Wrap: m.wrap})
			a1, a2 := w.Open("cli"), w.Open("cli")
			runner := func(a *app.App, holder string) (*scan.Scanner, *scan.Redactor) {
				s := scanner(a)
				s.Lease.Holder = holder
				r := redactor(a)
				r.Lease.Holder = holder
				return s, r
			}
			s1, r1 := runner(a1, "worker-a")
			s2, r2 := runner(a2, "worker-b")

			g := newGate(isGetConversation)
			t.Cleanup(g.open) // a failing test must not leave a handler blocked
			m.set(g)
			done := make(chan error, 1)
			go func() { _, err := s1.Run(bg, scan.ScanOptions{}); done <- err }()
			<-g.arrived
			_, err := s2.Run(bg, scan.ScanOptions{})
			var busy *scan.RunInProgressError
			if !errors.As(err, &busy) || busy.Holder != "worker-a" || busy.Lease != scan.LeaseScan || !strings.Contains(err.Error(), "worker-a") {
				t.Fatalf("second scan while the first runs: %v", err)
			}
			g.open()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			res, err := s2.Run(bg, scan.ScanOptions{})
			if err != nil || res.Resumed || res.Run.Scanned != 0 {
				t.Fatalf("second scan after the first: %+v %v", res, err)
			}
			convs := w.Sandbox.Workspace().Conversations()
			for _, c := range convs {
				if n := g.count("GET /conversations/" + c.ID); n != 1 {
					t.Errorf("conversation %s fetched %d times, want 1", c.ID, n)
				}
			}
			if _, err := scans(t, a1).GetScanLease(bg, scan.LeaseScan); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("scan lease after both runs: %v (want released)", err)
			}

			want := cardParts(w.Sandbox)
			g = newGate(isRedact)
			t.Cleanup(g.open)
			m.set(g)
			go func() {
				_, err := r1.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
				done <- err
			}()
			<-g.arrived
			if _, err := r2.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true}); !errors.As(err, &busy) || busy.Holder != "worker-a" || busy.Lease != scan.LeaseRedact {
				t.Fatalf("second redaction run while the first runs: %v", err)
			}
			// A dry run reads only and takes no lease.
			if dry, err := r2.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true, DryRun: true}); err != nil || len(dry.Planned) == 0 {
				t.Fatalf("dry run while a run works: %+v %v", dry, err)
			}
			g.open()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			again, err := r2.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil || len(again.Planned) != 0 {
				t.Fatalf("second redaction run after the first: %+v %v", again, err)
			}
			st := w.Sandbox.Stats()
			for k := range want {
				conv, part, _ := strings.Cut(k, "/")
				if n := st.Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + st.Effect(sandbox.EffectPartRedacted, conv+"/source:"+part); n != 1 {
					t.Errorf("%s redacted %d times, want 1", k, n)
				}
			}
			if n := g.count("POST /conversations/redact"); n != len(want) {
				t.Errorf("%d redact requests for %d parts", n, len(want))
			}
		})
	}
}

// The scanning child of TestLeaseDeadHolder.
const envLeaseChild = "SCAN_LEASE_CHILD"

func leaseChild() int {
	ctx := context.Background()
	master, err := vault.ParseMasterKey(os.Getenv(envCrashKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	a, err := app.Open(ctx, app.Settings{DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "cli",
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI), Timeout: 5 * time.Second}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	s := &scan.Scanner{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "cli", Parallelism: 2,
		Lease: scan.LeaseOptions{Holder: "child-worker", TTL: time.Minute}}
	if _, err := s.Run(ctx, scan.ScanOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// A scanning process SIGKILLed mid-run keeps its lease until it expires: a
// second runner is refused before, takes the lease over after (its clock a
// lease duration later), resumes the dead run and finishes it. Both backends;
// the child is a real process.
func TestLeaseDeadHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("child process skipped in -short mode")
	}
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var gets atomic.Int64
			var child atomic.Pointer[exec.Cmd]
			var killed atomic.Bool
			wrap := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if isGetConversation(r) && gets.Add(1) == 8 {
						if c := child.Load(); c != nil && !killed.Swap(true) {
							_ = c.Process.Kill() // SIGKILL: no release, no last heartbeat
							_, _ = c.Process.Wait()
						}
					}
					h.ServeHTTP(w, r)
				})
			}
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 20, Seed: 5}, Wrap: wrap})
			a := w.Open("cli") // creates the keysets the child opens
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envLeaseChild+"=scan", envCrashDB+"="+w.DatabaseURL, envCrashKey+"="+w.MasterKeyText,
				envCrashAPI+"="+w.Server.URL, envCrashToken+"="+w.Sandbox.Token())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			child.Store(cmd)
			err := cmd.Wait()
			if !killed.Load() {
				t.Fatalf("the child was not killed (%v): %s", err, stderr.String())
			}
			sc := scans(t, a)
			l, err := sc.GetScanLease(bg, scan.LeaseScan)
			if err != nil || l.Holder != "child-worker" {
				t.Fatalf("lease after the kill: %+v %v", l, err)
			}
			s := scanner(a)
			s.Lease.Holder = "worker-b"
			_, err = s.Run(bg, scan.ScanOptions{})
			var busy *scan.RunInProgressError
			if !errors.As(err, &busy) || busy.Holder != "child-worker" || !busy.ExpiresAt.Equal(l.ExpiresAt) {
				t.Fatalf("run while the dead holder's lease is live: %v", err)
			}
			// A lease duration after the last heartbeat the lease has expired.
			late := l.ExpiresAt.Sub(time.Now()) + time.Second
			s.Now = func() time.Time { return time.Now().Add(late) }
			res, err := s.Run(bg, scan.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Resumed || res.Run.State != store.ScanDone || res.Run.Failed != 0 {
				t.Fatalf("takeover: resumed %v, run %+v", res.Resumed, res.Run)
			}
			for _, c := range w.Sandbox.Workspace().Conversations() {
				if rec, err := sc.ScannedConversation(bg, c.ID); err != nil || rec.Status != store.ScanStatusScanned || rec.RunID != res.Run.ID {
					t.Errorf("conversation %s after the takeover: %+v %v", c.ID, rec, err)
				}
			}
			if _, err := sc.GetScanLease(bg, scan.LeaseScan); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("lease after the takeover run: %v", err)
			}
		})
	}
}
