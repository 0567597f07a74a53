// Package console is the privacy team's web console: server-rendered pages on
// the workflows (dsar, retention, audit) for the people who run, approve and
// check data subject requests.
//
// A Handler holds the services it calls and one method per page (one file per
// page: dashboard.go, requests.go, request.go, ...). Every route is a row of one
// table (Routes) naming the roles allowed; a row without a role stops New. The
// console authenticates nobody: it sits behind a middleware (package web/auth)
// that puts an authz.Principal in the request's context, and reads it. Signed
// out, a page redirects to the sign-in page and a form post answers 401; a
// role the row does not name gets 403.
//
// Templates are embedded, parsed once by New (an error stops `serve` at
// start), filled from a typed struct per page, and rendered into a buffer
// before anything is written. Pages carry no inline script or style (the
// Content-Security-Policy allows neither) and need no JavaScript: every action
// is a form that posts to the console, which calls the same workflow the CLI
// and the API call, then redirects (post/redirect/get). Cross-site posts are
// refused by http.CrossOriginProtection.
package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Options are the services the console calls. DSAR, Store, Retention and
// Audit are required; the others may be nil, and the pages that need them
// say the feature is not available.
type Options struct {
	// DSAR files and changes requests; its Actor is replaced, per request,
	// by the signed-in user's (authz.Principal.Actor).
	DSAR *dsar.Service
	// Store is read for what dsar does not show (steps, blobs, notices); the
	// console never writes to it directly (every write needs its audit
	// record, which the workflows write).
	Store store.Store
	// Retention lists runs, previews the next and keeps legal holds; its
	// Actor is replaced per request like DSAR's.
	Retention *retention.Runner
	// Policy is the retention policy in force.
	Policy retention.Policy
	// Audit verifies and exports the audit trail and reads a request's
	// timeline.
	Audit AuditTrail
	// Enqueue queues a verified request for the workers (nil: requests are
	// filed and verified, and a worker queues them on start).
	Enqueue func(ctx context.Context, requestID string) error
	// Approve records a privacy officer's approval of an erasure (four eyes);
	// nil while the workflow has none, and the page offers no approval.
	Approve func(ctx context.Context, requestID string) (store.Request, error)
	// Notes keeps a request's notes and assignee (nil: not available).
	Notes NoteBook
	// Metrics produces the yearly request metrics (nil: not available).
	Metrics MetricsSource
	// Users lists, adds and disables console users (nil: not available).
	Users UserDirectory
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// SignInPath is where a signed-out browser is sent ("/sign-in" when
	// empty); the page asked for is passed as ?next=.
	SignInPath string
}

// Handler serves the console. Build it with New.
type Handler struct {
	Options
	views  *views
	assets *assetSet
	routes []Route
	mux    *http.ServeMux
	served http.Handler
}

// Route is one row of the console's route table: a ServeMux pattern
// ("GET /requests/{id}"), the roles allowed, and the handler.
type Route struct {
	Pattern string
	Roles   []authz.Role
	Handler http.HandlerFunc
}

// Method and Path split the pattern.
func (r Route) Method() string { m, _, _ := strings.Cut(r.Pattern, " "); return m }

// Path is the pattern's path part.
func (r Route) Path() string { _, p, _ := strings.Cut(r.Pattern, " "); return p }

// ErrConfig is returned by New for missing services or a route table that
// does not hold together.
var ErrConfig = errors.New("console: invalid configuration")

