package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
)

//go:embed templates/*.html
var templateFS embed.FS

// view is one page's template (the layout with the page's blocks), bound to
// the struct that fills it: render accepts nothing else.
type view[T any] struct {
	name string
	t    *template.Template
}

// views are every page of the console, parsed once by New.
type views struct {
	dashboard  view[dashboardPage]
	list       view[listPage]
	request    view[requestPage]
	newRequest view[newRequestPage]
	audit      view[auditPage]
	retention  view[retentionPage]
	metrics    view[metricsPage]
	users      view[usersPage]
	redactions view[redactionsPage]
	account    view[accountPage]
	error      view[errorPage]
}

// parseViews parses each page with the layout. A file in templates/ that no
// view uses is an error too, so a page cannot be added and forgotten.
func parseViews(fsys fs.FS, assets *assetSet) (*views, error) {
	funcs := template.FuncMap{
		"date":     fmtDate,
		"datetime": fmtDateTime,
		"role":     roleName,
		"count":    func(n int64) string { return strconv.FormatInt(n, 10) },
		"asset":    func(name string) string { return assets.url[name] },
		"days": func(d *float64) string {
			if d == nil {
				return "–"
			}
			return strconv.FormatFloat(*d, 'f', 1, 64)
		},
	}
	used := []string{"layout.html"}
	var err error
	parse := func(name string) *template.Template {
		if err != nil {
			return nil
		}
		used = append(used, name)
		var t *template.Template
		t, err = template.New(name).Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/"+name)
		if err == nil && t.Lookup("main") == nil {
			err = fmt.Errorf("template %s defines no \"main\" block", name)
		}
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return t
	}
	v := &views{}
	v.dashboard = view[dashboardPage]{"dashboard.html", parse("dashboard.html")}
	v.list = view[listPage]{"requests.html", parse("requests.html")}
	v.request = view[requestPage]{"request.html", parse("request.html")}
	v.newRequest = view[newRequestPage]{"request_new.html", parse("request_new.html")}
	v.audit = view[auditPage]{"audit.html", parse("audit.html")}
	v.retention = view[retentionPage]{"retention.html", parse("retention.html")}
	v.metrics = view[metricsPage]{"metrics.html", parse("metrics.html")}
	v.users = view[usersPage]{"users.html", parse("users.html")}
	v.redactions = view[redactionsPage]{"redactions.html", parse("redactions.html")}
	v.account = view[accountPage]{"account.html", parse("account.html")}
	v.error = view[errorPage]{"error.html", parse("error.html")}
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !slices.Contains(used, f[len("templates/"):]) {
			return nil, fmt.Errorf("%w: template %s is not used by any page", ErrConfig, f)
		}
	}
	return v, nil
}

// render fills v with data into a buffer and writes it with status.
func render[T any](h *Handler, w http.ResponseWriter, r *http.Request, status int, v view[T], data *T) {
	h.renderTo(w, r, status, func(b *bytes.Buffer) error { return v.t.ExecuteTemplate(b, "layout", data) })
}

// base is what the layout shows on every page.
type base struct {
	// Title is the page's title (and its h1).
	Title string
	// User is the signed-in user.
	User authz.Principal
	// Nav lists the pages the user's role may open.
	Nav []navItem
	// Done is the confirmation of the last action (fixed text).
	Done string
	// Stylesheet is the stylesheet's URL.
	Stylesheet string
	// Script is the URL of a script file the page loads (deferred), or
	// empty: only a running request's page has one (its live progress).
	Script string
	// SignOut is where the sign-out button posts.
	SignOut string
}

type navItem struct {
	Label, Href string
	Current     bool
}

// base builds the layout's data for the page current (a route pattern).
func (h *Handler) base(r *http.Request, title, current string) base {
	p := principal(r)
	b := base{Title: title, User: p, Stylesheet: h.assets.url["console.css"], Done: doneMessages[r.URL.Query().Get("done")],
		SignOut: h.SignOutPath}
	for _, n := range []struct{ label, href, route string }{
		{"Dashboard", "/", routeDashboard},
		{"Requests", "/requests", routeList},
		{"New request", "/requests/new", routeNewForm},
		{"Audit trail", "/audit", routeAudit},
		{"Retention", "/retention", routeRetention},
		{"Metrics", "/reports/requests", routeMetrics},
		{"Users", "/users", routeUsers},
		{"Redactions", "/redactions", routeRedactions},
	} {
		if h.allowed(p.Role, n.route) {
			b.Nav = append(b.Nav, navItem{Label: n.label, Href: n.href, Current: n.route == current})
		}
	}
	return b
}

// doneMessages are the confirmations a redirect after a form post may ask
// for (?done=key); anything else shows nothing.
var doneMessages = map[string]string{
	"filed":                "The request was filed, its requester's identity recorded as verified, and queued for the workers.",
	"filed_for_approval":   "The erasure was filed and its requester's identity recorded as verified; it now waits for a privacy officer other than you to approve it.",
	"filed_verify_failed":  "The request was filed, but recording the verification failed: verify it below.",
	"filed_enqueue_failed": "The request was filed and verified, but queueing it failed; a worker queues it when it starts.",
	"rejected":             "The erasure was not approved; it is back to received, with your reason in the audit trail.",
	"verified":             "The requester's identity is recorded as verified.",
	"extended":             "The deadline was extended. Tell the person why.",
	"denied":               "The request was denied with its legal basis.",
	"cancelled":            "The request was cancelled.",
	"approved":             "The erasure is approved and queued; the workers run it.",
	"noted":                "The note was added.",
	"assigned":             "The assignee was changed.",
	"password_changed":     "Your password was changed, and every other session of your account ended.",
	"held":                 "The legal hold is in force.",
	"released":             "The legal hold was released.",
	"user":                 "The user was added.",
	"disabled":             "The user was disabled and signed out.",
}

// roleName is a role as people read it.
func roleName(r authz.Role) string {
	switch r {
	case authz.RoleAdmin:
		return "administrator"
	case authz.RolePrivacyOfficer:
		return "privacy officer"
	case authz.RoleAgent:
		return "agent"
	case authz.RoleAuditor:
		return "auditor"
	}
	return "no role"
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2 Jan 2006")
}

func fmtDateTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// fmtRemaining says how long until a deadline, or how long past it.
func fmtRemaining(d time.Duration) string {
	days := int(d.Hours() / 24)
	switch {
	case d < 0 && days == 0:
		return "overdue today"
	case d < 0:
		return plural(-days, "day") + " overdue"
	case days == 0:
		return "due today"
	default:
		return "due in " + plural(days, "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
