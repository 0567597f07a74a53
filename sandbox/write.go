package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Intercom's write endpoints for the objects the sandbox serves, so a developer can
// populate a workspace through the API the product uses. Each answers as the
// description defines it, counts its effect in Stats and sends the webhook topic
// Intercom would.

// contactWrite is the body of POST /contacts and PUT /contacts/{id}. A field that is
// absent leaves the contact's value as it is (PUT) or empty (POST); JSON null clears
// it.
type contactWrite struct {
	Role                   *string                    `json:"role"`
	ExternalID             json.RawMessage            `json:"external_id"`
	Email                  json.RawMessage            `json:"email"`
	Phone                  json.RawMessage            `json:"phone"`
	Name                   json.RawMessage            `json:"name"`
	Avatar                 json.RawMessage            `json:"avatar"`
	SignedUpAt             json.RawMessage            `json:"signed_up_at"`
	LastSeenAt             json.RawMessage            `json:"last_seen_at"`
	OwnerID                json.RawMessage            `json:"owner_id"`
	UnsubscribedFromEmails *bool                      `json:"unsubscribed_from_emails"`
	CustomAttributes       map[string]json.RawMessage `json:"custom_attributes"`
}

// writeFail is an error answer decided while the workspace lock is held.
type writeFail struct {
	status int
	err    apiError
}

func fail(status int, code, msg, field string) *writeFail {
	e := apiError{Code: code, Message: &msg}
	if field != "" {
		e.Field = &field
	}
	return &writeFail{status: status, err: e}
}

func (f *writeFail) write(w http.ResponseWriter, r *http.Request) {
	var rid *string
	if id := requestIDOf(r); id != "" {
		rid = &id
	}
	writeJSON(w, f.status, errorList{Type: "error.list", RequestID: rid, Errors: []apiError{f.err}})
}

// optString reads an optional string member: set reports whether it was sent;
// JSON null reads as "".
func optString(raw json.RawMessage, field string) (v string, set bool, f *writeFail) {
	if len(raw) == 0 {
		return "", false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, nil
	}
	if json.Unmarshal(raw, &v) != nil {
		// Intercom accepts ids sent as numbers.
		if n := idString(raw); n != "" && (field == "owner_id" || field == "external_id") {
			return n, true, nil
		}
		return "", false, fail(http.StatusBadRequest, "parameter_invalid", field+" must be a string", field)
	}
	return v, true, nil
}

func optTime(raw json.RawMessage, field string) (v int64, set bool, f *writeFail) {
	if len(raw) == 0 {
		return 0, false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return 0, true, nil
	}
	if json.Unmarshal(raw, &v) != nil || v < 0 {
		return 0, false, fail(http.StatusBadRequest, "parameter_invalid", field+" must be a UNIX timestamp", field)
	}
	return v, true, nil
}

