package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// ErrNotConfigured: no SMTP server is configured, so nothing is sent.
var ErrNotConfigured = errors.New("mail: no SMTP server configured: set " + EnvSMTPURL + " (or mail.smtp_url in the configuration file)")

// Sender sends the due messages of the outbox.
type Sender struct {
	Store store.Store
	Vault *vault.Vault
	Chain *audit.Chain
	SMTP  SMTP
	// Actor names this process in audit records.
	Actor  string
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Lease is how long an attempt holds its message before another sender
	// may try it (0: 2 minutes): a crash between the send and its record
	// sends the message again after this. It is also the first backoff.
	Lease time.Duration
	// GiveUpAfter is about how long a message failing with temporary errors is
	// retried (the sum of its backoffs) before it is marked failed (0: 72
	// hours).
	GiveUpAfter time.Duration
	// Timeout bounds one connection (0: 30 seconds).
	Timeout time.Duration
	// Settled, when set, runs inside the transaction that records a message
	// sent or failed (m is the row as recorded), so a state that follows
	// the message (a recipient notice's, package notice) commits with it:
	// the two never disagree, whatever the moment of a crash.
	Settled func(ctx context.Context, tx store.Tx, m store.OutboxMessage) error
	// afterSend, when set (tests), runs between the server's acceptance and
	// the transaction that records it; an error stands for a crash there.
	afterSend func(store.OutboxMessage) error
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return utcMicro(s.Now())
	}
	return utcMicro(time.Now())
}

func (s *Sender) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 2 * time.Minute
}

func (s *Sender) giveUpAfter() time.Duration {
	if s.GiveUpAfter > 0 {
		return s.GiveUpAfter
	}
	return 72 * time.Hour
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Sender) actor() string {
	if s.Actor != "" {
		return s.Actor
	}
	return "worker"
}

// SendResult counts what one SendDue did.
type SendResult struct {
	Sent, Retrying, Failed int
}

// Total is the number of messages SendDue tried.
func (r SendResult) Total() int { return r.Sent + r.Retrying + r.Failed }

// SendDue sends the messages whose time has come, up to limit (0: 50), one
// after another. A message another sender claimed meanwhile is skipped.
// Delivery failures are recorded on each message, not returned; the error is
// a store failure, or ErrNotConfigured.
func (s *Sender) SendDue(ctx context.Context, limit int) (SendResult, error) {
	var res SendResult
	if !s.SMTP.Configured() {
		return res, ErrNotConfigured
	}
	if limit <= 0 {
		limit = 50
	}
	due, err := s.Store.DueMessages(ctx, s.now(), limit)
	if err != nil {
		return res, err
	}
	for _, m := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		st, err := s.sendOne(ctx, m)
		if err != nil {
			if errors.Is(err, store.ErrStateConflict) {
				continue // another sender has it
			}
			return res, err
		}
		switch st {
		case store.MessageSent:
			res.Sent++
		case store.MessageFailed:
			res.Failed++
		default:
			res.Retrying++
		}
	}
	return res, nil
}

// deliveryError is a failed delivery: its class (safe to store and log) and
// whether retrying can help.
type deliveryError struct {
	class     string
	permanent bool
}

func (e *deliveryError) Error() string { return e.class }

