package tagintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// ScopeRequest keeps, per request id, where the request came from in
// Intercom (store.Requests.PutIdempotent; the response is a target), so a
// later milestone knows where to reply.
const ScopeRequest = "tagintake:request"

// Target is the conversation or ticket a request was filed from.
type Target struct {
	Type string `json:"target_type"` // store.ReplyConversation or store.ReplyTicket
	ID   string `json:"target_id"`
	// Replies is false when the target takes no reply the customer sees (a
	// ticket outside the Customer category), or replies were not configured.
	Replies bool `json:"replies"`
}

// Replies writes the replies a request filed from Intercom owes the person
// (the acknowledgement, then the extension, denial and completion: the texts
// of package messages, rendered by messages.Service.Compose, without a
// download link) and posts them as the configured teammate, each exactly
// once:
//
//   - Enqueue writes the reply in the transaction of the change that causes
//     it (store.IntercomReplies, dedup key request/kind; the body encrypted
//     under a key of the reply's own), with a message.queued audit record.
//   - SendDue (the workers' intercom_replies job) claims each due reply,
//     counting the attempt and leasing it, before anything leaves; posts it
//     (POST /conversations/{id}/reply, message_type comment, or POST
//     /tickets/{id}/reply); then records it sent and destroys its key, with
//     a message.sent audit record, in one transaction.
//   - The body ends with the reply's own reference ("Message reference:
//     rpl_..."). A reply found pending after an earlier claim (the process
//     died between Intercom's answer and the record, or the answer was lost)
//     is first looked for in the conversation or ticket by that reference;
//     found, it is recorded sent without posting again.
type Replies struct {
	Store    store.Store
	Vault    *vault.Vault
	Chain    *audit.Chain
	Intercom *intercom.Client
	Messages *messages.Service
	// AdminID is the teammate the replies are written as.
	AdminID string
	// Actor names this process in audit records ("worker" when empty).
	Actor  string
	Logger *slog.Logger
	Now    func() time.Time
	// Lease is how long a claim keeps other senders off a reply (0: 5
	// minutes); GiveUpAfter how long a failing reply is retried (0: 3 days).
	Lease       time.Duration
	GiveUpAfter time.Duration

	// afterPost runs after Intercom's answer and before the record (tests:
	// an error there is a process killed at that point).
	afterPost func(store.IntercomReply) error
}

const (
	tableReplies  = "intercom_replies"
	columnContent = "content"
)

// ReplyKeyID is the vault key a reply's body is encrypted under.
func ReplyKeyID(replyID string) string { return "reply:" + replyID }

// RefOf is the reference a reply's body ends with.
func RefOf(replyID string) string { return "Message reference: " + replyID + "." }

