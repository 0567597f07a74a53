package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a sandbox workspace and the HTTP handler that serves it. It is safe for
// concurrent use.
type Server struct {
	opts   Options
	ws     *Workspace
	mux    *http.ServeMux
	stats  *statsRec
	sample Person
	hooks  *webhooks

	faultMu  sync.Mutex
	faultRNG *rng

	rlMu       sync.Mutex
	rlWindow   int64
	rlCount    int
	burstCount int
}

// New generates the workspace for opts and returns its server. Generation is
// deterministic for (opts.Seed, opts.Contacts).
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("sandbox: generating a token: %w", err)
		}
		o.Token = "sbx_" + hex.EncodeToString(b)
	}
	s := &Server{
		opts:     o,
		ws:       generate(o.Seed, o.Contacts, o.Now().Truncate(time.Second), o.ContactsOnly),
		stats:    newStatsRec(),
		faultRNG: newRNG(o.Seed, 0xfa17),
	}
	s.sample = s.ws.addPerson(samplePersonSpec, s.ws.anchor.Unix())
	if o.Fixtures != nil {
		if err := o.Fixtures.check(); err != nil {
			return nil, err
		}
		if err := s.ws.addFixtures(o.Fixtures, s.ws.anchor.Unix()); err != nil {
			return nil, err
		}
	}
	if o.Webhook != nil {
		s.hooks = newWebhooks(*o.Webhook, s.ws.appID, s.stats, o.Now)
	}
	s.routes()
	return s, nil
}

// Close stops webhook delivery (pending notifications are dropped). The handler keeps
// answering requests.
func (s *Server) Close() error {
	if s.hooks != nil {
		s.hooks.close()
	}
	return nil
}

// Handler returns the HTTP handler serving the workspace's API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Token returns the access token the sandbox accepts. Treat it as a secret.
func (s *Server) Token() string { return s.opts.Token }

// Stats returns a snapshot of the calls served and effects made so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Workspace returns read-only views of the workspace's data.
func (s *Server) Workspace() *Workspace { return s.ws }

// SamplePerson returns the demo's and the DSAR tests' subject: a user and a lead sharing
// an email, an archived contact known by id, a merged lead, conversations (one shared
// with another customer), tickets, notes and events, some older than 90 days.
func (s *Server) SamplePerson() Person { return s.sample }

// AddPerson adds a person described by spec to the workspace and returns where their
// data lives. It is deterministic for the server's seed and the sequence of calls.
func (s *Server) AddPerson(spec PersonSpec) Person {
	p := s.ws.addPerson(spec, s.opts.Now().Unix())
	if s.hooks != nil {
		for _, id := range p.ContactIDs {
			if c, ok := s.ws.Contact(id); ok {
				s.hooks.send("contact."+c.Role+".created", contactItem(&c))
			}
		}
	}
	return p
}

type ctxKey int

const (
	ctxVersion ctxKey = iota
	ctxRequestID
)

// version is a parsed Intercom-Version: major*100+minor, Preview sorts after all.
type version int

const previewVersion version = 9999

func parseVersion(s string) (version, bool) {
	switch s {
	case "Preview", "Unstable":
		return previewVersion, true
	}
	maj, min, ok := strings.Cut(s, ".")
	if !ok {
		return 0, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || len(min) > 2 {
		return 0, false
	}
	switch {
	case a == 1 && b >= 0 && b <= 4, a == 2 && b >= 0 && b <= 16:
		return version(a*100 + b), true
	}
	return 0, false
}

func versionOf(r *http.Request) version {
	if v, ok := r.Context().Value(ctxVersion).(version); ok {
		return v
	}
	v, _ := parseVersion(DefaultVersion)
	return v
}

func requestIDOf(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID).(string)
	return id
}

