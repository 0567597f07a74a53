package sandbox

import "net/http"

var ticketFields = map[string]fieldSpec[*Ticket]{
	"id":                {kString, func(t *Ticket) []value { return str(t.ID) }},
	"ticket_id":         {kString, func(t *Ticket) []value { return str(t.TicketID) }},
	"contact_ids":       {kIDs, func(t *Ticket) []value { return ids(t.ContactIDs) }},
	"title":             {kString, func(t *Ticket) []value { return str(t.Title) }},
	"description":       {kString, func(t *Ticket) []value { return str(t.Description) }},
	"category":          {kString, func(t *Ticket) []value { return str(t.Category) }},
	"state":             {kString, func(t *Ticket) []value { return str(t.State) }},
	"open":              {kBool, func(t *Ticket) []value { return boolean(t.Open) }},
	"admin_assignee_id": {kNumber, func(t *Ticket) []value { return num(t.AdminID) }},
	"created_at":        {kDate, func(t *Ticket) []value { return date(t.CreatedAt) }},
	"updated_at":        {kDate, func(t *Ticket) []value { return date(t.UpdatedAt) }},
}

// Ticket search allows <= and >= on dates.
var ticketDates = dateRules{allowGeLe: true}

type ticketList struct {
	Type       string       `json:"type"`
	Tickets    []ticketJSON `json:"tickets"`
	TotalCount int          `json:"total_count"`
	Pages      cursorPages  `json:"pages"`
}

func ticketID(t *Ticket) string { return t.ID }

// searchTickets is POST /tickets/search; the answer's array is named "tickets".
func (s *Server) searchTickets(w http.ResponseWriter, r *http.Request) {
	sr, cur, ok := readSearch(w, r, ticketFields, ticketDates, 20, "tickets.search")
	if !ok {
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	items := matching(sr.query, ticketFields, ticketDates, ws.tickets, ws.ticketOrder, ws.ticketsOf, ticketID)
	field := sr.sortField
	if field == "" {
		field = "created_at"
	}
	key := sortItems(items, ticketFields, field, sr.desc, ticketID)
	pg, pages := page(items, sr.perPage, cur, "tickets.search", key, ticketID, sr.desc)
	out := ticketList{Type: "ticket.list", Tickets: make([]ticketJSON, 0, len(pg)), TotalCount: len(items), Pages: pages}
	for _, t := range pg {
		out.Tickets = append(out.Tickets, ws.renderTicket(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	t, ok := ws.tickets[r.PathValue("id")]
	if !ok {
		writeError(w, r, http.StatusNotFound, "ticket_not_found", "Ticket not found")
		return
	}
	writeJSON(w, http.StatusOK, ws.renderTicket(t))
}

// deleteTicket is DELETE /tickets/{id} (2.13+).
func (s *Server) deleteTicket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ws := s.ws
	ws.mu.Lock()
	_, ok := ws.tickets[id]
	delete(ws.tickets, id)
	ws.mu.Unlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "ticket_not_found", "Ticket not found")
		return
	}
	s.stats.effect(EffectTicketDeleted, id)
	s.notify("ticket.deleted", map[string]any{"type": "ticket", "id": id})
	writeJSON(w, http.StatusOK, deletedJSON{ID: id, Object: "ticket", Deleted: true})
}
