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
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/metrics"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Options are the services the console calls. DSAR, Retention and Audit are
// required; Users may be nil, and the users page then says the feature is not
// available.
type Options struct {
	// DSAR files, shows and changes requests. It acts as the request
	// context's authz.Principal ("user:<id>" in the audit trail).
	DSAR *dsar.Service
	// Retention lists runs, previews the next and keeps legal holds (it too
	// acts as the context's Principal).
	Retention *retention.Runner
	// Policy is the retention policy in force.
	Policy retention.Policy
	// Audit verifies and exports the audit trail.
	Audit AuditTrail
	// Metrics computes the yearly requests report (package metrics); nil:
	// not available.
	Metrics func(ctx context.Context, year int) (metrics.Report, error)
	// Users lists, adds and disables accounts (nil: not available).
	Users *users.Service
	// Scan proposes and decides redactions of conversation parts (the
	// redactions page; nil: not available).
	Scan *scan.Redactor
	// Denied records a refused attempt on a route that audits refusals
	// (approving, downloading a package, ...); nil: an access.denied audit
	// record through DSAR's store and chain.
	Denied httpx.Denied
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// SignInPath is where a signed-out browser is sent (web/auth's sign-in,
	// "/auth/signin", when empty); the page asked for is passed as ?next=.
	SignInPath string
	// SignOutPath is where the sign-out button posts ("/auth/signout" when
	// empty).
	SignOutPath string
}

// Handler serves the console. Build it with New.
type Handler struct {
	Options
	views  *views
	assets *assetSet
	routes []httpx.Route
	mux    *http.ServeMux
	served http.Handler
}

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
	case o.Retention == nil:
		return nil, fmt.Errorf("%w: Retention is required", ErrConfig)
	case o.Audit == nil:
		return nil, fmt.Errorf("%w: Audit is required", ErrConfig)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SignInPath == "" {
		o.SignInPath = "/auth/signin"
	}
	if o.SignOutPath == "" {
		o.SignOutPath = "/auth/signout"
	}
	h := &Handler{Options: o}
	if h.Denied == nil {
		h.Denied = httpx.AuditDenied(o.DSAR.Store, o.DSAR.Chain, o.Logger)
	}
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
	if err := httpx.Register(h.mux, h.routes, h.Denied, server.SetRoute); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	h.mux.Handle("/", http.HandlerFunc(h.notFound))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusForbidden, "Cross-site request refused",
			"This form was sent from another site, so nothing was changed. Open the console and submit it from there.")
	}))
	h.served = securityHeaders(cop.Handler(h.gate(h.mux)))
	return h, nil
}

// Routes returns the route table (a copy).
func (h *Handler) Routes() []httpx.Route { return slices.Clone(h.routes) }

// Handler returns the console with its security headers and cross-origin
// protection. Mount it behind the authentication middleware.
func (h *Handler) Handler() http.Handler { return h.served }

// ServeHTTP serves h.Handler().
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.served.ServeHTTP(w, r) }

// gate answers, as pages, for the route the request is for: signed out, a
// page redirects to the sign-in page and any other request gets 401; a role
// the route does not name gets 403 (recorded through Denied where the route
// audits refusals). httpx.RequireRole, which Register wraps every route in,
// checks again behind it; it answers in problem+json, which a browser should
// never need to show.
func (h *Handler) gate(next http.Handler) http.Handler {
	byPattern := map[string]httpx.Route{}
	for _, rt := range h.routes {
		byPattern[rt.Pattern] = rt
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := h.mux.Handler(r)
		rt, ok := byPattern[pattern]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		p, signedIn := authz.PrincipalFrom(r.Context())
		switch {
		case !signedIn && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			http.Redirect(w, r, h.SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case !signedIn:
			h.fail(w, r, http.StatusUnauthorized, "Sign in first", "Your session has ended. Sign in again; nothing was changed.")
		case !p.Has(rt.Roles...):
			if rt.AuditDenied {
				h.Denied(r.Context(), p, rt.Pattern)
			}
			h.Logger.Warn("console: role refused", "user_id", p.UserID, "role", string(p.Role), "route", rt.Pattern)
			h.fail(w, r, http.StatusForbidden, "Not allowed",
				"Your role ("+roleName(p.Role)+") may not do this. Ask an administrator if you need it.")
		default:
			next.ServeHTTP(w, r)
		}
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

// notFound answers a path no route matches.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
}

// securityHeaders are httpx's with the console's policy: its own stylesheet
// and script files, never an inline script or style. Asset answers override
// Cache-Control.
var securityHeaders = httpx.Headers(httpx.ConsolePolicy)

// ContentSecurityPolicy is the console's policy (httpx.ConsolePolicy): its
// own stylesheet and script files (the live progress of a running request),
// fetches only to itself, forms that post only to itself, no framing.
const ContentSecurityPolicy = httpx.ConsolePolicy

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
