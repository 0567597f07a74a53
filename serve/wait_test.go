package serve_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/serve"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// lockedBuffer is a bytes.Buffer safe for the process's goroutines and the
// test's.
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

// gate is a TCP proxy to a database server that is "down" (it closes every
// connection at once, as a server that is starting does) until up is set.
type gate struct {
	ln       net.Listener
	target   string
	up       atomic.Bool
	refused  atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
	shutdown chan struct{}
}

func newGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target, shutdown: make(chan struct{})}
	g.wg.Go(g.accept)
	t.Cleanup(g.close)
	return g
}

func (g *gate) accept() {
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		if !g.up.Load() {
			g.refused.Add(1)
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", g.target)
		if err != nil {
			c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, s)
		g.mu.Unlock()
		g.wg.Go(func() { _, _ = io.Copy(s, c); s.Close() })
		g.wg.Go(func() { _, _ = io.Copy(c, s); c.Close() })
	}
}

func (g *gate) close() {
	g.ln.Close()
	g.mu.Lock()
	for _, c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// TestProcessBecomesReadyWhenDatabaseComesUp starts serve while its
// PostgreSQL server refuses connections: the process keeps running (no exit,
// so no crash loop), is alive and not ready, says why in one clear log line per
// attempt, and becomes ready by itself once the server answers, with every
// readiness condition met.
func TestProcessBecomesReadyWhenDatabaseComesUp(t *testing.T) {
	ws := apptest.New(t, storetest.RequirePostgres(t), apptest.Options{})
	// The database is created and its keysets initialised as `migrate` and
	// `keys init` would, before serve starts.
	ws.Open("setup")
	u, err := url.Parse(ws.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	g := newGate(t, u.Host)
	u.Host = g.ln.Addr().String()
	settings := ws.Settings("server")
	settings.DatabaseURL = u.String()
	logs := &lockedBuffer{}
	settings.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	out := &lockedBuffer{}
	p, err := serve.New(serve.Options{Settings: settings, Secret: "s", Addr: "127.0.0.1:0", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx) }()

	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	testwait.Until(t, "serve to listen", func() bool {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testwait.Until(t, "a second refused attempt (the process retries, it does not exit)", func() bool {
		select {
		case err := <-ran:
			t.Fatalf("Run returned while the database was down: %v\n%s", err, logs.String())
		default:
		}
		return strings.Count(logs.String(), "database not reachable; not ready, retrying") >= 2
	})
	if g.refused.Load() < 2 {
		t.Fatalf("%d connection(s) refused, want at least 2", g.refused.Load())
	}
	if code, _ := get(health.PathLive); code != http.StatusOK {
		t.Errorf("livez while the database is down = %d, want 200", code)
	}
	code, body := get(health.PathReady)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "[-] database") {
		t.Errorf("readyz while the database is down = %d %q, want 503 naming the database", code, body)
	}
	line := logs.String()
	if !strings.Contains(line, "PostgreSQL") || !strings.Contains(line, "PostgreSQL is running") {
		t.Errorf("the log does not say what is wrong and what to check:\n%s", line)
	}

	g.up.Store(true)
	if err := <-ran; err != nil {
		t.Fatalf("Run once the database came up: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "database reachable again; starting") {
		t.Errorf("no log line says the database came back:\n%s", logs.String())
	}
	code, body = get(health.PathReady)
	if code != http.StatusOK {
		t.Fatalf("readyz once the database is up = %d %q, want 200", code, body)
	}
	for _, c := range []string{"database", "migrations", "keysets"} {
		if !strings.Contains(body, "[+] "+c) {
			t.Errorf("readyz does not report %s met: %q", c, body)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
