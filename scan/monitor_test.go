package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/openapispec"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

const secret = "test-client-secret"

// notification builds a signed conversation.user.replied notification for one
// part of a sandbox conversation, as Intercom sends it: the conversation with
// the new part in conversation_parts. The sandbox emits these topics for the
// messages written through its API (TestMonitorWithSandboxWebhooks); for the
// history it generated, the test builds them from the conversation it serves.
func notification(t testing.TB, a *app.App, id, convID, partID string) []byte {
	t.Helper()
	c, err := a.Intercom.GetConversation(bg, convID, intercom.GetConversationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var item map[string]any
	if err := json.Unmarshal(c.Raw, &item); err != nil {
		t.Fatal(err)
	}
	topic := "conversation.user.replied"
	cp := item["conversation_parts"].(map[string]any)
	var keep []any
	for _, p := range cp["conversation_parts"].([]any) {
		if p.(map[string]any)["id"] == partID {
			keep = append(keep, p)
		}
	}
	if keep == nil {
		topic = "conversation.user.created" // the part is the source
	}
	cp["conversation_parts"] = keep
	body, err := json.Marshal(map[string]any{"type": "notification_event", "id": id, "topic": topic, "app_id": "app1",
		"created_at": time.Now().Unix(), "data": map[string]any{"type": "notification_event_data", "item": item}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// noteEndpoint answers POST /conversations/{id}/reply (which the sandbox does
// not serve yet) after validating the request against Intercom's OpenAPI
// description, and counts the notes.
type noteEndpoint struct {
	t     *testing.T
	spec  *openapispec.Spec
	mu    sync.Mutex
	notes map[string][]string
}

func (n *noteEndpoint) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/reply") {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := n.spec.ValidateRequest(r, body); err != nil {
			n.t.Errorf("note request: %v", err)
		}
		id := strings.Split(r.URL.Path, "/")[2]
		n.mu.Lock()
		n.notes[id] = append(n.notes[id], string(body))
		n.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"type":"conversation","id":"` + id + `"}`))
	})
}

var noteRefRE = regexp.MustCompile(`Reference: redaction of part [0-9]+\.`)

func TestMonitorRedactsOnceAndNotes(t *testing.T) {
	ne := &noteEndpoint{t: t, spec: openapispec.Load(t), notes: map[string][]string{}}
	w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5}, Wrap: ne.wrap})
	a := w.Open("server")
	engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
	if err != nil {
		t.Fatal(err)
	}
	var redactions atomic.Int64
	m := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedactNote,
		NoteAdminID: "991", Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook"},
		SweepInterval: 50 * time.Millisecond,
		OnRedaction:   func(store.Redaction, time.Duration) { redactions.Add(1) }}
	sink := &webhooktest.MemorySink{}
	h := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: m.Wrap(sink)})
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	want := cardParts(w.Sandbox)
	for k := range want {
		conv, part, _ := strings.Cut(k, "/")
		body := notification(t, a, "notif_"+conv+"_"+part, conv, part)
		// Delivered twice (at least once), and a third time concurrently.
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rec := webhooktest.Post(h, body, webhook.Sign([]byte(secret), body)); rec.Code != 200 {
					t.Errorf("delivery answered %d", rec.Code)
				}
			}()
		}
		wg.Wait()
	}
	// A message without a finding of a redacting type is recorded, not redacted.
	var clean string
	for _, c := range w.Sandbox.Workspace().Conversations() {
		for _, p := range c.Parts {
			if p.Author.Type == "user" && strings.Contains(p.Body, "Thanks, that works for me") {
				clean = c.ID + "/" + p.ID
			}
		}
	}
	if clean != "" {
		conv, part, _ := strings.Cut(clean, "/")
		body := notification(t, a, "notif_clean", conv, part)
		if rec := webhooktest.Post(h, body, webhook.Sign([]byte(secret), body)); rec.Code != 200 {
			t.Fatalf("clean delivery answered %d", rec.Code)
		}
	}
	testwait.Until(t, "every card part redacted", func() bool { return redactions.Load() >= int64(len(want)) })
	testwait.Until(t, "every note posted", func() bool {
		rs, err := scans(t, a).Redactions(bg, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rs {
			if x.NoteState != "posted" {
				return false
			}
		}
		return len(rs) == len(want)
	})
	st := w.Sandbox.Stats()
	for k := range want {
		conv, part, _ := strings.Cut(k, "/")
		n := st.Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + st.Effect(sandbox.EffectPartRedacted, conv+"/source:"+part)
		if n != 1 {
			t.Errorf("%s redacted %d times", k, n)
		}
	}
	if got := len(st.Effects[sandbox.EffectPartRedacted]); got != len(want) {
		t.Errorf("%d parts redacted, want %d", got, len(want))
	}
	ne.mu.Lock()
	defer ne.mu.Unlock()
	notes := 0
	for conv, ns := range ne.notes {
		notes += len(ns)
		for _, n := range ns {
			if !strings.Contains(n, "payment card number") || !strings.Contains(n, `"message_type":"note"`) {
				t.Errorf("note on %s: %s", conv, n)
			}
			// The reference to the redacted part (its id) aside, the note's text
			// holds no digit at all.
			var req struct{ Body string }
			if err := json.Unmarshal([]byte(n), &req); err != nil || !noteRefRE.MatchString(req.Body) {
				t.Errorf("note on %s carries no reference to its part: %s", conv, n)
			}
			if strings.ContainsAny(noteRefRE.ReplaceAllString(req.Body, ""), "0123456789") {
				t.Errorf("note on %s holds a number: %s", conv, n)
			}
		}
	}
	if notes != len(want) {
		t.Errorf("%d notes posted, want one per redacted part (%d)", notes, len(want))
	}
	if sink.Calls() != 3*len(want)+1 || len(sink.Stored()) != len(want)+1 {
		t.Errorf("next sink: %d calls, %d stored", sink.Calls(), len(sink.Stored()))
	}
}
