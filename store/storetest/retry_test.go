package storetest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/internal/sqlcore"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// failingInserts makes PostgreSQL fail inserts into suppressions with SQLSTATE code:
// the insert numbered failAt (counting from 1 across transactions), or every
// insert when failAt is 0. The count lives in a sequence, which a rollback does not
// undo, so "the second insert ever" stays true across re-runs. Everything is
// created in the test's own schema.
//
// The store runs its transactions at READ COMMITTED, where PostgreSQL raises no
// serialization failure of its own, and offers no way to choose the isolation
// level; a PL/pgSQL RAISE with the SQLSTATE is what reaches the client then: the
// same error frame, code and aborted transaction as a real one.
func failingInserts(t *testing.T, st store.Store, code string, failAt int) {
	t.Helper()
	failingInsertsInto(t, st, "suppressions", code, failAt)
}

// failingInsertsInto is failingInserts for inserts into table.
func failingInsertsInto(t *testing.T, st store.Store, table, code string, failAt int) {
	t.Helper()
	cond := "TRUE"
	if failAt > 0 {
		cond = "nextval('retry_test_calls') = " + strconv.Itoa(failAt)
	}
	storetest.ExecRaw(t, st, `CREATE SEQUENCE retry_test_calls`)
	storetest.ExecRaw(t, st, `CREATE FUNCTION retry_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF `+cond+` THEN
				RAISE EXCEPTION 'retry test: forced failure' USING ERRCODE = '`+code+`';
			END IF;
			RETURN NEW;
		END $$`)
	storetest.ExecRaw(t, st, `CREATE TRIGGER retry_test_fail BEFORE INSERT ON `+table+`
		FOR EACH ROW EXECUTE FUNCTION retry_test_fail()`)
}

func ref(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// appendAudit adds one record at the head of the chain, as a state change's audit
// record would be.
func appendAudit(ctx context.Context, tx store.Tx, action string) error {
	seq, prev, err := tx.Head(ctx)
	if err != nil {
		return err
	}
	body := []byte(`{"seq":` + strconv.FormatInt(seq+1, 10) + `,"action":"` + action + `"}`)
	h := sha256.Sum256(append(append([]byte{}, prev...), body...))
	return tx.InsertRecord(ctx, audit.StoredRecord{Seq: seq + 1, Time: time.Now().UTC().Truncate(time.Microsecond),
		Action: action, Body: body, PrevHash: prev, Hash: h[:]})
}

// attempt is the function given to InTx by the retry tests: an audit record, a
// marker naming the attempt, then the suppression entry the trigger may refuse.
func attempt(calls *int) func(store.Tx) error {
	return func(tx store.Tx) error {
		*calls++
		ctx := context.Background()
		if err := appendAudit(ctx, tx, "attempt."+strconv.Itoa(*calls)); err != nil {
			return err
		}
		if _, err := tx.AddSuppression(ctx, store.Suppression{Ref: ref("marker " + strconv.Itoa(*calls)), Kind: "email"}); err != nil {
			return err
		}
		_, err := tx.AddSuppression(ctx, store.Suppression{Ref: ref("person"), Kind: "email"})
		return err
	}
}

func auditActions(t *testing.T, st store.Store) []string {
	t.Helper()
	var out []string
	for r, err := range st.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Action)
	}
	return out
}

func suppressed(t *testing.T, st store.Store, what string) bool {
	t.Helper()
	ok, err := st.Suppressed(context.Background(), ref(what))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestInTxRetriesSerializationFailure: a transaction that fails with SQLSTATE 40001
// half way is rolled back and its function run again, and the second run commits,
// with its audit record and nothing of the first run.
func TestInTxRetriesSerializationFailure(t *testing.T) {
	b := storetest.RequirePostgres(t)
	st := b.Open(t)
	failingInserts(t, st, "40001", 2) // the first run's second insert
	calls := 0
	if err := st.InTx(context.Background(), attempt(&calls)); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if calls != 2 {
		t.Fatalf("the function ran %d times, want 2 (one failure, one re-run)", calls)
	}
	if !suppressed(t, st, "person") || !suppressed(t, st, "marker 2") {
		t.Fatal("the second run did not commit")
	}
	if suppressed(t, st, "marker 1") {
		t.Fatal("the first run's write survived its rollback")
	}
	if got := auditActions(t, st); len(got) != 1 || got[0] != "attempt.2" {
		t.Fatalf("audit chain %v, want only the second run's record", got)
	}
}

// TestInTxGivesUpOnSerializationFailures: a transaction that fails with 40001 every
// time is run MaxRetries times, then InTx reports the failure (the code still
// reachable) and nothing is committed.
func TestInTxGivesUpOnSerializationFailures(t *testing.T) {
	b := storetest.RequirePostgres(t)
	st := b.Open(t)
	failingInserts(t, st, "40001", 0)
	calls := 0
	err := st.InTx(context.Background(), attempt(&calls))
	var pge *pgconn.PgError
	if !errors.As(err, &pge) || pge.Code != "40001" || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("InTx: %v, want a serialization failure after the retries", err)
	}
	if calls != sqlcore.MaxRetries {
		t.Fatalf("the function ran %d times, want %d", calls, sqlcore.MaxRetries)
	}
	if suppressed(t, st, "person") || len(auditActions(t, st)) != 0 {
		t.Fatal("a failed transaction left rows behind")
	}
}

