package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// KindTicketAttribute is the part kind of a finding in a ticket's attribute.
// Intercom's redaction applies to messages only: such findings are reported,
// never redaction targets.
const KindTicketAttribute = "ticket_attribute"

// TicketKeyPrefix prefixes a ticket's id where the scan records it beside the
// conversations ("ticket:<id>"): a ticket's attributes are recorded apart from
// its conversation's messages, with their own version.
const TicketKeyPrefix = "ticket:"

// tickets scans the attributes of the tickets updated in the window. The
// search answers carry the attributes, so no ticket is fetched.
func (w *walk) tickets(ctx context.Context, q intercom.Query) error {
	for t, err := range w.s.Intercom.SearchTickets(ctx, q, intercom.SearchOptions{}) {
		switch {
		case errors.Is(err, intercom.ErrUnauthorized), errors.Is(err, intercom.ErrForbidden):
			return fmt.Errorf("%w: scanning tickets needs the Read tickets permission: %w", ErrMissingScope, err)
		case err != nil:
			return err
		}
		if err := w.ticket(ctx, &t); err != nil {
			return err
		}
	}
	return nil
}

// ticket records one ticket's attribute findings unless this version was
// scanned already.
func (w *walk) ticket(ctx context.Context, t *intercom.Ticket) error {
	if t.ID == "" {
		return nil
	}
	key := TicketKeyPrefix + string(t.ID)
	version := unix(t.UpdatedAt)
	prev, err := w.sc.ScannedConversation(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && prev.Status == store.ScanStatusScanned && prev.UpdatedAt.Equal(version) {
		w.mu.Lock()
		w.res.TicketsUnchanged++
		w.mu.Unlock()
		return nil
	}
	rec, fs := scanTicket(w.engine, t, w.run.ID)
	rec.UpdatedAt = version
	if err := w.put(ctx, rec, fs); err != nil {
		return err
	}
	w.mu.Lock()
	w.res.Tickets++
	w.res.Findings += int64(len(fs))
	w.res.TicketFindings += int64(len(fs))
	w.mu.Unlock()
	return nil
}

// scanTicket runs the engine on a ticket's attributes: every text value
// (title, description, the ticket type's own attributes, lists of texts) and
// the names of file values. Numbers and booleans hold nothing to find. A
// finding's part id is the attribute's name.
func scanTicket(e *pii.Engine, t *intercom.Ticket, runID string) (store.ScannedConversation, []store.ScanFinding) {
	inbox := string(t.TeamAssigneeID)
	if inbox == "0" {
		inbox = ""
	}
	key := TicketKeyPrefix + string(t.ID)
	rec := store.ScannedConversation{ConversationID: key, RunID: runID, Inbox: inbox, Status: store.ScanStatusScanned}
	names := make([]string, 0, len(t.TicketAttributes))
	for k := range t.TicketAttributes {
		names = append(names, k)
	}
	slices.Sort(names)
	var fs []store.ScanFinding
	var buf []pii.Finding
	for _, name := range names {
		p := part{id: name, kind: KindTicketAttribute, role: RoleOther, createdAt: unix(t.CreatedAt)}
		addAttribute(&p, t.TicketAttributes[name])
		if p.attachmentOnly() {
			rec.AttachmentOnly++
		}
		fs = findIn(e, p, key, inbox, fs, &buf)
	}
	return rec, fs
}

// addAttribute adds the scannable text of one attribute value: a string (HTML
// for the description), each element of a list, a file's name.
func addAttribute(p *part, v any) {
	switch x := v.(type) {
	case string:
		p.add("ticket_attribute", x)
	case []any:
		for _, e := range x {
			addAttribute(p, e)
		}
	case map[string]any:
		if name, ok := x["name"].(string); ok {
			p.addFileName(name)
		}
	}
}
