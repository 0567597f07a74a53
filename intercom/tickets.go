package intercom

import (
	"context"
	"iter"
)

type ticketList struct {
	Tickets []Ticket `json:"tickets"`
	Pages   pages    `json:"pages"`
}

// SearchTickets walks the tickets matching q (for example
// Field("contact_ids").Eq(contactID)).
func (c *Client) SearchTickets(ctx context.Context, q Query, opts SearchOptions) iter.Seq2[Ticket, error] {
	return searchPages(ctx, c, "/tickets/search", q, opts, DefaultPerPage,
		extractor(func(e *ticketList) []Ticket { return e.Tickets }, func(e *ticketList) pages { return e.Pages }))
}

// GetTicket retrieves a ticket by its API id (not the Inbox ticket_id).
func (c *Client) GetTicket(ctx context.Context, id string) (Ticket, error) {
	var t Ticket
	if err := needID("ticket id", id); err != nil {
		return t, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/tickets/" + seg(id), op: "/tickets/{ticket_id}", idempotent: true}, &t)
	return t, err
}

// DeleteTicket permanently deletes a ticket and its sensitive data.
func (c *Client) DeleteTicket(ctx context.Context, id string) (Deleted, error) {
	var d Deleted
	if err := needID("ticket id", id); err != nil {
		return d, err
	}
	err := c.do(ctx, &call{method: "DELETE", path: "/tickets/" + seg(id), op: "/tickets/{ticket_id}", idempotent: true}, &d)
	return d, err
}
