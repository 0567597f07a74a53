package intercom

import (
	"context"
	"fmt"
	"iter"
	"net/url"
)

// EventsOf selects whose data events to list: exactly one of its fields must be set.
type EventsOf struct {
	// IntercomUserID is the contact id (the only way to list a lead's events).
	IntercomUserID string
	// UserID is the contact's external_id.
	UserID string
	// Email is the contact's email address.
	Email string
}

func (e EventsOf) query() (url.Values, error) {
	q := url.Values{"type": {"user"}}
	n := 0
	if e.IntercomUserID != "" {
		q.Set("intercom_user_id", e.IntercomUserID)
		n++
	}
	if e.UserID != "" {
		q.Set("user_id", e.UserID)
		n++
	}
	if e.Email != "" {
		q.Set("email", e.Email)
		n++
	}
	if n != 1 {
		return nil, fmt.Errorf("%w: set exactly one of IntercomUserID, UserID and Email to list events (%d set)", ErrValidation, n)
	}
	return q, nil
}

type eventList struct {
	Events []DataEvent `json:"events"`
	Pages  pages       `json:"pages"`
}

// ListEvents walks a contact's data events of the last 90 days (Intercom lists no
// older ones; EventSummary counts them). The next page is the full URL Intercom gives,
// followed only on the configured host.
func (c *Client) ListEvents(ctx context.Context, of EventsOf, opts ListOptions) iter.Seq2[DataEvent, error] {
	q, err := of.query()
	if err != nil {
		return errSeq[DataEvent](err)
	}
	return listPages(ctx, c, "/events", "/events", q, opts.perPage(DefaultPerPage),
		extractor(func(e *eventList) []DataEvent { return e.Events }, func(e *eventList) pages { return e.Pages }))
}

// EventSummary returns the per-name counts and first/last times of a contact's
// events, older ones included.
func (c *Client) EventSummary(ctx context.Context, of EventsOf) (EventSummary, error) {
	var s EventSummary
	q, err := of.query()
	if err != nil {
		return s, err
	}
	q.Set("summary", "true")
	err = c.do(ctx, &call{method: "GET", path: "/events", query: q, idempotent: true}, &s)
	return s, err
}
