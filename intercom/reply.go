package intercom

import (
	"context"
	"fmt"
)

// AddAdminReply posts a reply the customer sees (message_type comment) in a
// conversation, as the teammate adminID. Like a note it is sent once: an
// answer lost on the way is ErrUnknownOutcome, and the caller looks for the
// reply in the conversation before posting it again.
func (c *Client) AddAdminReply(ctx context.Context, conversationID, adminID, body string) (Conversation, error) {
	return c.adminReply(ctx, "comment", "a reply", conversationID, adminID, body)
}

// TicketReplyComment and TicketReplyNote are the message types ReplyTicket
// posts: a comment the customer sees (Customer tickets only) or a note for
// teammates.
const (
	TicketReplyComment = "comment"
	TicketReplyNote    = "note"
)

// ReplyTicket posts a teammate's reply on a ticket (POST
// /tickets/{ticket_id}/reply) and returns the ticket part Intercom created.
// It is sent once (ErrUnknownOutcome when the answer is lost). Intercom
// refuses a comment on a ticket that is not of the Customer category.
func (c *Client) ReplyTicket(ctx context.Context, ticketID, adminID, messageType, body string) (ConversationPart, error) {
	var p ConversationPart
	if err := needID("ticket id", ticketID); err != nil {
		return p, err
	}
	if err := needID("admin id", adminID); err != nil {
		return p, err
	}
	if messageType != TicketReplyComment && messageType != TicketReplyNote {
		return p, fmt.Errorf("%w: a ticket reply is a comment or a note", ErrValidation)
	}
	if body == "" || len(body) > MaxNoteLen {
		return p, fmt.Errorf("%w: a reply body must hold 1 to %d bytes", ErrValidation, MaxNoteLen)
	}
	req := struct {
		MessageType string `json:"message_type"`
		Type        string `json:"type"`
		AdminID     string `json:"admin_id"`
		Body        string `json:"body"`
	}{messageType, "admin", adminID, body}
	err := c.do(ctx, &call{method: "POST", path: "/tickets/" + seg(ticketID) + "/reply",
		op: "/tickets/{ticket_id}/reply", body: req}, &p)
	return p, err
}

// TicketFields create a ticket (CreateTicket): its type, the contact it is
// for (an Intercom id or an e-mail address) and its title and description.
type TicketFields struct {
	TicketTypeID string
	ContactID    string
	Email        string
	Title        string
	Description  string
}

// CreateTicket creates a ticket (POST /tickets). It is sent once
// (ErrUnknownOutcome when the answer is lost): a retry could open a second
// ticket.
func (c *Client) CreateTicket(ctx context.Context, f TicketFields) (Ticket, error) {
	var t Ticket
	if err := needID("ticket type id", f.TicketTypeID); err != nil {
		return t, err
	}
	var contact map[string]string
	switch {
	case f.ContactID != "":
		contact = map[string]string{"id": f.ContactID}
	case f.Email != "":
		contact = map[string]string{"email": f.Email}
	default:
		return t, fmt.Errorf("%w: a ticket needs a contact id or an e-mail address", ErrValidation)
	}
	attrs := map[string]string{}
	if f.Title != "" {
		attrs["_default_title_"] = f.Title
	}
	if f.Description != "" {
		attrs["_default_description_"] = f.Description
	}
	req := map[string]any{"ticket_type_id": f.TicketTypeID, "contacts": []map[string]string{contact}}
	if len(attrs) > 0 {
		req["ticket_attributes"] = attrs
	}
	err := c.do(ctx, &call{method: "POST", path: "/tickets", op: "/tickets", body: req}, &t)
	return t, err
}