// New checks the options, parses every template and builds the routes. A
// template that does not parse, or a route without a role, is an error: serve
// fails at start rather than on the first page view.
func New(o Options) (*Handler, error) {
	switch {
	case o.DSAR == nil:
		return nil, fmt.Errorf("%w: DSAR is required", ErrConfig)
	case o.Store == nil:
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	case o.Retention == nil:
		return nil, fmt.Errorf("%w: Retention is required", ErrConfig)
	case o.Audit == nil:
		return nil, fmt.Errorf("%w: Audit is required", ErrConfig)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SignInPath == "" {
		o.SignInPath = "/sign-in"
	}
	h := &Handler{Options: o}
	var err error
	if h.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if h.views, err = parseViews(templateFS, h.assets); err != nil {
		return nil, err
	}
	h.routes = h.table()
	h.mux = http.NewServeMux()
	h.mux.Handle("GET "+assetPrefix+"{name}", http.HandlerFunc(h.asset))
	seen := map[string]bool{}
	for _, rt := range h.routes {
		if len(rt.Roles) == 0 {
			return nil, fmt.Errorf("%w: route %q has no role", ErrConfig, rt.Pattern)
		}
		for _, role := range rt.Roles {
			if !role.Valid() {
				return nil, fmt.Errorf("%w: route %q names unknown role %q", ErrConfig, rt.Pattern, role)
			}
		}
		if seen[rt.Pattern] {
			return nil, fmt.Errorf("%w: route %q registered twice", ErrConfig, rt.Pattern)
		}
		seen[rt.Pattern] = true
		h.mux.Handle(rt.Pattern, h.requireRole(rt))
	}
	h.mux.Handle("/", http.HandlerFunc(h.notFound))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusForbidden, "Cross-site request refused",
			"This form was sent from another site, so nothing was changed. Open the console and submit it from there.")
	}))
	h.served = securityHeaders(cop.Handler(h.mux))
	return h, nil
}

// Routes returns the route table (a copy).
func (h *Handler) Routes() []Route { return slices.Clone(h.routes) }

// Handler returns the console with its security headers and cross-origin
// protection. Mount it behind the authentication middleware.
func (h *Handler) Handler() http.Handler { return h.served }

// ServeHTTP serves h.Handler().
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.served.ServeHTTP(w, r) }

// requireRole lets a request through to rt's handler only with a principal
// whose role rt names. Signed out: a page redirects to the sign-in page, any
// other request gets 401. Wrong role: 403 (logged with the user id, never an
// email).
func (h *Handler) requireRole(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authz.PrincipalFrom(r.Context())
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, h.SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.fail(w, r, http.StatusUnauthorized, "Sign in first", "Your session has ended. Sign in again; nothing was changed.")
			return
		}
		if !p.Has(rt.Roles...) {
			h.Logger.Warn("console: role refused", "user_id", p.UserID, "role", string(p.Role), "route", rt.Pattern)
			h.fail(w, r, http.StatusForbidden, "Not allowed",
				"Your role ("+roleName(p.Role)+") may not do this. Ask an administrator if you need it.")
			return
		}
		rt.Handler(w, r)
	})
}

// allowed reports whether role may use the route with pattern.
func (h *Handler) allowed(role authz.Role, pattern string) bool {
	for _, rt := range h.routes {
		if rt.Pattern == pattern {
			return slices.Contains(rt.Roles, role)
		}
	}
	return false
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// principal returns the request's principal (requireRole ran first).
func principal(r *http.Request) authz.Principal {
	p, _ := authz.PrincipalFrom(r.Context())
	return p
}

// dsarFor returns the dsar service acting as the request's principal, so that
// its audit records name the user ("user:<id>").
func (h *Handler) dsarFor(r *http.Request) *dsar.Service {
	s := *h.DSAR
	s.Actor = authz.ActorFrom(r.Context(), h.DSAR.Actor)
	return &s
}

// retentionFor returns the retention runner acting as the request's principal.
func (h *Handler) retentionFor(r *http.Request) *retention.Runner {
	rr := *h.Retention
	rr.Actor = authz.ActorFrom(r.Context(), h.Retention.Actor)
	return &rr
}

// notFound answers a path no route matches.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
}

// securityHeaders sets the headers every console answer carries: a strict
// Content-Security-Policy (no inline script or style, nothing from another
// origin, no framing), no MIME sniffing, no referrer, and no caching of pages
// that may show personal data (assets override it).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is the console's policy: its own stylesheet, no
// script at all, forms that post only to itself, no framing.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// renderTo executes t into a buffer and writes it with status; an error while
// executing writes nothing of the page (500, logged).
func (h *Handler) renderTo(w http.ResponseWriter, r *http.Request, status int, exec func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := exec(&buf); err != nil {
		h.Logger.Error("console: render", "path", r.URL.Path, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// redirect ends a successful form post: 303 to the page to show, with a
// fixed message key (never data) in ?done=.
func redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func principalOK(r *http.Request) (authz.Principal, bool) { return authz.PrincipalFrom(r.Context()) }
