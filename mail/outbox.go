// Package mail sends the e-mail the product owes people (acknowledgements,
// verification links, extension, denial and completion notices) and
// operators (deadline reminders), through an outbox in the store.
//
// Data flow: a workflow calls [Outbox.Enqueue] inside the store transaction of
// the change that causes the message, so the change and its message commit
// together (River's InsertTx habit: no message for a rolled-back change, none
// lost for a committed one). The message's recipient, subject and bodies are
// encrypted under a vault key of the message's own; the row keeps ids, kind
// and state. The workers' periodic job ([RegisterPeriodic]) runs
// [Sender.SendDue]: it claims each due message (recording the attempt and a
// lease before anything leaves), sends it by SMTP with
// github.com/wneessen/go-mail (STARTTLS or TLS, AUTH), then records it sent
// and destroys its key, in one transaction with a message.sent audit record.
// A crash between the send and that record sends the message once more after
// the lease, with the same Message-ID (derived from the row's id), so the
// duplicate is recognisable; a 4xx or a connection failure is retried with
// doubling backoff; a 5xx refusal (a bounce) marks the message failed for an
// operator, as does a message still failing after GiveUpAfter. Errors are
// recorded as classes ("smtp 550 5.1.1 at RCPT", "connection refused"),
// never a server's text, which may quote the address.
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Message is an e-mail to write to the outbox.
type Message struct {
	// RequestID is the request the message is about ("" for none).
	RequestID string
	// Kind names what the message is ("acknowledgement", "verification", ...):
	// lower-case letters and underscores.
	Kind string
	// DedupKey makes the message unique: a second Enqueue with the same key
	// writes nothing. Empty: RequestID + "/" + Kind.
	DedupKey string
	// To is the recipient's plain address.
	To      string
	Subject string
	// Text is the plain-text body (required); HTML the optional HTML
	// alternative.
	Text string
	HTML string
}

// content is what is encrypted in the row.
type content struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// ErrInvalidMessage reports a message that cannot be written; it never quotes
// the message.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Table and column of the encrypted content, bound into its ciphertext.
const (
	tableOutbox   = "outbox_messages"
	columnContent = "content"
)

// KeyID is the vault key a message's content is encrypted under.
func KeyID(messageID string) string { return "message:" + messageID }

// Outbox writes messages inside the caller's transaction.
type Outbox struct {
	Vault *vault.Vault
	Chain *audit.Chain
	// Actor names this process in audit records.
	Actor string
	// Now is the clock (nil: time.Now): a message is due from the time it
	// is written.
	Now func() time.Time
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return utcMicro(o.Now())
	}
	return utcMicro(time.Now())
}

func validKind(k string) bool {
	if k == "" || len(k) > 40 {
		return false
	}
	return strings.Trim(k, "abcdefghijklmnopqrstuvwxyz_") == ""
}

func (m Message) validate() error {
	switch {
	case !validKind(m.Kind):
		return fmt.Errorf("%w: the kind must be lower-case letters and underscores", ErrInvalidMessage)
	case m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n"):
		return fmt.Errorf("%w: a subject is needed, on one line", ErrInvalidMessage)
	case strings.TrimSpace(m.Text) == "":
		return fmt.Errorf("%w: a plain-text body is needed", ErrInvalidMessage)
	}
	a, err := netmail.ParseAddress(m.To)
	if err != nil || a.Name != "" || a.Address != m.To {
		return fmt.Errorf("%w: the recipient is not a plain e-mail address", ErrInvalidMessage)
	}
	return nil
}

// Enqueue writes m to the outbox inside tx, with a message.queued audit
// record naming its id and kind, and returns the row and whether it was new
// (false: a message with its DedupKey was already written, and nothing more
// is). The caller's commit is what makes it due.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, m Message) (store.OutboxMessage, bool, error) {
	if err := m.validate(); err != nil {
		return store.OutboxMessage{}, false, err
	}
	if m.DedupKey == "" {
		m.DedupKey = m.RequestID + "/" + m.Kind
	}
	plain, err := json.Marshal(content{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	if err != nil {
		return store.OutboxMessage{}, false, err
	}
	id := store.NewID("msg_")
	v := o.Vault.With(tx)
	enc, err := v.Encrypt(ctx, KeyID(id), vault.AAD{Table: tableOutbox, Column: columnContent, Row: id}, plain)
	if err != nil {
		return store.OutboxMessage{}, false, err
	}
	row, inserted, err := tx.EnqueueMessage(ctx, store.OutboxMessage{
		ID: id, RequestID: m.RequestID, Kind: m.Kind, DedupKey: m.DedupKey, KeyID: KeyID(id), ContentEnc: enc,
		CreatedAt: o.now(), NextAttemptAt: o.now(),
	})
	if err != nil {
		return store.OutboxMessage{}, false, err
	}
	if !inserted {
		// The key made for the copy that was not written goes with it.
		if _, err := o.Vault.DestroyPersonKey(ctx, tx, KeyID(id)); err != nil {
			return store.OutboxMessage{}, false, err
		}
		return row, false, nil
	}
	_, err = o.Chain.Append(ctx, tx, audit.Record{
		Actor: o.actor(), Action: audit.ActionMessageQueued, RequestID: m.RequestID, ObjectIDs: []string{row.ID},
		Outcome: audit.OutcomeSuccess, Reason: m.Kind + " message queued",
	})
	return row, true, err
}

func (o *Outbox) actor() string {
	if o.Actor != "" {
		return o.Actor
	}
	return "worker"
}

// MessageID is the Message-ID (without angle brackets) of the outbox row id,
// at domain: the same for every send of the row.
func MessageID(rowID, domain string) string {
	return strings.TrimPrefix(rowID, "msg_") + ".intercom-privacy@" + domain
}

// clock helpers shared by the sender.
func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
