// Package health says whether a process is alive and whether it is ready to
// take work, for the /livez and /readyz endpoints that container orchestrators
// probe.
//
// Liveness is deliberately shallow: a process that answers HTTP is alive, so a
// database outage never makes an orchestrator kill and restart processes in a
// loop. Readiness is the conjunction of named conditions, each either a gate the
// process sets itself (keysets opened, job workers started) or a check run on
// every probe (database reachable, migrations current). A Checker that was
// stopped is not ready, so a load balancer drains it while it finishes its
// requests.
//
// What is served names each condition and whether it holds, never an error
// text: the endpoints are unauthenticated, and an error can name hosts and
// users. Errors go to the log instead, one line when a condition changes,
// through the logger given (the project's redacting logger).
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Routes served by Handler, and by package server.
const (
	PathLive  = "/livez"
	PathReady = "/readyz"
	// PathHealth is the older combined endpoint, kept as an alias of PathReady.
	PathHealth = "/healthz"
)

// DefaultCheckTimeout bounds one run of a check.
const DefaultCheckTimeout = 3 * time.Second

// ErrStopping is the reason a stopped Checker gives.
var ErrStopping = errors.New("the process is shutting down")

// ErrCheckTimeout: a check did not answer within its timeout.
var ErrCheckTimeout = errors.New("the check did not answer in time")

// Checker holds the readiness conditions of one process. The zero value is
// not usable; create it with New. Its methods are safe for concurrent use.
type Checker struct {
	log     *slog.Logger
	timeout time.Duration

	mu       sync.Mutex
	conds    []*condition
	byName   map[string]*condition
	stopping chan struct{}
	stopped  bool
}

// condition is one named readiness condition.
type condition struct {
	name string
	// check runs on every probe; nil for a gate.
	check func(context.Context) error
	// err is a gate's state (nil: ready), or a check's last result.
	err error
	// logged is the state last logged ("" before the first), so a change is
	// logged once, not on every probe.
	logged string
}

// Options configure a Checker.
type Options struct {
	// Logger receives one line each time a condition changes (discarding when
	// nil). Pass the project's redacting logger.
	Logger *slog.Logger
	// CheckTimeout bounds each check (DefaultCheckTimeout when 0).
	CheckTimeout time.Duration
}

// New returns a Checker with no conditions: alive and ready.
func New(o Options) *Checker {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = DefaultCheckTimeout
	}
	return &Checker{log: o.Logger, timeout: o.CheckTimeout, byName: map[string]*condition{}, stopping: make(chan struct{})}
}

// add registers a condition; a name used twice is a programming error.
func (c *Checker) add(cd *condition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.byName[cd.name]; dup {
		panic("health: condition registered twice: " + cd.name)
	}
	c.byName[cd.name] = cd
	c.conds = append(c.conds, cd)
}

// Check adds a condition evaluated on every readiness probe: nil means ready.
// f gets a context bounded by the check timeout.
func (c *Checker) Check(name string, f func(ctx context.Context) error) {
	c.add(&condition{name: name, check: f, err: errors.New("not checked yet")})
}

// Gate adds a condition the process sets itself, not ready with reason until
// Gate.Set(nil) is called.
func (c *Checker) Gate(name string, reason error) *Gate {
	if reason == nil {
		reason = errors.New("not started yet")
	}
	cd := &condition{name: name, err: reason}
	c.add(cd)
	return &Gate{c: c, cd: cd}
}

// Gate is a readiness condition set by the process.
type Gate struct {
	c  *Checker
	cd *condition
}

// Set records the condition's state: nil is ready, an error says why not.
// The change is logged.
func (g *Gate) Set(err error) {
	g.c.mu.Lock()
	g.cd.err = err
	g.c.mu.Unlock()
	g.c.logChanges(context.Background(), []*condition{g.cd})
}

// Stop makes the Checker not ready for good (ErrStopping), so that load
// balancers stop sending work while the process finishes what it has. It is
// safe to call more than once.
func (c *Checker) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped = true
		close(c.stopping)
		c.log.Info("readiness: stopping; no longer ready")
	}
}

// Stopping is closed once Stop was called.
func (c *Checker) Stopping() <-chan struct{} { return c.stopping }

// Condition is the state of one condition in a Report.
type Condition struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	// Err says why the condition does not hold (nil when it does). It is for
	// logs and tests; the HTTP endpoints never serve it.
	Err error `json:"-"`
}

