package sandbox

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// createConversation is POST /conversations: a contact starts a conversation (an
// in-app message). It answers the message, as Intercom does, and sends the signed
// conversation.user.created notification with the conversation.
func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		From *struct {
			Type string          `json:"type"`
			ID   json.RawMessage `json:"id"`
		} `json:"from"`
		Body      *string `json:"body"`
		Subject   string  `json:"subject"`
		CreatedAt *int64  `json:"created_at"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	switch {
	case req.From == nil || idString(req.From.ID) == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "from with type and id is required", "from")
		return
	case req.From.Type != "user" && req.From.Type != "lead" && req.From.Type != "contact":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "from.type must be user, lead or contact", "from.type")
		return
	case req.Body == nil || strings.TrimSpace(*req.Body) == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "body is required", "body")
		return
	}
	now := s.opts.Now().Unix()
	at := now
	if req.CreatedAt != nil && *req.CreatedAt > 0 {
		at = *req.CreatedAt
	}
	ws := s.ws
	ws.mu.Lock()
	c := ws.contacts[idString(req.From.ID)]
	if c == nil || ws.deleted[c.ID] || !live(c) || (req.From.Type != "contact" && req.From.Type != c.Role) {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	ws.seq.conv++
	ws.seq.message++
	conv := &Conversation{
		ID: strconv.Itoa(100_000_000 + ws.seq.conv), Title: req.Subject, CreatedAt: at, UpdatedAt: max(at, now), State: "open",
		Priority: "none", ContactIDs: []string{c.ID},
		Source: Source{ID: strconv.Itoa(300_000_000 + ws.seq.conv), DeliveredAs: "customer_initiated", Subject: req.Subject,
			Body: noteHTML(*req.Body), Author: Author{Type: c.Role, ID: c.ID, Name: c.Name, Email: c.Email}},
	}
	ws.addConversation(conv)
	item := ws.renderConversation(conv, true)
	msg := map[string]any{"type": "user_message", "id": strconv.Itoa(403_000_000 + ws.seq.message), "created_at": at,
		"body": conv.Source.Body, "message_type": "inapp", "conversation_id": conv.ID}
	ws.mu.Unlock()
	s.stats.effect(EffectConversationCreated, conv.ID)
	s.notify("conversation.user.created", item)
	writeJSON(w, http.StatusOK, msg)
}

// replyConversation is POST /conversations/{id}/reply: a contact's reply (type user,
// found by intercom_user_id, user_id or email) or a teammate's comment or note (type
// admin, admin_id). It answers the conversation with its parts and sends
// conversation.user.replied, conversation.admin.replied or conversation.admin.noted.
func (s *Server) replyConversation(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		MessageType    string          `json:"message_type"`
		Type           string          `json:"type"`
		Body           *string         `json:"body"`
		CreatedAt      *int64          `json:"created_at"`
		IntercomUserID json.RawMessage `json:"intercom_user_id"`
		UserID         json.RawMessage `json:"user_id"`
		Email          string          `json:"email"`
		AdminID        json.RawMessage `json:"admin_id"`
		AttachmentURLs []string        `json:"attachment_urls"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	files, ok := attachments(req.AttachmentURLs)
	if !ok {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "attachment_urls must be up to 10 http or https URLs", "attachment_urls")
		return
	}
	switch {
	case req.Type != "user" && req.Type != "admin":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "type must be user or admin", "type")
		return
	case req.Type == "user" && req.MessageType != "comment",
		req.Type == "admin" && req.MessageType != "comment" && req.MessageType != "note":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "message_type must be comment (or note, for an admin)", "message_type")
		return
	case req.Body == nil, strings.TrimSpace(*req.Body) == "" && len(files) == 0:
		// An empty body is a message with files only (a screenshot).
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "body is required", "body")
		return
	}
	now := s.opts.Now().Unix()
	at := now
	if req.CreatedAt != nil && *req.CreatedAt > 0 {
		at = *req.CreatedAt
	}
	ws := s.ws
	ws.mu.Lock()
	conv, ok := ws.convs[r.PathValue("id")]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	var author Author
	topic := "conversation.user.replied"
	if req.Type == "user" {
		c := ws.replier(idString(req.IntercomUserID), idString(req.UserID), req.Email)
		if c == nil {
			ws.mu.Unlock()
			writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
			return
		}
		author = Author{Type: c.Role, ID: c.ID, Name: c.Name, Email: c.Email}
		if !slices.Contains(conv.ContactIDs, c.ID) {
			conv.ContactIDs = append(slices.Clone(conv.ContactIDs), c.ID)
			ws.convsOf[c.ID] = append(ws.convsOf[c.ID], conv.ID)
		}
		conv.State = "open"
	} else {
		id := idString(req.AdminID)
		i := slices.IndexFunc(ws.admins, func(a *Admin) bool { return a.ID == id })
		if i < 0 {
			ws.mu.Unlock()
			writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
			return
		}
		a := ws.admins[i]
		author = Author{Type: "admin", ID: a.ID, Name: a.Name, Email: a.Email}
		if !slices.Contains(conv.TeammateIDs, a.ID) {
			conv.TeammateIDs = append(slices.Clone(conv.TeammateIDs), a.ID)
		}
		topic = "conversation.admin.replied"
		if req.MessageType == "note" {
			topic = "conversation.admin.noted"
		}
	}
	ws.seq.part++
	text := ""
	if strings.TrimSpace(*req.Body) != "" {
		text = noteHTML(*req.Body)
	}
	part := Part{ID: strconv.Itoa(20_000_000_000 + ws.seq.part), PartType: req.MessageType, Body: text,
		CreatedAt: at, UpdatedAt: at, Author: author, Attachments: files}
	conv.Parts = append(slices.Clone(conv.Parts), part)
	conv.UpdatedAt = max(conv.UpdatedAt, now)
	out := ws.renderConversation(conv, true)
	ws.mu.Unlock()
	s.stats.effect(EffectConversationReplied, conv.ID)
	s.notify(topic, out)
	writeJSON(w, http.StatusOK, out)
}