func (rp *Replies) now() time.Time {
	if rp.Now != nil {
		return rp.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (rp *Replies) actor() string {
	if rp.Actor != "" {
		return rp.Actor
	}
	return "worker"
}

func (rp *Replies) logger() *slog.Logger {
	if rp.Logger != nil {
		return rp.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (rp *Replies) lease() time.Duration {
	if rp.Lease > 0 {
		return rp.Lease
	}
	return 5 * time.Minute
}

func (rp *Replies) giveUpAfter() time.Duration {
	if rp.GiveUpAfter > 0 {
		return rp.GiveUpAfter
	}
	return 72 * time.Hour
}

// Check reports what Replies lacks.
func (rp *Replies) Check() error {
	if rp == nil || rp.Store == nil || rp.Vault == nil || rp.Chain == nil || rp.Intercom == nil || rp.Messages == nil || rp.Messages.Templates == nil {
		return fmt.Errorf("%w: replies need Store, Vault, Chain, Intercom and Messages with templates", ErrConfig)
	}
	if rp.AdminID == "" {
		return fmt.Errorf("%w: replies need the admin id they are written as", ErrConfig)
	}
	return nil
}

// Enqueue writes, inside tx, the reply milestone m owes to target, and
// reports whether it wrote one (false: the milestone has no message, the
// target takes no reply, or this milestone's reply was already written).
func (rp *Replies) Enqueue(ctx context.Context, tx store.Tx, m dsar.Milestone, target Target) (bool, error) {
	if !target.Replies || target.ID == "" {
		return false, nil
	}
	kind, r, ok, err := rp.Messages.Compose(m)
	if err != nil || !ok {
		return false, err
	}
	id := store.NewID("rpl_")
	plain := replyBody(r.Text, id)
	if len(plain) > intercom.MaxNoteLen {
		return false, fmt.Errorf("tagintake: the %s reply is longer than Intercom takes", kind)
	}
	v := rp.Vault.With(tx)
	enc, err := v.Encrypt(ctx, ReplyKeyID(id), vault.AAD{Table: tableReplies, Column: columnContent, Row: id}, []byte(plain))
	if err != nil {
		return false, err
	}
	now := rp.now()
	row, inserted, err := tx.EnqueueReply(ctx, store.IntercomReply{ID: id, RequestID: m.Request.ID, TargetType: target.Type,
		TargetID: target.ID, Kind: string(kind), DedupKey: m.Request.ID + "/" + string(kind), KeyID: ReplyKeyID(id),
		ContentEnc: enc, CreatedAt: now, NextAttemptAt: now})
	if err != nil {
		return false, err
	}
	if !inserted {
		_, err := rp.Vault.DestroyPersonKey(ctx, tx, ReplyKeyID(id))
		return false, err
	}
	_, err = rp.Chain.Append(ctx, tx, audit.Record{Actor: rp.actor(), Action: audit.ActionMessageQueued, RequestID: m.Request.ID,
		ObjectIDs: []string{row.ID, target.ID}, Outcome: audit.OutcomeSuccess,
		Reason: string(kind) + " reply queued for the Intercom " + target.Type})
	return true, err
}

// replyBody turns a message's text into the reply's HTML: one paragraph per
// block, lines kept, everything escaped, and the reply's reference last.
func replyBody(text, id string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		lines := strings.Split(para, "\n")
		for i := range lines {
			lines[i] = html.EscapeString(lines[i])
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	b.WriteString("<p>" + html.EscapeString(RefOf(id)) + "</p>")
	return b.String()
}

// SendResult counts what SendDue did.
type SendResult struct{ Sent, Retrying, Failed int }

// Total is how many replies SendDue tried.
func (r SendResult) Total() int { return r.Sent + r.Retrying + r.Failed }

// SendDue posts the replies whose time has come, up to limit (0: 50). A
// reply another sender claimed meanwhile is skipped. Failures are recorded on
// each reply; the error is a store failure.
func (rp *Replies) SendDue(ctx context.Context, limit int) (SendResult, error) {
	if limit <= 0 {
		limit = 50
	}
	due, err := rp.Store.DueReplies(ctx, rp.now(), limit)
	if err != nil {
		return SendResult{}, err
	}
	return rp.send(ctx, due)
}

// SendRequest posts the due replies of one request now (intake calls it
// after filing, so the acknowledgement does not wait for the workers).
func (rp *Replies) SendRequest(ctx context.Context, requestID string) (SendResult, error) {
	all, err := rp.Store.RepliesByRequest(ctx, requestID)
	if err != nil {
		return SendResult{}, err
	}
	now := rp.now()
	var due []store.IntercomReply
	for _, r := range all {
		if r.State == store.ReplyPending && !r.NextAttemptAt.After(now) {
			due = append(due, r)
		}
	}
	return rp.send(ctx, due)
}

func (rp *Replies) send(ctx context.Context, due []store.IntercomReply) (SendResult, error) {
	var res SendResult
	for _, m := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		st, err := rp.sendOne(ctx, m)
		if errors.Is(err, store.ErrStateConflict) {
			continue
		}
		if err != nil {
			return res, err
		}
		switch st {
		case store.ReplySent:
			res.Sent++
		case store.ReplyFailed:
			res.Failed++
		default:
			res.Retrying++
		}
	}
	return res, nil
}

// postError is a failed post: its class (safe to store and log) and whether
// retrying can help.
type postError struct {
	class     string
	permanent bool
}

func classify(err error) *postError {
	switch {
	case errors.Is(err, intercom.ErrNotFound):
		return &postError{class: "conversation or ticket not found", permanent: true}
	case errors.Is(err, intercom.ErrUnknownOutcome):
		return &postError{class: "answer lost (looked for before posting again)"}
	case errors.Is(err, intercom.ErrRateLimited):
		return &postError{class: "rate limited"}
	case errors.Is(err, intercom.ErrServer):
		return &postError{class: "intercom server error"}
	case errors.Is(err, intercom.ErrValidation), errors.Is(err, intercom.ErrUnauthorized), errors.Is(err, intercom.ErrForbidden):
		return &postError{class: "refused by intercom", permanent: true}
	default:
		return &postError{class: "not posted"}
	}
}

// sendOne claims m, looks for it when an earlier claim may have posted it,
// posts it otherwise, and records the outcome.
func (rp *Replies) sendOne(ctx context.Context, m store.IntercomReply) (store.ReplyState, error) {
	claimed := m
	claimed.Attempts++
	claimed.NextAttemptAt = rp.now().Add(rp.lease())
	if err := rp.Store.UpdateReply(ctx, claimed, m); err != nil {
		return "", err
	}
	var partID string
	var perr *postError
	found := false
	if m.Attempts > 0 {
		// Claimed before and never recorded: it may be in Intercom already.
		var err error
		partID, found, err = rp.find(ctx, m)
		if err != nil {
			perr = classify(err)
			perr.class = "looking for an earlier post: " + perr.class
		}
	}
	if perr == nil && !found {
		partID, perr = rp.post(ctx, m)
		if perr == nil && rp.afterPost != nil {
			if err := rp.afterPost(m); err != nil {
				return "", err
			}
		}
	}
	now := rp.now()
	next := claimed
	rec := audit.Record{Outcome: audit.OutcomeSuccess}
	destroy := false
	switch {
	case perr == nil:
		next.State, next.SentAt, next.LastError, next.ContentEnc, next.PartID = store.ReplySent, now, "", nil, partID
		rec.Reason = m.Kind + " reply posted in the Intercom " + m.TargetType
		if found {
			rec.Reason = m.Kind + " reply found posted in the Intercom " + m.TargetType + " after a restart; not posted again"
		}
		destroy = true
	case perr.permanent:
		next.State, next.LastError = store.ReplyFailed, perr.class
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: m.Kind + " reply not posted: " + perr.class}
	case now.Add(backoff(claimed.Attempts, rp.lease())).Sub(m.CreatedAt) > rp.giveUpAfter():
		next.State, next.LastError = store.ReplyFailed, perr.class
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: m.Kind + " reply not posted after retries: " + perr.class}
	default:
		next.LastError = perr.class
		next.NextAttemptAt = now.Add(backoff(claimed.Attempts, rp.lease()))
		rec = audit.Record{}
	}
	err := rp.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := tx.UpdateReply(ctx, next, claimed); err != nil {
			return err
		}
		if destroy {
			if _, err := rp.Vault.DestroyPersonKey(ctx, tx, m.KeyID); err != nil {
				return err
			}
		}
		if rec.Reason == "" {
			return nil
		}
		rec.Actor, rec.Action, rec.RequestID, rec.ObjectIDs = rp.actor(), audit.ActionMessageSent, m.RequestID, []string{m.ID, m.TargetID}
		_, err := rp.Chain.Append(ctx, tx, rec)
		return err
	})
	if err != nil {
		return "", err
	}
	if destroy {
		rp.Vault.Forget(m.KeyID)
	}
	log := rp.logger().With("reply_id", m.ID, "request_id", m.RequestID, "kind", m.Kind, "attempts", next.Attempts)
	switch next.State {
	case store.ReplySent:
		log.Info("tagintake: reply posted in Intercom", "found_after_restart", found)
	case store.ReplyFailed:
		log.Warn("tagintake: reply not posted: marked failed for an operator", "error", next.LastError)
	default:
		log.Warn("tagintake: reply not posted: will retry", "error", next.LastError, "next_attempt_at", next.NextAttemptAt)
	}
	return next.State, nil
}

