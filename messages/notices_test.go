package messages_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/notice"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// crashAtRecord is a store whose next transaction fails once crash says so:
// a sender using it dies after the server accepted a message and before
// recording it.
type crashAtRecord struct {
	store.Store
	crash   func() bool
	crashed *atomic.Bool
}

var errCrash = errors.New("killed between the send and its record")

func (c crashAtRecord) InTx(ctx context.Context, fn func(store.Tx) error) error {
	if !c.crashed.Load() && c.crash() {
		c.crashed.Store(true)
		return errCrash
	}
	return c.Store.InTx(ctx, fn)
}

// An erasure with an email recipient in the registry writes the recipient's
// notice to the outbox in the transaction that completes it; the mail sender
// delivers it once to the SMTP server and records the notice sent in the
// transaction that records the message. A sender killed between the
// server's acceptance and that record leaves the notice queued; the next
// send repeats the message with the same Message-ID, and the notice is
// recorded sent once. A bounced notice is failed and can be retried.
func TestErasureMailsEmailRecipients(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			var clock atomic.Int64
			clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro())
			now := func() time.Time { return time.UnixMicro(clock.Load()) }
			smtp := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "mailer", Password: "pw"})
			ws := apptest.New(t, b, apptest.Options{SMTPURL: smtp.URL("privacy@example-trading.test"), SMTPTLS: smtp.ClientTLS(), Now: now})
			a := ws.Open("test")
			if a.Notices.Mailer == nil || a.Mail.Settled == nil {
				t.Fatal("notices not wired to the outbox")
			}
			const processor, bouncing = "privacy@processor.example", "dpo@gone.example"
			a.Notices.Registry = []config.RecipientEntry{
				{Name: "Newsletter Co", Role: "processor", Notify: config.Notify{Method: "email", Email: processor, Events: []string{"erasure"}}},
				{Name: "Gone Ltd", Role: "controller", Notify: config.Notify{Method: "email", Email: bouncing, Events: []string{"erasure"}}},
				{Name: "CRM", Role: "processor", Notify: config.Notify{Method: "manual", Events: []string{"erasure"}}},
			}
			smtp.Reject(bouncing)
			p := ws.Sandbox.SamplePerson()
			r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Jurisdiction: deadline.GDPR, Channel: "email",
				Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
				t.Fatal(err)
			}
			if err := a.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			ns, err := a.Store.NoticesByRequest(ctx, r.ID)
			if err != nil || len(ns) != 3 {
				t.Fatalf("notices: %+v, %v", ns, err)
			}
			byName := map[string]store.RecipientNotice{}
			for _, n := range ns {
				byName[n.Recipient] = n
			}
			mine, gone := byName["Newsletter Co"], byName["Gone Ltd"]
			if mine.State != store.NoticeQueued || gone.State != store.NoticeQueued || byName["CRM"].State != store.NoticeManual {
				t.Fatalf("planned states: %+v", ns)
			}
			msg, ok, err := notice.Message(ctx, a.Store, mine)
			if err != nil || !ok || msg.Kind != notice.MailKind || msg.State != store.MessagePending {
				t.Fatalf("the notice's outbox row: %+v %v %v", msg, ok, err)
			}

			// The sender is killed right after the server accepted the
			// processor's notice, before recording it.
			var crashed atomic.Bool
			crashing := *a.Mail
			crashing.Store = crashAtRecord{Store: a.Store, crashed: &crashed, crash: func() bool {
				got := smtp.Messages()
				return len(got) > 0 && got[len(got)-1].To[0] == processor
			}}
			if _, err := crashing.SendDue(ctx, 0); !errors.Is(err, errCrash) {
				t.Fatalf("the crashing sender: %v", err)
			}
			first := smtp.Messages()
			if n, _ := a.Store.GetNotice(ctx, mine.ID); n.State != store.NoticeQueued {
				t.Fatalf("after the crash the notice is %s", n.State)
			}

			// Restart after the lease: everything due is sent (again).
			clock.Add((3 * time.Minute).Microseconds())
			for {
				res, err := a.Mail.SendDue(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if res.Total() == 0 {
					break
				}
			}
			var toProcessor []mailtest.Message
			for _, m := range smtp.Messages() {
				if len(m.To) == 1 && m.To[0] == processor {
					toProcessor = append(toProcessor, m)
				}
				if m.To[0] == processor || m.To[0] == bouncing {
					if strings.Contains(string(m.Data), p.Email) || strings.Contains(string(m.Data), p.Name) {
						t.Fatalf("a recipient notice carries the person's data:\n%s", m.Data)
					}
				}
			}
			crashedCopies := 0
			for _, m := range first {
				if m.To[0] == processor {
					crashedCopies++
				}
			}
			// One copy before the crash, one after: the outbox's
			// recognisable duplicate, with the same Message-ID, derived from
			// the outbox row.
			if crashedCopies != 1 || len(toProcessor) != 2 {
				t.Fatalf("%d notices reached the processor (%d before the crash)", len(toProcessor), crashedCopies)
			}
			for _, m := range toProcessor {
				if m.MessageID != toProcessor[0].MessageID || !strings.HasPrefix(m.MessageID, strings.TrimPrefix(msg.ID, "msg_")) {
					t.Fatalf("Message-IDs %q, %q (row %s)", m.MessageID, toProcessor[0].MessageID, msg.ID)
				}
				for _, want := range []string{r.ID, mine.ID, "erasure", "GDPR Art. 19", "Newsletter Co"} {
					if !strings.Contains(m.Text, want) || !strings.Contains(m.Header.Get("Subject")+m.Text, want) {
						t.Errorf("the notice lacks %q:\n%s", want, m.Text)
					}
				}
			}
			n, err := a.Store.GetNotice(ctx, mine.ID)
			if err != nil || n.State != store.NoticeSent || n.FinishedAt.IsZero() {
				t.Fatalf("the notice after the send: %+v, %v", n, err)
			}
			if msg, _, _ = notice.Message(ctx, a.Store, n); msg.State != store.MessageSent {
				t.Fatalf("its message is %s", msg.State)
			}
			g, err := a.Store.GetNotice(ctx, gone.ID)
			if err != nil || g.State != store.NoticeFailed || !strings.Contains(g.LastError, "550") {
				t.Fatalf("the bounced notice: %+v, %v", g, err)
			}

			// One "sent" record for the notice, whatever the crash did.
			sent := 0
			for sr, err := range a.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(sr.Body), processor) || strings.Contains(string(sr.Body), bouncing) {
					t.Fatalf("an audit record carries a recipient's address: %s", sr.Body)
				}
				if rec.Action == audit.ActionRecipientsNotified && len(rec.ObjectIDs) > 0 && rec.ObjectIDs[0] == mine.ID {
					sent++
				}
			}
			if sent != 1 {
				t.Fatalf("%d audit records of the notice sent", sent)
			}

			// The bounced notice is retried: its message goes back in the
			// outbox and the notice follows it again.
			g, err = a.Notices.Retry(ctx, gone.ID)
			if err != nil || g.State != store.NoticeQueued {
				t.Fatalf("retry: %+v, %v", g, err)
			}
			if m, _, _ := notice.Message(ctx, a.Store, g); m.State != store.MessagePending {
				t.Fatalf("its message is %s after the retry", m.State)
			}
			if _, err := a.Notices.Done(ctx, mine.ID); !errors.Is(err, notice.ErrNotOpen) {
				t.Fatalf("done on a sent notice: %v", err)
			}
		})
	}
}

// Without a mail server, an email recipient's notice is an operator task,
// as before.
func TestEmailRecipientWithoutMailIsATask(t *testing.T) {
	ctx := context.Background()
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{})
	a := ws.Open("test")
	if a.Mail != nil || a.Notices.Mailer != nil {
		t.Fatal("mail assembled without a server")
	}
	a.Notices.Registry = []config.RecipientEntry{
		{Name: "Newsletter Co", Role: "processor", Notify: config.Notify{Method: "email", Email: "privacy@processor.example", Events: []string{"erasure"}}},
	}
	p := ws.Sandbox.SamplePerson()
	r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Jurisdiction: deadline.GDPR, Channel: "email",
		Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
		t.Fatal(err)
	}
	if err := a.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	ns, err := a.Store.NoticesByRequest(ctx, r.ID)
	if err != nil || len(ns) != 1 || ns[0].State != store.NoticeManual {
		t.Fatalf("notices: %+v, %v", ns, err)
	}
	if _, ok, err := notice.Message(ctx, a.Store, ns[0]); ok || err != nil {
		t.Fatalf("an outbox row without mail: %v %v", ok, err)
	}
}
