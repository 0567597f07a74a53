package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

var conversationFields = map[string]fieldSpec[*Conversation]{
	"id":                  {kString, func(c *Conversation) []value { return str(c.ID) }},
	"contact_ids":         {kIDs, func(c *Conversation) []value { return ids(c.ContactIDs) }},
	"source.author.email": {kString, func(c *Conversation) []value { return str(c.Source.Author.Email) }},
	"source.author.id":    {kString, func(c *Conversation) []value { return str(c.Source.Author.ID) }},
	"source.author.name":  {kString, func(c *Conversation) []value { return str(c.Source.Author.Name) }},
	"source.body":         {kWords, func(c *Conversation) []value { return str(c.Source.Body) }},
	"source.subject":      {kString, func(c *Conversation) []value { return str(c.Source.Subject) }},
	"teammate_ids":        {kIDs, func(c *Conversation) []value { return ids(c.TeammateIDs) }},
	"tag_ids":             {kIDs, func(c *Conversation) []value { return ids(c.TagIDs) }},
	"admin_assignee_id":   {kNumber, func(c *Conversation) []value { return num(c.AdminAssigneeID) }},
	"created_at":          {kDate, func(c *Conversation) []value { return date(c.CreatedAt) }},
	"updated_at":          {kDate, func(c *Conversation) []value { return date(c.UpdatedAt) }},
	"state":               {kString, func(c *Conversation) []value { return str(c.State) }},
	"open":                {kBool, func(c *Conversation) []value { return boolean(c.State != "closed") }},
	"read":                {kBool, func(c *Conversation) []value { return boolean(c.Read) }},
	"priority":            {kString, func(c *Conversation) []value { return str(c.Priority) }},
}

// Conversation search documents > and < on dates as "or equal".
var conversationDates = dateRules{orEqual: true}

type conversationList struct {
	Type          string             `json:"type"`
	Conversations []conversationJSON `json:"conversations"`
	TotalCount    int                `json:"total_count"`
	Pages         cursorPages        `json:"pages"`
}

func convID(c *Conversation) string { return c.ID }

// searchConversations is POST /conversations/search. The answer's array is named
// "conversations" and carries no conversation_parts.
func (s *Server) searchConversations(w http.ResponseWriter, r *http.Request) {
	sr, cur, ok := readSearch(w, r, conversationFields, conversationDates, 20, "conversations.search")
	if !ok {
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	items := matching(sr.query, conversationFields, conversationDates, ws.convs, ws.convOrder, ws.convsOf, convID)
	field := sr.sortField
	if field == "" {
		field = "created_at"
	}
	key := sortItems(items, conversationFields, field, sr.desc, convID)
	pg, pages := page(items, sr.perPage, cur, "conversations.search", key, convID, sr.desc)
	out := conversationList{Type: "conversation.list", Conversations: make([]conversationJSON, 0, len(pg)), TotalCount: len(items), Pages: pages}
	for _, c := range pg {
		out.Conversations = append(out.Conversations, ws.renderConversation(c, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// getConversation is GET /conversations/{id}, with at most the 500 most recent parts;
// display_as=plaintext strips the HTML from the bodies.
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	c, ok := ws.convs[r.PathValue("id")]
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	j := ws.renderConversation(c, true)
	if r.URL.Query().Get("display_as") == "plaintext" {
		j.Source.Body = strings.TrimSpace(stripTags(j.Source.Body))
		for i := range j.ConversationParts.ConversationParts {
			if b := j.ConversationParts.ConversationParts[i].Body; b != nil {
				plain := strings.TrimSpace(stripTags(*b))
				j.ConversationParts.ConversationParts[i].Body = &plain
			}
		}
	}
	writeJSON(w, http.StatusOK, j)
}

type deletedJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// deleteConversation is DELETE /conversations/{id} (2.13+).
func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ws := s.ws
	ws.mu.Lock()
	_, ok := ws.convs[id]
	delete(ws.convs, id)
	ws.mu.Unlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	s.stats.effect(EffectConversationDeleted, id)
	s.notify("conversation.deleted", map[string]any{"type": "conversation", "id": id})
	writeJSON(w, http.StatusOK, deletedJSON{ID: id, Object: "conversation", Deleted: true})
}

// redactedBody is what a redacted part or source says afterwards.
const redactedBody = "<p><i>This message was deleted</i></p>"

// redact is POST /conversations/redact: it replaces a part's (or a contact-authored
// source's) body, sets redacted and bumps updated_at. Redacting twice answers 400.
func (s *Server) redact(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Type               string          `json:"type"`
		ConversationID     json.RawMessage `json:"conversation_id"`
		ConversationPartID json.RawMessage `json:"conversation_part_id"`
		SourceID           json.RawMessage `json:"source_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	convID, partID, sourceID := idString(req.ConversationID), idString(req.ConversationPartID), idString(req.SourceID)
	switch {
	case req.Type != "conversation_part" && req.Type != "source":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "type must be conversation_part or source", "type")
		return
	case convID == "" || (req.Type == "conversation_part" && partID == "") || (req.Type == "source" && sourceID == ""):
		writeError(w, r, http.StatusBadRequest, "parameter_not_found", "conversation_id and the part or source id are required")
		return
	}
	now := s.opts.Now().Unix()
	ws := s.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, ok := ws.convs[convID]
	if !ok {
		writeError(w, r, http.StatusNotFound, "conversation_part_or_message_not_found", "Conversation part or message not found")
		return
	}
	var redactedID string
	if req.Type == "source" {
		if c.Source.ID != sourceID {
			writeError(w, r, http.StatusNotFound, "conversation_part_or_message_not_found", "Conversation part or message not found")
			return
		}
		if c.Source.Author.Type == "admin" || c.Source.Author.Type == "bot" {
			writeError(w, r, http.StatusBadRequest, "conversation_part_not_redactable", "The source was not created by a contact")
			return
		}
		if c.Source.Redacted {
			writeError(w, r, http.StatusBadRequest, "conversation_part_not_redactable", "The message has already been redacted")
			return
		}
		c.Source.Body, c.Source.Redacted = redactedBody, true
		redactedID = "source:" + sourceID
	} else {
		idx := -1
		for i := range c.Parts {
			if c.Parts[i].ID == partID {
				idx = i
				break
			}
		}
		if idx < 0 {
			writeError(w, r, http.StatusNotFound, "conversation_part_or_message_not_found", "Conversation part or message not found")
			return
		}
		p := &c.Parts[idx]
		if p.Redacted {
			writeError(w, r, http.StatusBadRequest, "conversation_part_not_redactable", "The conversation part has already been redacted")
			return
		}
		if p.Body == "" && len(p.Attachments) == 0 {
			writeError(w, r, http.StatusBadRequest, "conversation_part_not_redactable", "The conversation part has no body")
			return
		}
		// Parts are shared with Workspace views' copies only by value; replace in place
		// under the write lock.
		p.Body, p.Redacted, p.UpdatedAt, p.Attachments = redactedBody, true, now, nil
		redactedID = "part:" + partID
	}
	if now > c.UpdatedAt {
		c.UpdatedAt = now
	}
	s.stats.effect(EffectPartRedacted, convID+"/"+redactedID)
	writeJSON(w, http.StatusOK, ws.renderConversation(c, true))
}

// idString accepts an id sent as a JSON string or number (the description's examples
// use numbers, its schema strings).
func idString(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
