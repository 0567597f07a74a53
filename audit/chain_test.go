package audit_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func TestNewChainNeedsSigner(t *testing.T) {
	if _, err := audit.NewChain(nil, audit.Options{}); !errors.Is(err, audit.ErrNoSigner) {
		t.Fatalf("nil signer: %v", err)
	}
	s := audittest.NewSigner("x")
	s.ID = "key id with spaces"
	if _, err := audit.NewChain(s, audit.Options{}); !errors.Is(err, audit.ErrNoSigner) {
		t.Fatalf("bad key id: %v", err)
	}
}

func TestAppendFillsChainFields(t *testing.T) {
	ctx := context.Background()
	m := audit.NewMemoryLog()
	now := time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	c, err := audit.NewChain(audittest.NewSigner("x"), audit.Options{
		CheckpointEvery: 2, Checker: &audit.StrictChecker{}, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	for i := range 3 {
		in := audittest.SampleRecord(i)
		in.Seq, in.Time, in.PrevHash, in.Hash = 99, time.Unix(1, 0), []byte("x"), []byte("y") // ignored
		in.RequestDate = time.Date(2026, 11, 1, 9, 0, 0, 999, time.FixedZone("PST", -8*3600))
		if err := m.Update(ctx, func(tx audit.Tx) error {
			r, err := c.Append(ctx, tx, in)
			recs = append(recs, r)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	rows := audittest.Rows(t, m)
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Errorf("record %d: seq %d", i, r.Seq)
		}
		if want := time.Date(2026, 11, 28, 11, 0, 0, 123456000, time.UTC); !r.Time.Equal(want) || r.Time.Location() != time.UTC {
			t.Errorf("record %d: time %v, want %v in UTC", i, r.Time, want)
		}
		if r.RequestDate.Location() != time.UTC || r.RequestDate.Nanosecond() != 0 {
			t.Errorf("record %d: request date not UTC microseconds: %v", i, r.RequestDate)
		}
		if i == 0 && r.PrevHash != nil || i > 0 && !bytes.Equal(r.PrevHash, recs[i-1].Hash) {
			t.Errorf("record %d: prev %x", i, r.PrevHash)
		}
		row := rows[i]
		if !bytes.Equal(audit.HashBody(row.Body), r.Hash) || !bytes.Equal(row.Hash, r.Hash) {
			t.Errorf("record %d: stored hash is not the hash of the stored body", i)
		}
		dec, err := audit.DecodeBody(row.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dec, r) {
			t.Errorf("record %d: stored body decodes to\n %+v\nwant\n %+v", i, dec, r)
		}
		if row.Seq != r.Seq || !row.Time.Equal(r.Time) || row.Action != string(r.Action) || row.RequestID != r.RequestID || row.SubjectRef != r.SubjectRef {
			t.Errorf("record %d: stored columns differ from the record", i)
		}
	}
	var cps []audit.Checkpoint
	for cp, err := range m.Checkpoints(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	if len(cps) != 1 || cps[0].Seq != 2 || !bytes.Equal(cps[0].Hash, recs[1].Hash) {
		t.Fatalf("checkpoints %+v, want one at seq 2", cps)
	}
}

type failingSigner struct{ *audittest.Signer }

func (failingSigner) Sign([]byte) ([]byte, error) { return nil, errors.New("kms unavailable") }

func TestSignerFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	m := audit.NewMemoryLog()
	c, err := audit.NewChain(failingSigner{audittest.NewSigner("x")}, audit.Options{CheckpointEvery: 1, Checker: &audit.StrictChecker{}})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Update(ctx, func(tx audit.Tx) error { _, err := c.Append(ctx, tx, audittest.SampleRecord(1)); return err })
	if err == nil || !strings.Contains(err.Error(), "signing checkpoint 1") {
		t.Fatalf("err = %v", err)
	}
	if m.Len() != 0 {
		t.Fatal("a record was written although its checkpoint failed")
	}
}

type badHeadTx struct{ audit.Tx }

func (badHeadTx) Head(context.Context) (int64, []byte, error) { return 5, nil, nil }

func TestInconsistentHead(t *testing.T) {
	c := audittest.NewChain(t, audittest.NewSigner("x"), 10)
	m := audit.NewMemoryLog()
	err := m.Update(context.Background(), func(tx audit.Tx) error {
		_, err := c.Append(context.Background(), badHeadTx{tx}, audittest.SampleRecord(1))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "inconsistent chain head") {
		t.Fatalf("err = %v", err)
	}
}

func TestMemoryTxAfterEnd(t *testing.T) {
	m := audit.NewMemoryLog()
	var kept audit.Tx
	_ = m.Update(context.Background(), func(tx audit.Tx) error { kept = tx; return nil })
	if _, _, err := kept.Head(context.Background()); !errors.Is(err, audit.ErrTxDone) {
		t.Fatalf("Head after end: %v", err)
	}
	if err := kept.InsertRecord(context.Background(), audit.StoredRecord{Seq: 1}); !errors.Is(err, audit.ErrTxDone) {
		t.Fatalf("InsertRecord after end: %v", err)
	}
}

func TestMemorySeqConflict(t *testing.T) {
	ctx := context.Background()
	m := audit.NewMemoryLog()
	c := audittest.NewChain(t, audittest.NewSigner("x"), 10)
	audittest.AppendN(t, audittest.Backend{Reader: m, Update: m.Update}, c, 0, 2)
	err := m.Update(ctx, func(tx audit.Tx) error { return tx.InsertRecord(ctx, audit.StoredRecord{Seq: 2}) })
	if !errors.Is(err, audit.ErrSeqConflict) || m.Len() != 2 {
		t.Fatalf("duplicate seq: err %v, %d records", err, m.Len())
	}
}

func TestMemoryHeadHonoursContext(t *testing.T) {
	m := audit.NewMemoryLog()
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Update(context.Background(), func(tx audit.Tx) error {
			_, _, _ = tx.Head(context.Background())
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := m.Update(ctx, func(tx audit.Tx) error { _, _, err := tx.Head(ctx); return err })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a held head: %v", err)
	}
	close(release)
	<-done
}

// TestNoDeleteAPI: nothing here can remove a record except Chain.Prune,
// which works only through a store's PruneTx and writes a signed prune
// record in the same transaction. The exported surface is checked for
// anything else that deletes, truncates or purges.
func TestNoDeleteAPI(t *testing.T) {
	types := []reflect.Type{
		reflect.TypeOf(&audit.MemoryLog{}), reflect.TypeOf(&audit.Chain{}),
		reflect.TypeOf((*audit.Tx)(nil)).Elem(), reflect.TypeOf((*audit.Reader)(nil)).Elem(),
	}
	for _, typ := range types {
		for i := range typ.NumMethod() {
			name := strings.ToLower(typ.Method(i).Name)
			if typ == reflect.TypeOf(&audit.Chain{}) && typ.Method(i).Name == "Prune" {
				continue
			}
			for _, bad := range []string{"delete", "remove", "truncate", "purge", "drop", "prune", "clear", "reset", "replace", "rewrite"} {
				if strings.Contains(name, bad) {
					t.Errorf("%v has method %s", typ, typ.Method(i).Name)
				}
			}
		}
	}
	// MemoryLog.Update only appends: it runs a Tx, whose methods insert.
	tx := reflect.TypeOf((*audit.Tx)(nil)).Elem()
	for i := range tx.NumMethod() {
		if n := tx.Method(i).Name; !strings.HasPrefix(n, "Insert") && n != "Head" && n != "LastCheckpoint" {
			t.Errorf("audit.Tx has a method that is not an insert or a read: %s", n)
		}
	}
}
