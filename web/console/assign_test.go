package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/users"
)

// TestAssignChoosesAmongActiveWorkers: the assign form offers the active
// accounts that work requests, by email and role; an auditor, a disabled
// account and an unknown id are refused with a reason and nothing changes;
// a valid choice is recorded in the audit trail with the id in ObjectIDs.
func TestAssignChoosesAmongActiveWorkers(t *testing.T) {
	forBackends(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		add := func(email string, role authz.Role) string {
			id, err := b.app.Users.Add(ctx, users.AddInput{Email: email, Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		officer := add("officer@example.com", authz.RolePrivacyOfficer)
		agent := add("agent@example.com", authz.RoleAgent)
		auditor := add("auditor@example.com", authz.RoleAuditor)
		gone := add("gone@example.com", authz.RoleAgent)
		if err := b.app.Users.DisableID(ctx, gone); err != nil {
			t.Fatal(err)
		}
		r := b.file(store.RequestAccess, dsar.Identifiers{Emails: []string{"p@example.com"}}, testNow)

		_, page := b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID, nil)
		notes := section(t, page, "notes")
		for _, want := range []string{`<select id="assignee" name="user_id">`, `<option value="" selected>Nobody</option>`,
			`<option value="` + officer + `">officer@example.com (privacy officer)</option>`, `<option value="` + agent + `">agent@example.com (agent)</option>`} {
			if !strings.Contains(notes, want) {
				t.Errorf("the form lacks %s:\n%s", want, notes)
			}
		}
		if strings.Contains(notes, auditor) || strings.Contains(notes, gone) {
			t.Errorf("the form offers an auditor or a disabled account:\n%s", notes)
		}

		before := len(actionsOf(t, b, r.ID))
		for _, c := range []struct{ id, says string }{
			{auditor, "auditors only read requests"},
			{gone, "disabled"},
			{"usr_nobody", "no such account"},
		} {
			res, body := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+r.ID+"/assignee", url.Values{"user_id": {c.id}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.says) {
				t.Errorf("assign %s: %d %.300s", c.id, res.StatusCode, body)
			}
		}
		if got, _ := b.app.DSAR.Get(ctx, r.ID); got.Assignee != "" || len(actionsOf(t, b, r.ID)) != before {
			t.Fatalf("a refused assignment changed the request: %q", got.Assignee)
		}

		if res, _ := b.do(authz.RoleAgent, http.MethodPost, "/requests/"+r.ID+"/assignee", url.Values{"user_id": {officer}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("assign: %d", res.StatusCode)
		}
		if got, _ := b.app.DSAR.Get(ctx, r.ID); got.Assignee != "user:"+officer {
			t.Fatalf("assignee %q", got.Assignee)
		}
		// The record itself (dsar.Timeline's events do not carry ObjectIDs).
		raw, err := b.app.Store.RequestAudit(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, err := audit.DecodeBody(raw[len(raw)-1].Body)
		if err != nil || last.Action != audit.ActionRequestAssigned || last.Actor != "user:u_agent" || len(last.ObjectIDs) != 1 || last.ObjectIDs[0] != "user:"+officer {
			t.Fatalf("audit record %+v %v", last, err)
		}
		_, page = b.do(authz.RoleAgent, http.MethodGet, "/requests/"+r.ID, nil)
		if !strings.Contains(section(t, page, "notes"), `<option value="`+officer+`" selected>`) {
			t.Error("the current assignee is not selected")
		}
	})
}