// post decrypts m and posts it.
func (rp *Replies) post(ctx context.Context, m store.IntercomReply) (string, *postError) {
	plain, err := rp.Vault.Decrypt(ctx, m.KeyID, vault.AAD{Table: tableReplies, Column: columnContent, Row: m.ID}, m.ContentEnc)
	if err != nil {
		return "", &postError{class: "content unreadable (key destroyed or data altered)", permanent: true}
	}
	body := string(plain)
	switch m.TargetType {
	case store.ReplyConversation:
		cv, err := rp.Intercom.AddAdminReply(ctx, m.TargetID, rp.AdminID, body)
		if err != nil {
			return "", classify(err)
		}
		return partWith(cv.ConversationParts.ConversationParts, RefOf(m.ID)), nil
	case store.ReplyTicket:
		p, err := rp.Intercom.ReplyTicket(ctx, m.TargetID, rp.AdminID, intercom.TicketReplyComment, body)
		if err != nil {
			return "", classify(err)
		}
		return string(p.ID), nil
	}
	return "", &postError{class: "unknown target", permanent: true}
}

// find looks for m's reference among the comments of its target.
func (rp *Replies) find(ctx context.Context, m store.IntercomReply) (string, bool, error) {
	var parts []intercom.ConversationPart
	switch m.TargetType {
	case store.ReplyConversation:
		cv, err := rp.Intercom.GetConversation(ctx, m.TargetID, intercom.GetConversationOptions{})
		if err != nil {
			return "", false, err
		}
		parts = cv.ConversationParts.ConversationParts
	case store.ReplyTicket:
		t, err := rp.Intercom.GetTicket(ctx, m.TargetID)
		if err != nil {
			return "", false, err
		}
		parts = t.TicketParts.TicketParts
	}
	ref := RefOf(m.ID)
	for _, p := range parts {
		if p.PartType == "comment" && strings.Contains(p.Body, html.EscapeString(ref)) {
			return string(p.ID), true, nil
		}
	}
	return "", false, nil
}

