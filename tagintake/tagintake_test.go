package tagintake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/tagintake"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

const secret = "test-client-secret"

// delivery is one notification the sandbox sent, as received, with the answer.
type delivery struct {
	body   []byte
	sig    string
	topic  string
	status int
	answer string
}

type env struct {
	ws      *apptest.Workspace
	a       *app.App
	in      *tagintake.Intake
	h       http.Handler
	mu      sync.Mutex
	got     []delivery
	conv    sandbox.Conversation
	rule    sandbox.Tag // the configured tag
	second  sandbox.Tag // a second configured tag
	other   sandbox.Tag // a tag not configured
	adminID string
	// hold, when set, records deliveries without handling them.
	hold atomic.Bool
}

func (e *env) deliveries() []delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

func setup(t *testing.T, b storetest.Backend, reply bool) *env {
	t.Helper()
	e := &env{}
	var target atomic.Pointer[http.Handler]
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rr := httptest.NewRecorder()
		if e.hold.Load() {
			rr.WriteHeader(http.StatusOK)
		} else {
			(*target.Load()).ServeHTTP(rr, r)
		}
		var env struct{ Topic string }
		_ = json.Unmarshal(body, &env)
		e.mu.Lock()
		e.got = append(e.got, delivery{body: body, sig: r.Header.Get(webhook.SignatureHeader), topic: env.Topic,
			status: rr.Code, answer: rr.Body.String()})
		e.mu.Unlock()
		w.WriteHeader(rr.Code)
		w.Write(rr.Body.Bytes())
	}))
	t.Cleanup(rec.Close)
	e.ws = apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Webhook: &sandbox.WebhookOptions{URL: rec.URL, Secret: secret}}})
	e.a = e.ws.Open("webhook")
	sw := e.ws.Sandbox.Workspace()
	tags := sw.Tags()
	if len(tags) < 3 {
		t.Fatalf("the sandbox has %d tags, want 3", len(tags))
	}
	e.rule, e.second, e.other = tags[0], tags[1], tags[2]
	e.adminID = sw.Admins()[0].ID
	for _, c := range sw.Conversations() {
		if len(c.ContactIDs) == 0 || slices.ContainsFunc(c.TagIDs, func(id string) bool {
			return id == e.rule.ID || id == e.second.ID || id == e.other.ID
		}) {
			continue
		}
		if ct, ok := sw.Contact(c.ContactIDs[0]); ok && !sw.ContactDeleted(ct.ID) && ct.Email != "" {
			e.conv = c
			break
		}
	}
	if e.conv.ID == "" {
		t.Fatal("no untagged conversation with a contact in the sandbox")
	}
	in, err := tagintake.New(tagintake.Options{
		Rules: []tagintake.Rule{
			{Tag: strings.ToUpper(e.rule.Name), Type: store.RequestAccess, Jurisdiction: deadline.GDPR},
			{Tag: e.second.Name, Type: store.RequestErasure, Jurisdiction: deadline.GDPR},
		},
		Reply: reply, ReplyAdminID: e.adminID,
		DSAR: e.a.DSAR, Store: e.a.Store, Chain: e.a.Chain, Intercom: e.a.Intercom,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.in = in
	e.h = webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: &tagintake.Sink{Intake: in, Next: &webhooktest.MemorySink{}}})
	target.Store(&e.h)
	return e
}

// tag tags the conversation through the client and waits for the
// notification's answer.
func (e *env) tag(t *testing.T, conversationID string, tg sandbox.Tag) delivery {
	t.Helper()
	before := len(e.deliveries())
	if _, err := e.a.Intercom.TagConversation(context.Background(), conversationID, tg.ID, e.adminID); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the tag notification", func() bool { return len(e.deliveries()) > before })
	d := e.deliveries()[before]
	if d.topic != string(tagintake.Topic) {
		t.Fatalf("topic %q, want %q", d.topic, tagintake.Topic)
	}
	return d
}

// redeliver posts a received notification again, as Intercom does.
func (e *env) redeliver(t *testing.T, d delivery) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(d.body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.SignatureHeader, d.sig)
	rr := httptest.NewRecorder()
	e.h.ServeHTTP(rr, r)
	return rr
}

