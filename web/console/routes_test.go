package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestEveryRouteForEveryRole walks the route table: signed out, a page
// redirects to the sign-in page and a post answers 401; a role the row does
// not name gets 403; a role it names gets the page (200) or, for a post, the
// workflow's answer (never 401, 403 or 500). A completed access request
// gives the package route something to send.
func TestEveryRouteForEveryRole(t *testing.T) {
	b := setup(t, storetest.SQLite())
	ctx := context.Background()
	p := b.ws.Sandbox.SamplePerson()
	done := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{p.Email}}, testNow.AddDate(0, 0, -3))
	b.verify(done.ID)
	if err := b.app.DSAR.Run(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	hold, err := b.h.Retention.AddHold(ctx, retention.HoldTarget{RequestID: done.ID}, "litigation hold, case 17")
	if err != nil {
		t.Fatal(err)
	}
	// A request an authorised agent filed gives the permission routes a
	// document to send.
	agented := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"agented@example.org"}}, testNow.AddDate(0, 0, -1))
	if err := b.app.Store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_routes", MediaType: "application/pdf", Size: 9,
			DocumentEnc: []byte("sealed"), AgentEnc: []byte("sealed")})
		if err != nil {
			return err
		}
		return b.app.DSAR.AttachAgent(ctx, tx, agented, p, []byte("%PDF-1.4\n"), dsar.Agent{Name: "Agent", Email: "agent@example.net"})
	}); err != nil {
		t.Fatal(err)
	}
	if len(b.h.Routes()) < 20 {
		t.Fatalf("only %d routes", len(b.h.Routes()))
	}
	for _, rt := range b.h.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", done.ID, "{$}", "").Replace(path)
		if strings.HasPrefix(path, "/retention/holds/") {
			path = strings.Replace(path, done.ID, hold.ID, 1)
		}
		path = strings.NewReplacer("{conversation}", "c_none", "{part}", "p_none").Replace(path)
		if strings.HasSuffix(path, "/agent-permission") {
			path = strings.Replace(path, done.ID, agented.ID, 1)
		}
		if strings.HasPrefix(path, "/users/") {
			path = strings.Replace(path, done.ID, "u_other", 1)
		}
		var form url.Values
		if method == http.MethodPost {
			form = url.Values{}
		}
		res, _ := b.do("", method, path, form)
		switch method {
		case http.MethodGet:
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/auth/signin?next=") {
				t.Errorf("%s signed out: %d %q, want 303 to the sign-in page", rt.Pattern, res.StatusCode, loc)
			}
		default:
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s signed out: %d, want 401", rt.Pattern, res.StatusCode)
			}
		}
		for _, role := range authz.Roles {
			res, body := b.do(role, method, path, form)
			allowed := slices.Contains(rt.Roles, role)
			switch {
			case !allowed && res.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", rt.Pattern, role, res.StatusCode)
			case allowed && method == http.MethodGet && res.StatusCode != http.StatusOK:
				t.Errorf("%s as %s: %d, want 200: %.300s", rt.Pattern, role, res.StatusCode, body)
			case allowed && (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden || res.StatusCode >= 500):
				t.Errorf("%s as %s: %d: %.300s", rt.Pattern, role, res.StatusCode, body)
			}
		}
	}
}

// The page of a request an agent filed says so; only a privacy officer is
// offered the permission's download; officers may decide.
func TestAgentSectionByRole(t *testing.T) {
	b := setup(t, storetest.SQLite())
	ctx := context.Background()
	req := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"agented@example.org"}}, testNow.AddDate(0, 0, -1))
	if err := b.app.Store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_page", MediaType: "image/png", Size: 9,
			DocumentEnc: []byte("sealed"), AgentEnc: []byte("sealed")})
		if err != nil {
			return err
		}
		return b.app.DSAR.AttachAgent(ctx, tx, req, p, []byte("\x89PNG\r\n\x1a\n"), dsar.Agent{Name: "Agent", Email: "agent@example.net"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, role := range authz.Roles {
		res, body := b.do(role, "GET", "/requests/"+req.ID, nil)
		link := strings.Contains(body, `href="/requests/`+req.ID+`/agent-permission"`)
		decide := strings.Contains(body, `value="accept"`)
		if res.StatusCode != 200 || !strings.Contains(body, "Authorised agent") || link != (role == authz.RolePrivacyOfficer) ||
			decide != (role == authz.RolePrivacyOfficer || role == authz.RoleAdmin) || strings.Contains(body, "agent@example.net") {
			t.Errorf("%s: %d, download link %v, decision %v", role, res.StatusCode, link, decide)
		}
	}
	res, body := b.do(authz.RolePrivacyOfficer, "GET", "/requests/"+req.ID+"/agent-permission", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || body != "\x89PNG\r\n\x1a\n" {
		t.Fatalf("download: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download without nosniff")
	}
	// A request no agent filed has no permission: 404 from the error table.
	other := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"self@example.org"}}, testNow.AddDate(0, 0, -1))
	if res, _ := b.do(authz.RolePrivacyOfficer, "GET", "/requests/"+other.ID+"/agent-permission", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("permission of a request no agent filed: %d, want 404", res.StatusCode)
	}
	if res, _ := b.do(authz.RolePrivacyOfficer, "POST", "/requests/"+req.ID+"/agent-permission", url.Values{"decision": {"refuse"}}); res.StatusCode >= 400 {
		t.Fatalf("refuse: %d", res.StatusCode)
	}
	got, _ := b.app.Store.GetRequest(ctx, req.ID)
	if got.State != store.StateDenied {
		t.Fatalf("after refusal: %s", got.State)
	}
}

