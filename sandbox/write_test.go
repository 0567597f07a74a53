package sandbox

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
)

// hookLog collects the notifications the sandbox sends, checking each signature.
type hookLog struct {
	mu     sync.Mutex
	topics []string
	items  []map[string]any
	bad    int
}

func newHookLog(t *testing.T, secret string) (*hookLog, *WebhookOptions) {
	h := &hookLog{}
	url := newReceiver(t, func(body []byte, sig, _ string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if sig != Sign(body, secret) {
			h.bad++
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		topic, _ := m["topic"].(string)
		h.topics = append(h.topics, topic)
		item, _ := m["data"].(map[string]any)["item"].(map[string]any)
		h.items = append(h.items, item)
	})
	return h, &WebhookOptions{URL: url, Secret: secret}
}

// TestWriteEndpoints populates a workspace through Intercom's own write endpoints,
// each answer validated against the description (newEnv), and checks the state,
// the effects counted and the signed notifications.
func TestWriteEndpoints(t *testing.T) {
	hooks, wh := newHookLog(t, "whsec-write")
	e := newEnv(t, Options{Seed: 31, Contacts: 40, Webhook: wh})

	// Custom attributes must be defined before use.
	r := e.want(e.do("POST", "/contacts", `{"email":"ann@example.com","name":"Ann","custom_attributes":{"password":"hunter2"}}`), 400)
	if r.code(t) != "parameter_not_found" {
		t.Errorf("undefined attribute: %s", r.body)
	}
	e.want(e.do("POST", "/data_attributes", `{"name":"password","model":"contact","data_type":"string"}`), 200)
	e.want(e.do("POST", "/data_attributes", `{"name":"password","model":"contact","data_type":"string"}`), 400)
	e.want(e.do("POST", "/data_attributes", `{"name":"seats","model":"contact","data_type":"integer"}`), 200)
	e.want(e.do("POST", "/data_attributes", `{"name":"bad/name","model":"contact","data_type":"string"}`), 400)
	e.want(e.do("POST", "/data_attributes", `{"name":"x","model":"ticket","data_type":"string"}`), 400)
	var attrs struct {
		Data []map[string]any `json:"data"`
	}
	e.want(e.do("GET", "/data_attributes?model=contact", nil), 200).json(t, &attrs)
	if !slices.ContainsFunc(attrs.Data, func(a map[string]any) bool { return a["full_name"] == "custom_attributes.password" }) {
		t.Errorf("password attribute not listed: %v", attrs.Data)
	}
	e.want(e.do("POST", "/contacts", `{"email":"ann@example.com","custom_attributes":{"seats":"many"}}`), 400)

	var user, lead map[string]any
	e.want(e.do("POST", "/contacts", `{"email":"ann@example.com","name":"Ann","external_id":"ann-1","custom_attributes":{"password":"hunter2","seats":3}}`), 200).json(t, &user)
	if user["role"] != "user" || user["custom_attributes"].(map[string]any)["seats"] != float64(3) {
		t.Errorf("created %v", user)
	}
	e.want(e.do("POST", "/contacts", `{"email":"ann@example.com","external_id":"ann-2"}`), 409)
	e.want(e.do("POST", "/contacts", `{"role":"lead","email":"ann@example.com"}`), 200).json(t, &lead)
	uid, lid := user["id"].(string), lead["id"].(string)

	var upd map[string]any
	e.want(e.do("PUT", "/contacts/"+uid, `{"phone":"+44 20 7946 0958","custom_attributes":{"seats":null}}`), 200).json(t, &upd)
	if upd["phone"] != "+44 20 7946 0958" || upd["name"] != "Ann" || upd["custom_attributes"].(map[string]any)["seats"] != nil {
		t.Errorf("updated %v", upd)
	}
	e.want(e.do("PUT", "/contacts/nobody", `{"name":"x"}`), 404)
	e.want(e.do("PUT", "/contacts/"+uid, `{"custom_attributes":{"ssn":"078-05-1120"}}`), 400)

	tag := e.s.ws.tagOrder[0]
	e.want(e.do("POST", "/contacts/"+uid+"/tags", map[string]string{"id": tag}), 200)
	e.want(e.do("POST", "/contacts/"+uid+"/tags", map[string]string{"id": "nope"}), 404)
	e.want(e.do("POST", "/contacts/"+uid+"/subscriptions", map[string]string{"id": "37846", "consent_type": "opt_out"}), 200)
	var note map[string]any
	e.want(e.do("POST", "/contacts/"+uid+"/notes", map[string]string{"body": "Called <back>"}), 200).json(t, &note)
	if note["body"] != "<p>Called &lt;back&gt;</p>" {
		t.Errorf("note %v", note)
	}
	e.want(e.do("POST", "/events", map[string]any{"event_name": "placed-order", "id": uid, "metadata": map[string]any{"order": 7}}), 202)
	e.want(e.do("POST", "/events", map[string]any{"event_name": "placed-order", "user_id": "nobody"}), 404)

	var msg map[string]any
	e.want(e.do("POST", "/conversations", map[string]any{"from": map[string]string{"type": "user", "id": uid}, "body": "My card is 4111 1111 1111 1111"}), 200).json(t, &msg)
	conv := msg["conversation_id"].(string)
	e.want(e.do("POST", "/conversations", map[string]any{"from": map[string]string{"type": "lead", "id": uid}, "body": "x"}), 404)
	e.want(e.do("POST", "/conversations/"+conv+"/reply", map[string]any{"message_type": "comment", "type": "user", "intercom_user_id": lid, "body": "me too"}), 200)
	admin := e.s.Workspace().Admins()[0].ID
	e.want(e.do("POST", "/conversations/"+conv+"/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "on it"}), 200)
	e.want(e.do("POST", "/conversations/"+conv+"/reply", map[string]any{"message_type": "note", "type": "admin", "admin_id": admin, "body": "vip"}), 200)
	e.want(e.do("POST", "/conversations/999/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "x"}), 404)

	ws := e.s.Workspace()
	c, _ := ws.Contact(uid)
	if c.CustomAttributes["password"] != "hunter2" || !slices.Contains(c.TagIDs, tag) || len(ws.Notes(uid)) != 1 || len(ws.Events(uid)) != 1 {
		t.Errorf("stored contact %+v", c)
	}
	if cv, ok := ws.Conversation(conv); !ok || len(cv.Parts) != 3 || !slices.Contains(cv.ContactIDs, lid) {
		t.Errorf("stored conversation %+v", cv)
	}
	st := e.s.Stats()
	for _, eff := range []struct {
		kind Effect
		id   string
	}{{EffectContactCreated, uid}, {EffectContactCreated, lid}, {EffectContactUpdated, uid}, {EffectContactTagged, uid + "/" + tag},
		{EffectSubscriptionSet, uid + "/37846"}, {EffectNoteCreated, note["id"].(string)}, {EffectEventCreated, uid},
		{EffectConversationCreated, conv}} {
		if st.Effect(eff.kind, eff.id) != 1 {
			t.Errorf("effect %s %s counted %d times", eff.kind, eff.id, st.Effect(eff.kind, eff.id))
		}
	}
	if st.Effect(EffectConversationReplied, conv) != 3 {
		t.Errorf("%d replies counted", st.Effect(EffectConversationReplied, conv))
	}

	_ = e.s.Close()
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	want := []string{"contact.user.created", "contact.lead.created", "contact.user.updated", "contact.user.tag.created",
		"conversation.user.created", "conversation.user.replied", "conversation.admin.replied", "conversation.admin.noted"}
	if hooks.bad != 0 || !slices.Equal(hooks.topics, want) {
		t.Fatalf("notifications %v (%d badly signed), want %v", hooks.topics, hooks.bad, want)
	}
	if created := hooks.items[4]; created["id"] != conv || created["source"].(map[string]any)["author"].(map[string]any)["id"] != uid {
		t.Errorf("conversation.user.created item %v", created)
	}
}