// minVersion is the first version that has an endpoint (200 = 2.0).
var minVersion = map[string]version{
	"GET /me":                          100,
	"GET /events":                      100,
	"DELETE /conversations/{id}":       213,
	"GET /contacts/{id}/merge_history": 216,
	"DELETE /tickets/{id}":             213,
	"GET /contacts/{id}/segments":      200,
	"POST /contacts/{id}/unarchive":    200,
	"GET /download/content/data/{id}":  200,
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// buffer is the ResponseWriter handlers write to; the middleware decides afterwards
// whether the answer is delivered or the connection dropped.
type buffer struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (b *buffer) Header() http.Header { return b.h }
func (b *buffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *buffer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (s *Server) coin(p float64) bool {
	if p <= 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faultRNG.r.Float64() < p
}

func (s *Server) faultIntn(n int) int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faultRNG.intn(n)
}

// serve is the middleware every request passes: latency, drops, authentication, rate
// limit, injected errors, version check, then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	key := routeKey(pattern, withContactPathValues(r))
	reqID := newRequestID()
	buf := &buffer{h: http.Header{}}
	buf.h.Set("X-Request-Id", reqID)
	ctx := context.WithValue(r.Context(), ctxRequestID, reqID)
	r = r.WithContext(ctx)

	if d := s.opts.Latency; d > 0 || s.opts.LatencyJitter > 0 {
		if j := s.opts.LatencyJitter; j > 0 {
			d += time.Duration(s.faultIntn(int(j)))
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.stats.endpoint(key, func(e *EndpointStats) { e.Calls++; e.Dropped++ })
			return
		}
	}
	drop, dropAfter := s.coin(s.opts.DropRate), false
	if drop {
		dropAfter = s.faultIntn(2) == 1
	}
	if drop && !dropAfter {
		s.stats.endpoint(key, func(e *EndpointStats) { e.Calls++; e.Dropped++ })
		abort(w)
		return
	}

	s.handle(buf, r, key)

	if dropAfter {
		s.stats.endpoint(key, func(e *EndpointStats) { e.Calls++; e.Dropped++ })
		abort(w)
		return
	}
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	s.stats.endpoint(key, func(e *EndpointStats) {
		e.Calls++
		e.Status[status]++
		if status == http.StatusTooManyRequests {
			e.RateLimited++
		}
	})
	for k, v := range buf.h {
		w.Header()[k] = v
	}
	if buf.h.Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(buf.body.Len()))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.body.Bytes())
}

// abort closes the client's connection without an answer.
func abort(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// Not hijackable (HTTP/2, or a recorder): net/http's documented way to abort a
	// response; the server recovers it silently.
	panic(http.ErrAbortHandler)
}

func (s *Server) handle(w *buffer, r *http.Request, key string) {
	const bearer = "Bearer "
	auth := r.Header.Get("Authorization")
	if len(auth) <= len(bearer) || !strings.EqualFold(auth[:len(bearer)], bearer) ||
		subtle.ConstantTimeCompare([]byte(auth[len(bearer):]), []byte(s.opts.Token)) != 1 {
		writeError(w, r, http.StatusUnauthorized, "unauthorized", "Access Token Invalid")
		return
	}
	if !s.rateLimit(w, r) {
		return
	}
	if s.coin(s.opts.ErrorRate) {
		s.stats.endpoint(key, func(e *EndpointStats) { e.ServerErrors++ })
		switch s.faultIntn(3) {
		case 0:
			writeError(w, r, http.StatusInternalServerError, "server_error", "Server Error")
		case 1: // a proxy in front of the API answers with HTML
			w.h.Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"))
		default:
			writeError(w, r, http.StatusServiceUnavailable, "service_unavailable", "Sorry, the API service is temporarily unavailable")
		}
		return
	}
	v := version(0)
	if hv := r.Header.Get("Intercom-Version"); hv != "" {
		var ok bool
		if v, ok = parseVersion(hv); !ok {
			writeError(w, r, http.StatusBadRequest, "intercom_version_invalid", "The requested version could not be found.")
			return
		}
	} else {
		v, _ = parseVersion(DefaultVersion)
	}
	if key != "UNMATCHED" {
		need, ok := minVersion[key]
		if !ok {
			need = 200
		}
		if v < need {
			writeError(w, r, http.StatusBadRequest, "intercom_version_invalid", "Requested resource is not available in current API version.")
			return
		}
	}
	if key == "UNMATCHED" || !cleanPath(r.URL.EscapedPath()) {
		// Answered here rather than by the mux, which would redirect an unclean path
		// (an empty, non-JSON answer) instead of answering in Intercom's envelope.
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	if !acceptable(r, key) {
		mt, _ := produces(key)
		writeError(w, r, http.StatusNotAcceptable, "not_acceptable", "This endpoint answers "+mt+", which the Accept header excludes")
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxVersion, v))
	s.mux.ServeHTTP(w, r) // sets the path values
}