// apply sets the fields of req on c, checking custom attributes against their
// definitions and the email's and external id's uniqueness. It changes nothing when
// it fails. The caller holds the write lock.
func (ws *Workspace) apply(c *Contact, req *contactWrite, creating bool) *writeFail {
	next := cloneContact(c)
	if req.Role != nil {
		if *req.Role != "user" && *req.Role != "lead" {
			return fail(http.StatusBadRequest, "parameter_invalid", "role must be user or lead", "role")
		}
		if !creating && c.Role == "user" && *req.Role == "lead" {
			return fail(http.StatusBadRequest, "parameter_invalid", "a user cannot become a lead", "role")
		}
		next.Role = *req.Role
	}
	for _, f := range []struct {
		raw  json.RawMessage
		name string
		dst  *string
	}{{req.ExternalID, "external_id", &next.ExternalID}, {req.Email, "email", &next.Email}, {req.Phone, "phone", &next.Phone},
		{req.Name, "name", &next.Name}, {req.OwnerID, "owner_id", &next.OwnerID}} {
		v, set, bad := optString(f.raw, f.name)
		if bad != nil {
			return bad
		}
		if set {
			*f.dst = strings.TrimSpace(v)
		}
	}
	if _, _, bad := optString(req.Avatar, "avatar"); bad != nil {
		return bad
	}
	for _, f := range []struct {
		raw  json.RawMessage
		name string
		dst  *int64
	}{{req.SignedUpAt, "signed_up_at", &next.SignedUpAt}, {req.LastSeenAt, "last_seen_at", &next.LastSeenAt}} {
		v, set, bad := optTime(f.raw, f.name)
		if bad != nil {
			return bad
		}
		if set {
			*f.dst = v
		}
	}
	if req.UnsubscribedFromEmails != nil {
		next.UnsubscribedFromEmails = *req.UnsubscribedFromEmails
	}
	if next.Email != "" && (!strings.Contains(next.Email, "@") || len(next.Email) > 255) {
		return fail(http.StatusBadRequest, "parameter_invalid", "email is not a valid email address", "email")
	}
	if next.OwnerID != "" && !slices.ContainsFunc(ws.admins, func(a *Admin) bool { return a.ID == next.OwnerID }) {
		return fail(http.StatusBadRequest, "parameter_invalid", "owner_id is not a teammate of this workspace", "owner_id")
	}
	if next.Role == "lead" && next.ExternalID != "" && next.ExternalID != c.ExternalID {
		return fail(http.StatusBadRequest, "parameter_invalid", "a lead cannot have an external_id", "external_id")
	}
	if len(req.CustomAttributes) > 0 {
		attrs := make(map[string]string, len(next.CustomAttributes)+len(req.CustomAttributes))
		for k, v := range next.CustomAttributes {
			attrs[k] = v
		}
		names := make([]string, 0, len(req.CustomAttributes))
		for k := range req.CustomAttributes {
			names = append(names, k)
		}
		slices.Sort(names) // the first undefined attribute by name is reported
		for _, k := range names {
			v, bad := ws.customValue(k, req.CustomAttributes[k])
			if bad != nil {
				return &writeFail{status: http.StatusBadRequest, err: *bad}
			}
			if v == "" {
				delete(attrs, k)
			} else {
				attrs[k] = v
			}
		}
		next.CustomAttributes = attrs
	}
	// Users are unique by external_id and by email; leads may share an email.
	if next.Role == "user" {
		for _, o := range ws.contactOrder {
			if o.ID == c.ID || ws.deleted[o.ID] || !live(o) || o.Role != "user" {
				continue
			}
			if (next.ExternalID != "" && o.ExternalID == next.ExternalID) || (next.Email != "" && strings.EqualFold(o.Email, next.Email)) {
				return fail(http.StatusConflict, "conflict", "A contact matching those details already exists with id="+o.ID, "")
			}
		}
	}
	oldExt, oldEmail := c.ExternalID, c.Email
	*c = next
	if c.Email != "" && !strings.EqualFold(c.Email, oldEmail) {
		ws.indexEmail(c)
	}
	if oldExt != c.ExternalID {
		if oldExt != "" && ws.byExternal[oldExt] == c {
			delete(ws.byExternal, oldExt)
		}
		if c.Role == "user" && c.ExternalID != "" {
			ws.byExternal[c.ExternalID] = c
		}
	}
	return nil
}

// createContact is POST /contacts: a user (the default role) or a lead. A user
// whose email or external_id another user has answers 409, as Intercom does.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req contactWrite
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	if req.Role == nil && len(req.Email) == 0 && len(req.ExternalID) == 0 {
		writeError(w, r, http.StatusBadRequest, "parameter_not_found", "one of email, external_id or role is required")
		return
	}
	now := s.opts.Now().Unix()
	ws := s.ws
	ws.mu.Lock()
	g := &generator{w: ws, r: ws.rnd, now: now}
	c := &Contact{Role: "user", CreatedAt: now, UpdatedAt: now}
	if bad := ws.apply(c, &req, true); bad != nil {
		ws.mu.Unlock()
		bad.write(w, r)
		return
	}
	c.ID = g.contactID(now)
	if c.Role == "user" && c.SignedUpAt == 0 {
		c.SignedUpAt = now
	}
	ws.addContact(c)
	ws.liveCount++
	out := ws.renderContact(c, true)
	item := contactItem(c)
	topic := "contact." + c.Role + ".created"
	ws.mu.Unlock()
	s.stats.effect(EffectContactCreated, c.ID)
	s.notify(topic, item)
	writeJSON(w, http.StatusOK, out)
}

