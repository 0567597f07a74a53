package serve_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/serve"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestProcessMountsTheWebLayer: a Web mount is built from the open
// application and served beside the probes; its pattern is the route label of
// /metrics; Close stops everything and says so.
func TestProcessMountsTheWebLayer(t *testing.T) {
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{})
	var built *app.App
	var out strings.Builder
	p, err := serve.New(serve.Options{
		Settings: ws.Settings("server"), Secret: "s", Addr: "127.0.0.1:0", Out: &out,
		Web: []serve.Mount{{Pattern: "/api/", Build: func(a *app.App) (http.Handler, error) {
			built = a
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				server.SetRoute(w, "GET /api/v1/thing/{id}")
				io.WriteString(w, "api here")
			}), nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); err != nil {
		p.Close()
		t.Fatal(err)
	}
	if built != p.App() {
		t.Fatal("the mount was not built from the open application")
	}
	base := "http://" + p.Addr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/api/v1/thing/42"); code != 200 || body != "api here" {
		t.Fatalf("mounted handler: %d %q", code, body)
	}
	if _, body := get(server.PathMetrics); !strings.Contains(body, `route="GET /api/v1/thing/{id}"`) || strings.Contains(body, "/42") {
		t.Errorf("metrics do not name the route by its pattern:\n%s", body)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "serve: stopped") {
		t.Errorf("no clean stop:\n%s", out.String())
	}
	if _, err := http.Get(base + server.PathLive); err == nil {
		t.Fatal("still answering after Close")
	}
}

// TestMountBeforeOpenAnswers503: until the application is open a mounted
// pattern answers 503 with Retry-After.
func TestMountBeforeOpenAnswers503(t *testing.T) {
	p, err := serve.New(serve.Options{Secret: "s", Addr: "127.0.0.1:0",
		Web: []serve.Mount{{Pattern: "/api/", Build: func(*app.App) (http.Handler, error) { return http.NotFoundHandler(), nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.Server().Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/requests", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("before open: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