// TestRouteRoles holds the route table to the roles, written out
// here apart from the table (and equal to the API's for the same action): an
// agent files and works requests but neither approves an erasure nor
// downloads a package; an auditor reads (requests without identifiers, the
// audit trail, metrics, retention) and changes nothing; an administrator
// works requests like a privacy officer, and alone manages users.
func TestRouteRoles(t *testing.T) {
	const (
		A  = authz.RoleAdmin
		PO = authz.RolePrivacyOfficer
		AG = authz.RoleAgent
		AU = authz.RoleAuditor
	)
	want := map[string][]authz.Role{
		"GET /{$}":                             {A, PO, AG, AU},
		"GET /requests":                        {A, PO, AG, AU},
		"POST /requests/search":                {A, PO, AG},
		"GET /requests/new":                    {A, PO, AG},
		"POST /requests":                       {A, PO, AG},
		"GET /requests/{id}":                   {A, PO, AG, AU},
		"GET /requests/{id}/progress":          {A, PO, AG, AU},
		"POST /requests/{id}/verify":           {A, PO, AG},
		"POST /requests/{id}/extend":           {A, PO, AG},
		"POST /requests/{id}/deny":             {A, PO, AG},
		"POST /requests/{id}/cancel":           {A, PO, AG},
		"POST /requests/{id}/approve":          {A, PO},
		"POST /requests/{id}/reject":           {A, PO},
		"POST /requests/{id}/notes":            {A, PO, AG},
		"POST /requests/{id}/assignee":         {A, PO, AG},
		"GET /requests/{id}/package":           {A, PO},
		"GET /requests/{id}/agent-permission":  {PO},
		"POST /requests/{id}/agent-permission": {A, PO},
		"GET /audit":                           {A, PO, AU},
		"GET /audit/verify":                    {A, PO, AU},
		"GET /audit/export":                    {A, PO, AU},
		"GET /retention":                       {A, PO, AU},
		"POST /retention/holds":                {A, PO},
		"POST /retention/holds/{id}/release":   {A, PO},
		"GET /reports/requests":                {A, PO, AG, AU},
		"GET /reports/requests.csv":            {A, PO, AG, AU},
		"GET /reports/requests.json":           {A, PO, AG, AU},
		"GET /users":                           {A},
		"POST /users":                          {A},
		"POST /users/{id}/disable":             {A},
		// Redactions in Intercom (#15): an agent proposes, a privacy officer
		// (or an admin) decides, an auditor reads.
		"GET /redactions":  {A, PO, AG, AU},
		"POST /redactions": {A, PO, AG},
		"POST /redactions/{conversation}/{part}/approve": {A, PO},
		"POST /redactions/{conversation}/{part}/reject":  {A, PO},
		"GET /account/password":                          {A, PO, AG, AU},
		"POST /account/password":                         {A, PO, AG, AU},
	}
	b := setup(t, storetest.SQLite())
	got := map[string]bool{}
	for _, rt := range b.h.Routes() {
		got[rt.Pattern] = true
		w, ok := want[rt.Pattern]
		if !ok {
			t.Errorf("route %s is not in the test's list: add it with its roles", rt.Pattern)
			continue
		}
		if !slices.Equal(slices.Sorted(slices.Values(rt.Roles)), slices.Sorted(slices.Values(w))) {
			t.Errorf("route %s allows %v, want %v", rt.Pattern, rt.Roles, w)
		}
		// An auditor changes nothing but their own password.
		if method, _, _ := strings.Cut(rt.Pattern, " "); method != http.MethodGet && slices.Contains(rt.Roles, AU) && rt.Pattern != "POST /account/password" {
			t.Errorf("route %s lets an auditor change something", rt.Pattern)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("route %s is missing", p)
		}
	}
}

// TestCrossSitePostRefused: a form posted from another site is refused with
// 403 before any handler runs, and the request is unchanged.
func TestCrossSitePostRefused(t *testing.T) {
	b := setup(t, storetest.SQLite())
	r := b.file(store.RequestErasure, dsar.Identifiers{Emails: []string{"person@example.com"}}, testNow)
	for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		req := newFormRequest("/requests/"+r.ID+"/cancel", url.Values{})
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		req.AddCookie(&http.Cookie{Name: testPrincipalCookie, Value: "privacy_officer:u_po"})
		rec := serve(b.srv, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Cross-site request refused") {
			t.Fatalf("%v: %d %s", hdr, rec.Code, rec.Body)
		}
	}
	got, err := b.app.DSAR.Get(context.Background(), r.ID)
	if err != nil || got.State != store.StateReceived {
		t.Fatalf("request changed: %v %v", got.State, err)
	}
	// The same post from the console itself goes through.
	req := newFormRequest("/requests/"+r.ID+"/cancel", url.Values{})
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: testPrincipalCookie, Value: "privacy_officer:u_po"})
	if rec := serve(b.srv, req); rec.Code != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d %s", rec.Code, rec.Body)
	}
}

// TestNewRefusesBadTable: New refuses missing services.
func TestNewRefusesMissingServices(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "DSAR is required") {
		t.Fatalf("New(Options{}) = %v", err)
	}
}