// attachments turns a reply's attachment_urls into the part's files, named by
// the URL's last path segment as Intercom names uploads; ok is false for more
// than 10 or a URL that is not http or https.
func attachments(urls []string) ([]File, bool) {
	if len(urls) > 10 {
		return nil, false
	}
	var out []File
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, false
		}
		name := path.Base(u.Path)
		if name == "." || name == "/" {
			name = "attachment"
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, File{Type: "upload", Name: name, URL: s, ContentType: ct})
	}
	return out, true
}

// replier finds the live contact a contact reply names. The caller holds the lock.
func (ws *Workspace) replier(intercomUserID, userID, email string) *Contact {
	var c *Contact
	switch {
	case intercomUserID != "":
		c = ws.contacts[intercomUserID]
	case userID != "":
		c = ws.byExternal[userID]
	case email != "":
		for _, x := range ws.byEmail[strings.ToLower(email)] {
			if !ws.deleted[x.ID] && live(x) && strings.EqualFold(x.Email, email) {
				c = x
				break
			}
		}
	}
	if c == nil || ws.deleted[c.ID] || !live(c) {
		return nil
	}
	return c
}

// tagConversation is POST /conversations/{id}/tags: a teammate (admin_id) tags a
// conversation with a workspace tag (id). It answers the tag, as Intercom does, and
// sends the signed conversation_part.tag.created notification whose item is the
// conversation with its tags and contacts (1.x webhook models: item type
// Conversation). Tagging twice with the same tag answers the tag again and sends
// nothing.
func (s *Server) tagConversation(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		ID      json.RawMessage `json:"id"`
		AdminID json.RawMessage `json:"admin_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	tagID, adminID := idString(req.ID), idString(req.AdminID)
	switch {
	case tagID == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "id is required", "id")
		return
	case adminID == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "admin_id is required", "admin_id")
		return
	}
	ws := s.ws
	ws.mu.Lock()
	c, ok := ws.convs[r.PathValue("id")]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Conversation not found")
		return
	}
	t, ok := ws.tags[tagID]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "tag_not_found", "Tag not found")
		return
	}
	now := s.opts.Now().Unix()
	added := !slices.Contains(c.TagIDs, tagID)
	if added {
		c.TagIDs = append(c.TagIDs, tagID)
		c.UpdatedAt = max(c.UpdatedAt, now)
	}
	item := ws.renderConversation(c, false)
	ws.mu.Unlock()
	if added {
		s.notify("conversation_part.tag.created", item)
	}
	writeJSON(w, http.StatusOK, tagJSON{Type: "tag", ID: t.ID, Name: t.Name, AppliedAt: &now, AppliedBy: &refJSON{Type: "admin", ID: ptr(adminID)}})
}
