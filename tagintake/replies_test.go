package tagintake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/tagintake"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// setupComment is setup with customer replies: the acknowledgement and the
// later milestones go to the conversation (or Customer ticket) as comments,
// and tickets of the "Privacy request" type (by name) and of type 3 (a
// Back-office type, by id) file requests.
func setupComment(t *testing.T, b storetest.Backend) (*env, *tagintake.Replies) {
	t.Helper()
	e := setup(t, b, false)
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	rp := &tagintake.Replies{Store: e.a.Store, Vault: e.a.Vault, Chain: e.a.Chain, Intercom: e.a.Intercom,
		Messages: &messages.Service{Templates: tpl, Config: e.a.Config}, AdminID: e.adminID}
	e.a.DSAR.Messenger = &tagintake.Messenger{Next: e.a.DSAR.Messenger, Replies: rp}
	in, err := tagintake.New(tagintake.Options{
		Rules: []tagintake.Rule{{Tag: e.rule.Name, Type: store.RequestAccess, Jurisdiction: deadline.GDPR}},
		TicketRules: []tagintake.TicketRule{
			{TicketType: "PRIVACY REQUEST", Type: store.RequestErasure, Jurisdiction: deadline.GDPR},
			{TicketType: "3", Type: store.RequestAccess, Jurisdiction: deadline.CCPA},
		},
		Reply: true, ReplyAs: "comment", ReplyAdminID: e.adminID, Replies: rp,
		DSAR: e.a.DSAR, Store: e.a.Store, Chain: e.a.Chain, Intercom: e.a.Intercom,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.in = in
	e.h = webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: &tagintake.Sink{Intake: in, Next: &webhooktest.MemorySink{}}})
	return e, rp
}