// updateContact is PUT /contacts/{id}: changes the fields sent; 404 for an unknown,
// deleted or archived contact, 410 for a merged one (2.16).
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req contactWrite
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		ws.mu.Unlock()
		return
	}
	wasEmail := c.Email
	if bad := ws.apply(c, &req, false); bad != nil {
		ws.mu.Unlock()
		bad.write(w, r)
		return
	}
	c.UpdatedAt = max(c.UpdatedAt, s.opts.Now().Unix())
	out := ws.renderContact(c, true)
	item := contactItem(c)
	role, emailChanged := c.Role, !strings.EqualFold(wasEmail, c.Email)
	ws.mu.Unlock()
	s.stats.effect(EffectContactUpdated, c.ID)
	s.notify("contact."+role+".updated", item)
	if emailChanged {
		s.notify("contact.email.updated", item)
	}
	writeJSON(w, http.StatusOK, out)
}

// tagContact is POST /contacts/{id}/tags {"id": tag id}.
func (s *Server) tagContact(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || idString(req.ID) == "" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "tag id is required", "id")
		return
	}
	tagID := idString(req.ID)
	now := s.opts.Now().Unix()
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		ws.mu.Unlock()
		return
	}
	t, ok := ws.tags[tagID]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	added := !slices.Contains(c.TagIDs, tagID)
	if added {
		c.TagIDs = append(slices.Clone(c.TagIDs), tagID)
		c.UpdatedAt = max(c.UpdatedAt, now)
	}
	admin := ws.admins[0].ID
	out := tagJSON{Type: "tag", ID: t.ID, Name: t.Name, AppliedAt: &now, AppliedBy: &refJSON{Type: "admin", ID: &admin}}
	item := map[string]any{"type": "contact_tag", "created_at": now, "tag": map[string]any{"type": "tag", "id": t.ID, "name": t.Name},
		"contact": contactItem(c)}
	topic := "contact." + c.Role + ".tag.created"
	ws.mu.Unlock()
	if added {
		s.stats.effect(EffectContactTagged, c.ID+"/"+tagID)
		s.notify(topic, item)
	}
	writeJSON(w, http.StatusOK, out)
}

// untagContact is DELETE /contacts/{id}/tags/{tag}: it answers the tag whether or
// not the contact had it, and counts an effect (and sends the topic) only when it
// did.
func (s *Server) untagContact(w http.ResponseWriter, r *http.Request) {
	tagID := r.PathValue("tag")
	now := s.opts.Now().Unix()
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		ws.mu.Unlock()
		return
	}
	t, ok := ws.tags[tagID]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	removed := slices.Contains(c.TagIDs, tagID)
	if removed {
		c.TagIDs = slices.DeleteFunc(slices.Clone(c.TagIDs), func(id string) bool { return id == tagID })
		c.UpdatedAt = max(c.UpdatedAt, now)
	}
	admin := ws.admins[0].ID
	out := tagJSON{Type: "tag", ID: t.ID, Name: t.Name, AppliedAt: &now, AppliedBy: &refJSON{Type: "admin", ID: &admin}}
	item := map[string]any{"type": "contact_tag", "created_at": now, "tag": map[string]any{"type": "tag", "id": t.ID, "name": t.Name},
		"contact": contactItem(c)}
	topic := "contact." + c.Role + ".tag.deleted"
	ws.mu.Unlock()
	if removed {
		s.stats.effect(EffectContactUntagged, c.ID+"/"+tagID)
		s.notify(topic, item)
	}
	writeJSON(w, http.StatusOK, out)
}

