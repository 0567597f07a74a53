package httpx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

func TestPrefersJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"":    false,
		"*/*": false,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": false,
		"application/json":                  true,
		"application/problem+json":          true,
		"application/vnd.api+json":          true,
		"text/html;q=0.5, application/json": true,
		"application/json;q=0.5, text/html": false,
		"application/json;q=0":              false,
		"application/json, text/html":       false,
		"garbage;;;":                        false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if got := httpx.PrefersJSON(r); got != want {
			t.Errorf("Accept %q: %v, want %v", accept, got, want)
		}
	}
}

// TestRespondNegotiates: one error, the same status, a page for a browser and
// a problem for a JSON client; the page's words come from Describe, a 500
// shows nothing of the error, Explain's heading and message reach the page.
func TestRespondNegotiates(t *testing.T) {
	type shown struct {
		status           int
		heading, message string
	}
	for _, c := range []struct {
		err     error
		status  int
		typ     string
		heading string
		message string
		retry   string
	}{
		{fmt.Errorf("%w: req_1", dsar.ErrNotFound), 404, "not-found", "Not found.", "no such request", ""},
		{errors.New("secret ada@example.com"), 500, "internal", "Internal error", "nothing you did caused it", ""},
		{httpx.Explain(httpx.KindNotFound, "This link does not work", "Open the newest e-mail.", nil), 404, "not-found", "This link does not work", "Open the newest e-mail.", ""},
		{httpx.Explain(httpx.KindInternal, "Something went wrong", "Try again in a few minutes.", errors.New("disk ada@example.com")), 500, "internal", "Something went wrong", "Try again in a few minutes.", ""},
		{&users.ThrottledError{RetryAfter: 90 * time.Second}, 429, "too-many-requests", "Too many attempts; try again later.", "", "90"},
		{httpx.Errorf(httpx.KindBusy, "pool exhausted"), 503, "busy", "Busy; try again shortly.", "Busy", "5"},
	} {
		var got *shown
		page := func(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
			got = &shown{status, heading, message}
			w.WriteHeader(status)
		}
		rec := httptest.NewRecorder()
		httpx.Respond(rec, httptest.NewRequest("GET", "/x", nil), nil, c.err, page)
		if got == nil || got.status != c.status || rec.Code != c.status || got.heading != c.heading || !strings.Contains(got.message, c.message) ||
			strings.Contains(got.message, "ada@") || rec.Header().Get("Retry-After") != c.retry {
			t.Errorf("%v (page): %d %+v retry %q", c.err, rec.Code, got, rec.Header().Get("Retry-After"))
		}
		got = nil
		rec = httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Accept", "application/problem+json")
		httpx.Respond(rec, r, nil, c.err, page)
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || got != nil || rec.Code != c.status || p.Type != httpx.ProblemBase+c.typ ||
			strings.Contains(rec.Body.String(), "ada@") || rec.Header().Get("Retry-After") != c.retry {
			t.Errorf("%v (JSON): %d %s", c.err, rec.Code, rec.Body.String())
		}
	}
}
