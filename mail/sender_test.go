package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

const person = "jane.doe@example.org"

type fixture struct {
	st     store.Store
	vault  *vault.Vault
	chain  *audit.Chain
	outbox *Outbox
	sender *Sender
	smtp   *mailtest.Server
	clock  atomic.Int64 // unix micro
}

func (f *fixture) now() time.Time          { return time.UnixMicro(f.clock.Load()).UTC() }
func (f *fixture) advance(d time.Duration) { f.clock.Add(d.Microseconds()) }

func setup(t *testing.T, b storetest.Backend, o mailtest.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{smtp: mailtest.Start(t, o)}
	f.clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro())
	f.st = b.Open(t)
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.Init(ctx, f.st, master); err != nil {
		t.Fatal(err)
	}
	if f.vault, err = vault.Open(ctx, f.st, master); err != nil {
		t.Fatal(err)
	}
	if f.chain, err = audit.NewChain(f.vault.AuditSigner(), audit.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseSMTPURL("", f.smtp.URL("privacy@controller.example"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = f.smtp.ClientTLS()
	f.outbox = &Outbox{Vault: f.vault, Chain: f.chain, Actor: "server", Now: f.now}
	f.sender = &Sender{Store: f.st, Vault: f.vault, Chain: f.chain, SMTP: cfg, Actor: "worker", Now: f.now, Timeout: 10 * time.Second}
	return f
}

func (f *fixture) enqueue(t *testing.T, m Message) store.OutboxMessage {
	t.Helper()
	var row store.OutboxMessage
	err := f.st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		row, _, err = f.outbox.Enqueue(context.Background(), tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func ack(req string) Message {
	return Message{RequestID: req, Kind: "acknowledgement", To: person, Subject: "We received your request",
		Text: "We received your request " + req + ".", HTML: "<p>We received your request <b>" + req + "</b>.</p>"}
}

func (f *fixture) send(t *testing.T) SendResult {
	t.Helper()
	r, err := f.sender.SendDue(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) get(t *testing.T, id string) store.OutboxMessage {
	t.Helper()
	m, err := f.st.GetMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// records returns the audit records of a request, and fails if any of them
// holds the person's address or a message's text.
func (f *fixture) records(t *testing.T, req string) []audit.Record {
	t.Helper()
	var out []audit.Record
	for sr, err := range f.st.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		r, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(sr.Body); strings.Contains(s, "jane") || strings.Contains(s, "We received") {
			t.Fatalf("an audit record carries the address or the text: %s", s)
		}
		if s := fmt.Sprintf("%+v", r); strings.Contains(s, "jane") || strings.Contains(s, "We received") {
			t.Fatalf("an audit record carries the address or the text: %s", s)
		}
		if r.RequestID == req {
			out = append(out, r)
		}
	}
	return out
}

func TestSendOverEachConnectionKind(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		for name, o := range map[string]mailtest.Options{
			"starttls+auth": {StartTLS: true, Username: "mailer", Password: "pw-1"},
			"smtps+auth":    {Implicit: true, Username: "mailer", Password: "pw-2"},
			"plain relay":   {},
		} {
			t.Run(b.Name+"/"+name, func(t *testing.T) {
				f := setup(t, b, o)
				row := f.enqueue(t, ack("req_a"))
				if r := f.send(t); r.Sent != 1 || r.Total() != 1 {
					t.Fatalf("send: %+v", r)
				}
				got := f.smtp.Messages()
				if len(got) != 1 {
					t.Fatalf("%d messages arrived", len(got))
				}
				m := got[0]
				if m.From != "privacy@controller.example" || len(m.To) != 1 || m.To[0] != person {
					t.Fatalf("envelope: %s -> %v", m.From, m.To)
				}
				if m.MessageID != MessageID(row.ID, "controller.example") || m.Header.Get("Subject") != "We received your request" ||
					m.Header.Get("Auto-Submitted") != "auto-generated" {
					t.Fatalf("headers: %v", m.Header)
				}
				if !strings.Contains(string(m.Body), "We received your request req_a.") || !strings.Contains(string(m.Body), "text/html") {
					t.Fatalf("body: %s", m.Body)
				}
				if m.TLS != (o.StartTLS || o.Implicit) || m.Auth != (o.Username != "") {
					t.Fatalf("tls %v auth %v", m.TLS, m.Auth)
				}
				sent := f.get(t, row.ID)
				if sent.State != store.MessageSent || sent.ContentEnc != nil || !sent.SentAt.Equal(f.now()) || sent.Attempts != 1 {
					t.Fatalf("row after send: %+v", sent)
				}
				// The content's key is gone: a copy of the row read from a
				// backup is unreadable.
				if _, err := f.vault.Decrypt(context.Background(), row.KeyID, vault.AAD{Table: tableOutbox, Column: columnContent, Row: row.ID}, row.ContentEnc); !errors.Is(err, vault.ErrShredded) {
					t.Fatalf("key after send: %v", err)
				}
				recs := f.records(t, "req_a")
				if len(recs) != 2 || recs[0].Action != audit.ActionMessageQueued || recs[1].Action != audit.ActionMessageSent ||
					recs[1].Outcome != audit.OutcomeSuccess || recs[1].ObjectIDs[0] != row.ID {
					t.Fatalf("audit: %+v", recs)
				}
				// Nothing more to send.
				f.advance(time.Hour)
				if r := f.send(t); r.Total() != 0 {
					t.Fatalf("second pass: %+v", r)
				}
			})
		}
	}
}

func TestEnqueueBelongsToTheTransaction(t *testing.T) {
	f := setup(t, storetest.SQLite(), mailtest.Options{})
	ctx := context.Background()
	boom := errors.New("the state change failed")
	err := f.st.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := f.outbox.Enqueue(ctx, tx, ack("req_b")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if ms, _ := f.st.MessagesByRequest(ctx, "req_b"); len(ms) != 0 {
		t.Fatalf("a rolled-back change left a message: %+v", ms)
	}
	// The same milestone twice (a resumed step) writes one message.
	first := f.enqueue(t, ack("req_b"))
	second := f.enqueue(t, ack("req_b"))
	if first.ID != second.ID {
		t.Fatalf("two messages for one milestone: %s, %s", first.ID, second.ID)
	}
	if r := f.send(t); r.Sent != 1 {
		t.Fatalf("send: %+v", r)
	}
	if len(f.records(t, "req_b")) != 2 {
		t.Fatal("want one queued and one sent record")
	}
	for _, bad := range []Message{
		{Kind: "Ack!", To: person, Subject: "s", Text: "t"},
		{Kind: "ack", To: "Jane <" + person + ">", Subject: "s", Text: "t"},
		{Kind: "ack", To: "not-an-address", Subject: "s", Text: "t"},
		{Kind: "ack", To: person, Subject: "s\r\nBcc: x@example.org", Text: "t"},
		{Kind: "ack", To: person, Subject: "s", Text: " "},
	} {
		err := f.st.InTx(ctx, func(tx store.Tx) error { _, _, err := f.outbox.Enqueue(ctx, tx, bad); return err })
		if !errors.Is(err, ErrInvalidMessage) || strings.Contains(err.Error(), person) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// The server is down for an hour: messages wait with their error class, none
// is lost or marked failed, and they leave once it is back.
func TestServerDownThenUp(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, mailtest.Options{StartTLS: true, Username: "mailer", Password: "pw"})
			f.smtp.Stop()
			var ids []string
			for i := range 3 {
				ids = append(ids, f.enqueue(t, ack(fmt.Sprintf("req_%d", i))).ID)
			}
			waited := time.Duration(0)
			for waited < time.Hour {
				r := f.send(t)
				if r.Sent != 0 || r.Failed != 0 || r.Retrying != 3 {
					t.Fatalf("while down: %+v", r)
				}
				for _, id := range ids {
					if m := f.get(t, id); m.State != store.MessagePending || m.LastError != "connection refused" {
						t.Fatalf("while down: %+v", m)
					}
				}
				// Before its backoff ends a message is not tried again.
				if r := f.send(t); r.Total() != 0 {
					t.Fatalf("retried before its backoff: %+v", r)
				}
				next := f.get(t, ids[0]).NextAttemptAt
				waited += next.Sub(f.now())
				f.advance(next.Sub(f.now()))
			}
			counts, err := f.st.OutboxCounts(context.Background())
			if err != nil || len(counts) != 1 || counts[0].State != store.MessagePending || counts[0].Count != 3 {
				t.Fatalf("dashboard while down: %+v, %v", counts, err)
			}
			f.smtp.Restart(t)
			if r := f.send(t); r.Sent != 3 {
				t.Fatalf("after the server came back: %+v", r)
			}
			seen := map[string]bool{}
			for _, m := range f.smtp.Messages() {
				seen[m.MessageID] = true
			}
			if len(f.smtp.Messages()) != 3 || len(seen) != 3 {
				t.Fatalf("arrived: %d messages, %d distinct", len(f.smtp.Messages()), len(seen))
			}
		})
	}
}

// A mailbox that does not exist (550 5.1.1) marks the message failed at once,
// with the codes and without the address, and it is not tried again.
func TestBounceMarksFailed(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, mailtest.Options{})
			f.smtp.Reject(person)
			row := f.enqueue(t, ack("req_c"))
			if r := f.send(t); r.Failed != 1 {
				t.Fatalf("send: %+v", r)
			}
			m := f.get(t, row.ID)
			if m.State != store.MessageFailed || m.LastError != "smtp 550 5.1.1 at RCPT" {
				t.Fatalf("after a bounce: %+v", m)
			}
			for range 5 {
				f.advance(24 * time.Hour)
				if r := f.send(t); r.Total() != 0 {
					t.Fatalf("a bounced message was retried: %+v", r)
				}
			}
			if n := len(f.smtp.Messages()); n != 0 {
				t.Fatalf("%d arrived", n)
			}
			recs := f.records(t, "req_c")
			if last := recs[len(recs)-1]; last.Action != audit.ActionMessageSent || last.Outcome != audit.OutcomeFailure ||
				!strings.Contains(last.Reason, "550 5.1.1") {
				t.Fatalf("audit: %+v", last)
			}
		})
	}
}