// comments are the teammate comments of the conversation carrying a reply
// reference.
func (e *env) comments(t *testing.T, conversationID string) []sandbox.Part {
	t.Helper()
	c, ok := e.ws.Sandbox.Workspace().Conversation(conversationID)
	if !ok {
		t.Fatal("conversation gone")
	}
	var out []sandbox.Part
	for _, p := range c.Parts {
		if p.PartType == "comment" && p.Author.Type == "admin" && strings.Contains(p.Body, "Message reference: rpl_") {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) replies(t *testing.T, requestID string) []store.IntercomReply {
	t.Helper()
	rs, err := e.a.Store.RepliesByRequest(context.Background(), requestID)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var errKilled = errors.New("process killed")

// The acknowledgement is a reply the customer sees, posted at filing; the
// extension and the denial follow as replies, each written in its
// transition's transaction. A process killed between Intercom's answer and
// the record leaves the reply claimed: after the lease, a restarted sender
// finds it in the conversation by its reference and records it without
// posting again. The sandbox counts one reply per milestone.
func TestCustomerRepliesExactlyOnceAcrossAKill(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e, rp := setupComment(t, b)
			ctx := context.Background()
			stats := func() int { return e.ws.Sandbox.Stats().Effect(sandbox.EffectConversationReplied, e.conv.ID) }
			base := stats()
			d := e.tag(t, e.conv.ID, e.rule)
			if d.status != http.StatusOK {
				t.Fatalf("tag: %d %s", d.status, d.answer)
			}
			r := e.requests(t)[0]
			cs := e.comments(t, e.conv.ID)
			if len(cs) != 1 || stats() != base+1 || !strings.Contains(cs[0].Body, "We received your request") ||
				!strings.Contains(cs[0].Body, "confirm that the request comes from you") || !strings.Contains(cs[0].Body, r.ID) {
				t.Fatalf("%d acknowledgement replies (%d effects): %+v", len(cs), stats()-base, cs)
			}
			rs := e.replies(t, r.ID)
			if len(rs) != 1 || rs[0].State != store.ReplySent || rs[0].PartID != cs[0].ID || rs[0].ContentEnc != nil {
				t.Fatalf("reply rows %+v", rs)
			}
			// The person's e-mail is not in the reply.
			ids, err := e.a.DSAR.Identifiers(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(cs[0].Body), strings.ToLower(ids.Emails[0])) {
				t.Fatal("the reply holds the person's e-mail address")
			}
			// A redelivery posts nothing more.
			if rr := e.redeliver(t, d); rr.Code != http.StatusOK {
				t.Fatalf("redelivery: %d", rr.Code)
			}
			if stats() != base+1 {
				t.Fatal("a redelivery posted again")
			}

			// The extension: written with the transition, posted by the
			// workers; the process dies after Intercom took it.
			if _, err := e.a.DSAR.Extend(ctx, r.ID, 0, "complex request: many conversations"); err != nil {
				t.Fatal(err)
			}
			tagintake.SetAfterPost(rp, func(store.IntercomReply) error { return errKilled })
			if _, err := rp.SendDue(ctx, 0); !errors.Is(err, errKilled) {
				t.Fatalf("SendDue: %v, want the kill", err)
			}
			if stats() != base+2 {
				t.Fatalf("%d replies, want the extension posted", stats()-base)
			}
			var ext store.IntercomReply
			for _, x := range e.replies(t, r.ID) {
				if x.Kind == string(messages.Extension) {
					ext = x
				}
			}
			if ext.State != store.ReplyPending || ext.Attempts != 1 {
				t.Fatalf("extension reply after the kill: %+v", ext)
			}
			// Restarted, before the lease ends: nothing is due.
			restarted := *rp
			tagintake.SetAfterPost(&restarted, nil)
			if res, err := restarted.SendDue(ctx, 0); err != nil || res.Total() != 0 {
				t.Fatalf("within the lease: %+v %v", res, err)
			}
			// After the lease: found in the conversation, recorded, not posted.
			restarted.Now = func() time.Time { return time.Now().Add(time.Hour) }
			if res, err := restarted.SendDue(ctx, 0); err != nil || res.Sent != 1 {
				t.Fatalf("after the lease: %+v %v", res, err)
			}
			if stats() != base+2 {
				t.Fatalf("%d replies after the restart, want 2 (the extension once)", stats()-base)
			}
			got, err := e.a.Store.GetReply(ctx, ext.ID)
			if err != nil || got.State != store.ReplySent || got.PartID == "" || got.ContentEnc != nil {
				t.Fatalf("extension reply %+v %v", got, err)
			}
			if cs := e.comments(t, e.conv.ID); !strings.Contains(cs[1].Body, "We need more time") {
				t.Fatalf("the extension reply says: %s", cs[1].Body)
			}

			// The denial, posted by the workers without a kill; a second
			// sender finds nothing due.
			if _, err := e.a.DSAR.Deny(ctx, r.ID, "GDPR Art. 12(5) manifestly unfounded"); err != nil {
				t.Fatal(err)
			}
			if res, err := restarted.SendDue(ctx, 0); err != nil || res.Sent != 1 {
				t.Fatalf("denial: %+v %v", res, err)
			}
			if res, err := restarted.SendDue(ctx, 0); err != nil || res.Total() != 0 {
				t.Fatalf("again: %+v %v", res, err)
			}
			cs = e.comments(t, e.conv.ID)
			if len(cs) != 3 || stats() != base+3 || !strings.Contains(cs[2].Body, "manifestly unfounded") {
				t.Fatalf("%d replies (%d effects) after the denial", len(cs), stats()-base)
			}
			// Every reply's record names the reply, never its text.
			recs, err := e.a.Store.RequestAudit(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			sent, found := 0, 0
			for _, sr := range recs {
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == audit.ActionMessageSent && rec.Outcome == audit.OutcomeSuccess {
					sent++
					if strings.Contains(rec.Reason, "after a restart") {
						found++
					}
				}
				if bytes.Contains(sr.Body, []byte("manifestly unfounded")) && rec.Action == audit.ActionMessageSent {
					t.Fatal("a sent record holds the reply's text")
				}
			}
			if sent != 3 || found != 1 {
				t.Fatalf("%d sent records (%d found after a restart), want 3 (1)", sent, found)
			}
		})
	}
}

// A reply Intercom refuses for good (the conversation was deleted) is marked
// failed for an operator, not retried.
func TestReplyToAGoneConversationFails(t *testing.T) {
	e, rp := setupComment(t, storetest.SQLite())
	ctx := context.Background()
	e.hold.Store(true) // file by redelivery, after the conversation is gone
	d := e.tag(t, e.conv.ID, e.rule)
	if _, err := e.a.Intercom.DeleteConversation(ctx, e.conv.ID, intercom.DeleteConversationOptions{}); err != nil {
		t.Fatal(err)
	}
	if rr := e.redeliver(t, d); rr.Code != http.StatusOK {
		t.Fatalf("delivery: %d %s", rr.Code, rr.Body)
	}
	r := e.requests(t)[0]
	rs := e.replies(t, r.ID)
	if len(rs) != 1 || rs[0].State != store.ReplyFailed || rs[0].LastError == "" {
		t.Fatalf("reply %+v", rs)
	}
	if res, err := rp.SendDue(ctx, 0); err != nil || res.Total() != 0 {
		t.Fatalf("a failed reply was retried: %+v %v", res, err)
	}
}

// ticket creates a ticket of typeID for the conversation's contact through
// the client and returns the ticket.created delivery.
func (e *env) ticket(t *testing.T, typeID string) (intercom.Ticket, delivery) {
	t.Helper()
	before := len(e.deliveries())
	tk, err := e.a.Intercom.CreateTicket(context.Background(), intercom.TicketFields{TicketTypeID: typeID, ContactID: e.conv.ContactIDs[0],
		Title: "Privacy", Description: "Please delete my data"})
	if err != nil {
		t.Fatal(err)
	}
	var d delivery
	testwait.Until(t, "the ticket.created notification", func() bool {
		for _, x := range e.deliveries()[before:] {
			if x.topic == string(tagintake.TicketTopic) {
				d = x
				return true
			}
		}
		return false
	})
	return tk, d
}

// A ticket of a configured type files one request in received, linked to the
// ticket, whatever the redeliveries and however many arrive at once; the
// acknowledgement is a comment on a Customer ticket, and nothing on a
// Back-office one (Intercom takes no comment there). A ticket of another
// type files nothing.
func TestTicketFilesOneRequest(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e, _ := setupComment(t, b)
			ctx := context.Background()
			// Type 1 (Support request) is not configured.
			if _, d := e.ticket(t, "1"); d.status != http.StatusOK || len(e.requests(t)) != 0 {
				t.Fatalf("another type: %d, %d requests", d.status, len(e.requests(t)))
			}
			// Held: the notification is delivered six times at once, and a
			// second notification id for the same ticket three of them.
			e.hold.Store(true)
			tk, d := e.ticket(t, "2")
			e.hold.Store(false)
			var envl map[string]any
			if err := json.Unmarshal(d.body, &envl); err != nil {
				t.Fatal(err)
			}
			envl["id"] = "notif_ticket_again"
			body, _ := json.Marshal(envl)
			again := delivery{body: body, sig: sandbox.Sign(body, secret)}
			var wg sync.WaitGroup
			codes := make([]int, 6)
			for i := range codes {
				wg.Go(func() {
					if i%2 == 0 {
						codes[i] = e.redeliver(t, d).Code
					} else {
						codes[i] = e.redeliver(t, again).Code
					}
				})
			}
			wg.Wait()
			for i, c := range codes {
				if c != http.StatusOK && c != http.StatusInternalServerError {
					t.Fatalf("delivery %d: %d", i, c)
				}
			}
			// Whatever answered 500 is delivered again by Intercom.
			for range 2 {
				e.redeliver(t, d)
				e.redeliver(t, again)
			}
			rs := e.requests(t)
			if len(rs) != 1 {
				t.Fatalf("%d requests, want 1", len(rs))
			}
			r := rs[0]
			if r.State != store.StateReceived || r.Type != store.RequestErasure || r.Channel != tagintake.TicketChannel {
				t.Fatalf("request %+v", r)
			}
			link, err := e.a.Store.GetIdempotent(ctx, tagintake.ScopeTicket, string(tk.ID))
			if err != nil || !strings.Contains(string(link.Response), r.ID) {
				t.Fatalf("link %s %v", link.Response, err)
			}
			if tg, ok, err := tagintake.TargetOf(ctx, e.a.Store, r.ID); err != nil || !ok || tg.Type != store.ReplyTicket || tg.ID != string(tk.ID) || !tg.Replies {
				t.Fatalf("target %+v %v %v", tg, ok, err)
			}
			if n := e.ws.Sandbox.Stats().Effect(sandbox.EffectTicketReplied, string(tk.ID)); n != 1 {
				t.Fatalf("%d replies on the ticket, want the acknowledgement once", n)
			}
			st, _ := e.ws.Sandbox.Workspace().Ticket(string(tk.ID))
			if len(st.Parts) != 1 || st.Parts[0].PartType != "comment" || !strings.Contains(st.Parts[0].Body, "We received your request") {
				t.Fatalf("ticket parts %+v", st.Parts)
			}
			// A later milestone goes to the ticket too.
			if _, err := e.a.DSAR.Deny(ctx, r.ID, "GDPR Art. 12(5) manifestly unfounded"); err != nil {
				t.Fatal(err)
			}
			res, err := (&tagintake.Replies{Store: e.a.Store, Vault: e.a.Vault, Chain: e.a.Chain, Intercom: e.a.Intercom,
				Messages: &messages.Service{Templates: mustTemplates(t), Config: e.a.Config}, AdminID: e.adminID}).SendDue(ctx, 0)
			if err != nil || res.Sent != 1 || e.ws.Sandbox.Stats().Effect(sandbox.EffectTicketReplied, string(tk.ID)) != 2 {
				t.Fatalf("denial on the ticket: %+v %v", res, err)
			}

			// A Back-office ticket files its request and gets no comment.
			bo, _ := e.ticket(t, "3")
			rs = e.requests(t)
			if len(rs) != 2 {
				t.Fatalf("%d requests after the Back-office ticket, want 2", len(rs))
			}
			var boReq store.Request
			for _, x := range rs {
				if x.ID != r.ID {
					boReq = x
				}
			}
			if boReq.Jurisdiction != string(deadline.CCPA) || len(e.replies(t, boReq.ID)) != 0 ||
				e.ws.Sandbox.Stats().Effect(sandbox.EffectTicketReplied, string(bo.ID)) != 0 {
				t.Fatalf("Back-office ticket: request %+v, %d replies", boReq, len(e.replies(t, boReq.ID)))
			}
		})
	}
}

