package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// TicketType is a ticket type of the workspace: tickets of the Customer
// category are shared with the customer (a teammate's comment reaches them);
// Back-office and Tracker tickets are internal.
type TicketType struct {
	ID, Name, Category string
}

// ticketTypes are the workspace's ticket types; the first is the type of the
// generated tickets.
var ticketTypes = []TicketType{
	{ID: "1", Name: "Support request", Category: "Customer"},
	{ID: "2", Name: "Privacy request", Category: "Customer"},
	{ID: "3", Name: "Back-office check", Category: "Back-office"},
}

// TicketTypes returns the workspace's ticket types.
func (w *Workspace) TicketTypes() []TicketType { return slices.Clone(ticketTypes) }

func ticketTypeOf(id string) TicketType {
	for _, t := range ticketTypes {
		if t.ID == id {
			return t
		}
	}
	return ticketTypes[0]
}

func (w *Workspace) renderTicketType(id string) ticketTypeJSON {
	tt := ticketTypeOf(id)
	return ticketTypeJSON{Type: "ticket_type", ID: tt.ID, Category: tt.Category, Name: tt.Name,
		Description: "A customer asks for help", Icon: "🎟️", WorkspaceID: w.appID,
		CreatedAt: w.anchor.Unix() - 900*day, UpdatedAt: w.anchor.Unix() - 30*day}
}

// createTicket is POST /tickets: a ticket of ticket_type_id for the first of
// contacts (by id, external_id or email; an address nobody has is 404 here,
// where Intercom would create a lead), titled and described by
// ticket_attributes' _default_title_ and _default_description_. It answers
// the ticket, counts EffectTicketCreated and sends the signed ticket.created
// notification whose item is the ticket, as GET /tickets/{id} answers it.
func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		TicketTypeID json.RawMessage `json:"ticket_type_id"`
		Contacts     []struct {
			ID         string `json:"id"`
			ExternalID string `json:"external_id"`
			Email      string `json:"email"`
		} `json:"contacts"`
		TicketAttributes map[string]any `json:"ticket_attributes"`
		CreatedAt        *int64         `json:"created_at"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	typeID := idString(req.TicketTypeID)
	switch {
	case typeID == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "ticket_type_id is required", "ticket_type_id")
		return
	case !slices.ContainsFunc(ticketTypes, func(t TicketType) bool { return t.ID == typeID }):
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "ticket_type_id is not a ticket type of this workspace", "ticket_type_id")
		return
	case len(req.Contacts) == 0:
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "contacts is required", "contacts")
		return
	}
	title, _ := req.TicketAttributes["_default_title_"].(string)
	desc, _ := req.TicketAttributes["_default_description_"].(string)
	now := s.opts.Now().Unix()
	at := now
	if req.CreatedAt != nil && *req.CreatedAt > 0 {
		at = *req.CreatedAt
	}
	ws := s.ws
	ws.mu.Lock()
	var c *Contact
	if rc := req.Contacts[0]; rc.ID != "" {
		c = ws.contacts[rc.ID]
		if c != nil && (ws.deleted[c.ID] || !live(c)) {
			c = nil
		}
	} else {
		c = ws.replier("", rc.ExternalID, rc.Email)
	}
	if c == nil {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	ws.seq.ticket++
	tt := ticketTypeOf(typeID)
	t := &Ticket{ID: strconv.Itoa(600_000 + ws.seq.ticket), TicketID: strconv.Itoa(ws.seq.ticket), TypeID: tt.ID,
		Category: tt.Category, Title: title, Description: desc, State: "submitted", Open: true,
		CreatedAt: at, UpdatedAt: at, ContactIDs: []string{c.ID}, Attributes: map[string]any{}}
	ws.tickets[t.ID] = t
	ws.ticketOrder = append(ws.ticketOrder, t)
	ws.ticketsOf[c.ID] = append(ws.ticketsOf[c.ID], t.ID)
	out := ws.renderTicket(t)
	ws.mu.Unlock()
	s.stats.effect(EffectTicketCreated, t.ID)
	s.notify("ticket.created", out)
	writeJSON(w, http.StatusOK, out)
}

// replyTicket is POST /tickets/{id}/reply for a teammate (type admin,
// admin_id): a comment or a note. A comment reaches the customer, so it is
// refused (400 parameter_mismatch) on a ticket that is not of the Customer
// category, as Intercom refuses a user's reply there. Replies on behalf of a
// contact are not imitated (400). It answers the ticket part and counts
// EffectTicketReplied on the ticket.
func (s *Server) replyTicket(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		MessageType string          `json:"message_type"`
		Type        string          `json:"type"`
		Body        *string         `json:"body"`
		AdminID     json.RawMessage `json:"admin_id"`
		CreatedAt   *int64          `json:"created_at"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object")
		return
	}
	switch {
	case req.Type != "admin":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "the sandbox imitates teammates' ticket replies only (type admin)", "type")
		return
	case req.MessageType != "comment" && req.MessageType != "note":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "message_type must be comment or note", "message_type")
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
	t, ok := ws.tickets[r.PathValue("id")]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	id := idString(req.AdminID)
	i := slices.IndexFunc(ws.admins, func(a *Admin) bool { return a.ID == id })
	if i < 0 {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	if req.MessageType == "comment" && t.Category != "Customer" {
		ws.mu.Unlock()
		writeError(w, r, http.StatusBadRequest, "parameter_mismatch", "Comments are not allowed on Back-office tickets")
		return
	}
	a := ws.admins[i]
	ws.seq.part++
	part := Part{ID: strconv.Itoa(20_000_000_000 + ws.seq.part), PartType: req.MessageType, Body: noteHTML(*req.Body),
		CreatedAt: at, UpdatedAt: at, Author: Author{Type: "admin", ID: a.ID, Name: a.Name, Email: a.Email}}
	t.Parts = append(slices.Clone(t.Parts), part)
	t.UpdatedAt = max(t.UpdatedAt, now)
	ws.mu.Unlock()
	s.stats.effect(EffectTicketReplied, t.ID)
	writeJSON(w, http.StatusOK, ticketPartJSON{Type: "ticket_part", ID: part.ID, PartType: part.PartType, Body: ptr(part.Body),
		CreatedAt: part.CreatedAt, UpdatedAt: part.UpdatedAt,
		Author:      ticketPartAuthor{Type: "admin", ID: a.ID, Name: ptr(a.Name), Email: a.Email},
		Attachments: []any{}})
}
