package scan_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// End to end with the sandbox's own signed notifications: a customer writes
// a card number into a conversation, the sandbox sends
// conversation.user.replied to the webhook receiver, and the continuous mode
// redacts that message in the sandbox; a message without one is left alone.
func TestMonitorWithSandboxWebhooks(t *testing.T) {
	var h atomic.Pointer[http.Handler]
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hp := h.Load(); hp != nil {
			(*hp).ServeHTTP(w, r)
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	t.Cleanup(receiver.Close)
	ws := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 10, Seed: 5,
		Webhook: &sandbox.WebhookOptions{URL: receiver.URL, Secret: secret}}})
	a := ws.Open("webhook")
	engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
	if err != nil {
		t.Fatal(err)
	}
	m := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedact,
		Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook"}, SweepInterval: 50 * time.Millisecond}
	handler := webhook.Handler(webhook.HandlerOptions{Secret: []byte(secret), Sink: m.Wrap(&webhooktest.MemorySink{})})
	h.Store(&handler)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	conv := ws.Sandbox.Workspace().Conversations()[0]
	reply(t, ws, conv.ID, conv.ContactIDs[0], "thanks, that works for me")
	reply(t, ws, conv.ID, conv.ContactIDs[0], "please charge my card 4539 1488 0343 6467 instead")
	after, _ := ws.Sandbox.Workspace().Conversation(conv.ID)
	plain, card := after.Parts[len(after.Parts)-2], after.Parts[len(after.Parts)-1]

	testwait.Until(t, "the card message redacted in the sandbox", func() bool {
		return ws.Sandbox.Stats().Effect(sandbox.EffectPartRedacted, conv.ID+"/part:"+card.ID) == 1
	})
	sc := scans(t, a)
	x, err := sc.GetRedaction(bg, conv.ID, card.ID)
	if err != nil || x.Origin != "webhook" || x.Types != "CARD" {
		t.Fatalf("redaction: %+v %v", x, err)
	}
	testwait.Until(t, "the redaction recorded as done", func() bool {
		x, err := sc.GetRedaction(bg, conv.ID, card.ID)
		return err == nil && x.State == store.RedactionDone
	})
	if _, err := sc.GetRedaction(bg, conv.ID, plain.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the message without a card: %v", err)
	}
	if n := ws.Sandbox.Stats().Effect(sandbox.EffectPartRedacted, conv.ID+"/part:"+plain.ID); n != 0 {
		t.Fatalf("the message without a card was redacted %d times", n)
	}
}
