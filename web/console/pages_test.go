package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
)

// section returns the part of a page from the heading with id to the next
// section.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<h2 id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %q in the page", id)
	}
	rest := body[i:]
	if j := strings.Index(rest, "<section"); j > 0 {
		rest = rest[:j]
	}
	return rest
}

// actionsOf returns the audit records of a request.
func actionsOf(t *testing.T, b *bundle, id string) []dsar.Event {
	t.Helper()
	recs, err := b.app.DSAR.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestDashboardByDueDate(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		overdue := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"late@example.com"}}, testNow.AddDate(0, 0, -45))
		b.verify(overdue.ID)
		soon := b.file(store.RequestErasure, dsar.Identifiers{Emails: []string{"soon@example.com"}}, testNow.AddDate(0, 0, -26))
		b.verify(soon.ID)
		fresh := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"fresh@example.com"}}, testNow.AddDate(0, 0, -1))
		later := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"later@example.com"}}, testNow.AddDate(0, 0, -2))
		b.verify(later.ID)
		res, body := b.do(authz.RoleAuditor, http.MethodGet, "/", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("dashboard: %d", res.StatusCode)
		}
		for _, c := range []struct {
			section string
			in, out []string
		}{
			{"overdue", []string{overdue.ID}, []string{soon.ID, fresh.ID, later.ID}},
			{"soon", []string{soon.ID}, []string{overdue.ID, fresh.ID, later.ID}},
			{"unverified", []string{fresh.ID}, []string{overdue.ID, soon.ID, later.ID}},
		} {
			s := section(t, body, c.section)
			for _, id := range c.in {
				if !strings.Contains(s, `href="/requests/`+id+`"`) {
					t.Errorf("section %s lacks a link to %s", c.section, id)
				}
			}
			for _, id := range c.out {
				if strings.Contains(s, id) {
					t.Errorf("section %s lists %s", c.section, id)
				}
			}
		}
		if !strings.Contains(section(t, body, "overdue"), "overdue") {
			t.Error("the overdue request does not say how late it is")
		}
		counts := section(t, body, "counts")
		for _, want := range []string{`state=received">received</a>: 1`, `state=verified">verified</a>: 3`, `state=completed">completed</a>: 0`, `state=awaiting_approval">awaiting_approval</a>: 0`} {
			if !strings.Contains(counts, want) {
				t.Errorf("counts lack %q: %s", want, counts)
			}
		}
		for _, email := range []string{"late@example.com", "soon@example.com", "fresh@example.com"} {
			if strings.Contains(body, email) {
				t.Errorf("the dashboard shows an identifier")
			}
		}
	})
}

