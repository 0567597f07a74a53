// Package tagintake files privacy requests from Intercom itself: a teammate tags
// a conversation with a configured tag ("privacy-request"), Intercom sends the
// signed conversation_part.tag.created notification, and a request is filed in
// state received, linked to that conversation, for the conversation's contact.
//
// Data flow: webhook.Handler verifies and parses the envelope and calls Sink,
// which runs Intake.Handle and then passes the notification on to the next sink
// (contactsync's, which keeps the minimised event). Handle parses the item
// (Parse: conversation id, tags, contact ids; nothing else is read), matches
// the tags against the rules, looks the contact up through the Intercom client
// (its id, e-mail and external id become the request's identifiers, encrypted
// by dsar), and files the request with dsar.Service.Submit. In the filing's
// transaction it keeps the link conversation -> request and the notification
// id (store.Requests.PutIdempotent, scopes ScopeConversation and
// ScopeNotification) and appends a request.step audit record naming the
// conversation id (never the contact's data): a redelivered notification, a
// second tag on the same conversation or two deliveries at once file once.
//
// With Reply set, an internal note acknowledging the request is posted in the
// conversation exactly once, as scan posts its notes: the step "intercom_reply"
// is recorded as intended before the post and done after it; a step found
// intended (the process died, or Intercom's answer was lost) makes Handle look
// for the note's reference in the conversation before posting again. A
// notification is acknowledged only once the note is settled, so Intercom's
// redelivery resumes a reply interrupted by a crash.
package tagintake

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Topic is the webhook topic Intercom sends when a conversation (part) is
// tagged (1.0/1.1 webhook models: item type Conversation).
const Topic webhook.Topic = "conversation_part.tag.created"

// Channel is the request's §7101 method.
const Channel = "intercom_conversation"

// Idempotency scopes (store.Requests.PutIdempotent): the key is the
// conversation id, or the notification id; the response is the request id.
const (
	ScopeConversation = "tagintake:conversation"
	ScopeNotification = "tagintake:notification"
)

// StepReply is the request step that records the acknowledgement note.
const StepReply = "intercom_reply"

// Rule maps a tag name (compared without regard to case) to the request filed.
type Rule struct {
	Tag          string
	Type         store.RequestType
	Jurisdiction deadline.Jurisdiction
}

// TicketRule maps a ticket type (its id, or its name compared without regard
// to case) to the request a ticket of that type files.
type TicketRule struct {
	TicketType   string
	Type         store.RequestType
	Jurisdiction deadline.Jurisdiction
}

// TicketTopic is the webhook topic Intercom sends when a ticket is created;
// its item is the ticket.
const TicketTopic webhook.Topic = "ticket.created"

// TicketChannel is the §7101 method of a request filed from a ticket.
const TicketChannel = "intercom_ticket"

// ScopeTicket keeps the link ticket -> request (PutIdempotent).
const ScopeTicket = "tagintake:ticket"

