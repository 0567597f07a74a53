package export_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// BenchmarkRunSandbox measures a whole export against the sandbox over HTTP on
// SQLite: create, record, poll, download, decode, write (or keep) and record. The
// workspace size comes from EXPORT_BENCH_CONTACTS (default 20000).
func BenchmarkRunSandbox(b *testing.B) {
	contacts := 20000
	if v, err := strconv.Atoi(os.Getenv("EXPORT_BENCH_CONTACTS")); err == nil && v > 0 {
		contacts = v
	}
	for _, mode := range []string{"dir", "keep"} {
		b.Run(mode, func(b *testing.B) {
			h := newHarness(b, storetest.SQLite(), sandbox.Options{Contacts: contacts, ContactsOnly: true, ExportDuration: time.Millisecond})
			svc := h.service(h.app)
			var rows int64
			for b.Loop() {
				p := h.params("")
				p.PollInterval = 2 * time.Millisecond
				if mode == "dir" {
					p.OutDir = b.TempDir()
				} else {
					p.Keep, p.TempDir = true, b.TempDir()
				}
				res, err := svc.Run(context.Background(), p)
				if err != nil {
					b.Fatal(err)
				}
				rows = res.Rows
			}
			b.ReportMetric(float64(rows), "rows/export")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