func (e *env) requests(t *testing.T) []store.Request {
	t.Helper()
	rs, err := e.a.Store.ListRequests(context.Background(), store.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func (e *env) notes(requestID string) int {
	c, _ := e.ws.Sandbox.Workspace().Conversation(e.conv.ID)
	n := 0
	for _, p := range c.Parts {
		if p.PartType == "note" && strings.Contains(p.Body, "Reference: privacy request "+requestID+".") {
			n++
		}
	}
	return n
}

func TestTagFilesOneLinkedRequest(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setup(t, b, false)
			ctx := context.Background()

			// A tag that is not configured files nothing.
			if d := e.tag(t, e.conv.ID, e.other); d.status != http.StatusOK {
				t.Fatalf("other tag: status %d %s", d.status, d.answer)
			}
			if rs := e.requests(t); len(rs) != 0 {
				t.Fatalf("another tag filed %d request(s)", len(rs))
			}

			d := e.tag(t, e.conv.ID, e.rule)
			if d.status != http.StatusOK || !strings.Contains(d.answer, "accepted") {
				t.Fatalf("tag: status %d %s", d.status, d.answer)
			}
			rs := e.requests(t)
			if len(rs) != 1 {
				t.Fatalf("%d requests, want 1", len(rs))
			}
			r := rs[0]
			if r.State != store.StateReceived || r.Type != store.RequestAccess || r.Jurisdiction != string(deadline.GDPR) || r.Channel != tagintake.Channel {
				t.Fatalf("request %+v", r)
			}
			link, err := e.a.Store.GetIdempotent(ctx, tagintake.ScopeConversation, e.conv.ID)
			if err != nil || !strings.Contains(string(link.Response), r.ID) {
				t.Fatalf("link %s, %v", link.Response, err)
			}
			// The identifiers are the conversation's contact's.
			ct, _ := e.ws.Sandbox.Workspace().Contact(e.conv.ContactIDs[0])
			ids, err := e.a.DSAR.Identifiers(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(ids.ContactIDs, ct.ID) || len(ids.Emails) != 1 || !strings.EqualFold(ids.Emails[0], ct.Email) {
				t.Fatalf("identifiers are not the contact's: %d contact ids, %d emails", len(ids.ContactIDs), len(ids.Emails))
			}
			// The audit trail names the conversation, not the person.
			recs, err := e.a.Store.RequestAudit(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			linked := false
			for _, sr := range recs {
				rec, err := audit.DecodeBody(sr.Body)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == audit.ActionRequestStep && slices.Contains(rec.ObjectIDs, e.conv.ID) {
					linked = true
				}
				if strings.Contains(strings.ToLower(string(sr.Body)), strings.ToLower(ct.Email)) {
					t.Fatalf("audit record %s holds the contact's e-mail", rec.Action)
				}
			}
			if !linked {
				t.Fatal("no audit record links the request to the conversation")
			}

			// A redelivery files nothing more.
			if rr := e.redeliver(t, d); rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "duplicate") {
				t.Fatalf("redelivery: %d %s", rr.Code, rr.Body)
			}
			// Neither does a second configured tag on the same conversation.
			if d2 := e.tag(t, e.conv.ID, e.second); d2.status != http.StatusOK || !strings.Contains(d2.answer, "duplicate") {
				t.Fatalf("second tag: %d %s", d2.status, d2.answer)
			}
			if rs := e.requests(t); len(rs) != 1 {
				t.Fatalf("%d requests after a redelivery and a second tag, want 1", len(rs))
			}
		})
	}
}

func TestConcurrentDeliveriesFileOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setup(t, b, false)
			e.hold.Store(true)
			d := e.tag(t, e.conv.ID, e.rule)
			// The notification, and another one for the same conversation,
			// each delivered three times at once, before either was handled.
			var env map[string]any
			if err := json.Unmarshal(d.body, &env); err != nil {
				t.Fatal(err)
			}
			env["id"] = "notif_again"
			body, _ := json.Marshal(env)
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
			if rs := e.requests(t); len(rs) != 1 {
				t.Fatalf("%d requests, want 1", len(rs))
			}
		})
	}
}

func TestReplyPostedOnceAcrossRestarts(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setup(t, b, true)
			ctx := context.Background()
			d := e.tag(t, e.conv.ID, e.rule)
			if d.status != http.StatusOK {
				t.Fatalf("tag: %d %s", d.status, d.answer)
			}
			r := e.requests(t)[0]
			if n := e.notes(r.ID); n != 1 {
				t.Fatalf("%d acknowledgement notes, want 1", n)
			}
			step := func() store.Step {
				steps, err := e.a.Store.Steps(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range steps {
					if s.Name == tagintake.StepReply {
						return s
					}
				}
				t.Fatal("no reply step")
				return store.Step{}
			}
			if s := step(); s.State != store.StepDone {
				t.Fatalf("reply step %s", s.State)
			}
			// The process died after posting and before recording it: the
			// step is left intended. The redelivery finds the note and does
			// not post it again.
			s := step()
			s.State, s.Detail = store.StepPending, json.RawMessage(`{"note":"intended"}`)
			if err := e.a.Store.UpsertStep(ctx, s); err != nil {
				t.Fatal(err)
			}
			if rr := e.redeliver(t, d); rr.Code != http.StatusOK {
				t.Fatalf("redelivery: %d %s", rr.Code, rr.Body)
			}
			if n := e.notes(r.ID); n != 1 {
				t.Fatalf("%d acknowledgement notes after a restart, want 1", n)
			}
			if s := step(); s.State != store.StepDone {
				t.Fatalf("reply step %s after the redelivery", s.State)
			}
			// Settled: a further delivery posts nothing.
			e.redeliver(t, d)
			if n := e.notes(r.ID); n != 1 {
				t.Fatalf("%d acknowledgement notes, want 1", n)
			}
		})
	}
}