// Options configure an Intake.
type Options struct {
	// Rules are the tags that file a request; the first matching rule wins.
	Rules []Rule
	// TicketRules are the ticket types that file a request when a ticket of
	// that type is created (ticket.created); the first matching rule wins.
	TicketRules []TicketRule
	// Reply posts an acknowledgement in the conversation, as ReplyAdminID:
	// an internal note (ReplyAs "" or "note"), or, with ReplyAs "comment", a
	// reply the customer sees, written to the Replies outbox in the filing's
	// transaction (the later milestones follow through Messenger).
	Reply        bool
	ReplyAs      string
	ReplyAdminID string
	// Replies posts the customer replies (required with ReplyAs "comment").
	Replies  *Replies
	DSAR     *dsar.Service
	Store    store.Store
	Chain    *audit.Chain
	Intercom *intercom.Client
	// Actor names who acts in audit records ("webhook" when empty).
	Actor string
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Intake handles tagged conversations.
type Intake struct{ o Options }

// Errors of New and Handle.
var (
	// ErrConfig: a rule or the reply settings are unusable.
	ErrConfig = errors.New("tagintake: configuration")
	// ErrNoContact: the tagged conversation names no contact, so there is no
	// one to file for. Nothing is written; redelivering will not help.
	ErrNoContact = errors.New("tagintake: the tagged conversation has no contact")
)

// New checks the options.
func New(o Options) (*Intake, error) {
	if o.DSAR == nil || o.Store == nil || o.Chain == nil || o.Intercom == nil {
		return nil, fmt.Errorf("%w: DSAR, Store, Chain and Intercom are required", ErrConfig)
	}
	checkRule := func(what string, i int, key string, t store.RequestType, j deadline.Jurisdiction) error {
		if strings.TrimSpace(key) == "" {
			return fmt.Errorf("%w: %s %d has no %s", ErrConfig, what, i, strings.TrimSuffix(what, " rule"))
		}
		switch t {
		case store.RequestAccess, store.RequestErasure, store.RequestAccessErasure,
			store.RequestCorrection, store.RequestRestriction, store.RequestObjection:
		default:
			return fmt.Errorf("%w: %s %d: type must be access, erasure, access+erasure, correction, restriction or objection", ErrConfig, what, i)
		}
		if _, err := deadline.ParseJurisdiction(string(j)); err != nil {
			return fmt.Errorf("%w: %s %d: %v", ErrConfig, what, i, err)
		}
		return nil
	}
	for i, r := range o.Rules {
		if err := checkRule("tag rule", i, r.Tag, r.Type, r.Jurisdiction); err != nil {
			return nil, err
		}
	}
	for i, r := range o.TicketRules {
		if err := checkRule("ticket_type rule", i, r.TicketType, r.Type, r.Jurisdiction); err != nil {
			return nil, err
		}
	}
	if o.Reply && o.ReplyAdminID == "" {
		return nil, fmt.Errorf("%w: reply needs the admin id the note is written as", ErrConfig)
	}
	switch o.ReplyAs {
	case "", "note":
	case "comment":
		if o.Reply {
			if err := o.Replies.Check(); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("%w: reply_as must be note or comment", ErrConfig)
	}
	if o.Actor == "" {
		o.Actor = "webhook"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Intake{o: o}, nil
}

// Outcome says what Handle did.
type Outcome int

const (
	// Ignored: another topic, or no configured tag on the conversation.
	Ignored Outcome = iota
	// Filed: a request was filed.
	Filed
	// Duplicate: the notification or the conversation already filed one.
	Duplicate
)

func (o Outcome) String() string {
	return [...]string{"ignored", "filed", "duplicate"}[o]
}

// Result is Handle's answer.
type Result struct {
	Outcome   Outcome
	RequestID string
}

// errAlready aborts a filing whose conversation or notification another
// delivery filed meanwhile.
var errAlready = errors.New("tagintake: already filed")

// Handle files the request a tagged conversation asks for. A *ParseError or
// ErrNoContact is permanent (nothing written); an Intercom or store error is
// transient (nothing written, or the filing committed and only the reply is
// left, which the next delivery finishes).
func (in *Intake) Handle(ctx context.Context, n webhook.Notification) (Result, error) {
	if n.Topic == TicketTopic {
		return in.handleTicket(ctx, n)
	}
	if n.Topic != Topic {
		return Result{}, nil
	}
	t, err := Parse(n.Item)
	if err != nil {
		return Result{}, err
	}
	rule, ok := in.match(t.Tags)
	if !ok {
		return Result{}, nil
	}
	if reqID, found, err := in.linked(ctx, t.ConversationID, n.ID); err != nil || found {
		if err != nil {
			return Result{}, err
		}
		return Result{Outcome: Duplicate, RequestID: reqID}, in.reply(ctx, reqID, t.ConversationID)
	}
	if len(t.ContactIDs) == 0 {
		return Result{}, ErrNoContact
	}
	c, err := in.o.Intercom.GetContact(ctx, t.ContactIDs[0])
	if err != nil {
		return Result{}, fmt.Errorf("tagintake: look up the conversation's contact: %w", err)
	}
	ids := dsar.Identifiers{ContactIDs: []string{string(c.ID)}}
	if c.Email != "" {
		ids.Emails = []string{c.Email}
	}
	if c.ExternalID != "" {
		ids.ExternalIDs = []string{string(c.ExternalID)}
	}
	req, err := in.o.DSAR.Submit(ctx, dsar.Submission{
		Type: rule.Type, Identifiers: ids, Jurisdiction: rule.Jurisdiction, Channel: Channel,
		Within: func(ctx context.Context, tx store.Tx, r store.Request) error {
			return in.link(ctx, tx, r, ScopeConversation, Target{Type: store.ReplyConversation, ID: t.ConversationID, Replies: in.customerReplies()},
				n.ID, "filed from an Intercom conversation tagged "+rule.Tag)
		},
	})
	if errors.Is(err, errAlready) {
		reqID, _, lerr := in.linked(ctx, t.ConversationID, n.ID)
		if lerr != nil {
			return Result{}, lerr
		}
		return Result{Outcome: Duplicate, RequestID: reqID}, in.reply(ctx, reqID, t.ConversationID)
	}
	if err != nil {
		return Result{}, err
	}
	in.o.Logger.Info("tagintake: request filed from a tagged conversation", "request_id", req.ID, "conversation_id", t.ConversationID)
	return Result{Outcome: Filed, RequestID: req.ID}, in.reply(ctx, req.ID, t.ConversationID)
}

func (in *Intake) match(tags []Tag) (Rule, bool) {
	for _, r := range in.o.Rules {
		for _, t := range tags {
			if strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(r.Tag)) {
				return r, true
			}
		}
	}
	return Rule{}, false
}

type linkResponse struct {
	RequestID string `json:"request_id"`
}

// linked returns the request filed for the conversation or by the notification.
func (in *Intake) linked(ctx context.Context, conversationID, notificationID string) (string, bool, error) {
	return in.linkedBy(ctx, ScopeConversation, conversationID, notificationID)
}

// linkedBy returns the request filed for the target (scope, id) or by the
// notification.
func (in *Intake) linkedBy(ctx context.Context, scope, targetID, notificationID string) (string, bool, error) {
	for _, k := range [][2]string{{scope, targetID}, {ScopeNotification, notificationID}} {
		if k[1] == "" {
			continue
		}
		r, err := in.o.Store.GetIdempotent(ctx, k[0], k[1])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		var lr linkResponse
		if err := json.Unmarshal(r.Response, &lr); err != nil {
			return "", false, fmt.Errorf("tagintake: the link of a conversation is unreadable: %w", err)
		}
		return lr.RequestID, true, nil
	}
	return "", false, nil
}

// customerReplies reports whether milestones are posted as replies the
// customer sees.
func (in *Intake) customerReplies() bool { return in.o.Reply && in.o.ReplyAs == "comment" }

// link records, in the filing's transaction, the target -> request link, the
// notification id, the request -> target link, the audit record and (with
// Reply) the wanted note or the acknowledgement's reply.
func (in *Intake) link(ctx context.Context, tx store.Tx, r store.Request, scope string, target Target, notificationID, reason string) error {
	body, err := json.Marshal(linkResponse{RequestID: r.ID})
	if err != nil {
		return err
	}
	now := in.o.Now().UTC()
	for _, k := range [][2]string{{scope, target.ID}, {ScopeNotification, notificationID}} {
		if k[1] == "" {
			continue
		}
		_, stored, err := tx.PutIdempotent(ctx, store.IdempotentResponse{Scope: k[0], Key: k[1], Fingerprint: "tagintake",
			Status: 201, Response: body, CreatedAt: now})
		if err != nil {
			return err
		}
		if stored {
			return errAlready
		}
	}
	tb, err := json.Marshal(target)
	if err != nil {
		return err
	}
	if _, _, err := tx.PutIdempotent(ctx, store.IdempotentResponse{Scope: ScopeRequest, Key: r.ID, Fingerprint: "tagintake",
		Status: 201, Response: tb, CreatedAt: now}); err != nil {
		return err
	}
	if _, err := in.o.Chain.Append(ctx, tx, audit.Record{Actor: in.o.Actor, Action: audit.ActionRequestStep, RequestID: r.ID,
		SubjectRef: r.SubjectRef, ObjectIDs: []string{target.ID}, Outcome: audit.OutcomeSuccess,
		Reason: reason}); err != nil {
		return err
	}
	if !in.o.Reply {
		return nil
	}
	if in.customerReplies() {
		_, err := in.o.Replies.Enqueue(ctx, tx, dsar.Milestone{Kind: dsar.MilestoneAcknowledged, Request: r}, target)
		return err
	}
	if target.Type != store.ReplyConversation {
		return nil // the note is a conversation's
	}
	return tx.UpsertStep(ctx, store.Step{RequestID: r.ID, Name: StepReply, State: store.StepPending,
		Detail: json.RawMessage(`{"note":"wanted"}`), StartedAt: now})
}

// noteRef is the reference the acknowledgement note carries, by which a
// restarted process finds out whether it was posted.
func noteRef(requestID string) string { return "Reference: privacy request " + requestID + "." }

func noteBody(requestID string) string {
	return "<p>intercom-privacy filed a privacy request from this conversation (tagged for privacy). " +
		"It is handled in the privacy console; reply to the customer from there or here as your process says.</p><p>" +
		noteRef(requestID) + "</p>"
}

// reply posts the acknowledgement note once, when Reply is set and the step
// is not settled.
func (in *Intake) reply(ctx context.Context, requestID, conversationID string) error {
	if !in.o.Reply || requestID == "" {
		return nil
	}
	if in.customerReplies() {
		// The reply is in the outbox, committed with the filing: post it now
		// rather than at the workers' next tick. A failure is recorded on the
		// reply and retried by the workers; the notification is answered.
		if _, err := in.o.Replies.SendRequest(ctx, requestID); err != nil {
			in.o.Logger.Warn("tagintake: acknowledgement reply left to the workers", "request_id", requestID, "error", err)
		}
		return nil
	}
	steps, err := in.o.Store.Steps(ctx, requestID)
	if err != nil {
		return err
	}
	var st *store.Step
	for i := range steps {
		if steps[i].Name == StepReply {
			st = &steps[i]
		}
	}
	if st == nil || st.State != store.StepPending {
		return nil // not wanted (filed before Reply was set), or settled
	}
	if strings.Contains(string(st.Detail), `"intended"`) {
		posted, err := in.notePosted(ctx, conversationID, requestID)
		if err != nil {
			return err
		}
		if posted {
			return in.recordReply(ctx, *st, conversationID, store.StepDone, `{"note":"posted"}`, audit.OutcomeSuccess, "acknowledgement note found posted after a restart; not posted again")
		}
	} else if err := in.recordReply(ctx, *st, conversationID, store.StepPending, `{"note":"intended"}`, audit.OutcomeSuccess, "acknowledgement note about to be posted"); err != nil {
		return err
	}
	_, err = in.o.Intercom.AddAdminNote(ctx, conversationID, in.o.ReplyAdminID, noteBody(requestID))
	switch {
	case err == nil:
		return in.recordReply(ctx, *st, conversationID, store.StepDone, `{"note":"posted"}`, audit.OutcomeSuccess, "acknowledgement note posted in the Intercom conversation")
	case errors.Is(err, intercom.ErrUnknownOutcome), ctx.Err() != nil,
		errors.Is(err, intercom.ErrServer), errors.Is(err, intercom.ErrRateLimited):
		// Left intended: the next delivery looks for it before posting.
		return fmt.Errorf("tagintake: acknowledgement note: %w", err)
	case errors.Is(err, intercom.ErrNotFound):
		return in.recordReply(ctx, *st, conversationID, store.StepFailed, `{"note":"failed"}`, audit.OutcomeNoop, "conversation gone; no acknowledgement note")
	default:
		// Refused (a missing permission, an unknown admin): retrying would not help.
		in.o.Logger.Error("tagintake: acknowledgement note refused by Intercom", "request_id", requestID, "error", err)
		return in.recordReply(ctx, *st, conversationID, store.StepFailed, `{"note":"failed"}`, audit.OutcomeFailure, "acknowledgement note refused by Intercom")
	}
}

func (in *Intake) notePosted(ctx context.Context, conversationID, requestID string) (bool, error) {
	c, err := in.o.Intercom.GetConversation(ctx, conversationID, intercom.GetConversationOptions{})
	if err != nil {
		return false, err
	}
	ref := noteRef(requestID)
	for _, p := range c.ConversationParts.ConversationParts {
		if p.PartType == "note" && strings.Contains(p.Body, ref) {
			return true, nil
		}
	}
	return false, nil
}

func (in *Intake) recordReply(ctx context.Context, st store.Step, conversationID string, state store.StepState, detail string, outcome audit.Outcome, reason string) error {
	ctx = context.WithoutCancel(ctx)
	return in.o.Store.InTx(ctx, func(tx store.Tx) error {
		st.State, st.Detail = state, json.RawMessage(detail)
		st.Attempts++
		if state != store.StepPending {
			st.FinishedAt = in.o.Now().UTC()
		}
		if err := tx.UpsertStep(ctx, st); err != nil {
			return err
		}
		_, err := in.o.Chain.Append(ctx, tx, audit.Record{Actor: in.o.Actor, Action: audit.ActionRequestStep, RequestID: st.RequestID,
			ObjectIDs: []string{conversationID}, Outcome: outcome, Reason: reason})
		return err
	})
}

// Sink is the webhook.Sink that runs Handle on each notification and then
// passes it to Next (the store-backed sink that keeps the minimised event).
// A permanent error (a malformed item, a conversation or ticket without a contact) is
// logged by field name and the notification acknowledged: redelivering it
// could not help, and nothing was written. A transient error answers 500 so
// that Intercom delivers again.
type Sink struct {
	Intake *Intake
	Next   webhook.Sink
}

var _ webhook.Sink = (*Sink)(nil)

// Accept implements webhook.Sink.
func (s *Sink) Accept(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
	res, err := s.Intake.Handle(ctx, n)
	var pe *ParseError
	switch {
	case errors.As(err, &pe), errors.Is(err, ErrNoContact):
		s.Intake.o.Logger.Error("tagintake: tagged conversation or ticket not filed", "id", n.ID, "error", err.Error())
	case err != nil:
		return false, err
	}
	if s.Next == nil {
		return res.Outcome == Duplicate, nil
	}
	dup, err := s.Next.Accept(ctx, n, raw)
	return dup || res.Outcome == Duplicate, err
}

// FromConfig returns the options the configuration sets (Rules, Reply,
// ReplyAdminID): intake.intercom.tag first, then intake.intercom.tags in order.
// An empty type is access; an empty jurisdiction is gdpr.
func FromConfig(c config.IntercomIntake) Options {
	var o Options
	add := func(tag, typ, j string) {
		o.Rules = append(o.Rules, Rule{Tag: tag, Type: store.RequestType(cmp.Or(typ, string(store.RequestAccess))),
			Jurisdiction: deadline.Jurisdiction(cmp.Or(j, string(deadline.GDPR)))})
	}
	if c.Tag != "" {
		add(c.Tag, c.Type, c.Jurisdiction)
	}
	for _, t := range c.Tags {
		add(t.Tag, t.Type, t.Jurisdiction)
	}
	for _, t := range c.TicketTypes {
		o.TicketRules = append(o.TicketRules, TicketRule{TicketType: t.TicketType,
			Type:         store.RequestType(cmp.Or(t.Type, string(store.RequestAccess))),
			Jurisdiction: deadline.Jurisdiction(cmp.Or(t.Jurisdiction, string(deadline.GDPR)))})
	}
	o.Reply, o.ReplyAs, o.ReplyAdminID = c.Reply, c.ReplyAs, c.AdminID
	return o
}
