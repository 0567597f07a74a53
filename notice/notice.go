// Package notice tells the recipients of a person's data about a change made at
// the person's request: GDPR Art. 19 (an erasure, a rectification or a
// restriction is communicated to each recipient the data was disclosed to,
// unless that proves impossible or involves disproportionate effort) and CCPA
// §7022(b) (service providers, contractors and third parties are told of a
// deletion).
//
// The recipients come from the configuration's registry (config.RecipientEntry).
// [Service.Plan] writes one notice per recipient concerned, inside the
// transaction that completes the request, so a completed request always has its
// notices and a rolled-back one has none. Webhook recipients are sent a signed
// POST by [Service.SendDue], run by the workers: each attempt is recorded
// before the POST (so a crash never loses track of a send) and its result after
// it; a crash between the two sends the same notice again with the same
// Idempotency-Key and notice id, so a recipient that keeps the ids it has seen
// acts once. When a mail server is configured ([Service.Mailer] set), an email
// recipient's notice is written to the mail outbox in the same transaction
// that plans it (state queued; the outbox row's DedupKey is
// [MailDedupKey](notice id), which links the two and makes a resumed plan
// write no second message), and [Service.MailSettled], run by the mail sender
// inside the transaction that records the message sent or refused, moves the
// notice to sent or failed: the notice's state and its message's commit
// together. A crash between the server's acceptance and that transaction
// sends the message once more with the same Message-ID (the outbox's
// guarantee) and the notice stays queued until then. Without a mail server,
// email recipients, like manual ones, become tasks an operator ticks off
// ([Service.Done]); any open notice may instead be recorded as impossible or
// disproportionate with a reason ([Service.Waive]). Every outcome is an audit
// record holding the notice id, never the recipient's address.
package notice

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The changes recipients are told of.
const (
	EventErasure     = "erasure"
	EventCorrection  = "correction"
	EventRestriction = "restriction"
	// EventOptOut: an opt-out of the sale or sharing of personal information,
	// or a limit of the use of sensitive information (CCPA §7026(f), §7027).
	EventOptOut = "opt_out"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body under
// the recipient's secret.
const SignatureHeader = "X-Intercom-Privacy-Signature"

// Errors of this package.
var (
	// ErrNotFound: no notice has that id.
	ErrNotFound = errors.New("notice: no such notice (`intercom-privacy notices list` shows them)")
	// ErrNotOpen: the notice is already sent, done or waived.
	ErrNotOpen = errors.New("notice: the notice is no longer open")
	// ErrReason: a waiver needs a reason without personal data.
	ErrReason = errors.New("notice: reason refused")
	// ErrUnknownRecipient: the notice names a recipient the registry no longer has.
	ErrUnknownRecipient = errors.New("notice: the recipient is not in the configuration's registry")
)

// Service plans, sends and settles notices.
type Service struct {
	Store    store.Store
	Chain    *audit.Chain
	Registry []config.RecipientEntry
	// Secret returns the value of the environment variable a webhook
	// recipient's secret_env names (nil: os.LookupEnv).
	Secret func(name string) (string, bool)
	// Client sends the webhooks (nil: a client with a 30-second timeout).
	Client *http.Client
	// Mailer, when set (a mail server is configured), writes email notices
	// to the outbox; nil makes them operator tasks.
	Mailer Mailer
	// Actor names this process in audit records ("worker", "cli:...").
	Actor  string
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Lease is how long a send attempt holds its notice before another sender
	// may try it (0: 2 minutes); it is also the least time between attempts.
	Lease time.Duration
	// GiveUpAfter is about how long a failing webhook notice is retried (the
	// sum of its backoffs) before it is marked failed for an operator (0: 72
	// hours).
	GiveUpAfter time.Duration
	// afterSend, when set (tests), runs between a successful POST and the
	// transaction that records it; an error stands for a crash there.
	afterSend func(store.RecipientNotice) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 2 * time.Minute
}

func (s *Service) giveUpAfter() time.Duration {
	if s.GiveUpAfter > 0 {
		return s.GiveUpAfter
	}
	return 72 * time.Hour
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) actor() string {
	if s.Actor != "" {
		return s.Actor
	}
	return "worker"
}

func (s *Service) recipient(name string) (config.RecipientEntry, bool) {
	for _, r := range s.Registry {
		if r.Name == name {
			return r, true
		}
	}
	return config.RecipientEntry{}, false
}

// MailKind is the outbox kind of an email notice.
const MailKind = "recipient_notice"

// MailDedupKey is the outbox DedupKey of the email of notice id: it links the
// message to its notice, and makes writing it twice write it once.
func MailDedupKey(noticeID string) string { return "notice/" + noticeID }

// Mailer renders an email notice and writes it to the mail outbox inside tx
// (kind MailKind, DedupKey MailDedupKey(n.ID), to the recipient's address to;
// a second call for the same notice writes nothing). Package messages
// provides it.
type Mailer interface {
	NoticeMail(ctx context.Context, tx store.Tx, n store.RecipientNotice, to string) error
}

// Plan writes, inside tx, the notices owed for event on request requestID: one
// per registry recipient told of that event. Webhook recipients are queued for
// the sender; email recipients' messages are written to the outbox when a
// Mailer is set; the others become operator tasks. Planning again (a resumed
// step) adds nothing. It appends one audit record with the counts when it
// planned any.
func (s *Service) Plan(ctx context.Context, tx store.Tx, requestID, event string) (int, error) {
	var ns []store.RecipientNotice
	counts := map[string]int64{}
	emails := false
	for _, r := range s.Registry {
		if !r.NotifiedOf(event) {
			continue
		}
		n := store.RecipientNotice{RequestID: requestID, Recipient: r.Name, Event: event, Method: r.Notify.Method,
			State: store.NoticeManual, CreatedAt: s.now(), NextAttemptAt: s.now()}
		switch {
		case r.Notify.Method == "webhook":
			n.State = store.NoticePending
		case r.Notify.Method == "email" && s.Mailer != nil:
			n.State, emails = store.NoticeQueued, true
		}
		counts["notices_"+r.Notify.Method]++
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return 0, nil
	}
	added, err := tx.PlanNotices(ctx, ns)
	if err != nil {
		return added, err
	}
	if emails {
		// Read back the stored notices (their ids), so a resumed plan writes
		// any message a crash left unwritten, and the outbox's DedupKey
		// makes it write no second one.
		if err := s.mailQueued(ctx, tx, requestID, event); err != nil {
			return added, err
		}
	}
	if added == 0 {
		return 0, nil
	}
	_, err = s.Chain.Append(ctx, tx, audit.Record{
		Actor: s.actor(), Action: audit.ActionRecipientsNotified, RequestID: requestID, Outcome: audit.OutcomeSuccess,
		Counts: counts, Reason: event + " notices planned for the recipients of the data (" + Basis(event) + ")",
	})
	return added, err
}

// mailQueued writes the outbox message of each queued email notice of the
// request's event.
func (s *Service) mailQueued(ctx context.Context, tx store.Tx, requestID, event string) error {
	all, err := tx.NoticesByRequest(ctx, requestID)
	if err != nil {
		return err
	}
	for _, n := range all {
		if n.Event != event || n.State != store.NoticeQueued {
			continue
		}
		r, ok := s.recipient(n.Recipient)
		if !ok || r.Notify.Method != "email" {
			continue
		}
		if err := s.Mailer.NoticeMail(ctx, tx, n, r.Notify.Email); err != nil {
			return err
		}
	}
	return nil
}

// MailSettled moves the queued notice whose email m is to sent (m sent) or
// failed (m refused or given up on), with its audit record, inside tx: the
// transaction in which the mail sender records m (mail.Sender.Settled). Any
// other message, or a notice no longer queued, is left alone.
func (s *Service) MailSettled(ctx context.Context, tx store.Tx, m store.OutboxMessage) error {
	id, ok := strings.CutPrefix(m.DedupKey, MailDedupKey(""))
	if m.Kind != MailKind || !ok {
		return nil
	}
	n, err := tx.GetNotice(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || n.State != store.NoticeQueued {
		return err
	}
	next := n
	next.Attempts = m.Attempts
	var rec audit.Record
	switch m.State {
	case store.MessageSent:
		next.State, next.FinishedAt, next.LastError = store.NoticeSent, s.now(), ""
		rec = audit.Record{Outcome: audit.OutcomeSuccess, Reason: n.Event + " notice accepted by the mail server"}
	case store.MessageFailed:
		next.State, next.LastError = store.NoticeFailed, m.LastError
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: n.Event + " notice not delivered by mail: " + m.LastError}
	default:
		return nil
	}
	if err := tx.UpdateNotice(ctx, next, n); err != nil {
		return err
	}
	// The message's id goes in ObjectIDs, never in the reason: a random id may
	// hold a run of digits the audit trail refuses as personal data.
	rec.Actor, rec.Action, rec.RequestID, rec.ObjectIDs = s.actor(), audit.ActionRecipientsNotified, n.RequestID, []string{n.ID, m.ID}
	_, err = s.Chain.Append(ctx, tx, rec)
	return err
}

// Message returns the outbox message of an email notice, if it has one.
func Message(ctx context.Context, st store.Store, n store.RecipientNotice) (store.OutboxMessage, bool, error) {
	if n.Method != "email" {
		return store.OutboxMessage{}, false, nil
	}
	ms, err := st.MessagesByRequest(ctx, n.RequestID)
	if err != nil {
		return store.OutboxMessage{}, false, err
	}
	for _, m := range ms {
		if m.DedupKey == MailDedupKey(n.ID) {
			return m, true, nil
		}
	}
	return store.OutboxMessage{}, false, nil
}

// Payload is the body of a webhook notice. It names the request and the
// change, never the person: a recipient finds the person through its own
// link to the request (the controller sends the identifiers by a channel the
// two agreed on) or asks the controller.
type Payload struct {
	Type       string    `json:"type"` // "privacy.erasure", "privacy.correction", "privacy.restriction"
	NoticeID   string    `json:"notice_id"`
	RequestID  string    `json:"request_id"`
	Event      string    `json:"event"`
	OccurredAt time.Time `json:"occurred_at"`
	Basis      string    `json:"basis"`
}

// SendResult counts what one SendDue did.
type SendResult struct {
	Sent, Retrying, Failed int
}

// SendDue sends the webhook notices whose time has come, up to limit (0: 50),
// one after another. A notice claimed by another sender is skipped. It returns
// the first store error; delivery failures are recorded on the notice, not
// returned.
func (s *Service) SendDue(ctx context.Context, limit int) (SendResult, error) {
	if limit <= 0 {
		limit = 50
	}
	var res SendResult
	due, err := s.Store.DueNotices(ctx, s.now(), limit)
	if err != nil {
		return res, err
	}
	for _, n := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		st, err := s.sendOne(ctx, n)
		if err != nil {
			if errors.Is(err, store.ErrStateConflict) {
				continue // another sender has it
			}
			return res, err
		}
		switch st {
		case store.NoticeSent:
			res.Sent++
		case store.NoticeFailed:
			res.Failed++
		default:
			res.Retrying++
		}
	}
	return res, nil
}

