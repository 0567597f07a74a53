// Package webhooktest provides an in-memory webhook.Sink for tests and
// demos. It keeps every notification in memory without limit: never use
// it in production (the store is the real sink).
package webhooktest

import (
	"context"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// MemorySink de-duplicates notifications by id in memory. The zero value
// is ready to use and safe for concurrent use.
type MemorySink struct {
	mu    sync.Mutex
	seen  map[string]bool
	kept  []webhook.Notification
	calls int
	// Err, when set, is returned by Accept (to test redelivery).
	Err error
}

// Accept records n unless its id was seen before. Pings (empty id) are
// acknowledged and not kept.
func (s *MemorySink) Accept(_ context.Context, n webhook.Notification, _ []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.Err != nil {
		return false, s.Err
	}
	if n.ID == "" {
		return false, nil
	}
	if s.seen[n.ID] {
		return true, nil
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[n.ID] = true
	s.kept = append(s.kept, n)
	return false, nil
}

// Calls returns how many times Accept was called.
func (s *MemorySink) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Stored returns a copy of the notifications kept, in arrival order.
func (s *MemorySink) Stored() []webhook.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webhook.Notification(nil), s.kept...)
}
