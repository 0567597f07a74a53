package messages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// Each milestone of a request writes its message in the milestone's
// transaction; the workers' sender delivers it to a real SMTP server, where
// the test reads it.
func TestMilestonesReachThePerson(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			smtp := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "mailer", Password: "pw"})
			ws := apptest.New(t, b, apptest.Options{SMTPURL: smtp.URL("privacy@example-trading.test"), SMTPTLS: smtp.ClientTLS(),
				PublicURL: "https://privacy.example-trading.test"})
			a := ws.Open("test")
			if a.Mail == nil || a.DSAR.Messenger == nil {
				t.Fatal("mail not assembled")
			}
			send := func(want int) []mailtest.Message {
				t.Helper()
				if _, err := a.Mail.SendDue(ctx, 0); err != nil {
					t.Fatal(err)
				}
				return smtp.Wait(t, want)
			}
			p := ws.Sandbox.SamplePerson()
			ids := dsar.Identifiers{Emails: []string{p.Email}}

			// Filing: the acknowledgement, and acknowledged_at.
			r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Jurisdiction: deadline.CCPA, Channel: "email", Identifiers: ids})
			if err != nil {
				t.Fatal(err)
			}
			if r.AcknowledgedAt.IsZero() {
				t.Fatal("acknowledged_at not set")
			}
			got := send(1)
			ack := got[0]
			if ack.To[0] != p.Email || !strings.Contains(ack.Header.Get("Subject"), r.ID) || !strings.Contains(ack.Text, "confirm that the request comes from you") || !strings.Contains(ack.HTML, "<strong>") {
				t.Fatalf("acknowledgement: %v\n%s", ack.Header, ack.Body)
			}
			// Extension, then completion of the erasure.
			if r, err = a.DSAR.Extend(ctx, r.ID, 0, "the request covers several workspaces"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
				t.Fatal(err)
			}
			if err := a.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			got = send(3)
			ccpa, _ := jurisdiction.For(deadline.CCPA)
			ext, done := got[1].Text, got[2].Text
			if !strings.Contains(ext, "the request covers several workspaces") || !strings.Contains(ext, ccpa.Authority.Complaint[:40]) {
				t.Fatalf("extension:\n%s", ext)
			}
			for _, want := range []string{"What we deleted", "Intercom contact records", "7 days", "CCPA Regulations §7022(e)", "Regulations §7101"} {
				if !strings.Contains(done, want) {
					t.Errorf("erasure completion lacks %q:\n%s", want, done)
				}
			}
			for _, m := range got {
				if strings.Contains(string(m.Data), p.Name) || (p.Phone != "" && strings.Contains(string(m.Data), p.Phone)) {
					t.Fatalf("a message carries data the person did not give: %s", m.Data)
				}
			}
			// A denial, on another request.
			other := ws.Sandbox.SamplePerson()
			r2, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "email",
				Identifiers: dsar.Identifiers{Emails: []string{"someone.else@example.org"}, ContactIDs: other.LiveContactIDs[:1]}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DSAR.Deny(ctx, r2.ID, "GDPR Art. 12(5): manifestly excessive, the fourth identical request this month"); err != nil {
				t.Fatal(err)
			}
			got = send(5)
			gdpr, _ := jurisdiction.For(deadline.GDPR)
			if deny := got[4].Text; got[4].To[0] != "someone.else@example.org" || !strings.Contains(deny, "manifestly excessive") ||
				!strings.Contains(deny, gdpr.Authority.Complaint) {
				t.Fatalf("denial:\n%s", deny)
			}
			// The audit trail names the messages, never their text or address.
			kinds := map[string]int{}
			for sr, err := range a.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(sr.Body), "@") {
					t.Fatalf("an audit record holds an address: %s", sr.Body)
				}
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == audit.ActionMessageQueued {
					kinds[strings.TrimSuffix(rec.Reason, " message queued")]++
				}
				if rec.Action == audit.ActionRequestAcknowledged && rec.RequestID != r.ID && rec.RequestID != r2.ID {
					t.Fatalf("acknowledged: %+v", rec)
				}
			}
			want := map[string]int{"acknowledgement": 2, "extension": 1, "erasure_completed": 1, "denial": 1}
			for k, n := range want {
				if kinds[k] != n {
					t.Errorf("%s queued %d times, want %d (%v)", k, kinds[k], n, kinds)
				}
			}
		})
	}
}