// sendOne claims n (recording the attempt), POSTs it, and records the outcome.
func (s *Service) sendOne(ctx context.Context, n store.RecipientNotice) (store.NoticeState, error) {
	claimed := n
	claimed.Attempts++
	claimed.NextAttemptAt = s.now().Add(s.lease())
	if err := s.Store.UpdateNotice(ctx, claimed, n); err != nil {
		return "", err
	}
	r, ok := s.recipient(n.Recipient)
	var sendErr error
	switch {
	case !ok:
		sendErr = ErrUnknownRecipient
	case r.Notify.Method != "webhook":
		sendErr = fmt.Errorf("the registry now tells this recipient by %s", r.Notify.Method)
	default:
		sendErr = s.post(ctx, r, n)
	}
	if sendErr == nil && s.afterSend != nil {
		if err := s.afterSend(n); err != nil {
			return "", err
		}
	}
	now := s.now()
	next := claimed
	var rec audit.Record
	switch {
	case sendErr == nil:
		next.State, next.FinishedAt, next.LastError = store.NoticeSent, now, ""
		rec = audit.Record{Outcome: audit.OutcomeSuccess, Reason: n.Event + " notice acknowledged by the recipient"}
	case claimed.Attempts >= maxAttempts(s.giveUpAfter(), s.lease()) || errors.Is(sendErr, ErrUnknownRecipient):
		next.State, next.LastError = store.NoticeFailed, errorClass(sendErr)
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: n.Event + " notice not delivered after retries: " + errorClass(sendErr)}
	default:
		next.LastError = errorClass(sendErr)
		next.NextAttemptAt = now.Add(backoff(claimed.Attempts, s.lease()))
	}
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateNotice(ctx, next, claimed); err != nil {
			return err
		}
		if rec.Outcome == "" {
			return nil
		}
		rec.Actor, rec.Action, rec.RequestID, rec.ObjectIDs = s.actor(), audit.ActionRecipientsNotified, n.RequestID, []string{n.ID}
		_, err := s.Chain.Append(ctx, tx, rec)
		return err
	})
	if err != nil {
		return "", err
	}
	if next.State == store.NoticeSent {
		s.logger().Info("recipient notice sent", "notice_id", n.ID, "request_id", n.RequestID, "event", n.Event)
	} else {
		s.logger().Warn("recipient notice not delivered", "notice_id", n.ID, "request_id", n.RequestID,
			"attempts", next.Attempts, "error", next.LastError, "state", string(next.State))
	}
	return next.State, nil
}

