package messages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// The answers to a correction, a restriction and its lifting, an objection,
// a correction refused as likely inaccurate and an appeal each reach the
// person through a real SMTP server, once, written in the transaction that
// completes the request; they name corrected fields, never values, and carry
// no data the person did not give; the audit trail names the kind only.
func TestRightsMessagesReachThePerson(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			smtp := mailtest.Start(t, mailtest.Options{})
			ws := apptest.New(t, b, apptest.Options{SMTPURL: smtp.URL("privacy@example-trading.test"),
				PublicURL: "https://privacy.example-trading.test"})
			a := ws.Open("test")
			if a.Mail == nil || a.DSAR.Messenger == nil {
				t.Fatal("mail not assembled")
			}
			tags := ws.Sandbox.Workspace().Tags()
			a.Config.Rights = config.Rights{RestrictionTag: tags[0].ID, DoNotSellTag: tags[1].ID, MarketingSubscriptions: []string{"37846"}}
			a.Notices.Registry = []config.RecipientEntry{{Name: "Warehouse", Role: "processor",
				Notify: config.Notify{Method: "manual", Events: []string{"correction", "restriction"}}}}

			total := 0
			// next delivers what the outbox holds and returns the n messages
			// that arrived since the last call.
			next := func(n int) []mailtest.Message {
				t.Helper()
				if _, err := a.Mail.SendDue(ctx, 0); err != nil {
					t.Fatal(err)
				}
				total += n
				return smtp.Wait(t, total)[total-n:]
			}
			var people []sandbox.Person
			file := func(typ store.RequestType, j deadline.Jurisdiction, p sandbox.Person, pl dsar.Payload) store.Request {
				t.Helper()
				people = append(people, p)
				r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: typ, Jurisdiction: j, Channel: "email",
					Identifiers: dsar.Identifiers{Emails: []string{p.Email}}, Payload: pl})
				if err != nil {
					t.Fatal(err)
				}
				if got := next(1); !strings.Contains(got[0].Header.Get("Subject"), r.ID) {
					t.Fatalf("acknowledgement: %s", got[0].Data)
				}
				return r
			}
			run := func(id string) {
				t.Helper()
				if _, err := a.DSAR.Verify(ctx, id, "email_link"); err != nil {
					t.Fatal(err)
				}
				if err := a.DSAR.Run(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			has := func(what string, m mailtest.Message, to string, wants ...string) {
				t.Helper()
				if len(m.To) != 1 || m.To[0] != to {
					t.Errorf("%s went to %v", what, m.To)
				}
				for _, w := range wants {
					if !strings.Contains(m.Text, w) {
						t.Errorf("%s lacks %q:\n%s", what, w, m.Text)
					}
				}
				if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") {
					t.Errorf("%s has no HTML part", what)
				}
			}
			gdpr, _ := jurisdiction.For(deadline.GDPR)
			ccpa, _ := jurisdiction.For(deadline.CCPA)
			va, _ := jurisdiction.For(deadline.Virginia)

			// A correction: the field names, that the recipient is told.
			pc := ws.Sandbox.SamplePerson()
			corr := file(store.RequestCorrection, deadline.GDPR, pc, dsar.Payload{Set: map[string]string{
				"name": "Corrected Person", "custom_attributes.plan": "Enterprise"}})
			run(corr.ID)
			m := next(1)[0]
			has("correction completion", m, pc.Email, corr.ID, "  - name\n", "  - custom_attributes.plan\n",
				"1 recipient(s)", "Art. 19", gdpr.Authority.Complaint)
			for _, value := range []string{"Corrected Person", "Enterprise"} {
				if strings.Contains(string(m.Data), value) {
					t.Errorf("the correction's message carries the value %q", value)
				}
			}

			// A correction refused as more likely inaccurate (CCPA §7023(b)).
			pd := ws.Sandbox.SamplePerson()
			den := file(store.RequestCorrection, deadline.CCPA, pd, dsar.Payload{Set: map[string]string{"name": "Someone Else"}})
			if _, err := a.DSAR.DenyCorrection(ctx, den.ID); err != nil {
				t.Fatal(err)
			}
			m = next(1)[0]
			has("correction denial", m, pd.Email, "more likely than not accurate", "§7023(b)", "250 words", ccpa.Authority.Complaint)
			if strings.Contains(string(m.Data), "Someone Else") {
				t.Error("the denial carries the value asked for")
			}

			// A restriction, how to lift it, and its lifting.
			pr := ws.Sandbox.SamplePerson()
			res := file(store.RequestRestriction, deadline.GDPR, pr, dsar.Payload{})
			run(res.ID)
			m = next(1)[0]
			has("restriction completion", m, pr.Email, "What is restricted", "How to lift it", res.ID, "Art. 18(3)", "1 recipient(s)")
			lift, err := a.DSAR.LiftRestriction(ctx, res.ID, "email")
			if err != nil {
				t.Fatal(err)
			}
			run(lift.ID)
			m = next(1)[0]
			has("lifting", m, pr.Email, "is lifted", lift.ID, res.ID)

			// An opt-out of sale and sharing, and of marketing (CCPA).
			po := ws.Sandbox.SamplePerson()
			obj := file(store.RequestObjection, deadline.CCPA, po, dsar.Payload{Scope: []string{dsar.ScopeSaleSharing, dsar.ScopeMarketing}})
			run(obj.ID)
			m = next(1)[0]
			has("opt-out completion", m, po.Email, "sale and sharing of your personal information", "direct marketing",
				"15 business days", "§§7026(f), 7027(g)", ccpa.Authority.Complaint)

			// An appeal (Virginia), upheld: the reason and the authority.
			pa := ws.Sandbox.SamplePerson()
			acc := file(store.RequestAccess, deadline.Virginia, pa, dsar.Payload{})
			if _, err := a.DSAR.Deny(ctx, acc.ID, "the identity could not be verified"); err != nil {
				t.Fatal(err)
			}
			next(1) // the denial
			ap, err := a.DSAR.Appeal(ctx, acc.ID, "email", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DSAR.DecideAppeal(ctx, ap.ID, dsar.AppealUpheld, "the identity still could not be verified"); err != nil {
				t.Fatal(err)
			}
			m = next(1)[0]
			has("appeal decision", m, pa.Email, ap.ID, acc.ID, "we uphold our earlier answer",
				"the identity still could not be verified", va.Authority.Name)

			// Nothing more is owed: a second milestone for the same
			// completion writes nothing (the outbox's dedup key), and a second
			// delivery round sends nothing.
			done, err := a.DSAR.Get(ctx, corr.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = a.Store.InTx(ctx, func(tx store.Tx) error {
				again, err := a.DSAR.Messenger.Milestone(ctx, tx, dsar.Milestone{Kind: dsar.MilestoneCompleted, Request: done,
					Identifiers: dsar.Identifiers{Emails: []string{pc.Email}}, Recipients: 1})
				if again {
					t.Error("the completion was written twice")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := a.Mail.SendDue(ctx, 0); err != nil || n.Total() != 0 {
				t.Errorf("a second delivery round sent %d: %v", n, err)
			}
			if got := smtp.Messages(); len(got) != total {
				t.Errorf("%d messages arrived, want %d", len(got), total)
			}

			// No message carries data the person did not give.
			for _, msg := range smtp.Messages() {
				for _, p := range people {
					if strings.Contains(string(msg.Data), p.Name) || (p.Phone != "" && strings.Contains(string(msg.Data), p.Phone)) {
						t.Fatalf("a message carries data the person did not give: %s", msg.Data)
					}
					if p.Email != msg.To[0] && strings.Contains(string(msg.Data), p.Email) {
						t.Fatalf("a message carries another person's address: %s", msg.Data)
					}
				}
			}

			// The audit trail names each message's kind, never its text.
			kinds := map[string]int{}
			for sr, err := range a.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				for _, secret := range []string{"@", "Corrected Person", "Enterprise", "Someone Else"} {
					if strings.Contains(string(sr.Body), secret) {
						t.Fatalf("an audit record holds %q: %s", secret, sr.Body)
					}
				}
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == audit.ActionMessageQueued {
					kinds[rec.Reason]++
				}
			}
			for _, k := range []messages.Kind{messages.CorrectionCompleted, messages.CorrectionDenied, messages.RestrictionCompleted,
				messages.RestrictionLifted, messages.ObjectionCompleted, messages.AppealDecided} {
				if n := kinds[string(k)+" message queued"]; n != 1 {
					t.Errorf("%s queued %d times, want 1 (%v)", k, n, kinds)
				}
			}
		})
	}
}