// Without an e-mail address among the identifiers there is nowhere to write:
// no message, and acknowledged_at stays unset.
func TestNoAddressNoMessage(t *testing.T) {
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{}, SMTPURL: smtp.URL("privacy@example-trading.test")})
	a := ws.Open("test")
	p := ws.Sandbox.SamplePerson()
	r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "phone",
		Identifiers: dsar.Identifiers{ContactIDs: p.LiveContactIDs[:1]}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.AcknowledgedAt.IsZero() {
		t.Fatal("acknowledged without a message")
	}
	if ms, _ := a.Store.MessagesByRequest(ctx, r.ID); len(ms) != 0 {
		t.Fatalf("%d messages", len(ms))
	}
}

// Operators are reminded once per request and due date of a deadline that
// nears; the reminder names the request, never the person.
func TestDeadlineReminders(t *testing.T) {
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	cfg := apptest.Config()
	cfg.Mail.Operators = []string{"privacy-team@example-trading.test"}
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{SMTPURL: smtp.URL("privacy@example-trading.test"), Config: cfg})
	a := ws.Open("test")
	p := ws.Sandbox.SamplePerson()
	late, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "email",
		ReceivedAt: time.Now().AddDate(0, 0, -29), Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "email",
		Identifiers: dsar.Identifiers{Emails: []string{"fresh@example.org"}}}); err != nil {
		t.Fatal(err)
	}
	r := &messages.Reminders{Store: a.Store, Messages: a.Messages, Operators: cfg.Mail.Operators}
	if n, err := r.Run(ctx); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	if n, err := r.Run(ctx); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	if _, err := a.Mail.SendDue(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var reminder *mailtest.Message
	for _, m := range smtp.Wait(t, 3) {
		if m.To[0] == "privacy-team@example-trading.test" {
			reminder = &m
		}
	}
	if reminder == nil || !strings.Contains(reminder.Header.Get("Subject"), late.ID) || strings.Contains(reminder.Text, p.Email) {
		t.Fatalf("reminder: %+v", reminder)
	}
}

// TestRemindersBehindManyOverdue: more open requests overdue than a run used
// to read (it took the 1,000 oldest open requests due before now + 3 days,
// all overdue here) leave the ones due within the days reminded, every page
// of them; the overdue ones get none.
func TestRemindersBehindManyOverdue(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	cfg := apptest.Config()
	cfg.Mail.Operators = []string{"privacy-team@example-trading.test"}
	smtp := mailtest.Start(t, mailtest.Options{})
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{SMTPURL: smtp.URL("privacy@example-trading.test"), Config: cfg,
		Now: func() time.Time { return now }})
	a := ws.Open("test")
	create := func(received, due time.Time) store.Request {
		t.Helper()
		r, err := a.Store.CreateRequest(ctx, store.Request{Type: store.RequestAccess, Jurisdiction: "gdpr", Channel: "email",
			State: store.StateVerified, ReceivedAt: received, DueAt: due})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i := range 1001 {
		create(now.AddDate(0, -3, 0).Add(time.Duration(i)*time.Minute), now.AddDate(0, 0, -20))
	}
	var soon []string
	for i := range 5 {
		soon = append(soon, create(now.AddDate(0, 0, -28).Add(time.Duration(i)*time.Minute), now.AddDate(0, 0, 1)).ID)
	}
	create(now.AddDate(0, 0, -2), now.AddDate(0, 0, 28)) // not yet
	r := &messages.Reminders{Store: a.Store, Messages: a.Messages, Operators: cfg.Mail.Operators,
		Now: func() time.Time { return now }, Page: 2}
	if n, err := r.Run(ctx); err != nil || n != len(soon) {
		t.Fatalf("reminders: %d %v, want %d", n, err, len(soon))
	}
	for _, id := range soon {
		if ms, err := a.Store.MessagesByRequest(ctx, id); err != nil || len(ms) != 1 {
			t.Fatalf("request due soon: %d messages, %v", len(ms), err)
		}
	}
	r.Page = 0
	if n, err := r.Run(ctx); err != nil || n != 0 {
		t.Fatalf("again, one page: %d %v", n, err)
	}
}
