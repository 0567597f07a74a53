package tagintake

import (
	"encoding/json"
	"fmt"
)

// TicketCreated is what intake needs of a ticket.created item: the ticket's
// API id, its type (id, name, category) and the ids of its contacts. It holds
// no personal data (the title, description and attributes are not read).
type TicketCreated struct {
	TicketID   string
	TypeID     string
	TypeName   string
	Category   string // Customer, Back-office or Tracker
	ContactIDs []string
}

type ticketItem struct {
	Type       json.RawMessage `json:"type"`
	ID         json.RawMessage `json:"id"`
	Category   json.RawMessage `json:"category"`
	TicketType json.RawMessage `json:"ticket_type"`
	Contacts   json.RawMessage `json:"contacts"`
}

type ticketTypeRef struct {
	ID       json.RawMessage `json:"id"`
	Name     json.RawMessage `json:"name"`
	Category json.RawMessage `json:"category"`
}

// ParseTicket decodes the ticket item of a ticket.created notification (the
// ticket as GET /tickets/{id} answers it). It requires type "ticket", an id
// and a ticket_type object with an id or a name; contacts is the
// {type:"contact.list", contacts:[...]} list (or a bare array, or absent).
// The category is the ticket's, else its type's. Unknown fields are ignored;
// errors are *ParseError values naming the field, never its value.
func ParseTicket(raw []byte) (TicketCreated, error) {
	var t TicketCreated
	var it ticketItem
	var err error
	if err := decodeObject(raw, &it); err != nil {
		return t, err
	}
	if t.TicketID, err = typedID(it.Type, it.ID, "ticket"); err != nil {
		return t, err
	}
	if isNull(it.TicketType) {
		return t, &ParseError{Field: "ticket_type", Err: ErrMissing, Detail: "the ticket's type chooses the request"}
	}
	if it.TicketType[0] != '{' {
		return t, &ParseError{Field: "ticket_type", Err: ErrMalformed, Detail: "want an object"}
	}
	var tt ticketTypeRef
	if err := json.Unmarshal(it.TicketType, &tt); err != nil {
		return t, &ParseError{Field: "ticket_type", Err: ErrMalformed}
	}
	if t.TypeID, err = id(tt.ID, "ticket_type.id"); err != nil {
		return t, err
	}
	if t.TypeName, err = str(tt.Name, "ticket_type.name", maxNameLen); err != nil {
		return t, err
	}
	if t.TypeID == "" && t.TypeName == "" {
		return t, &ParseError{Field: "ticket_type", Err: ErrMissing, Detail: "want an id or a name"}
	}
	if t.Category, err = str(it.Category, "category", maxNameLen); err != nil {
		return t, err
	}
	if t.Category == "" {
		if t.Category, err = str(tt.Category, "ticket_type.category", maxNameLen); err != nil {
			return t, err
		}
	}
	contacts, err := list(it.Contacts, "contacts", "contacts")
	if err != nil {
		return t, err
	}
	for i, r := range contacts {
		cid, err := id(r.ID, fmt.Sprintf("contacts.contacts[%d].id", i))
		if err != nil {
			return t, err
		}
		if cid != "" {
			t.ContactIDs = append(t.ContactIDs, cid)
		}
	}
	return t, nil
}
