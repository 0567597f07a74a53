package openapispec

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAndRoute(t *testing.T) {
	s := Load(t)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:9/contacts/abc", nil)
	route, params, err := s.Route(req)
	if err != nil {
		t.Fatal(err)
	}
	if route.Path != "/contacts/{contact_id}" || params["contact_id"] != "abc" {
		t.Fatalf("route %q params %v", route.Path, params)
	}
}

func TestValidateRequestRejectsBadBody(t *testing.T) {
	s := Load(t)
	// A search without its required query is refused by the description.
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9/contacts/search", strings.NewReader(`{"pagination":{"per_page":"many"}}`))
	req.Header.Set("Content-Type", "application/json")
	if err := s.ValidateRequest(req, []byte(`{"pagination":{"per_page":"many"}}`)); err == nil {
		t.Fatal("a search body with a string per_page validated")
	}
	good := `{"query":{"field":"email","operator":"=","value":"x@example.com"},"pagination":{"per_page":50}}`
	req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9/contacts/search", strings.NewReader(good))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Intercom-Version", "2.16")
	if err := s.ValidateRequest(req, []byte(good)); err != nil {
		t.Fatalf("valid search refused: %v", err)
	}
}

func TestValidateResponseRejectsUndocumentedStatus(t *testing.T) {
	s := Load(t)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:9/me", nil)
	h := http.Header{"Content-Type": []string{"application/json"}}
	if err := s.ValidateResponse(req, nil, 418, h, []byte(`{}`)); err == nil {
		t.Fatal("status 418 on /me validated")
	}
	if err := s.ValidateResponse(req, nil, 200, h, []byte(`{"type":7}`)); err == nil {
		t.Fatal("admin with a numeric type validated")
	}
}

func TestLoadFileWithoutServersFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-servers.yaml")
	doc := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadFile(path); err == nil {
		t.Fatalf("a description without servers loaded: %+v", s)
	}
}

// TestDefectsStillPresent fails when Intercom fixes one of the description's known
// defects: the entry, and the deviation that works around it, should then go.
func TestDefectsStillPresent(t *testing.T) {
	s := Load(t)
	for _, d := range Defects {
		if !d.Present(s.Doc) {
			t.Errorf("defect %s is no longer in the description; remove it and its deviation: %s", d.Name, d.Reason)
		}
	}
}

func TestResponseExamples(t *testing.T) {
	s := Load(t)
	ex, err := s.ResponseExamples("GET", "/contacts/{contact_id}/notes")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[0].Status != 200 || ex[1].Status != 404 || !strings.Contains(string(ex[0].Body), `"type":"note"`) {
		t.Errorf("examples %+v", ex)
	}
	if _, err := s.ResponseExamples("GET", "/no/such/path"); err == nil {
		t.Error("no error for an unknown path")
	}
}
