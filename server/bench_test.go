package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// benchHandler is the server's handler over the store-backed sink on b.
func benchHandler(tb testing.TB, be storetest.Backend) http.Handler {
	text, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(text)
	a, err := app.Open(context.Background(), app.Settings{DatabaseURL: be.NewURL(tb), MasterKey: master, InitKeys: true, Actor: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	syncer := &contactsync.Syncer{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Config: a.Config.Sync, Actor: "webhook"}
	srv, err := server.New(server.Options{Secret: []byte(secret), Sink: &contactsync.WebhookSink{Syncer: syncer}})
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Handler()
}

// signed is one notification body with its signature.
type signed struct {
	body []byte
	sig  string
}

func makeNotification(id, topic, contact string) signed {
	b, _ := json.Marshal(map[string]any{"type": "notification_event", "id": id, "topic": topic, "app_id": "bench",
		"created_at": 1767225600, "delivery_attempts": 1,
		"data": map[string]any{"type": "notification_event_data", "item": map[string]any{
			"type": "contact", "id": contact, "external_id": "ext-" + contact, "role": "user",
			"email": "person" + contact + "@example.com", "name": "Bench Person", "custom_attributes": map[string]any{"plan": "pro"},
		}}})
	return signed{b, webhook.Sign([]byte(secret), b)}
}

func serveOne(b *testing.B, h http.Handler, n signed) {
	req := httptest.NewRequest(http.MethodPost, server.PathWebhook, bytes.NewReader(n.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, n.sig)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
}

// BenchmarkWebhookAccept measures notifications accepted per second through
// the HTTP handler (signature check, parse, store; no network) on every
// available backend: new refresh notifications (stored for the applier), new
// contact.deleted notifications (stored, purge and audit record in one
// transaction), redeliveries of one notification (duplicates), and new
// refresh notifications from 8 goroutines at once.
func BenchmarkWebhookAccept(b *testing.B) {
	// The handler alone (signature, parse, counters) over an in-memory sink:
	// the ceiling the store's commits are measured against.
	b.Run("memory-sink/updated", func(b *testing.B) {
		srv, err := server.New(server.Options{Secret: []byte(secret), Sink: &webhooktest.MemorySink{}})
		if err != nil {
			b.Fatal(err)
		}
		h := srv.Handler()
		ns := make([]signed, b.N)
		for i := range ns {
			ns[i] = makeNotification("notif_"+strconv.Itoa(i), "contact.user.updated", "c"+strconv.Itoa(i%5000))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			serveOne(b, h, ns[i])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
	for _, be := range storetest.Backends(b) {
		for _, tc := range []struct {
			name  string
			topic string
			dup   bool
		}{
			{"updated", "contact.user.updated", false},
			{"deleted", "contact.deleted", false},
			{"duplicate", "contact.user.updated", true},
		} {
			b.Run(be.Name+"/"+tc.name, func(b *testing.B) {
				h := benchHandler(b, be)
				first := makeNotification("notif_dup", tc.topic, "c0")
				serveOne(b, h, first)
				ns := make([]signed, b.N)
				for i := range ns {
					if tc.dup {
						ns[i] = first
					} else {
						ns[i] = makeNotification("notif_"+strconv.Itoa(i), tc.topic, "c"+strconv.Itoa(i%5000))
					}
				}
				b.SetBytes(int64(len(first.body)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					serveOne(b, h, ns[i])
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
			})
		}
		b.Run(be.Name+"/updated-parallel8", func(b *testing.B) {
			h := benchHandler(b, be)
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					serveOne(b, h, makeNotification("notif_p"+strconv.FormatInt(i, 10), "contact.user.updated", "c"+strconv.FormatInt(i%5000, 10)))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}
