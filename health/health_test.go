package health_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/health"
)

// lockedBuffer collects log lines from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestReadinessFollowsEveryCondition(t *testing.T) {
	var logs lockedBuffer
	c := health.New(health.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var dbErr atomic.Pointer[error]
	setDB := func(err error) { dbErr.Store(&err) }
	setDB(nil)
	c.Check("database", func(context.Context) error { return *dbErr.Load() })
	keys := c.Gate("keysets", errors.New("the vault is not open yet"))
	workers := c.Gate("workers", nil)
	h := c.Handler()

	code, body := get(t, h, health.PathReady)
	if code != 503 || !strings.Contains(body, "[+] database") || !strings.Contains(body, "[-] keysets") || !strings.Contains(body, "[-] workers") {
		t.Fatalf("before the gates open: %d %q", code, body)
	}
	if strings.Contains(body, "vault is not open") {
		t.Fatal("the readiness body serves an error text")
	}
	if code, _ := get(t, h, health.PathLive); code != 200 {
		t.Fatalf("livez %d while not ready: liveness must not follow readiness", code)
	}
	keys.Set(nil)
	workers.Set(nil)
	for _, p := range []string{health.PathReady, health.PathHealth} {
		if code, body := get(t, h, p); code != 200 || !strings.HasPrefix(body, "ready\n") {
			t.Fatalf("%s with every condition met: %d %q", p, code, body)
		}
	}

	// Each condition flips readiness on its own, and back.
	for _, tc := range []struct {
		name       string
		fail, heal func()
	}{
		{"database", func() { setDB(errors.New("connection refused")) }, func() { setDB(nil) }},
		{"keysets", func() { keys.Set(errors.New("closed")) }, func() { keys.Set(nil) }},
		{"workers", func() { workers.Set(errors.New("River stopped")) }, func() { workers.Set(nil) }},
	} {
		tc.fail()
		code, body := get(t, h, health.PathReady)
		if code != 503 || !strings.Contains(body, "[-] "+tc.name+":") {
			t.Errorf("%s failing: %d %q", tc.name, code, body)
		}
		if c.Ready(context.Background()).Ready {
			t.Errorf("%s failing: Report.Ready", tc.name)
		}
		tc.heal()
		if code, body := get(t, h, health.PathReady); code != 200 {
			t.Errorf("%s healed: %d %q", tc.name, code, body)
		}
	}

	// A change is logged once, not on every probe.
	setDB(errors.New("connection refused"))
	for range 3 {
		get(t, h, health.PathReady)
	}
	if n := strings.Count(logs.String(), "reason=\"connection refused\""); n != 2 {
		t.Errorf("the database failure was logged %d times, want once per change (2 changes):\n%s", n, logs.String())
	}
	setDB(nil)

	// Stopping is final.
	c.Stop()
	c.Stop()
	select {
	case <-c.Stopping():
	default:
		t.Fatal("Stopping not closed")
	}
	code, body = get(t, h, health.PathReady)
	if code != 503 || !strings.HasPrefix(body, "not ready: stopping") {
		t.Fatalf("stopped: %d %q", code, body)
	}
	if code, _ := get(t, h, health.PathLive); code != 200 {
		t.Fatalf("livez while stopping: %d", code)
	}
}

func TestCheckTimeoutAndPanic(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := health.New(health.Options{CheckTimeout: 10 * time.Millisecond})
	c.Check("stuck", func(context.Context) error { <-release; return nil })
	c.Check("panics", func(context.Context) error { panic("boom") })
	rep := c.Ready(context.Background())
	if rep.Ready || len(rep.Conditions) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if !errors.Is(rep.Conditions[0].Err, health.ErrCheckTimeout) {
		t.Errorf("stuck check: %v", rep.Conditions[0].Err)
	}
	if rep.Conditions[1].Err == nil || !strings.Contains(rep.Conditions[1].Err.Error(), "panicked") {
		t.Errorf("panicking check: %v", rep.Conditions[1].Err)
	}
}

func TestDuplicateConditionPanics(t *testing.T) {
	c := health.New(health.Options{})
	c.Gate("x", nil)
	defer func() {
		if recover() == nil {
			t.Fatal("a second condition named x was accepted")
		}
	}()
	c.Check("x", func(context.Context) error { return nil })
}

func TestListenAndServeStopsOnContext(t *testing.T) {
	c := health.New(health.Options{})
	g := c.Gate("workers", nil)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- c.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	base := "http://" + (<-addrc).String()
	for path, want := range map[string]int{health.PathLive: 200, health.PathReady: 503, "/other": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	g.Set(nil)
	resp, err := http.Get(base + health.PathReady)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ready: %v %v", err, resp)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Stopping():
	default:
		t.Fatal("the checker was not stopped with the server")
	}
	if _, err := http.Get(base + health.PathLive); err == nil {
		t.Fatal("still listening")
	}
}