// TestInTxDoesNotRetryOtherErrors: any other failure (here a check violation raised
// the same way) ends InTx at once, after one run.
func TestInTxDoesNotRetryOtherErrors(t *testing.T) {
	b := storetest.RequirePostgres(t)
	st := b.Open(t)
	failingInserts(t, st, "23514", 2)
	calls := 0
	err := st.InTx(context.Background(), attempt(&calls))
	var pge *pgconn.PgError
	if !errors.As(err, &pge) || pge.Code != "23514" {
		t.Fatalf("InTx: %v, want the check violation", err)
	}
	if calls != 1 {
		t.Fatalf("the function ran %d times, want 1", calls)
	}
	if suppressed(t, st, "marker 1") || len(auditActions(t, st)) != 0 {
		t.Fatal("a failed transaction left rows behind")
	}
}

// TestInTxRetriesRealDeadlock provokes a real failure: two transactions lock two
// rows in opposite orders, PostgreSQL aborts one of them with a deadlock (SQLSTATE
// 40P01, retried like 40001), InTx re-runs it, and both commit.
func TestInTxRetriesRealDeadlock(t *testing.T) {
	b := storetest.RequirePostgres(t)
	st := b.Open(t)
	ctx := context.Background()
	for _, name := range []string{"x", "y"} {
		if err := st.PutSyncState(ctx, store.SyncState{Name: name, Cursor: "0"}); err != nil {
			t.Fatal(err)
		}
	}
	holding := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var calls [2]int
	run := func(me int, first, second string) error {
		return st.InTx(ctx, func(tx store.Tx) error {
			calls[me]++
			if err := tx.PutSyncState(ctx, store.SyncState{Name: first, Cursor: strconv.Itoa(me)}); err != nil {
				return err
			}
			if calls[me] == 1 { // both hold their first row before either asks for its second
				close(holding[me])
				select {
				case <-holding[1-me]:
				case <-time.After(30 * time.Second):
					return errors.New("the other transaction never took its first lock")
				}
			}
			return tx.PutSyncState(ctx, store.SyncState{Name: second, Cursor: strconv.Itoa(me)})
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(0, "x", "y") }()
	go func() { errs <- run(1, "y", "x") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("InTx: %v", err)
		}
	}
	if calls[0]+calls[1] != 3 {
		t.Fatalf("the functions ran %d and %d times, want one of them re-run once", calls[0], calls[1])
	}
	x, err := st.GetSyncState(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	y, err := st.GetSyncState(ctx, "y")
	if err != nil {
		t.Fatal(err)
	}
	if x.Cursor != y.Cursor {
		t.Fatalf("x and y were last written by different transactions (%s, %s): one did not commit whole", x.Cursor, y.Cursor)
	}
}

// onlyReader hides every method of a reader but Read (no Seek).
type onlyReader struct{ io.Reader }

// TestPutBlobRetryRereadsContent: PutBlob runs its own transaction, which is
// re-run after a serialization failure; the re-run must store the whole content
// (read again from its start), never the rest the failed run left in the reader,
// and a reader that cannot seek back makes PutBlob fail instead.
func TestPutBlobRetryRereadsContent(t *testing.T) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789abcdef"), (sqlcore.ChunkSize*5/2)/16) // 2.5 chunks
	b := storetest.RequirePostgres(t)

	st := b.Open(t)
	failingInsertsInto(t, st, "blob_chunks", "40001", 2) // the first run's second chunk
	blob, err := st.PutBlob(ctx, store.Blob{Kind: store.BlobExportFile}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if blob.Size != int64(len(content)) {
		t.Fatalf("PutBlob stored %d bytes, want %d", blob.Size, len(content))
	}
	rc, err := st.OpenBlob(ctx, blob.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes (%v), want the %d bytes put", len(got), err, len(content))
	}

	st = b.Open(t)
	failingInsertsInto(t, st, "blob_chunks", "40001", 2)
	if _, err := st.PutBlob(ctx, store.Blob{Kind: store.BlobExportFile}, onlyReader{bytes.NewReader(content)}); err == nil {
		t.Fatal("PutBlob re-ran its transaction on a reader it could not rewind, and succeeded")
	}
	if blobs, err := st.BlobsByRequest(ctx, ""); err != nil || len(blobs) != 0 {
		t.Fatalf("a failed PutBlob left blobs behind: %+v, %v", blobs, err)
	}
}
