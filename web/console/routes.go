package console

import (
	"net/http"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// The role sets of the route table, the same as the API's for the same
// action (web/api Routes).
var (
	// everyone signed in: the dashboard, the request list and pages (an
	// auditor sees them without identifiers or notes), the metrics report.
	everyone = authz.Roles
	// workers file and work requests, and read identifiers and notes.
	workers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAgent}
	// officers approve erasures (never their own: the workflow refuses the
	// filer), download packages and keep legal holds; an administrator works
	// requests like a privacy officer.
	officers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer}
	// readers check: the audit trail, its verification and export, retention.
	readers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAuditor}
	// admins manage users.
	admins = []authz.Role{authz.RoleAdmin}
	// privacyOfficers only read an authorised agent's signed permission.
	privacyOfficers = []authz.Role{authz.RolePrivacyOfficer}
)

// Route patterns the pages link or post to; the table below is the only
// place each is bound to a handler and its roles. The server keeps /metrics
// (Prometheus), /healthz, /readyz and the webhook for itself: the request
// metrics report lives under /reports/.
const (
	routeDashboard   = "GET /{$}"
	routeList        = "GET /requests"
	routeSearch      = "POST /requests/search"
	routeNewForm     = "GET /requests/new"
	routeFile        = "POST /requests"
	routeRequest     = "GET /requests/{id}"
	routeProgress    = "GET /requests/{id}/progress"
	routeVerify      = "POST /requests/{id}/verify"
	routeExtend      = "POST /requests/{id}/extend"
	routeDeny        = "POST /requests/{id}/deny"
	routeCancel      = "POST /requests/{id}/cancel"
	routeApprove     = "POST /requests/{id}/approve"
	routeReject      = "POST /requests/{id}/reject"
	routeNote        = "POST /requests/{id}/notes"
	routeAssign      = "POST /requests/{id}/assignee"
	routePackage     = "GET /requests/{id}/package"
	routeAgentDoc    = "GET /requests/{id}/agent-permission"
	routeAgentDecide = "POST /requests/{id}/agent-permission"
	routeAudit       = "GET /audit"
	routeVerifyLog   = "GET /audit/verify"
	routeExportLog   = "GET /audit/export"
	routeRetention   = "GET /retention"
	routeHoldAdd     = "POST /retention/holds"
	routeHoldFree    = "POST /retention/holds/{id}/release"
	routeMetrics     = "GET /reports/requests"
	routeMetricsCSV  = "GET /reports/requests.csv"
	routeMetricsJS   = "GET /reports/requests.json"
	routeUsers       = "GET /users"
	routeUserAdd     = "POST /users"
	routeUserOff     = "POST /users/{id}/disable"

	routeRedactions    = "GET /redactions"
	routeRedactPropose = "POST /redactions"
	routeRedactApprove = "POST /redactions/{conversation}/{part}/approve"
	routeRedactReject  = "POST /redactions/{conversation}/{part}/reject"
	routePassword      = "GET /account/password"
	routePasswordGo    = "POST /account/password"
)

// table is the console's route table (web/httpx rows): every route, its
// roles, its handler; AuditDenied where a refused attempt is recorded in the
// audit trail. httpx.Register refuses a row without a role; the tests walk
// the table for every role.
func (h *Handler) table() []httpx.Route {
	row := func(pattern string, roles []authz.Role, f http.HandlerFunc) httpx.Route {
		return httpx.Route{Pattern: pattern, Roles: roles, Handler: f}
	}
	audited := func(pattern string, roles []authz.Role, f http.HandlerFunc) httpx.Route {
		return httpx.Route{Pattern: pattern, Roles: roles, Handler: f, AuditDenied: true}
	}
	return []httpx.Route{
		row(routeDashboard, everyone, h.dashboard),
		row(routeList, everyone, h.requestList),
		audited(routeSearch, workers, h.requestSearch),
		row(routeNewForm, workers, h.newRequestForm),
		row(routeFile, workers, h.fileRequest),
		row(routeRequest, everyone, h.requestPage),
		row(routeProgress, everyone, h.requestProgress),
		row(routeVerify, workers, h.verify),
		row(routeExtend, workers, h.extend),
		row(routeDeny, workers, h.deny),
		row(routeCancel, workers, h.cancel),
		audited(routeApprove, officers, h.approve),
		audited(routeReject, officers, h.reject),
		row(routeNote, workers, h.addNote),
		row(routeAssign, workers, h.assign),
		audited(routePackage, officers, h.downloadPackage),
		audited(routeAgentDoc, privacyOfficers, h.downloadAgentPermission),
		audited(routeAgentDecide, officers, h.decideAgent),
		row(routeAudit, readers, h.auditPage),
		row(routeVerifyLog, readers, h.auditVerify),
		audited(routeExportLog, readers, h.auditExport),
		row(routeRetention, readers, h.retentionPage),
		audited(routeHoldAdd, officers, h.addHold),
		audited(routeHoldFree, officers, h.releaseHold),
		row(routeMetrics, everyone, h.metricsPage),
		row(routeMetricsCSV, everyone, h.metricsCSV),
		row(routeMetricsJS, everyone, h.metricsJSON),
		row(routeUsers, admins, h.usersPage),
		audited(routeUserAdd, admins, h.addUser),
		audited(routeUserOff, admins, h.disableUser),
		row(routeRedactions, everyone, h.redactionsPage),
		audited(routeRedactPropose, workers, h.proposeRedactions),
		audited(routeRedactApprove, officers, h.approveRedaction),
		audited(routeRedactReject, officers, h.rejectRedaction),
		// Everyone signed in changes their own password (the current one
		// checked, throttled like a sign-in).
		row(routePassword, everyone, h.accountForm),
		row(routePasswordGo, everyone, h.changePassword),
	}
}
