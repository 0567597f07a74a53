package console

import (
	"github.com/intercom-privacy/intercom-privacy/authz"
)

// The role sets of the route table.
var (
	// everyone signed in: the dashboard, the request list and pages (an
	// auditor sees them without decrypted identifiers), retention.
	everyone = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAgent, authz.RoleAuditor}
	// workers file and work requests.
	workers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAgent}
	// officers download packages and keep legal holds.
	officers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer}
	// approvers approve an erasure filed by someone else (four eyes): a
	// privacy officer, and only one.
	approvers = []authz.Role{authz.RolePrivacyOfficer}
	// readers check: the audit trail, its verification and export, metrics.
	readers = []authz.Role{authz.RoleAdmin, authz.RolePrivacyOfficer, authz.RoleAuditor}
	// admins manage users.
	admins = []authz.Role{authz.RoleAdmin}
)

// Route patterns the pages link or post to; the table below is the only
// place each is bound to a handler and its roles. The server keeps /metrics
// (Prometheus), /healthz, /readyz and the webhook for itself: the request
// metrics report lives under /reports/.
const (
	routeDashboard  = "GET /{$}"
	routeList       = "GET /requests"
	routeSearch     = "POST /requests/search"
	routeNewForm    = "GET /requests/new"
	routeFile       = "POST /requests"
	routeRequest    = "GET /requests/{id}"
	routeVerify     = "POST /requests/{id}/verify"
	routeExtend     = "POST /requests/{id}/extend"
	routeDeny       = "POST /requests/{id}/deny"
	routeCancel     = "POST /requests/{id}/cancel"
	routeApprove    = "POST /requests/{id}/approve"
	routeNote       = "POST /requests/{id}/notes"
	routeAssign     = "POST /requests/{id}/assignee"
	routePackage    = "GET /requests/{id}/package"
	routeAudit      = "GET /audit"
	routeVerifyLog  = "GET /audit/verify"
	routeExportLog  = "GET /audit/export"
	routeRetention  = "GET /retention"
	routeHoldAdd    = "POST /retention/holds"
	routeHoldFree   = "POST /retention/holds/{id}/release"
	routeMetrics    = "GET /reports/requests"
	routeMetricsCSV = "GET /reports/requests.csv"
	routeMetricsJS  = "GET /reports/requests.json"
	routeUsers      = "GET /users"
	routeUserAdd    = "POST /users"
	routeUserOff    = "POST /users/{id}/disable"
)

// table is the console's route table: every route, its roles, its handler.
// New refuses a row without a role; the tests walk it for every role.
func (h *Handler) table() []Route {
	return []Route{
		{routeDashboard, everyone, h.dashboard},
		{routeList, everyone, h.requestList},
		{routeSearch, workers, h.requestSearch},
		{routeNewForm, workers, h.newRequestForm},
		{routeFile, workers, h.fileRequest},
		{routeRequest, everyone, h.requestPage},
		{routeVerify, workers, h.verify},
		{routeExtend, workers, h.extend},
		{routeDeny, workers, h.deny},
		{routeCancel, workers, h.cancel},
		{routeApprove, approvers, h.approve},
		{routeNote, workers, h.addNote},
		{routeAssign, workers, h.assign},
		{routePackage, officers, h.downloadPackage},
		{routeAudit, readers, h.auditPage},
		{routeVerifyLog, readers, h.auditVerify},
		{routeExportLog, readers, h.auditExport},
		{routeRetention, everyone, h.retentionPage},
		{routeHoldAdd, officers, h.addHold},
		{routeHoldFree, officers, h.releaseHold},
		{routeMetrics, readers, h.metricsPage},
		{routeMetricsCSV, readers, h.metricsCSV},
		{routeMetricsJS, readers, h.metricsJSON},
		{routeUsers, admins, h.usersPage},
		{routeUserAdd, admins, h.addUser},
		{routeUserOff, admins, h.disableUser},
	}
}
