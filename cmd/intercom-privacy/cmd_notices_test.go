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
		"  - {name: CRM, role: processor, notify: {method: manual}}\n"
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
	if err := json.Unmarshal([]byte(out), &ns); err != nil || len(ns) != 2 {
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
	var manual string
	for _, n := range ns {
		if n.Recipient == "CRM" {
			manual = n.ID
		}
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