func TestRequestListFilters(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		gdpr := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"a@example.com"}}, testNow.AddDate(0, 0, -45))
		ccpa, err := b.app.DSAR.Submit(context.Background(), dsar.Submission{Type: store.RequestErasure, Jurisdiction: "ccpa",
			Identifiers: dsar.Identifiers{Emails: []string{"b@example.com"}}, ReceivedAt: testNow.AddDate(0, 0, -2)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			query   string
			in, out []string
		}{
			{"", []string{gdpr.ID, ccpa.ID}, nil},
			{"?type=erasure", []string{ccpa.ID}, []string{gdpr.ID}},
			{"?jurisdiction=gdpr", []string{gdpr.ID}, []string{ccpa.ID}},
			{"?overdue=1", []string{gdpr.ID}, []string{ccpa.ID}},
			{"?overdue=1&state=completed", nil, []string{gdpr.ID, ccpa.ID}},
			{"?due_before=2026-03-20", []string{gdpr.ID}, []string{ccpa.ID}},
		} {
			res, body := b.do(authz.RoleAgent, http.MethodGet, "/requests"+c.query, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", c.query, res.StatusCode)
			}
			for _, id := range c.in {
				if !strings.Contains(body, id) {
					t.Errorf("%s: %s missing", c.query, id)
				}
			}
			for _, id := range c.out {
				if strings.Contains(body, id) {
					t.Errorf("%s: %s listed", c.query, id)
				}
			}
		}
		for _, q := range []string{"?state=bogus", "?due_before=tomorrow", "?type=%3Cscript%3E", "?jurisdiction=mars"} {
			if res, body := b.do(authz.RoleAgent, http.MethodGet, "/requests"+q, nil); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="problem"`) {
				t.Errorf("%s: %d", q, res.StatusCode)
			}
		}
		// The identifier search goes through the blind index and never puts the
		// identifier in an address.
		res, body := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/search", url.Values{"identifier": {"B@Example.com"}})
		if res.StatusCode != http.StatusOK || !strings.Contains(body, ccpa.ID) || strings.Contains(body, gdpr.ID) {
			t.Fatalf("search: %d, found ccpa %v, gdpr %v", res.StatusCode, strings.Contains(body, ccpa.ID), strings.Contains(body, gdpr.ID))
		}
		if strings.Contains(body, "b@example.com") || strings.Contains(strings.ToLower(body), "b%40example.com") {
			t.Error("the search page repeats the identifier")
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/search", url.Values{"identifier": {"  "}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("empty search: %d", res.StatusCode)
		}
	})
}

func TestRequestPageByRole(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		p := b.ws.Sandbox.SamplePerson()
		r := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{p.Email}}, testNow.AddDate(0, 0, -3))
		b.verify(r.ID)
		if err := b.app.DSAR.Run(context.Background(), r.ID); err != nil {
			t.Fatal(err)
		}
		_, agent := b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID, nil)
		if !strings.Contains(section(t, agent, "ids"), strings.ToLower(p.Email)) {
			t.Error("an agent does not see the identifiers")
		}
		contacts := section(t, agent, "contacts")
		if !strings.Contains(contacts, p.LiveContactIDs[0]) || !strings.Contains(contacts, "email") {
			t.Errorf("matched contacts lack the contact or why: %s", contacts)
		}
		if !strings.Contains(section(t, agent, "steps"), "resolve") || !strings.Contains(agent, "Access package") {
			t.Error("no steps or package")
		}
		if !strings.Contains(section(t, agent, "package"), "Your role may not download packages") {
			t.Error("an agent is offered the package")
		}
		res, auditor := b.do(authz.RoleAuditor, http.MethodGet, "/requests/"+r.ID, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("auditor: %d", res.StatusCode)
		}
		if strings.Contains(strings.ToLower(auditor), strings.ToLower(p.Email)) {
			t.Fatal("an auditor sees the email")
		}
		tl := section(t, auditor, "timeline")
		for _, action := range []string{"request.received", "request.verified", "access.package_created", "request.completed"} {
			if !strings.Contains(tl, action) {
				t.Errorf("timeline lacks %s", action)
			}
		}
		if strings.Contains(auditor, `action="/requests/`) {
			t.Error("an auditor is offered an action")
		}
		_, officer := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/requests/"+r.ID, nil)
		if !strings.Contains(officer, `href="/requests/`+r.ID+`/package"`) {
			t.Error("an officer is not offered the package")
		}
		res, zip := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/requests/"+r.ID+"/package", nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(zip, "PK") || res.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("package: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		recs := actionsOf(t, b, r.ID)
		last := recs[len(recs)-1]
		if last.Action != string(audit.ActionAccessPackageDownloaded) || last.Actor != "user:u_privacy_officer" {
			t.Fatalf("the download was recorded as %s by %s", last.Action, last.Actor)
		}
		if res, _ := b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID+"/package", nil); res.StatusCode != http.StatusForbidden {
			t.Fatalf("agent package: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RoleAgent, http.MethodGet, "/requests/req_00000000000000000000000000000000", nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown request: %d", res.StatusCode)
		}
	})
}

