package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// exportedErrs lists the exported package-level Err... variables of the
// package in dir (non-test files), as "pkg.ErrX".
func exportedErrs(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						out = append(out, f.Name.Name+"."+n.Name)
					}
				}
			}
		}
	}
	return out
}

// TestTableCoversEveryWorkflowError fails when an exported Err... of dsar,
// store, deadline, export or users has no row in the table, so a new error never
// falls through to a 500 unnoticed.
func TestTableCoversEveryWorkflowError(t *testing.T) {
	have := map[string]bool{}
	for _, m := range httpx.Table {
		if m.Err == nil || m.Kind.Status == 0 {
			t.Errorf("row %s is incomplete", m.Name)
		}
		have[m.Name] = true
	}
	n := 0
	for _, dir := range []string{"../../dsar", "../../store", "../../deadline", "../../export", "../../users"} {
		for _, name := range exportedErrs(t, dir) {
			n++
			if !have[name] {
				t.Errorf("%s has no row in httpx.Table", name)
			}
		}
	}
	if n < 40 {
		t.Fatalf("found only %d exported errors: the parse is broken", n)
	}
}

func TestErrorAnswersProblems(t *testing.T) {
	for _, c := range []struct {
		err        error
		status     int
		typ        string
		detailHas  string
		detailNone bool
	}{
		{fmt.Errorf("%w: req_1", dsar.ErrNotFound), 404, "not-found", "no such request", false},
		{fmt.Errorf("wrap: %w", &store.StateConflictError{RequestID: "req_1", Expected: "verified", Actual: "completed"}), 409, "conflict", "", false},
		{dsar.ErrWildcard, 422, "invalid", "wildcards", false},
		{dsar.ErrSelfApproval, 403, "self-approval", "someone other", false},
		{fmt.Errorf("%w (req_1)", dsar.ErrAgentPending), 409, "conflict", "signed permission", false},
		{fmt.Errorf("%w (req_1)", dsar.ErrNoAgent), 404, "not-found", "authorised agent", false},
		{errors.New("secret internal detail ada@example.com"), 500, "internal", "", true},
	} {
		rec := httptest.NewRecorder()
		httpx.Error(rec, httptest.NewRequest("GET", "/x", nil), nil, c.err)
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.status || p.Status != c.status || p.Type != httpx.ProblemBase+c.typ || rec.Header().Get("Content-Type") != httpx.ContentTypeProblem {
			t.Errorf("%v: %d %+v", c.err, rec.Code, p)
		}
		if !strings.Contains(p.Detail, c.detailHas) || (c.detailNone && (p.Detail != "" || strings.Contains(rec.Body.String(), "ada@"))) {
			t.Errorf("%v: detail %q", c.err, p.Detail)
		}
	}
}

// TestRequireRole: no principal 401, a wrong role 403 (told to denied on an
// audited route), an allowed role runs the handler; a row without roles
// refuses to register.
func TestRequireRole(t *testing.T) {
	var denied []string
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	err := httpx.Register(mux, []httpx.Route{
		{Pattern: "POST /a/{id}/approve", Roles: []authz.Role{authz.RolePrivacyOfficer, authz.RoleAdmin}, Handler: ok, AuditDenied: true},
		{Pattern: "GET /a", Roles: authz.Roles, Handler: ok},
	}, func(_ context.Context, p authz.Principal, pattern string) {
		denied = append(denied, p.Actor()+" "+pattern)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := httpx.SecurityHeaders(mux)
	do := func(method, path string, p *authz.Principal) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		if p != nil {
			r = r.WithContext(authz.WithPrincipal(r.Context(), *p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	agent := &authz.Principal{UserID: "u_a", Role: authz.RoleAgent}
	officer := &authz.Principal{UserID: "u_o", Role: authz.RolePrivacyOfficer}
	if rec := do("POST", "/a/1/approve", nil); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous: %d", rec.Code)
	}
	if rec := do("POST", "/a/1/approve", agent); rec.Code != 403 {
		t.Errorf("agent: %d", rec.Code)
	}
	if rec := do("POST", "/a/1/approve", officer); rec.Code != 204 {
		t.Errorf("officer: %d", rec.Code)
	}
	if rec := do("GET", "/a", agent); rec.Code != 204 || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("agent GET: %d %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
	if len(denied) != 1 || denied[0] != "user:u_a POST /a/{id}/approve" {
		t.Errorf("denied attempts told: %v", denied)
	}
	for _, bad := range []httpx.Route{
		{Pattern: "GET /open", Handler: ok},
		{Pattern: "GET /x", Roles: []authz.Role{"root"}, Handler: ok},
		{Pattern: "/nomethod", Roles: authz.Roles, Handler: ok},
	} {
		if err := httpx.Register(http.NewServeMux(), []httpx.Route{bad}, nil, nil); err == nil {
			t.Errorf("%s registered", bad.Pattern)
		}
	}
	if err := httpx.Register(http.NewServeMux(), []httpx.Route{{Pattern: "GET /open", Handler: ok}}, nil, nil); !errors.Is(err, httpx.ErrRouteWithoutRole) {
		t.Errorf("row without roles: %v", err)
	}
}
