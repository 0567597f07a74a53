package intake_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

// TestErrorsThroughTheTable: the public pages' refusals answer through
// web/httpx's table: a browser gets the problem page with words written for
// the person, a client asking for JSON a problem of the table's type, with
// the same status, and nothing is changed.
func TestErrorsThroughTheTable(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			e := setup(t, be)
			badLink := intake.PathVerify + "/" + strings.Repeat("A", 43)
			for _, c := range []struct {
				name, method, path string
				form               url.Values
				hdr                map[string]string
				status             int
				typ, heading, text string
			}{
				{"cross-site form", "POST", intake.PathRequest, formFor("a@example.org"), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-origin", "Request refused", "only be sent from our own page"},
				{"unknown link", "GET", badLink, nil, nil, 404, "not-found", "This link does not work", "Make the request again"},
				{"malformed form", "POST", intake.PathRequest, nil, map[string]string{"Content-Type": "multipart/form-data"}, 400, "bad-request", "The form could not be read", "Fill it in again"},
				{"unknown download", "GET", intake.PathDownload + "/" + strings.Repeat("B", 43), nil, nil, 404, "not-found", "This download link does not work", "make a new request"},
			} {
				hdr := map[string]string{}
				for k, v := range c.hdr {
					hdr[k] = v
				}
				w := e.do(c.method, c.path, "10.9.0.1", c.form, hdr)
				body := w.Body.String()
				if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>"+c.heading+"</h1>") ||
					!strings.Contains(body, c.text) || w.Header().Get("Content-Security-Policy") != httpx.PagePolicy {
					t.Errorf("%s (browser): %d %s %.400q", c.name, w.Code, w.Header().Get("Content-Type"), body)
				}
				hdr["Accept"] = "application/json"
				w = e.do(c.method, c.path, "10.9.0.2", c.form, hdr)
				var p httpx.Problem
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != c.status || p.Status != c.status ||
					w.Header().Get("Content-Type") != httpx.ContentTypeProblem || p.Type != httpx.ProblemBase+c.typ || !strings.Contains(p.Detail, c.text) {
					t.Errorf("%s (JSON): %d %s %q", c.name, w.Code, w.Header().Get("Content-Type"), w.Body.String())
				}
			}
			// An address that is not one: the form again for a browser, an
			// "invalid" problem naming the field for a script.
			bad := formFor("not-an-email")
			if w := e.post("10.9.0.3", bad); w.Code != 422 || !strings.Contains(w.Body.String(), `name="email"`) || !strings.Contains(w.Body.String(), "like name@example.com") {
				t.Errorf("invalid (browser): %d %.300q", w.Code, w.Body.String())
			}
			w := e.do("POST", intake.PathRequest, "10.9.0.4", bad, map[string]string{"Accept": "application/problem+json"})
			var p httpx.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 422 || p.Type != httpx.ProblemBase+"invalid" || p.Field != "email" || strings.Contains(w.Body.String(), "not-an-email") {
				t.Errorf("invalid (JSON): %d %q", w.Code, w.Body.String())
			}
			// Throttled: the eleventh form from one network in an hour.
			var last int
			for range 11 {
				last = e.do("POST", intake.PathRequest, "10.9.0.5", url.Values{"type": {"nonsense"}}, map[string]string{"Accept": "application/json"}).Code
			}
			if last != 429 {
				t.Errorf("throttled: %d", last)
			}
			if len(e.filed) != 0 {
				t.Errorf("filed: %d", len(e.filed))
			}
		})
	}
}
