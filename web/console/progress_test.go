package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// TestLiveProgress: a running request's page loads the progress script and
// names the progress route; the route answers the steps as JSON, live while
// the request runs and finished after; a finished request's page loads no
// script; an unknown request is a problem.
func TestLiveProgress(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		p := b.ws.Sandbox.SamplePerson()
		r := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{p.Email}}, testNow.AddDate(0, 0, -1))
		b.verify(r.ID)
		script := b.h.assets.url["progress.js"]
		res, body := b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID, nil)
		if res.StatusCode != 200 || script == "" || !strings.Contains(body, `<script src="`+script+`" defer></script>`) ||
			!strings.Contains(body, `data-src="/requests/`+r.ID+`/progress"`) || !strings.Contains(body, `role="status"`) {
			t.Fatalf("running page: %d %q", res.StatusCode, body)
		}
		progress := func(role authz.Role) progressAnswer {
			t.Helper()
			res, body := b.do(role, http.MethodGet, "/requests/"+r.ID+"/progress", nil)
			var a progressAnswer
			if err := json.Unmarshal([]byte(body), &a); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("progress: %d %q %v", res.StatusCode, body, err)
			}
			if strings.Contains(strings.ToLower(body), strings.ToLower(p.Email)) {
				t.Fatal("the progress answer names the person")
			}
			return a
		}
		a := progress(authz.RoleAuditor)
		if !a.Live || a.State != "verified" || a.Done != 0 || len(a.Steps) != len(dsar.Plan(store.RequestAccess)) {
			t.Fatalf("before the run: %+v", a)
		}
		if err := b.app.DSAR.Run(context.Background(), r.ID); err != nil {
			t.Fatal(err)
		}
		a = progress(authz.RoleAgent)
		if a.Live || a.State != "completed" || a.Done != len(a.Steps) || a.Steps[0].State != "done" || a.Steps[0].Finished == "–" {
			t.Fatalf("after the run: %+v", a)
		}
		if _, body := b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID, nil); strings.Contains(body, "<script") || strings.Contains(body, `id="progress"`) {
			t.Fatal("a finished request's page still follows progress")
		}
		res, body = b.do(authz.RoleAgent, http.MethodGet, "/requests/req_00000000000000000000000000000000/progress", nil)
		var prob httpx.Problem
		if err := json.Unmarshal([]byte(body), &prob); err != nil || res.StatusCode != 404 || prob.Type != httpx.ProblemBase+"not-found" {
			t.Fatalf("unknown request: %d %q", res.StatusCode, body)
		}
		// The script is served by digest, as JavaScript, cached.
		res, js := b.do("", http.MethodGet, script, nil)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(js, "steps-table") {
			t.Fatalf("script: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}
