package tagintake

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// handleTicket files the request a ticket of a configured type asks for:
// once per ticket (ScopeTicket) and per notification, as a tagged
// conversation files once. Replies the customer sees go to Customer tickets
// only: Intercom takes a teammate's comment nowhere else.
func (in *Intake) handleTicket(ctx context.Context, n webhook.Notification) (Result, error) {
	t, err := ParseTicket(n.Item)
	if err != nil {
		return Result{}, err
	}
	rule, ok := in.matchTicket(t)
	if !ok {
		return Result{}, nil
	}
	if reqID, found, err := in.linkedBy(ctx, ScopeTicket, t.TicketID, n.ID); err != nil || found {
		if err != nil {
			return Result{}, err
		}
		return Result{Outcome: Duplicate, RequestID: reqID}, in.reply(ctx, reqID, "")
	}
	if len(t.ContactIDs) == 0 {
		return Result{}, ErrNoContact
	}
	c, err := in.o.Intercom.GetContact(ctx, t.ContactIDs[0])
	if err != nil {
		return Result{}, fmt.Errorf("tagintake: look up the ticket's contact: %w", err)
	}
	ids := dsar.Identifiers{ContactIDs: []string{string(c.ID)}}
	if c.Email != "" {
		ids.Emails = []string{c.Email}
	}
	if c.ExternalID != "" {
		ids.ExternalIDs = []string{string(c.ExternalID)}
	}
	target := Target{Type: store.ReplyTicket, ID: t.TicketID, Replies: in.customerReplies() && strings.EqualFold(t.Category, "Customer")}
	req, err := in.o.DSAR.Submit(ctx, dsar.Submission{
		Type: rule.Type, Identifiers: ids, Jurisdiction: rule.Jurisdiction, Channel: TicketChannel,
		Within: func(ctx context.Context, tx store.Tx, r store.Request) error {
			return in.link(ctx, tx, r, ScopeTicket, target, n.ID, "filed from an Intercom ticket of a configured type")
		},
	})
	if errors.Is(err, errAlready) {
		reqID, _, lerr := in.linkedBy(ctx, ScopeTicket, t.TicketID, n.ID)
		if lerr != nil {
			return Result{}, lerr
		}
		return Result{Outcome: Duplicate, RequestID: reqID}, in.reply(ctx, reqID, "")
	}
	if err != nil {
		return Result{}, err
	}
	in.o.Logger.Info("tagintake: request filed from a ticket", "request_id", req.ID, "ticket_id", t.TicketID)
	return Result{Outcome: Filed, RequestID: req.ID}, in.reply(ctx, req.ID, "")
}

func (in *Intake) matchTicket(t TicketCreated) (TicketRule, bool) {
	for _, r := range in.o.TicketRules {
		k := strings.TrimSpace(r.TicketType)
		if (t.TypeID != "" && k == t.TypeID) || (t.TypeName != "" && strings.EqualFold(k, strings.TrimSpace(t.TypeName))) {
			return r, true
		}
	}
	return TicketRule{}, false
}
