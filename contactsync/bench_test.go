package contactsync_test

import (
	"context"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// BenchmarkSyncFull measures a full sync of 3,000 contacts from the sandbox
// over 127.0.0.1 (no injected latency or rate limit) into each backend:
// fetch, allow-list, encrypt (a new person key per contact), blind indexes,
// suppression check and one transaction per page of 150.
func BenchmarkSyncFull(b *testing.B) {
	const n = 3000
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newHarness(b, be, sandbox.Options{Seed: 99, Contacts: n})
				s := h.syncer(h.app, nil)
				b.StartTimer()
				res, err := s.Sync(context.Background(), contactsync.Options{Full: true})
				if err != nil || res.Stored != int64(len(h.liveContacts())) {
					b.Fatalf("%+v %v", res, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "contacts/s")
		})
	}
}
