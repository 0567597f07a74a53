// Package api is the REST API under /api/v1: requests (list, search, file,
// show, act on, download the package), the audit trail (verify, export), the
// retention policy, runs and legal holds, the yearly metrics and the OpenAPI
// document that describes every route.
//
// It is thin: every handler decodes its input strictly, calls a workflow
// (dsar.Service, retention.Runner, metrics, audit) and encodes the answer;
// no handler writes to the store itself, so every change comes with its audit
// record. Who may call what is one table (Routes), each row wrapped by
// httpx.RequireRole; who the caller is comes from the authentication
// middleware given in Options (package web/auth in production), which puts an
// authz.Principal in the request's context. The actor of every audit record a
// call leaves is that principal ("user:<id>").
package api

import (
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// OpenAPI is the API's OpenAPI 3 document, served at GET /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Options configure the handler.
type Options struct {
	// Authenticate puts the caller's authz.Principal in the request context
	// (or leaves it out: the route then answers 401). Required: an API
	// without authentication is refused.
	Authenticate func(http.Handler) http.Handler
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxBody limits a JSON request body (DefaultMaxBody when 0).
	MaxBody int64
}

// DefaultMaxBody is the largest JSON body accepted.
const DefaultMaxBody = 64 << 10

// ErrNoAuthentication: New was given no authentication middleware.
var ErrNoAuthentication = errors.New("api: no authentication middleware: the API never serves anonymous callers")

// Handler serves the API; build it with New.
type Handler struct {
	app  *app.App
	dsar *dsar.Service
	log  *slog.Logger
	now  func() time.Time
	max  int64
	mux  *http.ServeMux
	h    http.Handler
}

// New builds the API on a. It fails when a route of the table is malformed
// (a row without roles, say) or no authentication is given, so serve refuses
// to start rather than serve an open route.
func New(a *app.App, o Options) (*Handler, error) {
	if o.Authenticate == nil {
		return nil, ErrNoAuthentication
	}
	h := &Handler{app: a, dsar: a.DSAR, log: o.Logger, now: o.Now, max: o.MaxBody, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.max <= 0 {
		h.max = DefaultMaxBody
	}
	if err := httpx.Register(h.mux, h.Routes(), httpx.AuditDenied(h.app.Store, h.app.Chain, h.log), server.SetRoute); err != nil {
		return nil, err
	}
	// Anything else under the prefix: a problem, not the mux's text 404.
	h.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindNotFound, "no such route in /api/v1: see /api/v1/openapi.json"))
	})
	h.h = httpx.SecurityHeaders(o.Authenticate(h.mux))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

var (
	everyone = authz.Roles
	workers  = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAgent}
	officers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer}
	readers  = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAuditor}
)

// Routes is the API's route table: every route with the roles allowed.
// Admins work requests like privacy officers; agents file and work requests
// but cannot approve an erasure or download a package; auditors read
// requests (never notes or identifiers), the audit trail, retention and
// metrics.
func (h *Handler) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/openapi.json", Roles: everyone, Handler: http.HandlerFunc(h.openapi)},
		{Pattern: "GET /api/v1/requests", Roles: everyone, Handler: http.HandlerFunc(h.listRequests)},
		{Pattern: "GET /api/v1/requests/search", Roles: workers, Handler: http.HandlerFunc(h.searchRequests), AuditDenied: true},
		{Pattern: "POST /api/v1/requests", Roles: workers, Handler: http.HandlerFunc(h.createRequest)},
		{Pattern: "GET /api/v1/requests/{id}", Roles: everyone, Handler: http.HandlerFunc(h.getRequest)},
		{Pattern: "GET /api/v1/requests/{id}/notes", Roles: workers, Handler: http.HandlerFunc(h.listNotes)},
		{Pattern: "GET /api/v1/requests/{id}/plan", Roles: workers, Handler: http.HandlerFunc(h.planErasure)},
		{Pattern: "POST /api/v1/requests/{id}/verify", Roles: workers, Handler: http.HandlerFunc(h.verify)},
		{Pattern: "POST /api/v1/requests/{id}/extend", Roles: workers, Handler: http.HandlerFunc(h.extend)},
		{Pattern: "POST /api/v1/requests/{id}/deny", Roles: workers, Handler: http.HandlerFunc(h.deny)},
		{Pattern: "POST /api/v1/requests/{id}/cancel", Roles: workers, Handler: http.HandlerFunc(h.cancel)},
		{Pattern: "POST /api/v1/requests/{id}/approve", Roles: officers, Handler: http.HandlerFunc(h.approve), AuditDenied: true},
		{Pattern: "POST /api/v1/requests/{id}/reject", Roles: officers, Handler: http.HandlerFunc(h.reject), AuditDenied: true},
		{Pattern: "POST /api/v1/requests/{id}/assign", Roles: workers, Handler: http.HandlerFunc(h.assign)},
		{Pattern: "POST /api/v1/requests/{id}/note", Roles: workers, Handler: http.HandlerFunc(h.note)},
		{Pattern: "POST /api/v1/requests/{id}/appeal", Roles: workers, Handler: http.HandlerFunc(h.appeal)},
		{Pattern: "POST /api/v1/requests/{id}/decide", Roles: officers, Handler: http.HandlerFunc(h.decide), AuditDenied: true},
		{Pattern: "POST /api/v1/requests/{id}/unrestrict", Roles: officers, Handler: http.HandlerFunc(h.unrestrict), AuditDenied: true},
		{Pattern: "GET /api/v1/requests/{id}/package", Roles: officers, Handler: http.HandlerFunc(h.downloadPackage), AuditDenied: true},
		{Pattern: "GET /api/v1/audit/verify", Roles: readers, Handler: http.HandlerFunc(h.auditVerify)},
		{Pattern: "GET /api/v1/audit/export", Roles: readers, Handler: http.HandlerFunc(h.auditExport), AuditDenied: true},
		{Pattern: "GET /api/v1/retention", Roles: readers, Handler: http.HandlerFunc(h.retentionShow)},
		{Pattern: "POST /api/v1/retention/holds", Roles: officers, Handler: http.HandlerFunc(h.addHold), AuditDenied: true},
		{Pattern: "POST /api/v1/retention/holds/{id}/release", Roles: officers, Handler: http.HandlerFunc(h.releaseHold), AuditDenied: true},
		{Pattern: "GET /api/v1/metrics/requests", Roles: everyone, Handler: http.HandlerFunc(h.metricsRequests)},
	}
}

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
}

// retentionRunner acts as the caller (its context's Principal).
func (h *Handler) retentionRunner() *retention.Runner { return h.app.Retention("server") }
