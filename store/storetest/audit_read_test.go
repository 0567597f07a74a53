package storetest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/internal/sqlcore"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// readRecord is record seq of TestAuditRecordsRead: every field varies, some
// times are unset (stored NULL), the first record has no previous hash, and a few
// bodies are large enough that a batch outgrows its first buffer.
func readRecord(seq int64) audit.StoredRecord {
	r := audit.StoredRecord{Seq: seq, Action: "action." + strconv.FormatInt(seq%5, 10)}
	if seq%7 != 0 {
		r.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(seq) * time.Microsecond)
	}
	if seq%3 != 0 {
		r.RequestID = "req_" + strconv.FormatInt(seq, 36)
	}
	r.SubjectRef = strings.Repeat("s", int(seq%11))
	size := int(seq % 97)
	if seq%500 == 0 {
		size = 4000
	}
	r.Body = bytes.Repeat([]byte{byte(seq), 0, '"'}, size)
	if seq > 1 {
		p := sha256.Sum256([]byte(strconv.FormatInt(seq-1, 10)))
		r.PrevHash = p[:]
	}
	h := sha256.Sum256([]byte(strconv.FormatInt(seq, 10)))
	r.Hash = h[:]
	return r
}

func sameRecord(a, b audit.StoredRecord) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Time.IsZero() == b.Time.IsZero() && a.Action == b.Action &&
		a.RequestID == b.RequestID && a.SubjectRef == b.SubjectRef && bytes.Equal(a.Body, b.Body) &&
		bytes.Equal(a.PrevHash, b.PrevHash) && bytes.Equal(a.Hash, b.Hash)
}

// TestAuditRecordsRead checks the audit read path across several batches: every
// field comes back as written, records kept by the caller stay intact while the
// iteration goes on (the batch buffers are not reused), appending to a returned
// slice cannot overwrite its neighbour, and fromSeq, stopping early and a
// cancelled context behave.
func TestAuditRecordsRead(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			n := int64(2*sqlcore.RecordsBatch + 5)
			err := st.InTx(ctx, func(tx store.Tx) error {
				for seq := int64(1); seq <= n; seq++ {
					if err := tx.InsertRecord(ctx, readRecord(seq)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []audit.StoredRecord
			for r, err := range st.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			if int64(len(got)) != n {
				t.Fatalf("read %d records, want %d", len(got), n)
			}
			for i, r := range got {
				if want := readRecord(int64(i) + 1); !sameRecord(r, want) {
					t.Fatalf("record %d read back as %+v, want %+v", i+1, r, want)
				}
				if r.Time.Location() != time.UTC {
					t.Fatalf("record %d: time not in UTC", i+1)
				}
			}
			// Appending to a returned slice must not write into the next field.
			_ = append(got[10].Body, 'x', 'x', 'x')
			_ = append(got[10].Hash, 'x', 'x', 'x')
			if !sameRecord(got[10], readRecord(11)) || !sameRecord(got[11], readRecord(12)) {
				t.Fatal("appending to a returned byte slice changed a record")
			}

			for _, from := range []int64{sqlcore.RecordsBatch - 1, sqlcore.RecordsBatch + 1, n, n + 1} {
				want := from
				for r, err := range st.Records(ctx, from) {
					if err != nil {
						t.Fatal(err)
					}
					if !sameRecord(r, readRecord(want)) {
						t.Fatalf("Records(%d): record %d wrong", from, want)
					}
					want++
				}
				if want != n+1 {
					t.Fatalf("Records(%d) ended at %d, want %d", from, want, n+1)
				}
			}
			seen := 0
			for _, err := range st.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if seen++; seen == sqlcore.RecordsBatch+2 {
					break
				}
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			var last error
			for _, err := range st.Records(cctx, 1) {
				last = err
			}
			if !errors.Is(last, context.Canceled) {
				t.Fatalf("Records with a cancelled context ended with %v", last)
			}
		})
	}
}
