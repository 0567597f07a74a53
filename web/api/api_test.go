package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/getkin/kin-openapi/openapi3filter"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/openapispec"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/api"
)

// testUserHeader carries "id:role" for the test authentication middleware,
// which stands in for web/auth: it puts the Principal in the context exactly
// as the real middleware does.
const testUserHeader = "X-Test-User"

func testAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get(testUserHeader); v != "" {
			id, role, _ := strings.Cut(v, ":")
			r = r.WithContext(authz.WithPrincipal(r.Context(), authz.Principal{UserID: id, Role: authz.Role(role), Via: authz.ViaToken}))
		}
		next.ServeHTTP(w, r)
	})
}

// bundle is the API over a real application on one backend, with the
// sandbox behind it, and the OpenAPI document every exchange is checked
// against.
type bundle struct {
	t    *testing.T
	app  *app.App
	ws   *apptest.Workspace
	h    *api.Handler
	srv  *httptest.Server
	spec *openapispec.Spec
	// checked counts the exchanges validated against the document.
	checked atomic.Int64
}

var fixedNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func init() {
	// The audit export is JSON lines: checked as text (its records are
	// checked by audit's own tests).
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
}

func setup(t *testing.T, b storetest.Backend) *bundle {
	t.Helper()
	ws := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 20}})
	a := ws.Open("server")
	a.DSAR.Enqueue = nil // nothing runs by itself; tests run requests directly
	h, err := api.New(a, api.Options{Authenticate: testAuth, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	spec, err := openapispec.LoadData("openapi.json", api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{t: t, app: a, ws: ws, h: h, srv: srv, spec: spec}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends one request as user ("id:role", "" for anonymous) and checks the
// request and the response against the OpenAPI document, both directions.
func (b *bundle) call(user, method, path string, body any, hdr ...string) resp {
	b.t.Helper()
	var raw []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		raw, _ = json.Marshal(v)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		b.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set(testUserHeader, user)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, body: out}
	// Requests the document says are malformed are sent on purpose by some
	// tests; their answers are checked all the same.
	if r.status < 400 || r.status >= 500 {
		if err := b.spec.ValidateRequest(req, raw); err != nil {
			b.t.Errorf("request does not match the document: %v", err)
		}
	}
	if err := b.spec.ValidateResponse(req, raw, r.status, r.header, r.body); err != nil {
		b.t.Errorf("response does not match the document: %v\n%.300s", err, out)
	}
	b.checked.Add(1)
	return r
}

// file files a request through the service as user, returning its id.
func (b *bundle) file(user string, typ store.RequestType, ext string, verify bool) string {
	b.t.Helper()
	ctx := context.Background()
	if user != "" {
		id, role, _ := strings.Cut(user, ":")
		ctx = authz.WithPrincipal(ctx, authz.Principal{UserID: id, Role: authz.Role(role)})
	}
	f := dsar.Filing{Submission: dsar.Submission{Type: typ, Identifiers: dsar.Identifiers{ExternalIDs: []string{ext}}}, New: true}
	if verify {
		f.VerifiedBy = "operator"
	}
	r, _, err := b.app.DSAR.File(ctx, f)
	if err != nil {
		b.t.Fatal(err)
	}
	return r.ID
}

const (
	admin   = "u_admin:admin"
	officer = "u_off:privacy_officer"
	agent   = "u_agent:agent"
	auditor = "u_aud:auditor"
)

var users = map[authz.Role]string{authz.RoleAdmin: admin, authz.RolePrivacyOfficer: officer, authz.RoleAgent: agent, authz.RoleAuditor: auditor}

// fixture prepares one call of a route for a role: the path and body.
type fixture func(b *bundle) (path string, body any)

var seq atomic.Int64

func fresh(b *bundle) string {
	return b.file("", store.RequestAccess, fmt.Sprintf("walk-%d", seq.Add(1)), false)
}

// deniedUnder files an access request under j and denies it, for the appeal
// routes.
func deniedUnder(b *bundle, j deadline.Jurisdiction) string {
	b.t.Helper()
	ctx := context.Background()
	r, err := b.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: j,
		Identifiers: dsar.Identifiers{ExternalIDs: []string{fmt.Sprintf("walk-a-%d", seq.Add(1))}}})
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.app.DSAR.Deny(ctx, r.ID, "identity not verified"); err != nil {
		b.t.Fatal(err)
	}
	return r.ID
}

