package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// Two serve workers (two applications on one database) sweep the same open
// redactions at once: each part's redaction request is sent exactly once,
// by whichever claimed it.
func TestTwoWorkersSendEachPartOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var mu sync.Mutex
			sent := map[string]int{}
			wrap := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/conversations/redact" {
						body, _ := io.ReadAll(r.Body)
						r.Body = io.NopCloser(bytes.NewReader(body))
						var req struct {
							ConversationID string `json:"conversation_id"`
							PartID         string `json:"conversation_part_id"`
							SourceID       string `json:"source_id"`
						}
						_ = json.Unmarshal(body, &req)
						mu.Lock()
						sent[req.ConversationID+"/"+req.PartID+req.SourceID]++
						mu.Unlock()
					}
					h.ServeHTTP(w, r)
				})
			}
			// Intercom's latency keeps each request in flight while the other
			// worker's sweep comes by.
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5, Latency: 40 * time.Millisecond}, Wrap: wrap})
			a1, a2 := w.Open("webhook"), w.Open("webhook")
			want := cardParts(w.Sandbox)
			sc := scans(t, a1)
			for k := range want {
				conv, part, _ := strings.Cut(k, "/")
				c, _ := w.Sandbox.Workspace().Conversation(conv)
				kind := scan.KindPart
				if c.Source.ID == part {
					kind = scan.KindSource
				}
				// Left open by a receiver that stopped before sending.
				if _, err := sc.QueueRedaction(bg, store.Redaction{ConversationID: conv, PartID: part, PartKind: kind, AuthorRole: scan.RoleCustomer,
					Types: "CARD", Origin: "webhook"}); err != nil {
					t.Fatal(err)
				}
			}
			engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
			if err != nil {
				t.Fatal(err)
			}
			monitor := func(a *app.App, holder string) *scan.Monitor {
				return &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedact,
					SweepInterval: 5 * time.Millisecond, Workers: 4,
					Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Lease: scan.LeaseOptions{Holder: holder}}}
			}
			ctx, cancel := context.WithCancel(bg)
			var wg sync.WaitGroup
			for i, m := range []*scan.Monitor{monitor(a1, "worker-1"), monitor(a2, "worker-2")} {
				wg.Go(func() {
					if err := m.Run(ctx); err != nil {
						t.Errorf("worker %d: %v", i+1, err)
					}
				})
			}
			testwait.Until(t, "every redaction final", func() bool {
				rs, err := sc.Redactions(bg, 10000, store.RedactionQueued, store.RedactionIntended, store.RedactionFailed)
				return err == nil && len(rs) == 0
			})
			cancel()
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			for k := range want {
				if sent[k] != 1 {
					t.Errorf("%s: %d redaction requests, want 1", k, sent[k])
				}
			}
			if len(sent) != len(want) {
				t.Errorf("requests for %d parts, want %d", len(sent), len(want))
			}
			rs, _ := sc.Redactions(bg, 10000)
			for _, x := range rs {
				if x.State != store.RedactionDone || x.Attempts != 1 {
					t.Errorf("%s/%s: %s after %d attempts", x.ConversationID, x.PartID, x.State, x.Attempts)
				}
			}
		})
	}
}