// maxAttempts is how many attempts, spaced by backoff, span giveUp.
func maxAttempts(giveUp, base time.Duration) int {
	n, total := 1, time.Duration(0)
	for total < giveUp {
		total += backoff(n, base)
		n++
	}
	return n
}

// backoff is the wait after the given number of failed attempts: the lease,
// doubled each time, capped at one hour.
func backoff(attempts int, base time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// statusError is a non-2xx answer.
type statusError struct{ code int }

func (e statusError) Error() string { return fmt.Sprintf("status %d", e.code) }

// errorClass describes a delivery failure without its details (an error from
// the HTTP client can carry the URL, and a URL can carry a token).
func errorClass(err error) string {
	var se statusError
	switch {
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, ErrUnknownRecipient):
		return "recipient removed from the registry"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, errNoSecret):
		return err.Error()
	case err != nil && strings.HasPrefix(err.Error(), "the registry now"):
		return err.Error()
	}
	return "connection error"
}

var errNoSecret = errors.New("signing secret not set")

func (s *Service) post(ctx context.Context, r config.RecipientEntry, n store.RecipientNotice) error {
	lookup := s.Secret
	if lookup == nil {
		lookup = os.LookupEnv
	}
	secret, ok := lookup(r.Notify.SecretEnv)
	if !ok || secret == "" {
		return fmt.Errorf("%w: %s is empty", errNoSecret, r.Notify.SecretEnv)
	}
	body, err := json.Marshal(Payload{
		Type: "privacy." + n.Event, NoticeID: n.ID, RequestID: n.RequestID, Event: n.Event, OccurredAt: n.CreatedAt,
		Basis: Basis(n.Event),
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Notify.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("the configured URL cannot be used")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	req.Header.Set(SignatureHeader, Sign(body, secret))
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return statusError{resp.StatusCode}
	}
	return nil
}

// Basis cites the law that makes a notice of event owed: GDPR Art. 19 for
// each, and the CCPA regulation for an erasure (7022(b)) or a correction
// (7023(c)); the CCPA has no notice of a restriction.
func Basis(event string) string {
	switch event {
	case EventErasure:
		return "GDPR Art. 19; CCPA Regulations 7022(b)"
	case EventCorrection:
		return "GDPR Art. 19; CCPA Regulations 7023(c)"
	case EventOptOut:
		return "CCPA Regulations 7026(f), 7027(g)"
	}
	return "GDPR Art. 19"
}

// Sign returns the value of SignatureHeader for body under secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is body's signature under secret (for recipients
// written in Go, and for tests).
func Verify(body []byte, secret, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(body, secret)))
}