func partWith(parts []intercom.ConversationPart, ref string) string {
	for i := len(parts) - 1; i >= 0; i-- {
		if strings.Contains(parts[i].Body, html.EscapeString(ref)) {
			return string(parts[i].ID)
		}
	}
	return ""
}

// backoff doubles from a minute up to the lease times 12, with jitter.
func backoff(attempts int, lease time.Duration) time.Duration {
	d := time.Minute << min(attempts, 10)
	if ceiling := 12 * lease; d > ceiling {
		d = ceiling
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// Messenger is the dsar.Messenger that also replies in Intercom: it hands
// each milestone to Next (the e-mail messages, when a mail server is
// configured), then, for a request filed from a conversation or ticket whose
// target takes replies, writes the milestone's reply in the same
// transaction. The acknowledgement's reply is written by the filing itself
// (Intake.Handle), which records the target after dsar acknowledges.
type Messenger struct {
	Next    dsar.Messenger
	Replies *Replies
}

var _ dsar.Messenger = (*Messenger)(nil)

// Milestone implements dsar.Messenger. Its answer (whether a message was
// written) is Next's: a request counts as acknowledged by e-mail only.
func (ms *Messenger) Milestone(ctx context.Context, tx store.Tx, m dsar.Milestone) (bool, error) {
	sent := false
	if ms.Next != nil {
		var err error
		if sent, err = ms.Next.Milestone(ctx, tx, m); err != nil {
			return false, err
		}
	}
	if ms.Replies == nil || m.Kind == dsar.MilestoneAcknowledged {
		return sent, nil
	}
	target, ok, err := TargetOf(ctx, tx, m.Request.ID)
	if err == nil && !ok && m.Request.LinkedRequestID != "" {
		// An appeal or a lift answers in the place of the request it is about.
		target, ok, err = TargetOf(ctx, tx, m.Request.LinkedRequestID)
	}
	if err != nil || !ok {
		return sent, err
	}
	if _, err := ms.Replies.Enqueue(ctx, tx, m, target); err != nil {
		return false, err
	}
	return sent, nil
}

// TargetOf returns the conversation or ticket request id was filed from.
func TargetOf(ctx context.Context, ops store.Ops, requestID string) (Target, bool, error) {
	r, err := ops.GetIdempotent(ctx, ScopeRequest, requestID)
	if errors.Is(err, store.ErrNotFound) {
		return Target{}, false, nil
	}
	if err != nil {
		return Target{}, false, err
	}
	var t Target
	if err := json.Unmarshal(r.Response, &t); err != nil {
		return Target{}, false, fmt.Errorf("tagintake: the target of a request is unreadable: %w", err)
	}
	return t, true, nil
}
