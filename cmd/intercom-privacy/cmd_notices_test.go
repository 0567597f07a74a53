package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/notice"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
)

func TestNoticesCommands(t *testing.T) {
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notice.Verify(body, "warehouse-secret", r.Header.Get(notice.SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
	}))
	defer recv.Close()
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 20, RateLimit: -1})
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "recipients:\n" +
		"  - {name: Warehouse, role: controller, notify: {method: webhook, url: '" + recv.URL + "', secret_env: WAREHOUSE_NOTICE_SECRET}}\n" +
		"  - {name: CRM, role: processor, notify: {method: manual}}\n" +
		"  - {name: Mailer Co, role: processor, notify: {method: email, email: privacy@mailer.example}}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.EnvFile, cfg)
	t.Setenv("WAREHOUSE_NOTICE_SECRET", "warehouse-secret")
	p := sb.SamplePerson()
	out, err := dsarCLI(t, "dsar", "erase", "--email", p.Email, "--wait", "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	var req struct{ ID string }
	if err := json.Unmarshal([]byte(out), &req); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err = dsarCLI(t, "notices", "list", "--request", req.ID, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ns []dsar.NoticeView
	if err := json.Unmarshal([]byte(out), &ns); err != nil || len(ns) != 3 {
		t.Fatalf("list: %v %s", err, out)
	}
	if out, err = dsarCLI(t, "notices", "send"); err != nil || !strings.Contains(out, "1 sent") {
		t.Fatalf("send: %v %q", err, out)
	}
	mu.Lock()
	if len(got) != 1 {
		t.Fatalf("receiver got %v", got)
	}
	mu.Unlock()
	var manual, emailed string
	for _, n := range ns {
		switch n.Recipient {
		case "CRM":
			manual = n.ID
		case "Mailer Co":
			emailed = n.ID
			if n.State != "manual" {
				t.Errorf("without a mail server an email notice is %s, not an operator task", n.State)
			}
		}
	}
	// Without a mail server the list says why an email notice is a task.
	if out, err := dsarCLI(t, "notices", "list", "--request", req.ID); err != nil || !strings.Contains(out, "no mail server configured") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := dsarCLI(t, "notices", "done", emailed); err != nil || !strings.Contains(out, "done") {
		t.Fatalf("done: %v %q", err, out)
	}
	if _, err := dsarCLI(t, "notices", "waive", manual, "--reason", ""); err == nil {
		t.Error("waive without a reason")
	}
	if out, err := dsarCLI(t, "notices", "done", manual); err != nil || !strings.Contains(out, "done") {
		t.Fatalf("done: %v %q", err, out)
	}
	if out, err := dsarCLI(t, "notices", "list", "--open"); err != nil || !strings.Contains(out, "no notices") {
		t.Fatalf("open notices left: %v\n%s", err, out)
	}
	if _, err := dsarCLI(t, "notices", "done", "not-an-id"); err == nil || !strings.Contains(err.Error(), "not a notice id") {
		t.Errorf("bad id: %v", err)
	}
}

// A queued or sent email notice names its outbox message and the message's
// state; a queued one without a mail server says it waits for one.
func TestPrintNoticesNamesTheMessage(t *testing.T) {
	ns := []store.RecipientNotice{
		{ID: "ntc_1", RequestID: "req_1", Recipient: "Mailer Co", Event: "erasure", Method: "email", State: store.NoticeSent},
		{ID: "ntc_2", RequestID: "req_1", Recipient: "Other Co", Event: "erasure", Method: "email", State: store.NoticeQueued},
	}
	msgs := map[string]store.OutboxMessage{
		"ntc_1": {ID: "msg_a", State: store.MessageSent},
		"ntc_2": {ID: "msg_b", State: store.MessagePending, LastError: "connection refused"},
	}
	lookup := func(n store.RecipientNotice) (store.OutboxMessage, bool) { m, ok := msgs[n.ID]; return m, ok }
	var b strings.Builder
	printNotices(&b, ns, true, lookup)
	if !strings.Contains(b.String(), "mail msg_a sent") || !strings.Contains(b.String(), "mail msg_b pending: connection refused") {
		t.Fatalf("with mail:\n%s", b.String())
	}
	b.Reset()
	printNotices(&b, ns, false, lookup)
	if !strings.Contains(b.String(), "it leaves once one is") {
		t.Fatalf("without mail:\n%s", b.String())
	}
}
