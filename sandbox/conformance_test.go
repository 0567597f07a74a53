package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/openapispec"
)

// TestConformance drives every endpoint the client needs, in its success and its
// documented error cases, and validates each answer against Intercom's OpenAPI
// description (newEnv wraps the handler in a validator); known differences are named in
// the deviations table.
func TestConformance(t *testing.T) {
	openapispec.Load(t) // skips with a message when ../shared is absent
	t.Run("endpoints", conformanceEndpoints)
	t.Run("faults", conformanceFaults)
	// Every deviation in the table must have been needed: a stale entry would loosen
	// the check for nothing.
	usedMu.Lock()
	defer usedMu.Unlock()
	for _, d := range deviations {
		if deviationsUsed[d.Name] == 0 {
			t.Errorf("deviation %q was never needed: %s", d.Name, d.Reason)
		}
	}
}

func conformanceEndpoints(t *testing.T) {
	e := newEnv(t, Options{Seed: 11, Contacts: 200, ExportDuration: time.Minute})
	p := e.s.SamplePerson()
	user, lead := p.LiveContactIDs[0], p.LiveContactIDs[1]

	e.want(e.do("GET", "/me", nil), 200)
	e.want(e.do("GET", "/contacts?per_page=5", nil), 200)
	e.want(e.do("GET", "/contacts/"+user, nil), 200)
	e.want(e.do("GET", "/contacts/find_by_external_id/"+p.ExternalID, nil), 200)
	e.want(e.do("POST", "/contacts/search", fmt.Sprintf(`{"query":{"field":"email","operator":"=","value":%q},"pagination":{"per_page":2}}`, p.Email)), 200)
	for _, sub := range []string{"tags", "segments", "companies", "notes", "subscriptions"} {
		e.want(e.do("GET", "/contacts/"+user+"/"+sub, nil), 200)
	}
	e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"field":"contact_ids","operator":"=","value":%q}}`, user)), 200)
	e.want(e.do("GET", "/conversations/"+p.ConversationIDs[0], nil), 200)
	e.want(e.do("POST", "/tickets/search", fmt.Sprintf(`{"query":{"field":"contact_ids","operator":"=","value":%q}}`, user)), 200)
	e.want(e.do("GET", "/tickets/"+p.TicketIDs[0], nil), 200)
	e.want(e.do("GET", "/events?type=user&intercom_user_id="+user, nil), 200)
	e.want(e.do("GET", "/events?type=user&intercom_user_id="+user+"&summary=true", nil), 200)

	conv, _ := e.s.Workspace().Conversation(p.ConversationIDs[0])
	var partID string
	for _, pt := range conv.Parts {
		if pt.Body != "" {
			partID = pt.ID
			break
		}
	}
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": conv.ID, "conversation_part_id": partID}), 200)
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": conv.ID, "conversation_part_id": partID}), 400)
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": conv.ID, "conversation_part_id": "1"}), 404)
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "source", "conversation_id": conv.ID, "source_id": conv.Source.ID}), 200)

	// Errors and quirks.
	e.want(e.do("GET", "/contacts/"+user, nil, "Authorization", "Bearer nope"), 401)
	e.want(e.do("GET", "/contacts/"+p.ArchivedIDs[0], nil), 404)
	e.want(e.do("GET", "/contacts/"+p.MergedIDs[0], nil), 410)
	e.want(e.do("GET", "/contacts/"+p.MergedIDs[0], nil, "Intercom-Version", "2.14"), 404)
	e.want(e.do("GET", "/contacts/find_by_external_id/nobody", nil), 404)
	e.want(e.do("GET", "/contacts/"+p.MergedIDs[0]+"/tags", nil), 410)
	e.want(e.do("GET", "/contacts/nobody/tags", nil), 404)
	e.want(e.do("GET", "/no/such/path", nil), 404)
	e.want(e.do("GET", "/contacts/"+user+"/notes?page=2&per_page=1", nil), 200)
	e.want(e.do("GET", "/contacts/"+user+"/notes?page=0", nil), 400)
	e.want(e.do("GET", "/contacts/"+user+"/companies?page=3&per_page=1", nil), 200)
	e.want(e.do("GET", "/contacts/"+user+"/companies?per_page=0", nil), 400)
	e.want(e.do("GET", "/contacts/"+user+"/merge_history", nil), 200)
	e.want(e.do("GET", "/contacts/"+user+"/merge_history?order=up", nil), 400)
	e.want(e.do("GET", "/contacts/"+user+"?include_merge_history=true", nil), 200)
	e.want(e.do("POST", "/contacts/search", `{"query":{"field":"email","operator":"=","value":"x"},"sort":{"field":"created_at","order":"up"}}`), 400)
	e.want(e.do("POST", "/conversations/search", `{"query":{"field":"nope","operator":"=","value":"x"}}`), 400)
	e.want(e.do("GET", "/conversations/1", nil), 404)
	e.want(e.do("GET", "/tickets/1", nil), 404)
	e.want(e.do("DELETE", "/tickets/"+p.TicketIDs[1], nil, "Intercom-Version", "2.12"), 400)
	e.want(e.do("DELETE", "/tickets/"+p.TicketIDs[1], nil), 200)
	e.want(e.do("DELETE", "/tickets/"+p.TicketIDs[1], nil), 404)
	e.want(e.do("DELETE", "/conversations/"+p.ConversationIDs[1], nil), 200)
	e.want(e.do("DELETE", "/conversations/"+p.ConversationIDs[1], nil), 404)
	e.want(e.do("GET", "/events?type=user", nil), 400)

	// Merge: a lead of the person into their user.
	e.want(e.do("POST", "/contacts/merge", map[string]string{"from": lead, "into": user}), 200)
	e.want(e.do("POST", "/contacts/merge", map[string]string{"from": lead, "into": user}), 404)
	e.want(e.do("POST", "/contacts/"+p.ArchivedIDs[0]+"/unarchive", nil), 200)
	e.want(e.do("POST", "/contacts/"+p.ArchivedIDs[0]+"/archive", nil), 200)
	e.want(e.do("POST", "/contacts/nobody/archive", nil), 404)
	e.want(e.do("DELETE", "/contacts/"+p.ArchivedIDs[0], nil), 200)
	e.want(e.do("DELETE", "/contacts/"+p.ArchivedIDs[0], nil), 404)

	// Write endpoints.
	e.want(e.do("GET", "/data_attributes", nil), 200)
	e.want(e.do("POST", "/data_attributes", `{"name":"ssn","model":"contact","data_type":"string"}`), 200)
	e.want(e.do("POST", "/data_attributes", `{"name":"ssn","model":"contact","data_type":"string"}`), 400)
	e.want(e.do("POST", "/contacts", `{"email":"new@example.com","custom_attributes":{"undefined":"x"}}`), 400)
	created := e.want(e.do("POST", "/contacts", `{"email":"new@example.com","custom_attributes":{"ssn":"078-05-1120"}}`), 200).m(t)
	e.want(e.do("POST", "/contacts", `{"email":"new@example.com"}`), 409)
	newID := created["id"].(string)
	e.want(e.do("PUT", "/contacts/"+newID, `{"name":"New Person"}`), 200)
	e.want(e.do("PUT", "/contacts/"+newID, `{"custom_attributes":{"undefined":"x"}}`), 400)
	e.want(e.do("PUT", "/contacts/nobody", `{"name":"x"}`), 404)
	e.want(e.do("POST", "/contacts/"+newID+"/tags", map[string]string{"id": e.s.ws.tagOrder[0]}), 200)
	e.want(e.do("DELETE", "/contacts/"+newID+"/tags/"+e.s.ws.tagOrder[0], nil), 200)
	e.want(e.do("DELETE", "/contacts/"+newID+"/tags/nope", nil), 404)
	e.want(e.do("DELETE", "/contacts/nobody/tags/"+e.s.ws.tagOrder[0], nil), 404)
	e.want(e.do("POST", "/contacts/"+newID+"/tags", map[string]string{"id": e.s.ws.tagOrder[0]}), 200)
	e.want(e.do("POST", "/contacts/"+newID+"/subscriptions", map[string]string{"id": "37846", "consent_type": "opt_in"}), 200)
	e.want(e.do("POST", "/contacts/"+newID+"/notes", map[string]string{"body": "note"}), 200)
	e.want(e.do("POST", "/events", map[string]any{"event_name": "signed-in", "id": newID}), 202)
	e.want(e.do("POST", "/events", map[string]any{"event_name": "signed-in", "id": "nobody"}), 404)
	msg := e.want(e.do("POST", "/conversations", map[string]any{"from": map[string]string{"type": "user", "id": newID}, "body": "hello"}), 200).m(t)
	e.want(e.do("POST", "/conversations", map[string]any{"from": map[string]string{"type": "user", "id": "nobody"}, "body": "hello"}), 404)
	e.want(e.do("POST", "/conversations/"+msg["conversation_id"].(string)+"/reply", map[string]any{"message_type": "comment", "type": "user", "intercom_user_id": newID, "body": "again"}), 200)
	// A message with files only (a screenshot): the part carries part_attachment objects.
	e.want(e.do("POST", "/conversations/"+msg["conversation_id"].(string)+"/reply", map[string]any{"message_type": "comment", "type": "user", "intercom_user_id": newID,
		"body": "", "attachment_urls": []string{"https://files.example.test/uploads/screenshot.png"}}), 200)
	e.want(e.do("GET", "/conversations/"+msg["conversation_id"].(string), nil), 200)
	// A teammate's reply the customer sees (tagintake's milestones).
	admin := e.s.ws.admins[0].ID
	e.want(e.do("POST", "/conversations/"+msg["conversation_id"].(string)+"/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "<p>We received your request.</p>"}), 200)
	// Tickets: created (ticket.created), replied to as a comment on a
	// Customer ticket, as a note only on a Back-office one.
	tk := e.want(e.do("POST", "/tickets", map[string]any{"ticket_type_id": "2", "contacts": []map[string]string{{"id": newID}},
		"ticket_attributes": map[string]string{"_default_title_": "Privacy", "_default_description_": "Delete my data"}}), 200).m(t)
	e.want(e.do("POST", "/tickets/"+tk["id"].(string)+"/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "We received your request."}), 200)
	e.want(e.do("GET", "/tickets/"+tk["id"].(string), nil), 200)
	bo := e.want(e.do("POST", "/tickets", map[string]any{"ticket_type_id": 3, "contacts": []map[string]string{{"email": "new@example.com"}}}), 200).m(t)
	e.want(e.do("POST", "/tickets/"+bo["id"].(string)+"/reply", map[string]any{"message_type": "note", "type": "admin", "admin_id": admin, "body": "checked"}), 200)
	e.want(e.do("POST", "/tickets/"+bo["id"].(string)+"/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "hello"}), 400)
	e.want(e.do("POST", "/tickets/nope/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "hello"}), 404)

	// Export.
	now := e.clock.Now().Unix()
	job := e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - 400*day, "created_at_before": now}), 200).m(t)
	id := job["job_identifier"].(string)
	e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - 400*day, "created_at_before": now}), 429)
	e.want(e.do("GET", "/export/content/data/"+id, nil), 200)
	e.clock.Add(2 * time.Minute)
	st := e.want(e.do("GET", "/export/content/data/"+id, nil), 200).m(t)
	e.want(e.do("GET", "/download/content/data/"+id, nil, "Accept", "application/octet-stream"), 200)
	e.want(e.do("GET", "/download/messages/data/"+id, nil, "Accept", "application/octet-stream"), 200)
	e.want(e.do("GET", "/download/content/data/"+id, nil), 406)
	e.want(e.do("GET", "/download/content/data/nope", nil, "Accept", "application/octet-stream"), 404)
	e.want(e.do("GET", "/export/content/data/nope", nil), 404)
	e.want(e.do("POST", "/export/content/data", `{"created_at_after":5}`), 400)
	job2 := e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - 400*day, "created_at_before": now}), 200).m(t)
	e.clock.Add(2 * time.Minute)
	st2 := e.want(e.do("GET", "/export/content/data/"+job2["job_identifier"].(string), nil), 200).m(t)
	if st["status"] != "complete" || st2["status"] != "completed" {
		t.Errorf("alternating spelling: jobs answered %v then %v, want complete then completed", st["status"], st2["status"])
	}
	job3 := e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - day, "created_at_before": now}), 200).m(t)
	c := e.want(e.do("POST", "/export/cancel/"+job3["job_identifier"].(string), nil), 200).m(t)
	if c["status"] != "canceled" {
		t.Errorf("cancel answered status %v", c["status"])
	}
	_ = http.StatusOK
}

// conformanceFaults validates the fault answers: 429 with headers, injected 5xx
// (including a proxy's HTML page), a failed export.
func conformanceFaults(t *testing.T) {
	e := newEnv(t, Options{Seed: 2, Contacts: 50, ErrorRate: 1})
	seen := map[int]bool{}
	for i := 0; i < 30; i++ {
		seen[e.do("GET", "/me", nil).status] = true
	}
	for _, st := range []int{500, 502, 503} {
		if !seen[st] {
			t.Errorf("ErrorRate 1 never answered %d (saw %v)", st, seen)
		}
	}
	e2 := newEnv(t, Options{Seed: 2, Contacts: 50, RateLimit: 2})
	e2.want(e2.do("GET", "/me", nil), 200)
	e2.want(e2.do("GET", "/me", nil), 200)
	e2.want(e2.do("GET", "/contacts", nil), 429)

	e3 := newEnv(t, Options{Seed: 2, Contacts: 50, ExportStatus: ExportFailed, RateLimit: -1})
	now := e3.clock.Now().Unix()
	job := e3.want(e3.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - day, "created_at_before": now}), 200).m(t)
	e3.clock.Add(time.Hour)
	if st := e3.want(e3.do("GET", "/export/content/data/"+job["job_identifier"].(string), nil), 504).m(t); st["status"] != "failed" {
		t.Errorf("failed job answered status %v", st["status"])
	}
	e3.want(e3.do("POST", "/contacts/x/archive", nil, "Authorization", "Bearer wrong"), 401)
	e3.want(e3.do("POST", "/tickets/search", `{"query":{"operator":"AND","value":[]}}`), 400)
	e3.want(e3.do("GET", "/contacts?per_page=0", nil), 400)
	e3.want(e3.do("GET", "/contacts?starting_after=bm9wZQ", nil), 400)
}
