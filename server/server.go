// Package server is intercom-privacy's HTTP server: the Intercom webhook
// receiver at POST /webhooks/intercom, the liveness and readiness probes at
// GET /livez and GET /readyz (GET /healthz is an alias of /readyz; see package
// health) and plain-text counters at GET /metrics (Prometheus text exposition
// format).
//
// The server is thin: webhook.Handler verifies and parses notifications and
// hands them to a webhook.Sink (contactsync.WebhookSink in production), which
// stores and applies them. Every log line goes through the logger given, the
// project's redacting logger; a line names the route, the status and the
// duration, never a body, a header value or a query string.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// EnvClientSecret names the environment variable holding the Intercom app's
// client secret, the key of the webhook signatures.
const EnvClientSecret = "INTERCOM_CLIENT_SECRET"

// Routes served.
const (
	PathWebhook = webhook.Path
	PathLive    = health.PathLive
	PathReady   = health.PathReady
	PathHealth  = health.PathHealth
	PathMetrics = "/metrics"
)

// Defaults of Options.
const (
	DefaultShutdownTimeout = 30 * time.Second
	DefaultReadTimeout     = 30 * time.Second
)

// ErrNoSecret: the server was asked to start without a webhook secret.
var ErrNoSecret = errors.New("server: no webhook signing secret: set " + EnvClientSecret +
	" to your Intercom app's client secret (Developer Hub > your app > Basic information);" +
	" the server refuses to accept unsigned notifications")

// ErrNoSink: the server was asked to start without a webhook sink.
var ErrNoSink = errors.New("server: no webhook sink configured")

// Options configure a Server.
type Options struct {
	// Secret is the app's client secret (required).
	Secret []byte
	// Sink stores and applies verified notifications (required).
	Sink webhook.Sink
	// AppID, when set, is the workspace's id_code; notifications for other
	// workspaces are acknowledged and ignored (see webhook.HandlerOptions).
	AppID string
	// MaxBody limits a notification body (webhook.DefaultMaxBody when 0).
	MaxBody int64
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// Readiness holds the readiness conditions answered at GET /readyz and
	// /healthz (a new health.Checker when nil). Serve stops it when shutdown
	// begins, so load balancers drain the server while it finishes its requests.
	Readiness *health.Checker
	// Health, when set, is one more readiness condition, named "health": an
	// error answers 503 (the error is logged, not served).
	Health func(ctx context.Context) error
	// Gauges, when set, is called by GET /metrics for point-in-time values
	// (privacy requests by state); an error is logged and the gauges left out.
	Gauges func(ctx context.Context) ([]Gauge, error)
	// ShutdownTimeout bounds the graceful shutdown (DefaultShutdownTimeout
	// when 0): requests still running after it are cut.
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a request, body included (DefaultReadTimeout
	// when 0).
	ReadTimeout time.Duration
	// Handlers are mounted beside the webhook, the probes and /metrics: the
	// web layer (the API under /api/, the console under /). A pattern that
	// clashes with the server's own routes, or with another, fails New.
	Handlers []Route
}

// Route is a handler mounted by the server on a ServeMux pattern ("/api/",
// "/"); the handler routes within it.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Gauge is one point-in-time value shown by /metrics.
type Gauge struct {
	// Name is a metric name ([a-z_]+), Help its one-line description.
	Name, Help string
	// Labels are label name/value pairs, rendered in order.
	Labels [][2]string
	Value  int64
}

// Server is the HTTP server. Create it with New.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	mux     *http.ServeMux
	ready   *health.Checker
}