// sendOne claims m (recording the attempt), sends it and records the outcome.
func (s *Sender) sendOne(ctx context.Context, m store.OutboxMessage) (store.MessageState, error) {
	claimed := m
	claimed.Attempts++
	claimed.NextAttemptAt = s.now().Add(s.lease())
	if err := s.Store.UpdateMessage(ctx, claimed, m); err != nil {
		return "", err
	}
	msg, derr := s.open(ctx, m)
	if derr == nil {
		derr = s.deliver(ctx, m, msg)
	}
	if derr == nil && s.afterSend != nil {
		if err := s.afterSend(m); err != nil {
			return "", err
		}
	}
	now := s.now()
	next := claimed
	var rec audit.Record
	destroy := false
	switch {
	case derr == nil:
		next.State, next.SentAt, next.LastError, next.ContentEnc = store.MessageSent, now, "", nil
		rec = audit.Record{Outcome: audit.OutcomeSuccess, Reason: m.Kind + " message accepted by the mail server"}
		destroy = true
	case derr.permanent:
		next.State, next.LastError = store.MessageFailed, derr.class
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: m.Kind + " message refused by the mail server: " + derr.class}
	case now.Add(backoff(claimed.Attempts, s.lease())).Sub(m.CreatedAt) > s.giveUpAfter():
		next.State, next.LastError = store.MessageFailed, derr.class
		rec = audit.Record{Outcome: audit.OutcomeFailure, Reason: m.Kind + " message not delivered after retries: " + derr.class}
	default:
		next.LastError = derr.class
		next.NextAttemptAt = now.Add(backoff(claimed.Attempts, s.lease()))
	}
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateMessage(ctx, next, claimed); err != nil {
			return err
		}
		if destroy {
			// The content is no longer needed: its key goes, so any copy of
			// the row (a backup) is unreadable too.
			if _, err := s.Vault.DestroyPersonKey(ctx, tx, m.KeyID); err != nil {
				return err
			}
		}
		if rec.Outcome == "" {
			return nil
		}
		rec.Actor, rec.Action, rec.RequestID, rec.ObjectIDs = s.actor(), audit.ActionMessageSent, m.RequestID, []string{m.ID}
		if _, err := s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		if s.Settled != nil {
			return s.Settled(ctx, tx, next)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if destroy {
		s.Vault.Forget(m.KeyID)
	}
	log := s.logger().With("message_id", m.ID, "request_id", m.RequestID, "kind", m.Kind, "attempts", next.Attempts)
	switch next.State {
	case store.MessageSent:
		log.Info("message sent")
	case store.MessageFailed:
		log.Warn("message not delivered: marked failed for an operator", "error", next.LastError)
	default:
		log.Warn("message not delivered: will retry", "error", next.LastError, "next_attempt_at", next.NextAttemptAt)
	}
	return next.State, nil
}

// open decrypts m and builds the go-mail message.
func (s *Sender) open(ctx context.Context, m store.OutboxMessage) (*gomail.Msg, *deliveryError) {
	plain, err := s.Vault.Decrypt(ctx, m.KeyID, vault.AAD{Table: tableOutbox, Column: columnContent, Row: m.ID}, m.ContentEnc)
	if err != nil {
		return nil, &deliveryError{class: "content unreadable (key destroyed or data altered)", permanent: true}
	}
	var c content
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, &deliveryError{class: "content unreadable", permanent: true}
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.SMTP.From); err != nil {
		return nil, &deliveryError{class: "sender address refused"}
	}
	if err := msg.To(c.To); err != nil {
		return nil, &deliveryError{class: "recipient address refused", permanent: true}
	}
	msg.Subject(c.Subject)
	msg.SetMessageIDWithValue(MessageID(m.ID, s.SMTP.FromDomain()))
	msg.SetDateWithValue(m.CreatedAt)
	// RFC 3834: an automatic message; auto-responders stay quiet.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, c.Text)
	if c.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML)
	}
	return msg, nil
}

// deliver sends msg on a connection of its own.
func (s *Sender) deliver(ctx context.Context, _ store.OutboxMessage, msg *gomail.Msg) *deliveryError {
	client, err := s.client()
	if err != nil {
		return &deliveryError{class: "client configuration refused"}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

func (s *Sender) client() (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(s.SMTP.Port), gomail.WithTimeout(timeout)}
	if h, err := os.Hostname(); err == nil && h != "" {
		opts = append(opts, gomail.WithHELO(h))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.SMTP.TLS != nil {
		tc = s.SMTP.TLS.Clone()
	}
	tc.ServerName = s.SMTP.Host
	switch s.SMTP.Security {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tc))
	case Plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	}
	if s.SMTP.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.SMTP.Username), gomail.WithPassword(s.SMTP.Password))
	}
	return gomail.NewClient(s.SMTP.Host, opts...)
}

