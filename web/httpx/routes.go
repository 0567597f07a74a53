package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// PagePolicy is the Content-Security-Policy of the server-rendered surfaces
// (console, sign-in, the public form): their own stylesheet and images, no
// script at all, forms that post only to the server, no framing.
const PagePolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// ConsolePolicy is PagePolicy with the console's own script files and
// fetches to itself allowed (script-src and connect-src 'self'): the request
// page's live progress (a served file, never an inline script). Every page
// works without it.
const ConsolePolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// APIPolicy is the policy of the API's answers (and its OpenAPI document).
const APIPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Headers returns the middleware that sets, on every answer, the given
// Content-Security-Policy, nosniff, no framing, no referrer (a link may carry
// a token), a separate browsing context, and no caching of answers that may
// hold personal data (an asset handler may override Cache-Control). Every web
// surface takes its headers from here, so they differ only in their policy.
func Headers(policy string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			hd.Set("Content-Security-Policy", policy)
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
			hd.Set("Cache-Control", "no-store")
			h.ServeHTTP(w, r)
		})
	}
}

// SecurityHeaders is Headers(APIPolicy).
func SecurityHeaders(h http.Handler) http.Handler { return Headers(APIPolicy)(h) }

// Route is one row of a surface's route table: a ServeMux pattern with its
// method ("GET /api/v1/requests/{id}"), the roles allowed, and the handler.
type Route struct {
	Pattern string
	Roles   []authz.Role
	Handler http.Handler
	// AuditDenied records a refused attempt (403) in the audit trail: set on
	// the routes where an attempt matters (approving, downloading a package).
	AuditDenied bool
}

// Denied is told of a refused attempt on a route with AuditDenied (the
// principal, the route's pattern); web/api writes it as an access.denied
// audit record.
type Denied func(ctx context.Context, p authz.Principal, pattern string)

// ErrRouteWithoutRole: a route table row names no role; registering it would
// leave a route open to every signed-in user by omission.
var ErrRouteWithoutRole = errors.New("httpx: a route without roles")

// Register adds every route of table to mux, each wrapped in RequireRole, and
// reports every route's pattern to the server's metrics (server.SetRoute
// through setRoute, when given). A row without roles, without a method in its
// pattern or with an unknown role fails: the surface refuses to start.
func Register(mux *http.ServeMux, table []Route, denied Denied, setRoute func(http.ResponseWriter, string)) error {
	for _, rt := range table {
		if len(rt.Roles) == 0 {
			return fmt.Errorf("%w: %s", ErrRouteWithoutRole, rt.Pattern)
		}
		for _, ro := range rt.Roles {
			if !ro.Valid() {
				return fmt.Errorf("httpx: route %s: unknown role %q", rt.Pattern, ro)
			}
		}
		if method, _, ok := strings.Cut(rt.Pattern, " "); !ok || method == "" {
			return fmt.Errorf("httpx: route %q has no method", rt.Pattern)
		}
		if rt.Handler == nil {
			return fmt.Errorf("httpx: route %s has no handler", rt.Pattern)
		}
		h := RequireRole(rt, denied)
		if setRoute != nil {
			pattern, inner := rt.Pattern, h
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				setRoute(w, pattern)
				inner.ServeHTTP(w, r)
			})
		}
		if err := handle(mux, rt.Pattern, h); err != nil {
			return err
		}
	}
	return nil
}

func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("httpx: route %s: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// RequireRole answers 401 when the request carries no authz.Principal (the
// authentication middleware found no valid session or token), 403 when the
// principal's role is not one of rt.Roles (telling denied, when the route
// audits refusals), and otherwise runs rt.Handler.
func RequireRole(rt Route, denied Denied) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authz.PrincipalFrom(r.Context())
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="intercom-privacy"`)
			Error(w, r, nil, Errorf(KindUnauth, "not signed in"))
			return
		}
		if !p.Has(rt.Roles...) {
			if rt.AuditDenied && denied != nil {
				denied(r.Context(), p, rt.Pattern)
			}
			Error(w, r, nil, Errorf(KindForbidden, "role not allowed"))
			return
		}
		rt.Handler.ServeHTTP(w, r)
	})
}

// AuditDenied returns the Denied that writes a refused attempt as an
// access.denied audit record, in a transaction of its own: who (the user id)
// and which route (its pattern, never the path). It is recorded even when the
// caller hangs up at once; a failure to record is logged.
func AuditDenied(st store.Store, chain *audit.Chain, log *slog.Logger) Denied {
	return func(ctx context.Context, p authz.Principal, pattern string) {
		ctx = context.WithoutCancel(ctx)
		err := st.InTx(ctx, func(tx store.Tx) error {
			_, err := chain.Append(ctx, tx, audit.Record{Actor: p.Actor(), Action: audit.ActionAccessDenied,
				Outcome: audit.OutcomeFailure, Reason: "role " + string(p.Role) + " refused: " + pattern})
			return err
		})
		if err != nil {
			log.WarnContext(ctx, "recording a refused attempt failed", slog.String("route", pattern), slog.String("error", err.Error()))
		}
	}
}
