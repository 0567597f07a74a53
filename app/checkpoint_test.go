package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func openTestApp(t *testing.T, s Settings) *App {
	t.Helper()
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	if s.MasterKey, err = vault.ParseMasterKey(text); err != nil {
		t.Fatal(err)
	}
	s.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "t.db")
	s.InitKeys = true
	a, err := Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func appendN(t *testing.T, a *App, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if err := a.Store.InTx(ctx, func(tx store.Tx) error {
			_, err := a.Chain.Append(ctx, tx, audittest.SampleRecord(i))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func (a *App) verifyWith(t *testing.T, path string) audit.Report {
	t.Helper()
	pub, id := a.Vault.AuditPublicKey()
	keys := audit.Keyring{{KeyID: id, Key: pub}}
	var o audit.VerifyOptions
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		l, err := audit.ReadWitnessLog(f, keys)
		if err != nil {
			t.Fatal(err)
		}
		o.Witness = &l
	}
	rep, err := audit.VerifyWith(context.Background(), a.Store, keys, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCheckpointerSignsAndWitnesses: records appended by a long-running
// process are signed and witnessed when its checkpointer stops, and an
// audit record is never left unsigned past CheckpointEvery.
func TestCheckpointerSignsAndWitnesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "witness.log")
	a := openTestApp(t, Settings{Witness: path, CheckpointEvery: 4})
	stop := a.StartCheckpointer(context.Background())
	appendN(t, a, 10) // checkpoints at 4 and 8 by the chain; 9, 10 unsigned
	if rep := a.verifyWith(t, ""); !rep.OK() || rep.LastCheckpoint < 8 || rep.Unsigned > 2 {
		t.Fatalf("before stop: %+v", rep)
	}
	stop()
	rep := a.verifyWith(t, path)
	if !rep.OK() || rep.Unsigned != 0 || rep.Witness == nil || rep.Witness.Size != 10 || rep.Witness.Lag != 0 {
		t.Fatalf("after stop: %+v %+v", rep, rep.Witness)
	}
	stop() // idempotent
}

// TestCheckpointerLogsOncePerChange: a witness that keeps failing is
// logged once, not at every tick, and its recovery once; the checkpoints
// are written meanwhile and the witness catches up.
func TestCheckpointerLogsOncePerChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "witness.log") // the directory is missing: every write fails
	var logs bytes.Buffer
	var mu sync.Mutex
	a := openTestApp(t, Settings{Witness: path, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	cp := &checkpointer{a: a}
	ctx := context.Background()
	for range 3 {
		appendN(t, a, 1)
		cp.tick(ctx)
	}
	rep := a.verifyWith(t, "")
	if !rep.OK() || rep.Unsigned != 0 {
		t.Fatalf("checkpoints must be written while the witness fails: %+v", rep)
	}
	if n := strings.Count(logs.String(), "not witnessed"); n != 1 {
		t.Fatalf("witness failure logged %d times, want once:\n%s", n, logs.String())
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	cp.tick(ctx)
	cp.tick(ctx)
	if n := strings.Count(logs.String(), "witnessed again"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.String())
	}
	if rep := a.verifyWith(t, path); !rep.OK() || rep.Witness.Size != 3 {
		t.Fatalf("after recovery: %+v %+v", rep, rep.Witness)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestURLWitness: with an https:// witness every checkpoint of a command's
// run is POSTed as a signed note; a witness that refuses does not fail the
// run (FinishRun) but is reported by Checkpoint.
func TestURLWitness(t *testing.T) {
	var mu sync.Mutex
	var notes [][]byte
	refuse := false
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		notes = append(notes, b)
	}))
	defer srv.Close()
	a := openTestApp(t, Settings{Witness: srv.URL, WitnessClient: srv.Client()})
	ctx := context.Background()
	appendN(t, a, 3)
	if err := a.FinishRun(ctx); err != nil {
		t.Fatal(err)
	}
	pub, id := a.Vault.AuditPublicKey()
	mu.Lock()
	if len(notes) != 1 {
		t.Fatalf("%d notes posted", len(notes))
	}
	w, err := audit.OpenCheckpointNote(notes[0], audit.Keyring{{KeyID: id, Key: pub}})
	refuse = true
	mu.Unlock()
	if err != nil || w.Size != 3 {
		t.Fatalf("posted note: %+v %v", w, err)
	}
	appendN(t, a, 1)
	if err := a.Checkpoint(ctx); err == nil {
		t.Fatal("Checkpoint with a refusing witness: no error")
	}
	if err := a.FinishRun(ctx); err != nil {
		t.Fatalf("FinishRun must not fail the run on a witness error: %v", err)
	}
	if rep := a.verifyWith(t, ""); !rep.OK() || rep.Unsigned != 0 {
		t.Fatalf("the checkpoint is stored even when not witnessed: %+v", rep)
	}
}