// setSubscription is POST /contacts/{id}/subscriptions {"id", "consent_type"}: an
// explicit opt-in or opt-out of a subscription type.
func (s *Server) setSubscription(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		ID          json.RawMessage `json:"id"`
		ConsentType string          `json:"consent_type"`
	}
	if err := json.Unmarshal(body, &req); err != nil || idString(req.ID) == "" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "subscription id is required", "id")
		return
	}
	if req.ConsentType != "opt_in" && req.ConsentType != "opt_out" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "consent_type must be opt_in or opt_out", "consent_type")
		return
	}
	subID := idString(req.ID)
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		ws.mu.Unlock()
		return
	}
	var st *SubscriptionType
	for _, t := range ws.subTypes {
		if t.ID == subID {
			st = t
		}
	}
	if st == nil {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	subs := slices.DeleteFunc(slices.Clone(c.Subscriptions), func(x SubscriptionState) bool { return x.SubscriptionID == subID })
	c.Subscriptions = append(subs, SubscriptionState{SubscriptionID: subID, Consent: req.ConsentType})
	c.UpdatedAt = max(c.UpdatedAt, s.opts.Now().Unix())
	tr := map[string]any{"name": st.Name, "description": st.Description, "locale": "en"}
	out := map[string]any{"type": "subscription", "id": st.ID, "state": "live", "consent_type": req.ConsentType,
		"default_translation": tr, "translations": []any{tr}, "content_types": []string{"email"}}
	ws.mu.Unlock()
	s.stats.effect(EffectSubscriptionSet, c.ID+"/"+subID)
	writeJSON(w, http.StatusOK, out)
}

// createNote is POST /contacts/{id}/notes {"body", "admin_id"}.
func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Body    *string         `json:"body"`
		AdminID json.RawMessage `json:"admin_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Body == nil {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "body is required", "body")
		return
	}
	now := s.opts.Now().Unix()
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		ws.mu.Unlock()
		return
	}
	author := ws.admins[0].ID
	if id := idString(req.AdminID); id != "" {
		if !slices.ContainsFunc(ws.admins, func(a *Admin) bool { return a.ID == id }) {
			ws.mu.Unlock()
			writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
			return
		}
		author = id
	}
	ws.seq.note++
	n := &Note{ID: strconv.Itoa(9_000_000 + ws.seq.note), ContactID: c.ID, AuthorID: author, Body: noteHTML(*req.Body), CreatedAt: now}
	ws.notes[n.ID] = n
	ws.notesOf[c.ID] = append(ws.notesOf[c.ID], n.ID)
	out := ws.renderNote(n)
	ws.mu.Unlock()
	s.stats.effect(EffectNoteCreated, n.ID)
	writeJSON(w, http.StatusOK, out)
}

// noteHTML wraps plain text in a paragraph, as Intercom stores a note's body.
func noteHTML(b string) string {
	if strings.HasPrefix(strings.TrimSpace(b), "<") {
		return b
	}
	return "<p>" + htmlEscape(b) + "</p>"
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// createEvent is POST /events: a data event of a user found by id, user_id or email;
// 202 with an empty body, as Intercom answers.
func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		EventName string                     `json:"event_name"`
		CreatedAt *int64                     `json:"created_at"`
		UserID    json.RawMessage            `json:"user_id"`
		ID        json.RawMessage            `json:"id"`
		Email     string                     `json:"email"`
		Metadata  map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	userID, id := idString(req.UserID), idString(req.ID)
	switch {
	case strings.TrimSpace(req.EventName) == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "event_name is required", "event_name")
		return
	case userID == "" && id == "" && req.Email == "":
		writeError(w, r, http.StatusBadRequest, "parameter_not_found", "one of id, user_id or email is required")
		return
	case len(req.Metadata) > 10:
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "an event has at most 10 metadata keys", "metadata")
		return
	}
	now := s.opts.Now().Unix()
	at := now
	if req.CreatedAt != nil {
		at = *req.CreatedAt
	}
	ws := s.ws
	ws.mu.Lock()
	var c *Contact
	switch {
	case id != "":
		c = ws.contacts[id]
	case userID != "":
		c = ws.byExternal[userID]
	default:
		for _, x := range ws.contactOrder {
			if x.Role == "user" && live(x) && !ws.deleted[x.ID] && strings.EqualFold(x.Email, req.Email) {
				c = x
				break
			}
		}
	}
	if c == nil || ws.deleted[c.ID] || !live(c) {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	md := map[string]string{}
	for k, v := range req.Metadata {
		var str string
		if json.Unmarshal(v, &str) != nil {
			str = string(v)
		}
		md[k] = str
	}
	g := &generator{w: ws, r: ws.rnd, now: now}
	e := &Event{ID: g.r.hex(24), ContactID: c.ID, Name: req.EventName, CreatedAt: at, Metadata: md}
	ws.insertEvent(e)
	ws.mu.Unlock()
	s.stats.effect(EffectEventCreated, c.ID)
	w.WriteHeader(http.StatusAccepted)
}