func TestMalformedItemWritesNothing(t *testing.T) {
	e := setup(t, storetest.SQLite(), false)
	items := map[string]string{
		"no id":          `{"type":"conversation","tags":{"type":"tag.list","tags":[{"type":"tag","id":"1","name":"X"}]}}`,
		"not a conv":     `{"type":"contact","id":"1"}`,
		"tags not list":  `{"type":"conversation","id":"1","tags":"privacy-request"}`,
		"bad contact id": `{"type":"conversation","id":"1","tags":{"tags":[]},"contacts":{"contacts":[{"id":true}]}}`,
	}
	for name, item := range items {
		t.Run(name, func(t *testing.T) {
			body := []byte(`{"type":"notification_event","id":"notif_` + strings.ReplaceAll(name, " ", "_") +
				`","topic":"conversation_part.tag.created","app_id":"a","data":{"type":"notification_event_data","item":` + item + `}}`)
			n, err := webhook.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			_, herr := e.in.Handle(context.Background(), n)
			var pe *tagintake.ParseError
			if !errors.As(herr, &pe) {
				t.Fatalf("Handle: %v, want a *ParseError", herr)
			}
			if strings.Contains(herr.Error(), "privacy-request") {
				t.Fatalf("the error repeats the field's value: %v", herr)
			}
			if rr := e.redeliver(t, delivery{body: body, sig: sandbox.Sign(body, secret)}); rr.Code != http.StatusOK {
				t.Fatalf("delivery: %d %s (a malformed item is acknowledged: redelivering cannot help)", rr.Code, rr.Body)
			}
		})
	}
	// A configured tag on a conversation without a contact: nothing to file.
	body := []byte(`{"type":"notification_event","id":"notif_nocontact","topic":"conversation_part.tag.created","app_id":"a","data":{"type":"notification_event_data","item":{"type":"conversation","id":"77","tags":{"type":"tag.list","tags":[{"type":"tag","id":"` + e.rule.ID + `","name":"` + e.rule.Name + `"}]},"contacts":{"type":"contact.list","contacts":[]}}}}`)
	n, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.in.Handle(context.Background(), n); !errors.Is(err, tagintake.ErrNoContact) {
		t.Fatalf("Handle: %v, want ErrNoContact", err)
	}
	if rs := e.requests(t); len(rs) != 0 {
		t.Fatalf("%d requests written from malformed items", len(rs))
	}
}

func TestNewRefusesBadRules(t *testing.T) {
	e := setup(t, storetest.SQLite(), false)
	base := tagintake.Options{DSAR: e.a.DSAR, Store: e.a.Store, Chain: e.a.Chain, Intercom: e.a.Intercom}
	for name, rules := range map[string][]tagintake.Rule{
		"no tag":       {{Type: store.RequestAccess, Jurisdiction: deadline.GDPR}},
		"bad type":     {{Tag: "x", Type: "appeal", Jurisdiction: deadline.GDPR}},
		"bad law":      {{Tag: "x", Type: store.RequestAccess, Jurisdiction: "mars"}},
		"reply, admin": nil,
	} {
		o := base
		o.Rules = rules
		o.Reply = name == "reply, admin"
		if _, err := tagintake.New(o); !errors.Is(err, tagintake.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestConfigRules(t *testing.T) {
	c, err := config.Parse("test.yaml", strings.NewReader(`intake:
  intercom:
    tag: privacy-request
    reply: true
    admin_id: "42"
    tags:
      - {tag: delete-me, type: erasure, jurisdiction: ccpa}
`))
	if err != nil {
		t.Fatal(err)
	}
	o := tagintake.FromConfig(c.Intake.Intercom)
	want := []tagintake.Rule{{Tag: "privacy-request", Type: store.RequestAccess, Jurisdiction: deadline.GDPR},
		{Tag: "delete-me", Type: store.RequestErasure, Jurisdiction: deadline.CCPA}}
	if !slices.Equal(o.Rules, want) || !o.Reply || o.ReplyAdminID != "42" {
		t.Fatalf("options %+v", o)
	}
	if _, err := config.Parse("test.yaml", strings.NewReader("intake:\n  intercom:\n    tagg: x\n")); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

func TestSandboxTagErrors(t *testing.T) {
	e := setup(t, storetest.SQLite(), false)
	ctx := context.Background()
	if _, err := e.a.Intercom.TagConversation(ctx, "999999999999", e.rule.ID, e.adminID); !errors.Is(err, intercom.ErrNotFound) {
		t.Fatalf("unknown conversation: %v", err)
	}
	if _, err := e.a.Intercom.TagConversation(ctx, e.conv.ID, "999999999", e.adminID); !errors.Is(err, intercom.ErrNotFound) {
		t.Fatalf("unknown tag: %v", err)
	}
	if rs := e.requests(t); len(rs) != 0 {
		t.Fatalf("%d requests", len(rs))
	}
}
