package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// webhooks delivers notifications in order from one goroutine. A failed delivery is
// counted and not retried.
type webhooks struct {
	opts   WebhookOptions
	appID  string
	stats  *statsRec
	now    func() time.Time
	queue  chan []byte
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	seq    int
	closed bool
}

func newWebhooks(o WebhookOptions, appID string, st *statsRec, now func() time.Time) *webhooks {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	h := &webhooks{opts: o, appID: appID, stats: st, now: now, queue: make(chan []byte, 1024), done: make(chan struct{})}
	go h.run()
	return h
}

// Sign returns the X-Hub-Signature value Intercom sends with body: "sha1=" and the hex
// HMAC-SHA1 of body keyed with the app's client secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

func (h *webhooks) run() {
	defer close(h.done)
	for body := range h.queue {
		req, err := http.NewRequest(http.MethodPost, h.opts.URL, bytes.NewReader(body))
		if err != nil {
			h.stats.webhook(false)
			continue
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "intercom-parrot-service-client/1.0")
		req.Header.Set("X-Hub-Signature", Sign(body, h.opts.Secret))
		resp, err := h.opts.Client.Do(req)
		if err != nil {
			h.stats.webhook(false)
			continue
		}
		_ = resp.Body.Close()
		h.stats.webhook(resp.StatusCode >= 200 && resp.StatusCode < 300)
	}
}

// send queues a notification; it never blocks the API (a full queue drops it, counted
// as a failure).
func (h *webhooks) send(topic string, item any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.seq++
	now := h.now().Unix()
	body, err := json.Marshal(map[string]any{
		"type": "notification_event", "id": "notif_" + h.appID + "_" + strconv.Itoa(h.seq), "topic": topic,
		"app_id": h.appID, "created_at": now, "delivery_attempts": 1, "first_sent_at": now,
		"data": map[string]any{"type": "notification_event_data", "item": item},
	})
	if err != nil {
		h.stats.webhook(false)
		return
	}
	select {
	case h.queue <- body:
	default:
		h.stats.webhook(false)
	}
}

func (h *webhooks) close() {
	h.once.Do(func() {
		h.mu.Lock()
		h.closed = true
		close(h.queue)
		h.mu.Unlock()
		<-h.done
	})
}

func (s *Server) notify(topic string, item any) {
	if s.hooks != nil {
		s.hooks.send(topic, item)
	}
}

// contactItem is the minimal identification payload of a contact notification
// (from 2.16, *.deleted topics carry only identifying fields).
func contactItem(c *Contact) map[string]any {
	return map[string]any{"type": "contact", "id": c.ID, "external_id": ptr(c.ExternalID), "role": c.Role}
}