// Done records that an operator told the recipient of an open notice.
func (s *Service) Done(ctx context.Context, id string) (store.RecipientNotice, error) {
	return s.settle(ctx, id, store.NoticeDone, "", audit.Record{Outcome: audit.OutcomeSuccess, Reason: "recipient told by an operator"})
}

// Waive records that telling the recipient is impossible or involves
// disproportionate effort (GDPR Art. 19), for reason (recorded; no personal data).
func (s *Service) Waive(ctx context.Context, id, reason string) (store.RecipientNotice, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.RecipientNotice{}, fmt.Errorf("%w: say why telling this recipient is impossible or disproportionate", ErrReason)
	}
	rec := audit.Record{Outcome: audit.OutcomeNoop, Reason: "impossible or disproportionate (GDPR Art. 19): " + reason}
	probe := rec
	probe.Actor, probe.Action = s.actor(), audit.ActionRecipientsNotified
	if err := s.Chain.Validate(&probe); err != nil {
		return store.RecipientNotice{}, fmt.Errorf("%w: it may hold personal data; describe the reason without names, addresses or numbers", ErrReason)
	}
	return s.settle(ctx, id, store.NoticeWaived, reason, rec)
}

// ErrNoMail: a failed email notice cannot be retried by mail, because no
// message was written for it or no mail server is configured.
var ErrNoMail = errors.New("notice: this email notice has no message to send again; configure a mail server (INTERCOM_PRIVACY_SMTP_URL), or tell the recipient and run `notices done`")

