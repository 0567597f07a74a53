package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestAPIRights: corrections, restrictions and objections are filed through
// POST /api/v1/requests like access and erasure (every exchange checked against
// the OpenAPI document); a bad field is a problem that never repeats the value,
// and nothing is filed.
func TestAPIRights(t *testing.T) {
	b := setup(t, storetest.SQLite())
	ctx := context.Background()
	r := b.call(officer, "POST", "/api/v1/requests", map[string]any{"type": "correction", "verified_by": "signed email",
		"identifiers": map[string]string{"email": "kay@example.com"}, "set": map[string]string{"name": "Kay Corrected"}})
	var v view
	r.decode(t, &v)
	if r.status != 201 || v.Type != "correction" || v.State != "verified" {
		t.Fatalf("correction: %d %s", r.status, r.body)
	}
	req, err := b.app.DSAR.Get(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := b.app.DSAR.PayloadOf(ctx, req); err != nil || p.Set["name"] != "Kay Corrected" {
		t.Errorf("payload %+v %v", p, err)
	}
	if strings.Contains(string(req.Outcome), "Kay") {
		t.Error("the value is in the record")
	}
	for _, bad := range []map[string]string{{"role": "lead"}, {"email": "secret-not-an-address"}, {}} {
		p := b.problem(b.call(officer, "POST", "/api/v1/requests", map[string]any{"type": "correction",
			"identifiers": map[string]string{"email": "lou@example.com"}, "set": bad}), 422, "invalid")
		if strings.Contains(p.Detail, "secret-not") {
			t.Errorf("the detail repeats the value: %q", p.Detail)
		}
	}
	r = b.call(agent, "POST", "/api/v1/requests", map[string]any{"type": "objection", "jurisdiction": "ccpa",
		"identifiers": map[string]string{"email": "max@example.com"}, "scope": []string{"sale_sharing"}})
	r.decode(t, &v)
	if r.status != 201 || v.Type != "objection" {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	b.problem(b.call(agent, "POST", "/api/v1/requests", map[string]any{"type": "appeal",
		"identifiers": map[string]string{"email": "max@example.com"}}), 422, "invalid")
	rs, err := b.app.Store.ListRequests(ctx, store.RequestFilter{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("%d requests filed, want 2: %v", len(rs), err)
	}
	// Appeals: refused where the law has none, filed and decided where it has.
	b.problem(b.call(officer, "POST", "/api/v1/requests/"+deniedUnder(b, deadline.GDPR)+"/appeal", nil), 422, "invalid")
	r = b.call(officer, "POST", "/api/v1/requests/"+deniedUnder(b, deadline.Colorado)+"/appeal", map[string]string{"channel": "email"})
	var ap struct {
		ID, Type string
		Linked   string `json:"linked_request"`
	}
	r.decode(t, &ap)
	if r.status != 200 || ap.Type != "appeal" || ap.Linked == "" {
		t.Fatalf("appeal: %d %s", r.status, r.body)
	}
	b.problem(b.call(officer, "POST", "/api/v1/requests/"+ap.ID+"/decide", map[string]string{"decision": "maybe", "reason": "x"}), 422, "invalid")
	r = b.call(officer, "POST", "/api/v1/requests/"+ap.ID+"/decide", map[string]string{"decision": "reversed", "reason": "identity verified on appeal"})
	if r.status != 200 || !strings.Contains(string(r.body), "Attorney General") {
		t.Errorf("decide: %d %s", r.status, r.body)
	}
	var list struct{ Items []view }
	b.call(auditor, "GET", "/api/v1/requests?type=objection&type=correction", nil).decode(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("list by the new types: %+v", list.Items)
	}
}