// Report is the result of a readiness evaluation.
type Report struct {
	Ready      bool        `json:"ready"`
	Stopping   bool        `json:"stopping,omitempty"`
	Conditions []Condition `json:"conditions"`
}

// Ready runs every check (concurrently, each bounded by the check timeout),
// reads every gate, and reports. Conditions that changed since the last
// evaluation are logged.
func (c *Checker) Ready(ctx context.Context) Report {
	c.mu.Lock()
	conds := append([]*condition(nil), c.conds...)
	stopped := c.stopped
	c.mu.Unlock()
	results := make([]error, len(conds))
	var wg sync.WaitGroup
	for i, cd := range conds {
		if cd.check == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.run(ctx, cd.check)
		}()
	}
	wg.Wait()
	rep := Report{Ready: !stopped, Stopping: stopped}
	c.mu.Lock()
	for i, cd := range conds {
		if cd.check != nil {
			cd.err = results[i]
		}
		rep.Conditions = append(rep.Conditions, Condition{Name: cd.name, Ready: cd.err == nil, Err: cd.err})
		if cd.err != nil {
			rep.Ready = false
		}
	}
	c.mu.Unlock()
	c.logChanges(ctx, conds)
	return rep
}

// run calls f under the check timeout; a check that ignores its context is
// abandoned (its goroutine finishes on its own) and reported as timed out.
func (c *Checker) run(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("the check panicked: %v", p)
			}
		}()
		done <- f(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ErrCheckTimeout
	}
}

// logChanges logs each condition whose state differs from the one last logged.
func (c *Checker) logChanges(ctx context.Context, conds []*condition) {
	type line struct {
		name string
		err  error
	}
	var lines []line
	c.mu.Lock()
	for _, cd := range conds {
		state := "ready"
		if cd.err != nil {
			state = "not ready: " + cd.err.Error()
		}
		if state != cd.logged {
			cd.logged = state
			lines = append(lines, line{cd.name, cd.err})
		}
	}
	c.mu.Unlock()
	for _, l := range lines {
		if l.err != nil {
			c.log.WarnContext(ctx, "readiness: condition not met", slog.String("condition", l.name), slog.String("reason", l.err.Error()))
		} else {
			c.log.InfoContext(ctx, "readiness: condition met", slog.String("condition", l.name))
		}
	}
}

// Live answers a liveness probe: 200 "ok" while the process serves HTTP.
func (c *Checker) Live(w http.ResponseWriter, _ *http.Request) {
	noStore(w)
	fmt.Fprintln(w, "ok")
}

// ServeReady answers a readiness probe: 200 when every condition holds, else
// 503. The body lists each condition ("[+] name" or "[-] name: not ready"),
// never an error text.
func (c *Checker) ServeReady(w http.ResponseWriter, r *http.Request) {
	rep := c.Ready(r.Context())
	noStore(w)
	var b strings.Builder
	switch {
	case rep.Ready:
		b.WriteString("ready\n")
	case rep.Stopping:
		b.WriteString("not ready: stopping\n")
	default:
		b.WriteString("not ready\n")
	}
	for _, cd := range rep.Conditions {
		if cd.Ready {
			fmt.Fprintf(&b, "[+] %s\n", cd.Name)
		} else {
			fmt.Fprintf(&b, "[-] %s: not ready (the log says why)\n", cd.Name)
		}
	}
	if !rep.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}

// Register adds GET PathLive, PathReady and PathHealth to mux.
func (c *Checker) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathLive, c.Live)
	mux.HandleFunc("GET "+PathReady, c.ServeReady)
	mux.HandleFunc("GET "+PathHealth, c.ServeReady)
}

// Handler serves the three probe routes alone (404 elsewhere).
func (c *Checker) Handler() http.Handler {
	mux := http.NewServeMux()
	c.Register(mux)
	return mux
}

// ListenAndServe serves Handler on addr (host:port; port 0 picks one) until
// ctx is done, for processes with no other HTTP server (the job workers).
// ready, when not nil, is called with the bound address. When ctx is done the
// Checker is stopped and the listener closed.
func (c *Checker) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("health: listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      c.timeout + 10*time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("health: %w", err)
	case <-ctx.Done():
	}
	c.Stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout+time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc
	if err != nil {
		_ = srv.Close()
	}
	return nil
}