// TestRouteRoleWalk walks the route table: for every route, anonymous is 401,
// every role not allowed 403, every role allowed 2xx; a route without a
// fixture here fails the test, so no route is missed. Every exchange is
// checked against the OpenAPI document.
func TestRouteRoleWalk(t *testing.T) {
	b := setup(t, storetest.SQLite())
	// One access request run to its end, for the package route.
	p := b.ws.Sandbox.SamplePerson()
	pkgReq, _, err := b.app.DSAR.File(context.Background(), dsar.Filing{Submission: dsar.Submission{Type: store.RequestAccess,
		Identifiers: dsar.Identifiers{Emails: []string{p.Email}}}, VerifiedBy: "operator"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.app.DSAR.Run(context.Background(), pkgReq.ID); err != nil {
		t.Fatal(err)
	}
	awaiting := func(b *bundle) string {
		return b.file("u_filer:privacy_officer", store.RequestErasure, fmt.Sprintf("walk-e-%d", seq.Add(1)), true)
	}
	fixtures := map[string]fixture{
		"GET /api/v1/openapi.json": func(*bundle) (string, any) { return "/api/v1/openapi.json", nil },
		"GET /api/v1/requests":     func(*bundle) (string, any) { return "/api/v1/requests?limit=5", nil },
		"GET /api/v1/requests/search": func(*bundle) (string, any) {
			return "/api/v1/requests/search?identifier=walk-1&kind=external_id", nil
		},
		"POST /api/v1/requests": func(*bundle) (string, any) {
			return "/api/v1/requests", map[string]any{"type": "access", "identifiers": map[string]string{"external_id": fmt.Sprintf("walk-n-%d", seq.Add(1))}}
		},
		"GET /api/v1/requests/{id}":       func(b *bundle) (string, any) { return "/api/v1/requests/" + fresh(b), nil },
		"GET /api/v1/requests/{id}/notes": func(b *bundle) (string, any) { return "/api/v1/requests/" + fresh(b) + "/notes", nil },
		"GET /api/v1/requests/{id}/plan":  func(b *bundle) (string, any) { return "/api/v1/requests/" + awaiting(b) + "/plan", nil },
		"POST /api/v1/requests/{id}/verify": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + fresh(b) + "/verify", map[string]string{"verified_by": "signed email"}
		},
		"POST /api/v1/requests/{id}/extend": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + fresh(b) + "/extend", map[string]any{"reason": "complex request", "by": 1}
		},
		"POST /api/v1/requests/{id}/deny": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + fresh(b) + "/deny", map[string]string{"reason": "manifestly unfounded"}
		},
		"POST /api/v1/requests/{id}/cancel":  func(b *bundle) (string, any) { return "/api/v1/requests/" + fresh(b) + "/cancel", nil },
		"POST /api/v1/requests/{id}/approve": func(b *bundle) (string, any) { return "/api/v1/requests/" + awaiting(b) + "/approve", nil },
		"POST /api/v1/requests/{id}/reject": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + awaiting(b) + "/reject", map[string]string{"reason": "identity check too weak"}
		},
		"POST /api/v1/requests/{id}/assign": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + fresh(b) + "/assign", map[string]string{"assignee": "user:u_agent"}
		},
		"POST /api/v1/requests/{id}/note": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + fresh(b) + "/note", map[string]string{"text": "called back"}
		},
		"GET /api/v1/requests/{id}/package": func(*bundle) (string, any) { return "/api/v1/requests/" + pkgReq.ID + "/package", nil },
		"GET /api/v1/audit/verify":          func(*bundle) (string, any) { return "/api/v1/audit/verify", nil },
		"GET /api/v1/audit/export":          func(*bundle) (string, any) { return "/api/v1/audit/export", nil },
		"GET /api/v1/retention":             func(*bundle) (string, any) { return "/api/v1/retention", nil },
		"POST /api/v1/retention/holds": func(b *bundle) (string, any) {
			return "/api/v1/retention/holds", map[string]string{"request_id": fresh(b), "reason": "litigation"}
		},
		"POST /api/v1/retention/holds/{id}/release": func(b *bundle) (string, any) {
			h, err := b.app.Retention("test").AddHold(context.Background(), retentionTarget(fresh(b)), "litigation")
			if err != nil {
				b.t.Fatal(err)
			}
			return "/api/v1/retention/holds/" + h.ID + "/release", map[string]string{"reason": "settled"}
		},
		"GET /api/v1/metrics/requests": func(*bundle) (string, any) { return "/api/v1/metrics/requests?year=2026", nil },
		"POST /api/v1/requests/{id}/appeal": func(b *bundle) (string, any) {
			return "/api/v1/requests/" + deniedUnder(b, deadline.Virginia) + "/appeal", nil
		},
		"POST /api/v1/requests/{id}/decide": func(b *bundle) (string, any) {
			ap, err := b.app.DSAR.Appeal(context.Background(), deniedUnder(b, deadline.Virginia), "email", time.Time{})
			if err != nil {
				b.t.Fatal(err)
			}
			return "/api/v1/requests/" + ap.ID + "/decide", map[string]string{"decision": "upheld", "reason": "identity still not verified"}
		},
		"POST /api/v1/requests/{id}/unrestrict": func(b *bundle) (string, any) {
			ctx := context.Background()
			r, _, err := b.app.DSAR.File(ctx, dsar.Filing{Submission: dsar.Submission{Type: store.RequestRestriction,
				Identifiers: dsar.Identifiers{Emails: []string{p.Email}}}, VerifiedBy: "operator", New: true})
			if err != nil {
				b.t.Fatal(err)
			}
			if err := b.app.DSAR.Run(ctx, r.ID); err != nil {
				b.t.Fatal(err)
			}
			return "/api/v1/requests/" + r.ID + "/unrestrict", map[string]string{"reason": "accuracy confirmed"}
		},
	}
	for _, rt := range b.h.Routes() {
		fx, ok := fixtures[rt.Pattern]
		if !ok {
			t.Errorf("route %s has no fixture in the walk", rt.Pattern)
			continue
		}
		method, _, _ := strings.Cut(rt.Pattern, " ")
		path, body := fx(b)
		if r := b.call("", method, path, body); r.status != http.StatusUnauthorized {
			t.Errorf("%s anonymous: %d", rt.Pattern, r.status)
		}
		for _, role := range authz.Roles {
			path, body := fx(b)
			r := b.call(users[role], method, path, body)
			allowed := slices.Contains(rt.Roles, role)
			switch {
			case allowed && (r.status < 200 || r.status > 299):
				t.Errorf("%s as %s (allowed): %d %.300s", rt.Pattern, role, r.status, r.body)
			case !allowed && r.status != http.StatusForbidden:
				t.Errorf("%s as %s (not allowed): %d", rt.Pattern, role, r.status)
			}
		}
	}
	// Refused attempts on the routes where they matter are in the audit trail.
	denied := 0
	for rec, err := range b.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == string(audit.ActionAccessDenied) {
			denied++
		}
	}
	// The agent on approve, reject, package, audit export, add and release
	// hold, decide and unrestrict; the auditor on search, approve, reject,
	// package, add and release hold, decide and unrestrict: 16 (the other
	// refusals are not recorded, by design).
	if denied != 16 {
		t.Errorf("%d refused attempts recorded, want 16", denied)
	}
	if rep, err := b.app.VerifyAudit(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("audit after the walk: %v %+v", err, rep)
	}
}

func retentionTarget(requestID string) retention.HoldTarget {
	return retention.HoldTarget{RequestID: requestID}
}