// classify turns a go-mail error into a class safe to store: codes and the
// SMTP command, never the server's text (it may quote the address) nor the
// error's (it names the recipient).
func classify(err error) *deliveryError {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		class := fmt.Sprintf("smtp %d", code)
		if code == 0 {
			class = "smtp error"
		}
		if esc := se.EnhancedStatusCode(); esc != "" {
			class += " " + esc
		}
		class += " at " + stage(se.Reason)
		return &deliveryError{class: class, permanent: code >= 500 && code < 600 && !se.IsTemp()}
	}
	// Failures before MAIL FROM (connection, TLS, authentication, a 4xx or
	// 5xx greeting) are the server's or the configuration's, not the
	// message's: the message waits for them to be fixed.
	var tp *textproto.Error
	switch {
	case errors.As(err, &tp):
		return &deliveryError{class: fmt.Sprintf("smtp %d during connection set-up (check the server, the user and the password)", tp.Code)}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return &deliveryError{class: "timeout"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &deliveryError{class: "connection refused"}
	case isTLS(err):
		return &deliveryError{class: "TLS failure (certificate or STARTTLS not offered)"}
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return &deliveryError{class: "network error"}
	}
	return &deliveryError{class: "connection set-up failed (TLS, authentication or greeting)"}
}

func stage(r gomail.SendErrReason) string {
	switch r {
	case gomail.ErrSMTPMailFrom:
		return "MAIL"
	case gomail.ErrSMTPRcptTo:
		return "RCPT"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		return "DATA"
	case gomail.ErrSMTPReset:
		return "RSET"
	case gomail.ErrConnCheck:
		return "connection check"
	}
	return "send"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTLS(err error) bool {
	var re tls.RecordHeaderError
	var ce *tls.CertificateVerificationError
	return errors.As(err, &re) || errors.As(err, &ce)
}

// backoff is the wait after the given number of failed attempts: base,
// doubled each time, capped at one hour.
func backoff(attempts int, base time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// ErrNotFailed: Retry was asked for a message that is not failed.
var ErrNotFailed = errors.New("mail: only a failed message is retried")

// ErrNoMessage: no message has that id.
var ErrNoMessage = errors.New("mail: no such message (`intercom-privacy messages status` lists them)")

// Retry puts a failed message back in the queue, due now, with its attempts
// counted from zero (after an operator fixed the address or the server).
func (s *Sender) Retry(ctx context.Context, id string) (store.OutboxMessage, error) {
	var out store.OutboxMessage
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.GetMessage(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoMessage
		}
		if err != nil {
			return err
		}
		if m.State != store.MessageFailed {
			return fmt.Errorf("%w: it is %s", ErrNotFailed, m.State)
		}
		next := m
		next.State, next.Attempts, next.NextAttemptAt, next.LastError = store.MessagePending, 0, s.now(), ""
		if err := tx.UpdateMessage(ctx, next, m); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}

// Status is the outbox as the dashboard shows it.
type Status struct {
	// Pending and Failed count the messages waiting and given up on; Sent
	// the messages the server accepted.
	Pending, Sent, Failed int64
	// OldestPending is when the oldest waiting message was written (zero
	// when none waits).
	OldestPending time.Time
	// Problems are the waiting messages that failed at least once and the
	// failed ones, oldest first (at most 100): ids, kinds, attempts, error
	// classes; never an address.
	Problems []store.OutboxMessage
}

// ReadStatus reads the outbox's state from st.
func ReadStatus(ctx context.Context, st store.Store) (Status, error) {
	var out Status
	counts, err := st.OutboxCounts(ctx)
	if err != nil {
		return out, err
	}
	for _, c := range counts {
		switch c.State {
		case store.MessagePending:
			out.Pending, out.OldestPending = c.Count, c.OldestAt
		case store.MessageSent:
			out.Sent = c.Count
		case store.MessageFailed:
			out.Failed = c.Count
		}
	}
	ms, err := st.MessagesInState(ctx, 100, store.MessagePending, store.MessageFailed)
	if err != nil {
		return out, err
	}
	for _, m := range ms {
		if m.State == store.MessageFailed || m.LastError != "" {
			m.ContentEnc = nil
			out.Problems = append(out.Problems, m)
		}
	}
	return out, nil
}