// rateLimit counts the request against the current window and sets the
// X-RateLimit-* headers; it answers 429 and returns false when the budget is spent or
// a forced burst is running.
func (s *Server) rateLimit(w *buffer, r *http.Request) bool {
	limit := s.opts.RateLimit
	b := s.opts.Burst429
	bursts := b.Every > 0 && b.Length > 0
	if limit < 0 && !bursts {
		return true
	}
	now := s.opts.Now()
	win := int64(s.opts.Window)
	idx := now.UnixNano() / win
	s.rlMu.Lock()
	if idx != s.rlWindow {
		s.rlWindow, s.rlCount = idx, 0
	}
	s.rlCount++
	count := s.rlCount
	forced := false
	if bursts {
		s.burstCount++
		forced = (s.burstCount-1)%(b.Every+b.Length) >= b.Every
	}
	s.rlMu.Unlock()
	shown := limit
	if limit < 0 { // bursts only: report a budget that the bursts pretend to exhaust
		shown, count = b.Every, 0
	}
	resetNs := (idx + 1) * win
	reset := (resetNs + int64(time.Second) - 1) / int64(time.Second)
	remaining := max(shown-count, 0)
	if forced {
		remaining = 0
	}
	w.h.Set("X-RateLimit-Limit", strconv.Itoa(shown))
	w.h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if (limit >= 0 && count > limit) || forced {
		writeError(w, r, http.StatusTooManyRequests, "rate_limit_exceeded",
			fmt.Sprintf("Exceeded rate limit of %d in %s", shown, windowText(s.opts.Window)))
		return false
	}
	return true
}

func windowText(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "_seconds"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "_milliseconds"
}

type apiError struct {
	Code    string  `json:"code"`
	Message *string `json:"message,omitempty"`
	Field   *string `json:"field,omitempty"`
}

type errorList struct {
	Type      string     `json:"type"`
	RequestID *string    `json:"request_id"`
	Errors    []apiError `json:"errors"`
}

// writeError writes Intercom's error.list envelope. Messages never echo request
// values, so no personal data ends up in them.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	writeErrorField(w, r, status, code, msg, "")
}

func writeErrorField(w http.ResponseWriter, r *http.Request, status int, code, msg, field string) {
	e := apiError{Code: code}
	if msg != "" {
		e.Message = &msg
	}
	if field != "" {
		e.Field = &field
	}
	var rid *string
	if id := requestIDOf(r); id != "" {
		rid = &id
	}
	writeJSON(w, status, errorList{Type: "error.list", RequestID: rid, Errors: []apiError{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own types are marshalled; this is a bug, not bad input
		b = []byte(`{"type":"error.list","request_id":null,"errors":[{"code":"server_error","message":"Server Error"}]}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// cleanPath reports whether p is an absolute path without empty, "." or ".."
// segments (a trailing slash is allowed).
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// withContactPathValues returns r with the path values of GET /contacts/{id}/{sub} set
// as the mux will set them, so routeKey can name the endpoint before the handler runs.
func withContactPathValues(r *http.Request) *http.Request {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 3 && parts[0] == "contacts" && r.Method == http.MethodGet {
		r2 := new(http.Request)
		*r2 = *r
		r2.SetPathValue("id", parts[1])
		r2.SetPathValue("sub", parts[2])
		return r2
	}
	return r
}