// New checks o and builds the server. It fails with ErrNoSecret or ErrNoSink.
func New(o Options) (*Server, error) {
	if len(o.Secret) == 0 {
		return nil, ErrNoSecret
	}
	if o.Sink == nil {
		return nil, ErrNoSink
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ready := o.Readiness
	if ready == nil {
		ready = health.New(health.Options{Logger: log})
	}
	if o.Health != nil {
		ready.Check("health", o.Health)
	}
	s := &Server{opts: o, log: log, metrics: NewMetrics(), mux: http.NewServeMux(), ready: ready}
	wh := webhook.Handler(webhook.HandlerOptions{Secret: o.Secret, MaxBody: o.MaxBody, AppID: o.AppID,
		Sink: &countingSink{sink: o.Sink, m: s.metrics}, Logger: log})
	s.mux.Handle(PathWebhook, s.webhookCounter(wh))
	ready.Register(s.mux)
	s.mux.HandleFunc("GET "+PathMetrics, s.serveMetrics)
	for _, rt := range o.Handlers {
		if err := s.mount(rt); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// mount registers rt, turning ServeMux's panic on a bad or clashing pattern
// into an error.
func (s *Server) mount(rt Route) (err error) {
	if rt.Handler == nil {
		return fmt.Errorf("server: no handler for %q", rt.Pattern)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("server: mount %q: %v", rt.Pattern, r)
		}
	}()
	s.mux.Handle(rt.Pattern, rt.Handler)
	return nil
}

// Readiness returns the server's readiness conditions (Options.Readiness, or
// the Checker New made).
func (s *Server) Readiness() *health.Checker { return s.ready }

// Metrics returns the server's counters (to add the applier's, for example).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler returns the server's routes wrapped in the request counter and log.
func (s *Server) Handler() http.Handler { return s.instrument(s.mux) }

// Serve serves on ln until ctx is done, then shuts down gracefully: readiness
// turns false, the listener closes, requests already running (a webhook being
// stored) finish with their contexts intact, idle connections are closed, and
// Serve returns nil once the last request is answered, or an error after
// ShutdownTimeout, when the connections still open are cut (Intercom retries a
// notification that got no answer). A listener failure is returned as an error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.ReadTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.InfoContext(ctx, "server listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.ready.Stop()
	s.log.InfoContext(ctx, "server stopping: finishing running requests", slog.Duration("timeout", s.opts.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("server: graceful shutdown did not finish in %s; open connections were closed: %w", s.opts.ShutdownTimeout, err)
	}
	s.log.InfoContext(ctx, "server stopped")
	return nil
}

// ListenAndServe listens on addr (host:port; port 0 picks one) and serves
// until ctx is done. ready, when not nil, is called with the bound address
// once the listener is open.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return s.Serve(ctx, ln)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var gauges []Gauge
	if s.opts.Gauges != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		g, err := s.opts.Gauges(ctx)
		cancel()
		if err != nil {
			s.log.WarnContext(r.Context(), "metrics gauges unavailable", slog.String("error", err.Error()))
		} else {
			gauges = g
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w, gauges)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	route  string
}

// Unwrap returns the writer wrapped (http.ResponseController).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// code is the status answered: 200 when the handler wrote none.
func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// route names the route of a request for logs and metrics (never the raw path):
// the server's own paths, else the pattern a mounted handler matched (ServeMux
// sets r.Pattern on the request it routes; a handler that routes again, such
// as the API's own mux, reports its pattern through SetRoute).
func route(r *http.Request, rec *statusRecorder) string {
	switch r.URL.Path {
	case PathWebhook, PathLive, PathReady, PathHealth, PathMetrics:
		return r.URL.Path
	}
	if rec.route != "" {
		return rec.route
	}
	if r.Pattern != "" && r.Pattern != "/" {
		return r.Pattern
	}
	return "other"
}

// SetRoute names the route w's request matched, for the server's logs and
// metrics: a pattern with its wildcards ("GET /api/v1/requests/{id}"), never
// a path with ids. Handlers mounted through Options.Handlers call it; on any
// other writer it does nothing.
func SetRoute(w http.ResponseWriter, pattern string) {
	for {
		switch x := w.(type) {
		case *statusRecorder:
			x.route = pattern
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}

// instrument counts every request by route and status and logs it.
func (s *Server) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		code := rec.code()
		rt := route(r, rec)
		s.metrics.Add(MetricHTTPRequests, 1, [2]string{"route", rt}, [2]string{"code", strconv.Itoa(code)})
		level := slog.LevelDebug
		if rt == PathWebhook || code >= 400 {
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "http request", slog.String("method", methodLabel(r.Method)), slog.String("route", rt),
			slog.Int("status", code), slog.Duration("duration", time.Since(start)))
	})
}

// methodLabel bounds the method logged (a client may send any token).
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

type sinkCalledKey struct{}

// webhookCounter counts notifications by outcome: accepted and duplicate come
// from the sink; every other answer is a rejection by reason, or "ignored"
// (200 for another workspace, never reaching the sink).
func (s *Server) webhookCounter(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called := new(bool)
		r = r.WithContext(context.WithValue(r.Context(), sinkCalledKey{}, called))
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		code := rec.code()
		if code == http.StatusOK {
			if !*called {
				s.metrics.Add(MetricWebhookNotifications, 1, [2]string{"result", "ignored"})
			}
			return
		}
		s.metrics.Add(MetricWebhookRejected, 1, [2]string{"reason", rejectReason(code, *called)})
	})
}

// rejectReason maps webhook.Handler's answers to a reason label.
func rejectReason(code int, sinkCalled bool) string {
	switch code {
	case http.StatusMethodNotAllowed:
		return "method"
	case http.StatusUnsupportedMediaType:
		return "content_type"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnauthorized:
		return "signature"
	case http.StatusBadRequest:
		return "malformed"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusInternalServerError:
		if sinkCalled {
			return "store_failed"
		}
		return "not_configured"
	}
	return "other"
}

// countingSink counts accepted and duplicate notifications.
type countingSink struct {
	sink webhook.Sink
	m    *Metrics
}

func (c *countingSink) Accept(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
	if p, ok := ctx.Value(sinkCalledKey{}).(*bool); ok {
		*p = true
	}
	dup, err := c.sink.Accept(ctx, n, raw)
	switch {
	case err != nil:
	case n.ID == "":
		c.m.Add(MetricWebhookNotifications, 1, [2]string{"result", "ping"})
	case dup:
		c.m.Add(MetricWebhookNotifications, 1, [2]string{"result", "duplicate"})
	default:
		c.m.Add(MetricWebhookNotifications, 1, [2]string{"result", "accepted"})
	}
	return dup, err
}
