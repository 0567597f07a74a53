package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

type view struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Approval string `json:"approval"`
	FiledBy  string `json:"filed_by"`
	Type     string `json:"type"`
}

type problem struct {
	Type, Title, Detail string
	Status              int
}

func (b *bundle) problem(r resp, status int, kind string) problem {
	b.t.Helper()
	var p problem
	r.decode(b.t, &p)
	if r.status != status || p.Type != httpx.ProblemBase+kind || !strings.HasPrefix(r.header.Get("Content-Type"), httpx.ContentTypeProblem) {
		b.t.Errorf("got %d %+v, want %d %s", r.status, p, status, kind)
	}
	return p
}

// TestAPIFlows runs the API's main flows on both backends: filing with an
// Idempotency-Key, four-eyes erasure, paging, the identifier search, the
// package download on the record, and bad input answered with problems.
func TestAPIFlows(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be)
			// Idempotency: the same key and body give the first answer again.
			body := map[string]any{"type": "access", "jurisdiction": "ccpa", "identifiers": map[string]string{"email": "kay@example.com"}}
			first := b.call(agent, "POST", "/api/v1/requests", body, "Idempotency-Key", "k-1")
			var v1 view
			first.decode(t, &v1)
			if first.status != http.StatusCreated || v1.State != "received" {
				t.Fatalf("create: %d %s", first.status, first.body)
			}
			again := b.call(agent, "POST", "/api/v1/requests", body, "Idempotency-Key", "k-1")
			var v2 view
			again.decode(t, &v2)
			if again.status != http.StatusCreated || v2.ID != v1.ID || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
			}
			other := map[string]any{"type": "access", "identifiers": map[string]string{"email": "lou@example.com"}}
			b.problem(b.call(agent, "POST", "/api/v1/requests", other, "Idempotency-Key", "k-1"), 422, "idempotency-key-reused")
			if rs, _ := b.app.Store.ListRequests(context.Background(), store.RequestFilter{}); len(rs) != 1 {
				t.Fatalf("%d requests filed, want 1", len(rs))
			}

			// Four eyes: officer Ann files an erasure; the agent may not approve
			// (role), Ann may not (filer), Bob may.
			ann, bob := "u_ann:privacy_officer", "u_bob:privacy_officer"
			r := b.call(ann, "POST", "/api/v1/requests", map[string]any{"type": "erasure", "verified_by": "signed email",
				"identifiers": map[string]string{"email": "max@example.com"}})
			var er view
			r.decode(t, &er)
			if er.State != "awaiting_approval" || er.Approval != "required" || er.FiledBy != "user:u_ann" {
				t.Fatalf("erasure filed through the API: %s", r.body)
			}
			b.problem(b.call(agent, "POST", "/api/v1/requests/"+er.ID+"/approve", nil), 403, "forbidden")
			b.problem(b.call(ann, "POST", "/api/v1/requests/"+er.ID+"/approve", nil), 403, "self-approval")
			r = b.call(bob, "POST", "/api/v1/requests/"+er.ID+"/approve", nil)
			r.decode(t, &er)
			if r.status != 200 || er.State != "verified" {
				t.Fatalf("approval: %d %s", r.status, r.body)
			}
			b.problem(b.call(bob, "POST", "/api/v1/requests/"+er.ID+"/approve", nil), 409, "conflict")
			var detail struct {
				Timeline []struct{ Actor, Action string }
			}
			b.call(auditor, "GET", "/api/v1/requests/"+er.ID, nil).decode(t, &detail)
			last := detail.Timeline[len(detail.Timeline)-1]
			if last.Actor != "user:u_bob" || last.Action != string(audit.ActionRequestApproved) {
				t.Errorf("timeline ends %+v", last)
			}

			// Pages: 9 requests in all, 4 a page, each once.
			for i := range 7 {
				b.file(agent, store.RequestAccess, fmt.Sprintf("page-%d", i), false)
			}
			seen := map[string]bool{}
			path := "/api/v1/requests?limit=4"
			for pages := 0; path != ""; pages++ {
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				var p struct {
					Items      []view
					NextCursor string `json:"next_cursor"`
				}
				b.call(auditor, "GET", path, nil).decode(t, &p)
				for _, it := range p.Items {
					if seen[it.ID] {
						t.Errorf("%s on two pages", it.ID)
					}
					seen[it.ID] = true
				}
				path = ""
				if p.NextCursor != "" {
					path = "/api/v1/requests?limit=4&cursor=" + p.NextCursor
				}
			}
			if len(seen) != 9 {
				t.Errorf("paging saw %d requests, want 9", len(seen))
			}
			var filtered struct{ Items []view }
			b.call(agent, "GET", "/api/v1/requests?state=awaiting_approval&state=verified&type=erasure", nil).decode(t, &filtered)
			if len(filtered.Items) != 1 || filtered.Items[0].ID != er.ID {
				t.Errorf("filtered list %+v", filtered.Items)
			}
			for _, bad := range []string{"?cursor=bm9wZQ", "?limit=0", "?limit=1000", "?stat=received", "?state=lost", "?overdue=yes", "?assignee=kay@example.com", "?due_before=tomorrow"} {
				p := b.problem(b.call(agent, "GET", "/api/v1/requests"+bad, nil), 422, "invalid")
				if strings.Contains(p.Detail, "kay@") {
					t.Errorf("%s: the detail repeats the value: %q", bad, p.Detail)
				}
			}

			// Search by identifier, normalised; wildcards refused without the value.
			var found struct{ Items []view }
			b.call(agent, "GET", "/api/v1/requests/search?identifier=KAY@example.com", nil).decode(t, &found)
			if len(found.Items) != 1 || found.Items[0].ID != v1.ID {
				t.Errorf("search found %+v", found.Items)
			}
			p := b.problem(b.call(agent, "GET", "/api/v1/requests/search?identifier=kay*", nil), 422, "invalid")
			if strings.Contains(p.Detail, "kay") || !strings.Contains(p.Detail, "wildcard") {
				t.Errorf("wildcard detail %q", p.Detail)
			}

			// Bad input.
			b.problem(b.call(agent, "POST", "/api/v1/requests", `{"type":"access",`), 400, "malformed")
			b.problem(b.call(agent, "POST", "/api/v1/requests", `{"type":"access","identifiers":{},"x":1}`), 400, "malformed")
			b.problem(b.call(agent, "POST", "/api/v1/requests", `{"type":"access"} {}`), 400, "malformed")
			b.problem(b.call(agent, "POST", "/api/v1/requests", `{"type":"access","identifiers":{"email":"`+strings.Repeat("a", 70<<10)+`"}}`), 413, "too-large")
			b.problem(b.call(agent, "POST", "/api/v1/requests", `{"type":"access","identifiers":{"email":"not-an-email"}}`), 422, "invalid")
			b.problem(b.call(agent, "POST", "/api/v1/requests/"+v1.ID+"/extend", `{"reason":"call +44 20 7946 0018"}`), 422, "invalid")
			b.problem(b.call(agent, "GET", "/api/v1/requests/req_00000000000000000000000000000000", nil), 404, "not-found")
			// A route the document does not have: answered with a problem too.
			req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/nothing", nil)
			req.Header.Set(testUserHeader, agent)
			if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 404 || res.Header.Get("Content-Type") != httpx.ContentTypeProblem {
				t.Errorf("unknown route: %v %v", err, res)
			} else {
				res.Body.Close()
			}
			req, _ = http.NewRequest("POST", b.srv.URL+"/api/v1/requests/"+v1.ID+"/deny", strings.NewReader("reason=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(testUserHeader, agent)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 415 {
				t.Errorf("form body: %d", res.StatusCode)
			}
			after, _ := b.app.DSAR.Get(context.Background(), v1.ID)
			if after.State != store.StateReceived || !after.ExtendedDueAt.IsZero() {
				t.Errorf("refused input changed the request: %+v", after)
			}
			var rep struct {
				OK bool
			}
			b.call(auditor, "GET", "/api/v1/audit/verify", nil).decode(t, &rep)
			if !rep.OK {
				t.Error("audit does not verify after the flows")
			}
			if b.checked.Load() < 30 {
				t.Errorf("only %d exchanges checked against the document", b.checked.Load())
			}
		})
	}
}