// TestHostileDataEscaped: values a person or an operator typed are shown as
// text, never as markup.
func TestHostileDataEscaped(t *testing.T) {
	b := setup(t, storetest.SQLite())
	hostile := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	r := b.file(store.RequestAccess, dsar.Identifiers{ExternalIDs: []string{hostile}}, testNow.AddDate(0, 0, -3))
	if _, err := b.app.DSAR.Extend(context.Background(), r.ID, 1, `<b onmouseover="alert(2)">complex</b>`); err != nil {
		t.Fatal(err)
	}
	_, body := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/requests/"+r.ID, nil)
	for _, raw := range []string{"<script>alert", "<img src=x", `<b onmouseover`} {
		if strings.Contains(body, raw) {
			t.Errorf("page carries %q unescaped", raw)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") || !strings.Contains(body, "&lt;b onmouseover=") {
		t.Error("the hostile values are not shown as text")
	}
	// A hostile value typed into the new-request form comes back escaped.
	res, form := b.do(authz.RoleAgent, http.MethodPost, "/requests", url.Values{"type": {"access"}, "jurisdiction": {"gdpr"},
		"channel": {"email"}, "email": {`"><script>alert(3)</script>`}, "verified_by": {"reply"}})
	if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(form, "<script>alert(3)") || !strings.Contains(form, "&lt;script&gt;alert(3)") {
		t.Fatalf("form: %d", res.StatusCode)
	}
	if !regexp.MustCompile(`email #1 is not valid`).MatchString(form) {
		t.Error("the form does not say which identifier is wrong")
	}
}

// fileForm posts the new-request form as role/user and returns the id of the
// request it shows.
func fileForm(t *testing.T, b *bundle, role authz.Role, user string, form url.Values) (id, done string) {
	t.Helper()
	res, body := b.doAs(role, user, http.MethodPost, "/requests", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/requests/req_") {
		t.Fatalf("file: %d %q %.300s", res.StatusCode, loc, body)
	}
	u, _ := url.Parse(loc)
	return strings.TrimPrefix(u.Path, "/requests/"), u.Query().Get("done")
}

// TestFileAndWorkThroughForms files requests through the form and works them
// through the page's forms: four eyes on an erasure, extension, denial,
// verification; each change recorded under the user who made it.
func TestFileAndWorkThroughForms(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		form := url.Values{"type": {"erasure"}, "jurisdiction": {"ccpa"}, "channel": {"web_form"}, "email": {"filed@example.com"},
			"verified_by": {"reply from the account address"}, "received_at": {"2026-03-09"}}
		id, done := fileForm(t, b, authz.RoleAgent, "u_agent", form)
		r, err := b.app.DSAR.Get(ctx, id)
		if err != nil || r.State != store.StateAwaitingApproval || r.Type != store.RequestErasure || r.Jurisdiction != "ccpa" ||
			!r.ReceivedAt.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) || done != "filed_for_approval" {
			t.Fatalf("filed %s %s %s %v (%s), %v", r.State, r.Type, r.Jurisdiction, r.ReceivedAt, done, err)
		}
		recs := actionsOf(t, b, id)
		if len(recs) != 2 || recs[0].Actor != "user:u_agent" || recs[1].Action != string(audit.ActionRequestVerified) || recs[1].Actor != "user:u_agent" {
			t.Fatalf("records %+v", recs)
		}
		_, page := b.doAs(authz.RoleAgent, "u_agent", http.MethodGet, "/requests/"+id+"?done="+done, nil)
		if !strings.Contains(page, html.EscapeString(doneMessages[done])) || strings.Contains(page, `action="/requests/`+id+`/approve"`) {
			t.Error("no confirmation after filing, or the agent is offered the approval")
		}
		// Four eyes: the agent may not approve (refused and recorded); an
		// officer who filed an erasure may not approve it; another may.
		if res, _ := b.doAs(authz.RoleAgent, "u_agent", http.MethodPost, "/requests/"+id+"/approve", url.Values{}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("agent approves: %d", res.StatusCode)
		}
		denied := false
		for rec, err := range b.app.Store.Records(ctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			if rec.Action == string(audit.ActionAccessDenied) {
				d, _ := audit.DecodeBody(rec.Body)
				denied = d.Actor == "user:u_agent" && strings.Contains(d.Reason, "POST /requests/{id}/approve")
			}
		}
		if !denied {
			t.Error("the refused approval is not in the audit trail")
		}
		own, _ := fileForm(t, b, authz.RolePrivacyOfficer, "u_po1", url.Values{"type": {"erasure"}, "jurisdiction": {"gdpr"},
			"channel": {"email"}, "email": {"own@example.com"}, "verified_by": {"reply"}})
		_, ownPage := b.doAs(authz.RolePrivacyOfficer, "u_po1", http.MethodGet, "/requests/"+own, nil)
		if strings.Contains(ownPage, `action="/requests/`+own+`/approve"`) || !strings.Contains(ownPage, "You filed it") {
			t.Error("the filer is offered the approval of her own erasure")
		}
		if res, body := b.doAs(authz.RolePrivacyOfficer, "u_po1", http.MethodPost, "/requests/"+own+"/approve", url.Values{}); res.StatusCode != http.StatusForbidden ||
			!strings.Contains(body, "someone other than") {
			t.Fatalf("self-approval: %d", res.StatusCode)
		}
		_, other := b.doAs(authz.RolePrivacyOfficer, "u_po2", http.MethodGet, "/requests/"+own, nil)
		if !strings.Contains(other, `action="/requests/`+own+`/approve"`) {
			t.Error("a second officer is not offered the approval")
		}
		if res, _ := b.doAs(authz.RolePrivacyOfficer, "u_po2", http.MethodPost, "/requests/"+own+"/approve", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		if got, _ := b.app.DSAR.Get(ctx, own); got.State != store.StateVerified || got.ApprovedBy != "user:u_po2" {
			t.Fatalf("approved: %s by %s", got.State, got.ApprovedBy)
		}
		if res, _ := b.doAs(authz.RolePrivacyOfficer, "u_po2", http.MethodPost, "/requests/"+id+"/reject", url.Values{"reason": {"identity proof too weak"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", res.StatusCode)
		}
		if got, _ := b.app.DSAR.Get(ctx, id); got.State != store.StateReceived {
			t.Fatalf("rejected: %s", got.State)
		}

		// Refused forms say why and change nothing.
		before, _ := b.app.Store.ListRequests(ctx, store.RequestFilter{})
		for _, c := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"type": {"access"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "verified_by": {"x"}}, "at least one identifier"},
			{url.Values{"type": {"access"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "email": {"a@example.com"}}, "how the requester"},
			{url.Values{"type": {"access"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "email": {"a@example.com"}, "verified_by": {"x"}, "received_at": {"2027-01-01"}}, "in the future"},
			{url.Values{"type": {"access"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "email": {"a@example.com"}, "verified_by": {"called +44 20 7946 0958"}}, "personal data"},
			{url.Values{"type": {"erasure"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "email": {"own@example.com"}, "phone": {"+44 20 7946 0958"}, "verified_by": {"x"}}, "open request"},
		} {
			res, body := b.do(authz.RoleAgent, http.MethodPost, "/requests", c.form)
			if res.StatusCode/100 != 4 || !strings.Contains(body, c.want) {
				t.Errorf("%v: %d, want 4xx saying %q", c.form, res.StatusCode, c.want)
			}
		}
		if after, _ := b.app.Store.ListRequests(ctx, store.RequestFilter{}); len(after) != len(before) {
			t.Fatalf("%d requests after refused forms, %d before", len(after), len(before))
		}

		// An access request: extend once, deny with a reason, then nothing.
		acc, done := fileForm(t, b, authz.RoleAgent, "u_agent", url.Values{"type": {"access"}, "jurisdiction": {"ccpa"},
			"channel": {"email"}, "email": {"acc@example.com"}, "verified_by": {"reply"}})
		if done != "filed" {
			t.Fatalf("access filed with %q", done)
		}
		if res, body := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/"+acc+"/deny", url.Values{}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "needs a reason") {
			t.Fatalf("deny without reason: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/"+acc+"/extend", url.Values{"reason": {"many systems to search"}, "by": {"45"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("extend: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/"+acc+"/extend", url.Values{"reason": {"again"}}); res.StatusCode != http.StatusConflict {
			t.Fatalf("second extension: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/"+acc+"/deny", url.Values{"reason": {"CCPA 7062 unverifiable"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("deny: %d", res.StatusCode)
		}
		if res, _ := b.do(authz.RolePrivacyOfficer, http.MethodPost, "/requests/"+acc+"/cancel", url.Values{}); res.StatusCode != http.StatusConflict {
			t.Fatalf("cancel a denied request: %d", res.StatusCode)
		}
		r, _ = b.app.DSAR.Get(ctx, acc)
		recs = actionsOf(t, b, acc)
		if r.State != store.StateDenied || r.ExtendedDueAt.IsZero() || recs[len(recs)-1].Actor != "user:u_privacy_officer" {
			t.Fatalf("state %s, extended %v, last actor %s", r.State, r.ExtendedDueAt, recs[len(recs)-1].Actor)
		}

		// Notes and the assignee.
		if res, _ := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+id+"/notes", url.Values{"text": {"called back, <b>waiting</b> for ID"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("note: %d", res.StatusCode)
		}
		agentID, err := b.app.Users.Add(ctx, users.AddInput{Email: "agent@example.com", Role: authz.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+id+"/assignee", url.Values{"user_id": {agentID}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("assign: %d", res.StatusCode)
		}
		_, page = b.do(authz.RoleAgent, http.MethodGet, "/requests/"+id, nil)
		notes := section(t, page, "notes")
		if !strings.Contains(notes, "called back, &lt;b&gt;waiting&lt;/b&gt; for ID") || !strings.Contains(notes, "user:"+agentID) || !strings.Contains(notes, "agent@example.com (agent)") {
			t.Errorf("notes section: %s", notes)
		}
		_, page = b.do(authz.RoleAuditor, http.MethodGet, "/requests/"+id, nil)
		if strings.Contains(page, "called back") {
			t.Error("an auditor reads the notes")
		}
		if _, list := b.do(authz.RoleAgent, http.MethodGet, "/requests?assignee="+agentID, nil); !strings.Contains(list, id) || strings.Contains(list, acc) {
			t.Error("the assignee filter")
		}

		// Verify through the form.
		fresh := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"v@example.com"}}, testNow)
		if res, _ := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+fresh.ID+"/verify", url.Values{"method": {"signed letter"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("verify: %d", res.StatusCode)
		}
		if got, _ := b.app.DSAR.Get(ctx, fresh.ID); got.State != store.StateVerified {
			t.Fatalf("verify left %s", got.State)
		}
		if res, _ := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+fresh.ID+"/verify", url.Values{strings.Repeat("x", 70000): {"y"}}); res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized form: %d", res.StatusCode)
		}
	})
}

func TestAuditPage(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"a@example.com"}}, testNow)
		res, body := b.do(authz.RoleAuditor, http.MethodGet, "/audit/verify", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "The audit trail is whole") || !regexp.MustCompile(`Unsigned tail</th><td>[1-9]\d* records`).MatchString(body) {
			t.Fatalf("verify: %d %s", res.StatusCode, section(t, body, "result"))
		}
		res, export := b.do(authz.RoleAuditor, http.MethodGet, "/audit/export", nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(export, `{"type":"header"`) || !strings.Contains(export, `"request.received"`) {
			t.Fatalf("export: %d %.200s", res.StatusCode, export)
		}
	})
}

func TestRetentionPage(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		r := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"a@example.com"}}, testNow)
		res, body := b.do(authz.RoleAuditor, http.MethodGet, "/retention", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "contact cache") || !strings.Contains(body, "The next run is at 11 Mar 2026 03:00 UTC") {
			t.Fatalf("retention: %d %s", res.StatusCode, section(t, body, "policy"))
		}
		if strings.Contains(body, `action="/retention/holds"`) {
			t.Error("an auditor is offered a hold")
		}
		res, _ = b.do(authz.RolePrivacyOfficer, http.MethodPost, "/retention/holds", url.Values{"request_id": {r.ID}, "reason": {"litigation hold, case 17"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("hold: %d", res.StatusCode)
		}
		holds, _ := b.h.Retention.Holds(context.Background())
		if len(holds) != 1 {
			t.Fatalf("%d holds", len(holds))
		}
		_, body = b.do(authz.RolePrivacyOfficer, http.MethodGet, "/retention", nil)
		if !strings.Contains(section(t, body, "holds"), "litigation hold, case 17") {
			t.Fatal("the hold is not listed")
		}
		res, body = b.do(authz.RolePrivacyOfficer, http.MethodPost, "/retention/holds", url.Values{"request_id": {r.ID}, "reason": {"ask jane.doe@example.com"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "reason refused") || !strings.Contains(body, `value="ask jane.doe@example.com"`) {
			t.Fatalf("hold with personal data: %d", res.StatusCode)
		}
		res, _ = b.do(authz.RolePrivacyOfficer, http.MethodPost, "/retention/holds/"+holds[0].ID+"/release", url.Values{"reason": {"case closed"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("release: %d", res.StatusCode)
		}
		if holds, _ := b.h.Retention.Holds(context.Background()); len(holds) != 0 {
			t.Fatal("the hold is still active")
		}
		recs := actionsOf(t, b, r.ID)
		if last := recs[len(recs)-1]; last.Action != string(audit.ActionLegalHoldReleased) || last.Actor != "user:u_privacy_officer" {
			t.Fatalf("last record %s by %s", last.Action, last.Actor)
		}
	})
}

// TestMetricsPage shows package metrics' report of requests with known
// dates, and its CSV and JSON as metrics writes them.
func TestMetricsPage(t *testing.T) {
	b := setup(t, storetest.SQLite())
	ctx := context.Background()
	denied := b.file(store.RequestErasure, dsar.Identifiers{Emails: []string{"d@example.com"}}, testNow.AddDate(0, 0, -20))
	if _, err := b.app.DSAR.Deny(ctx, denied.ID, "CCPA 7062 unverifiable"); err != nil {
		t.Fatal(err)
	}
	b.file(store.RequestErasure, dsar.Identifiers{Emails: []string{"o@example.com"}}, testNow.AddDate(0, 0, -2))
	b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"old@example.com"}}, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	res, body := b.do(authz.RoleAuditor, http.MethodGet, "/reports/requests?year=2026", nil)
	row := regexp.MustCompile(`<td>erasure</td><td>gdpr</td><td>2</td><td>0</td><td>1</td>\s*<td>CCPA 7062 unverifiable: 1<br></td><td>0</td><td>1</td><td>20\.0</td><td>20\.0</td>`)
	if res.StatusCode != http.StatusOK || !row.MatchString(body) || strings.Contains(body, "<td>access</td>") {
		t.Fatalf("metrics: %d %s", res.StatusCode, body[strings.Index(body, "<table"):])
	}
	res, csv := b.do(authz.RoleAgent, http.MethodGet, "/reports/requests.csv?year=2026", nil)
	want := "year,type,jurisdiction,received,complied_in_whole_or_part,denied,denied_by_reason,withdrawn,open,mean_days_to_respond,median_days_to_respond\n" +
		"2026,erasure,gdpr,2,0,1,CCPA 7062 unverifiable: 1,0,1,20.0,20.0\n"
	if res.StatusCode != http.StatusOK || csv != want || !strings.Contains(res.Header.Get("Content-Disposition"), "request-metrics-2026.csv") {
		t.Fatalf("csv: %d %q", res.StatusCode, csv)
	}
	res, js := b.do(authz.RoleAuditor, http.MethodGet, "/reports/requests.json?year=2025", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(js, `"year": 2025`) || !strings.Contains(js, `"type": "access"`) {
		t.Fatalf("json: %d %s", res.StatusCode, js)
	}
	for _, y := range []string{"1999", "2027", "twenty"} {
		if res, _ := b.do(authz.RoleAuditor, http.MethodGet, "/reports/requests?year="+y, nil); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("year %s: %d", y, res.StatusCode)
		}
		if res, _ := b.do(authz.RoleAuditor, http.MethodGet, "/reports/requests.csv?year="+y, nil); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("csv year %s: %d", y, res.StatusCode)
		}
	}
}

// TestUsersPage adds and disables accounts through package users: the
// password is shown once, on the answer to the form.
func TestUsersPage(t *testing.T) {
	b := setup(t, storetest.SQLite())
	res, body := b.do(authz.RoleAdmin, http.MethodPost, "/users", url.Values{"email": {"po@example.com"}, "role": {"privacy_officer"}})
	m := regexp.MustCompile(`<p class="secret" id="new-password">([^<]+)</p>`).FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil || len(m[1]) < 12 || !strings.Contains(body, "privacy officer") {
		t.Fatalf("add: %d", res.StatusCode)
	}
	us, err := b.app.Users.List(context.Background())
	if err != nil || len(us) != 1 || us[0].Email != "po@example.com" || us[0].Role != authz.RolePrivacyOfficer {
		t.Fatalf("accounts %+v, %v", us, err)
	}
	_, body = b.do(authz.RoleAdmin, http.MethodGet, "/users", nil)
	if strings.Contains(body, m[1]) || !strings.Contains(body, "po@example.com") {
		t.Fatal("the list shows the password again, or not the user")
	}
	for _, c := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"email": {"x@example.com"}, "role": {"root"}}, http.StatusUnprocessableEntity},
		{url.Values{"email": {"not an address"}, "role": {"agent"}}, http.StatusUnprocessableEntity},
		{url.Values{"email": {"PO@example.com"}, "role": {"agent"}}, http.StatusConflict},
	} {
		if res, _ := b.do(authz.RoleAdmin, http.MethodPost, "/users", c.form); res.StatusCode != c.want {
			t.Errorf("%v: %d, want %d", c.form, res.StatusCode, c.want)
		}
	}
	if res, _ := b.do(authz.RoleAdmin, http.MethodPost, "/users/"+us[0].ID+"/disable", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := b.do(authz.RoleAdmin, http.MethodPost, "/users/"+us[0].ID+"/disable", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Fatalf("disable twice: %d", res.StatusCode)
	}
	if us, _ := b.app.Users.List(context.Background()); !us[0].Disabled {
		t.Fatal("not disabled")
	}
	if res, _ := b.do(authz.RoleAdmin, http.MethodPost, "/users/usr_missing/disable", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown account: %d", res.StatusCode)
	}
	// The last active administrator is not disabled.
	admin, err := b.app.Users.Add(context.Background(), users.AddInput{Email: "admin@example.com", Role: authz.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if res, body := b.doAs(authz.RoleAdmin, admin, http.MethodPost, "/users/"+admin+"/disable", url.Values{}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "last active admin") {
		t.Fatalf("last admin: %d", res.StatusCode)
	}
}

func TestHeadersAndAssets(t *testing.T) {
	b := setup(t, storetest.SQLite())
	res, body := b.do(authz.RoleAgent, http.MethodGet, "/", nil)
	if got := res.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") || strings.Contains(got, "unsafe-inline") || !strings.Contains(got, "default-src 'none'") {
		t.Fatalf("CSP %q", got)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", res.Header)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
		t.Fatal("a page carries inline script or style")
	}
	css := b.h.StylesheetURL()
	if !regexp.MustCompile(`^/assets/console\.[0-9a-f]{12}\.css$`).MatchString(css) || !strings.Contains(body, `href="`+css+`"`) {
		t.Fatalf("stylesheet %q", css)
	}
	res, _ = b.do("", http.MethodGet, css, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("asset: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := b.do("", http.MethodGet, "/assets/console.000000000000.css", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("stale asset: %d", res.StatusCode)
	}
	if res, _ := b.do(authz.RoleAgent, http.MethodGet, "/nowhere", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown page: %d", res.StatusCode)
	}
}

// TestDashboardSectionsAreBounded: a list of the dashboard stops at its cap
// and links to the full list.
func TestDashboardSectionsAreBounded(t *testing.T) {
	b := setup(t, storetest.SQLite())
	for i := range sectionCap + 1 {
		b.file(store.RequestAccess, dsar.Identifiers{ExternalIDs: []string{fmt.Sprintf("user-%d", i)}}, testNow.Add(-time.Duration(i)*time.Minute))
	}
	_, body := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/", nil)
	s := section(t, body, "unverified")
	if n := strings.Count(s, `<td><a class="id" href="/requests/`); n != sectionCap || !strings.Contains(s, fmt.Sprintf(`href="/requests?state=received">see all %d`, sectionCap+1)) {
		t.Fatalf("%d rows", n)
	}
	if !strings.Contains(section(t, body, "counts"), fmt.Sprintf(`received</a>: %d`, sectionCap+1)) ||
		!strings.Contains(s, fmt.Sprintf(`verification (%d)`, sectionCap+1)) {
		t.Fatal("the count is capped")
	}
}

// TestErasureThroughTheConsole: an agent files an erasure, a privacy officer
// approves it, it runs against the sandbox to completion, and its page shows
// the evidence, with the identifiers shredded.
func TestErasureThroughTheConsole(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		p := b.ws.Sandbox.SamplePerson()
		id, _ := fileForm(t, b, authz.RoleAgent, "u_agent", url.Values{"type": {"erasure"}, "jurisdiction": {"gdpr"},
			"channel": {"email"}, "email": {p.Email}, "verified_by": {"reply from the account address"}})
		if res, _ := b.doAs(authz.RolePrivacyOfficer, "u_po", http.MethodPost, "/requests/"+id+"/approve", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		if err := b.app.DSAR.Run(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		_, page := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/requests/"+id, nil)
		ev := section(t, page, "erasure")
		if !strings.Contains(ev, "completed") || !strings.Contains(ev, "intercom") || !regexp.MustCompile(`class="id">[0-9a-f]{64}<`).MatchString(ev) {
			t.Fatalf("erasure evidence: %s", ev)
		}
		if !strings.Contains(section(t, page, "ids"), "can no longer be read") || strings.Contains(strings.ToLower(page), strings.ToLower(p.Email)) {
			t.Fatal("the identifiers are shown after the erasure")
		}
		_, audit := b.do(authz.RoleAuditor, http.MethodGet, "/requests/"+id, nil)
		tl := section(t, audit, "timeline")
		for _, want := range []string{"request.approved", "erasure.intercom_deleted", "erasure.verified", "request.completed", "user:u_po", "user:u_agent"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the auditor's timeline lacks %s", want)
			}
		}
	})
}

// TestDashboardDueSoonBehindManyOverdue: more overdue requests than a
// section holds, all received before the one due within the week, still
// leave that one in "due soon" (the section is a window of due dates, not
// "due before a week on" with the overdue dropped after).
func TestDashboardDueSoonBehindManyOverdue(t *testing.T) {
	b := setup(t, storetest.SQLite())
	for i := range sectionCap + 1 {
		b.file(store.RequestAccess, dsar.Identifiers{ExternalIDs: []string{fmt.Sprintf("late-%d", i)}}, testNow.AddDate(0, 0, -60).Add(time.Duration(i)*time.Minute))
	}
	soon := b.file(store.RequestErasure, dsar.Identifiers{Emails: []string{"soon@example.com"}}, testNow.AddDate(0, 0, -26))
	_, body := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/", nil)
	if s := section(t, body, "soon"); !strings.Contains(s, `href="/requests/`+soon.ID+`"`) || strings.Contains(s, "late-") {
		t.Fatalf("due soon: %s", s)
	}
	if n := strings.Count(section(t, body, "overdue"), `<td><a class="id" href="/requests/`); n != sectionCap {
		t.Fatalf("overdue: %d rows", n)
	}
}

// TestDashboardPausedBehindManyInProgress: a paused request received after
// more in-progress requests than the dashboard used to read (it listed the
// first 201 in progress and asked each whether it was paused) is in the
// "paused" section, with why, on both backends; the ones in progress and not
// paused are not.
func TestDashboardPausedBehindManyInProgress(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		st := b.app.Store
		const busy = 210
		for i := range busy {
			r, err := st.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", State: store.StateInProgress,
				ReceivedAt: testNow.AddDate(0, 0, -20).Add(time.Duration(i) * time.Minute), DueAt: testNow.AddDate(0, 0, 10)})
			if err != nil {
				t.Fatal(err)
			}
			if i%50 == 0 {
				// Paused once and resumed: not paused now.
				if err := st.UpsertStep(ctx, store.Step{RequestID: r.ID, Name: "_pause", State: store.StepDone,
					Detail: []byte(`{"reason":"` + dsar.PauseForbidden + `"}`), StartedAt: testNow.AddDate(0, 0, -3)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		paused, err := st.CreateRequest(ctx, store.Request{Type: store.RequestErasure, Jurisdiction: "gdpr", State: store.StateInProgress,
			ReceivedAt: testNow.AddDate(0, 0, -1), DueAt: testNow.AddDate(0, 0, 29)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertStep(ctx, store.Step{RequestID: paused.ID, Name: "_pause", State: store.StepPending,
			Detail: []byte(`{"reason":"` + dsar.PauseUnauthorized + `"}`), StartedAt: testNow.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		_, body := b.do(authz.RolePrivacyOfficer, http.MethodGet, "/", nil)
		s := section(t, body, "paused")
		if !strings.Contains(s, `href="/requests/`+paused.ID+`"`) || !strings.Contains(s, dsar.PauseUnauthorized) || !strings.Contains(s, "INTERCOM_ACCESS_TOKEN") {
			t.Fatalf("the paused request is not listed with why: %s", s)
		}
		if n := strings.Count(s, `<td><a class="id" href="/requests/`); n != 1 {
			t.Fatalf("paused: %d rows, want 1", n)
		}
		if !strings.Contains(section(t, body, "counts"), fmt.Sprintf(`in_progress</a>: %d`, busy+1)) {
			t.Fatalf("counts: %s", section(t, body, "counts"))
		}
	})
}