// retryMail puts the failed outbox message of email notice n back in the
// queue, due now, inside tx.
func (s *Service) retryMail(ctx context.Context, tx store.Tx, n store.RecipientNotice) error {
	if s.Mailer == nil {
		return ErrNoMail
	}
	ms, err := tx.MessagesByRequest(ctx, n.RequestID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.DedupKey != MailDedupKey(n.ID) {
			continue
		}
		if m.State != store.MessageFailed {
			return nil
		}
		next := m
		next.State, next.Attempts, next.NextAttemptAt, next.LastError = store.MessagePending, 0, s.now(), ""
		return tx.UpdateMessage(ctx, next, m)
	}
	return ErrNoMail
}

// Retry puts a failed notice back in the sender's queue (a failed email
// notice: its message back in the mail outbox's).
func (s *Service) Retry(ctx context.Context, id string) (store.RecipientNotice, error) {
	var out store.RecipientNotice
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.GetNotice(ctx, id)
		if err != nil {
			return notFound(err)
		}
		if n.State != store.NoticeFailed {
			return fmt.Errorf("%w: it is %s; only a failed notice is retried", ErrNotOpen, n.State)
		}
		next := n
		next.State, next.NextAttemptAt, next.Attempts, next.LastError = store.NoticePending, s.now(), 0, ""
		if n.Method == "email" {
			// Its message goes back in the outbox queue, and the notice
			// follows it again.
			if err := s.retryMail(ctx, tx, n); err != nil {
				return err
			}
			next.State = store.NoticeQueued
		}
		if err := tx.UpdateNotice(ctx, next, n); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

func (s *Service) settle(ctx context.Context, id string, to store.NoticeState, reason string, rec audit.Record) (store.RecipientNotice, error) {
	var out store.RecipientNotice
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.GetNotice(ctx, id)
		if err != nil {
			return notFound(err)
		}
		if !n.State.Open() {
			return fmt.Errorf("%w: it is %s", ErrNotOpen, n.State)
		}
		next := n
		next.State, next.Reason, next.FinishedAt = to, reason, s.now()
		if err := tx.UpdateNotice(ctx, next, n); err != nil {
			return err
		}
		rec.Actor, rec.Action, rec.RequestID, rec.ObjectIDs = s.actor(), audit.ActionRecipientsNotified, n.RequestID, []string{n.ID}
		if _, err := s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}
