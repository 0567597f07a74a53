package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

const secret = "server-test-secret"

func body(id, topic string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "notification_event", "id": id, "topic": topic, "app_id": "a",
		"data": map[string]any{"type": "notification_event_data", "item": map[string]any{"type": "contact", "id": "c1"}}})
	return b
}

func post(t *testing.T, h http.Handler, b []byte, sig string) int {
	t.Helper()
	return webhooktest.Post(h, b, sig).Code
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestNewRefusesWithoutSecret(t *testing.T) {
	_, err := server.New(server.Options{Sink: &webhooktest.MemorySink{}})
	if !errors.Is(err, server.ErrNoSecret) || !strings.Contains(err.Error(), server.EnvClientSecret) {
		t.Fatalf("err = %v, want ErrNoSecret naming %s", err, server.EnvClientSecret)
	}
	if _, err := server.New(server.Options{Secret: []byte("x")}); !errors.Is(err, server.ErrNoSink) {
		t.Fatalf("err = %v, want ErrNoSink", err)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	sink := &webhooktest.MemorySink{}
	healthy := true
	srv, err := server.New(server.Options{Secret: []byte(secret), Sink: sink, MaxBody: 2048,
		Health: func(context.Context) error {
			if !healthy {
				return errors.New("store down")
			}
			return nil
		},
		Gauges: func(context.Context) ([]server.Gauge, error) {
			return []server.Gauge{{Name: "intercom_privacy_requests", Help: "Privacy requests by state.", Labels: [][2]string{{"state", "received"}}, Value: 3}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	ok := body("n1", "contact.deleted")
	sig := webhook.Sign([]byte(secret), ok)
	for i, tc := range []struct {
		b    []byte
		sig  string
		want int
	}{
		{ok, sig, 200}, {ok, sig, 200}, {ok, "", 401}, {ok, webhook.Sign([]byte("bad"), ok), 401},
		{[]byte("{"), webhook.Sign([]byte(secret), []byte("{")), 400},
		{bytes.Repeat([]byte("x"), 4096), "", 413},
	} {
		if got := post(t, h, tc.b, tc.sig); got != tc.want {
			t.Fatalf("case %d: status %d, want %d", i, got, tc.want)
		}
	}
	if len(sink.Stored()) != 1 {
		t.Fatalf("sink kept %d notifications", len(sink.Stored()))
	}
	code, text := get(t, h, server.PathMetrics)
	if code != 200 {
		t.Fatalf("metrics status %d", code)
	}
	for _, want := range []string{
		`intercom_privacy_webhook_notifications_total{result="accepted"} 1`,
		`intercom_privacy_webhook_notifications_total{result="duplicate"} 1`,
		`intercom_privacy_webhook_rejected_total{reason="signature"} 2`,
		`intercom_privacy_webhook_rejected_total{reason="malformed"} 1`,
		`intercom_privacy_webhook_rejected_total{reason="too_large"} 1`,
		`intercom_privacy_http_requests_total{route="/webhooks/intercom",code="401"} 2`,
		`intercom_privacy_requests{state="received"} 3`,
		`# TYPE intercom_privacy_requests gauge`,
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if code, _ := get(t, h, server.PathHealth); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	healthy = false
	if code, text := get(t, h, server.PathHealth); code != 503 || strings.Contains(text, "store down") {
		t.Fatalf("unhealthy: %d %q", code, text)
	}
	if code, _ := get(t, h, "/nope"); code != 404 {
		t.Fatalf("unknown route %d", code)
	}
	if code, _ := get(t, h, server.PathWebhook); code != 405 {
		t.Fatalf("GET webhook %d", code)
	}
}

// TestEndToEndContactDeleted runs the server on 127.0.0.1:0, points the
// sandbox's webhooks at it, deletes a contact through the Intercom client and
// watches the cached copy go; then an update in the sandbox refreshes another
// contact through the applier; then the server shuts down cleanly.
func TestEndToEndContactDeleted(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			sb, err := sandbox.New(sandbox.Options{Seed: 31, Contacts: 30, ContactsOnly: true, RateLimit: -1,
				Webhook: &sandbox.WebhookOptions{URL: "http://" + ln.Addr().String() + webhook.Path, Secret: secret}})
			if err != nil {
				t.Fatal(err)
			}
			api := httptest.NewServer(sb.Handler())
			defer api.Close()
			defer sb.Close()
			text, _ := vault.GenerateMasterKey()
			master, _ := vault.ParseMasterKey(text)
			a, err := app.Open(ctx, app.Settings{DatabaseURL: b.NewURL(t), MasterKey: master, InitKeys: true, Actor: "server-test",
				Intercom: intercom.Config{Token: intercom.Token(sb.Token()), BaseURL: api.URL, Timeout: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			syncer := &contactsync.Syncer{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom, Config: a.Config.Sync, Actor: "webhook"}
			if _, err := syncer.Sync(ctx, contactsync.Options{}); err != nil {
				t.Fatal(err)
			}
			applier := contactsync.NewApplier(syncer)
			applier.Interval = time.Second
			srv, err := server.New(server.Options{Secret: []byte(secret), Sink: &contactsync.WebhookSink{Syncer: syncer, Wake: applier.Wake}})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln) }()
			go applier.Run(ctx)

			var live []sandbox.Contact
			for _, c := range sb.Workspace().Contacts() {
				if !c.Archived && c.MergedInto == "" {
					live = append(live, c)
				}
			}
			victim, edited := live[3], live[7]
			if _, err := a.Store.GetContact(ctx, victim.ID); err != nil {
				t.Fatalf("victim not cached: %v", err)
			}
			if _, err := a.Intercom.DeleteContact(ctx, victim.ID); err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, "the deleted contact to leave the local store", func() bool {
				_, err := a.Store.GetContact(ctx, victim.ID)
				return errors.Is(err, store.ErrNotFound)
			})
			if !sb.UpdateContact(edited.ID, map[string]string{"plan": "e2e"}) {
				t.Fatal("update failed")
			}
			testwait.Until(t, "the updated contact to be refreshed", func() bool {
				c, err := a.Store.GetContact(ctx, edited.ID)
				if err != nil || c.AttributesEnc == nil {
					return false
				}
				p, err := a.Vault.Decrypt(ctx, c.PersonKeyID, vault.AAD{Table: contactsync.AADTable, Column: contactsync.ColAttributes, Row: edited.ID}, c.AttributesEnc)
				return err == nil && string(p) == `{"plan":"e2e"}`
			})
			st := sb.Stats()
			if st.WebhooksFailed != 0 || st.WebhooksSent != 2 {
				t.Fatalf("webhooks sent %d failed %d", st.WebhooksSent, st.WebhooksFailed)
			}
			if n := srv.Metrics().Value(server.MetricWebhookNotifications, [2]string{"result", "accepted"}); n != 2 {
				t.Fatalf("accepted counter %d", n)
			}
			// The server is reachable over real HTTP, then stops cleanly.
			resp, err := http.Get("http://" + ln.Addr().String() + server.PathHealth)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("server did not stop")
			}
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				t.Fatal("listener still open after shutdown")
			}
			if _, err := a.VerifyAudit(context.Background()); err != nil {
				t.Fatalf("audit: %v", err)
			}
		})
	}
}