// A server that keeps answering 4xx, or stays unreachable, is given up on
// after GiveUpAfter: the message is failed for an operator, not retried forever.
func TestGiveUpAfterRetries(t *testing.T) {
	f := setup(t, storetest.SQLite(), mailtest.Options{})
	f.sender.GiveUpAfter = 6 * time.Hour
	f.smtp.Stop()
	row := f.enqueue(t, ack("req_d"))
	attempts := 0
	for f.get(t, row.ID).State == store.MessagePending {
		attempts++
		if attempts > 50 {
			t.Fatal("never given up")
		}
		f.send(t)
		f.advance(f.get(t, row.ID).NextAttemptAt.Sub(f.now()))
	}
	m := f.get(t, row.ID)
	if m.State != store.MessageFailed || m.LastError != "connection refused" || m.NextAttemptAt.Sub(m.CreatedAt) > 7*time.Hour {
		t.Fatalf("given up: %+v after %d attempts", m, attempts)
	}
}

// A crash between the server's acceptance and the record sends the message
// once more, after the lease, with the same Message-ID; then never again.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, mailtest.Options{})
			crash := errors.New("killed")
			crashes := 1
			f.sender.afterSend = func(store.OutboxMessage) error {
				if crashes > 0 {
					crashes--
					return crash
				}
				return nil
			}
			row := f.enqueue(t, ack("req_e"))
			if _, err := f.sender.SendDue(context.Background(), 0); !errors.Is(err, crash) {
				t.Fatalf("crash: %v", err)
			}
			if m := f.get(t, row.ID); m.State != store.MessagePending || m.Attempts != 1 {
				t.Fatalf("after the crash: %+v", m)
			}
			// Within the lease nobody sends it (the crashed sender may still live).
			if r := f.send(t); r.Total() != 0 {
				t.Fatalf("within the lease: %+v", r)
			}
			f.advance(f.sender.lease())
			if r := f.send(t); r.Sent != 1 {
				t.Fatalf("after the lease: %+v", r)
			}
			got := f.smtp.Messages()
			if len(got) != 2 || got[0].MessageID != got[1].MessageID || got[0].MessageID != MessageID(row.ID, "controller.example") {
				t.Fatalf("want the same message twice with one Message-ID: %d arrived", len(got))
			}
			if got[0].Header.Get("Date") != got[1].Header.Get("Date") {
				t.Fatal("the duplicate's Date differs")
			}
			f.advance(24 * time.Hour)
			if r := f.send(t); r.Total() != 0 || len(f.smtp.Messages()) != 2 {
				t.Fatalf("sent a third time: %+v", r)
			}
		})
	}
}

// Two senders working the same outbox deliver each message once.
func TestConcurrentSendersDeliverOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, mailtest.Options{})
			const n = 12
			for i := range n {
				f.enqueue(t, ack(fmt.Sprintf("req_%02d", i)))
			}
			other := *f.sender
			var wg sync.WaitGroup
			var total atomic.Int64
			for _, s := range []*Sender{f.sender, &other} {
				wg.Go(func() {
					r, err := s.SendDue(context.Background(), 0)
					if err != nil {
						t.Error(err)
					}
					total.Add(int64(r.Sent))
				})
			}
			wg.Wait()
			if total.Load() != n || len(f.smtp.Messages()) != n {
				t.Fatalf("sent %d, arrived %d, want %d", total.Load(), len(f.smtp.Messages()), n)
			}
		})
	}
}

func TestNotConfigured(t *testing.T) {
	s := &Sender{}
	if _, err := s.SendDue(context.Background(), 0); !errors.Is(err, ErrNotConfigured) {
		t.Fatal(err)
	}
}