func mustTemplates(t *testing.T) *messages.Templates {
	t.Helper()
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestParseTicketErrorsNameFields(t *testing.T) {
	for item, field := range map[string]string{
		`{"type":"ticket","id":"1"}`:                                       "ticket_type",
		`{"type":"ticket","ticket_type":{"id":"1"}}`:                       "id",
		`{"type":"ticket","id":"1","ticket_type":{"name":["Privacy"]}}`:    "ticket_type.name",
		`{"type":"ticket","id":"1","ticket_type":{"id":"1"},"contacts":3}`: "contacts",
	} {
		_, err := tagintake.ParseTicket([]byte(item))
		var pe *tagintake.ParseError
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("%s: %v, want a *ParseError on %s", item, err, field)
		}
		if err != nil && strings.Contains(err.Error(), "Privacy") {
			t.Errorf("the error repeats a value: %v", err)
		}
	}
}

func TestConfigTicketTypesAndReplyAs(t *testing.T) {
	c, err := config.Parse("test.yaml", strings.NewReader(`intake:
  intercom:
    reply: true
    reply_as: comment
    admin_id: "42"
    ticket_types:
      - {ticket_type: Privacy request, type: erasure, jurisdiction: ccpa}
      - {ticket_type: "7"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Intake.Intercom
	o := tagintake.FromConfig(ic)
	want := []tagintake.TicketRule{{TicketType: "Privacy request", Type: store.RequestErasure, Jurisdiction: deadline.CCPA},
		{TicketType: "7", Type: store.RequestAccess, Jurisdiction: deadline.GDPR}}
	if !slices.Equal(o.TicketRules, want) || o.ReplyAs != "comment" || !ic.Enabled() || !ic.CustomerReplies() {
		t.Fatalf("options %+v", o)
	}
	// reply_as comment needs the Replies; a misspelt reply_as is refused.
	e := setup(t, storetest.SQLite(), false)
	base := tagintake.Options{DSAR: e.a.DSAR, Store: e.a.Store, Chain: e.a.Chain, Intercom: e.a.Intercom, Reply: true, ReplyAdminID: "42"}
	for _, as := range []string{"comment", "comments"} {
		o := base
		o.ReplyAs = as
		if _, err := tagintake.New(o); !errors.Is(err, tagintake.ErrConfig) {
			t.Errorf("reply_as %s without replies: %v, want ErrConfig", as, err)
		}
	}
	o = base
	o.TicketRules = []tagintake.TicketRule{{Type: store.RequestAccess, Jurisdiction: deadline.GDPR}}
	if _, err := tagintake.New(o); !errors.Is(err, tagintake.ErrConfig) {
		t.Errorf("a ticket rule without a type: %v, want ErrConfig", err)
	}
}