// TestPackageDownloadIsRecorded: an officer downloads the zip, recorded as
// access.package_downloaded by that user.
func TestPackageDownloadIsRecorded(t *testing.T) {
	b := setup(t, storetest.SQLite())
	p := b.ws.Sandbox.SamplePerson()
	r := b.call(officer, "POST", "/api/v1/requests", map[string]any{"type": "access", "verified_by": "signed email",
		"identifiers": map[string]string{"email": p.Email}})
	var v view
	r.decode(t, &v)
	if err := b.app.DSAR.Run(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	res := b.call(officer, "GET", "/api/v1/requests/"+v.ID+"/package", nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/zip" || len(res.body) < 100 || string(res.body[:2]) != "PK" {
		t.Fatalf("download: %d %s", res.status, res.header)
	}
	var actor string
	tl, _ := b.app.DSAR.Timeline(context.Background(), v.ID)
	for _, e := range tl {
		if e.Action == string(audit.ActionAccessPackageDownloaded) {
			actor = e.Actor
		}
	}
	if actor != "user:u_off" {
		t.Fatalf("download recorded as %q", actor)
	}
	if res := b.call(agent, "GET", "/api/v1/requests/"+v.ID+"/package", nil); res.status != 403 {
		t.Fatalf("agent download: %d", res.status)
	}
}
