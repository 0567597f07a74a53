package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func noteOf(t testing.TB, s *audittest.Signer, seq int64, hash byte) []byte {
	t.Helper()
	cp := audit.Checkpoint{Seq: seq, Hash: bytes.Repeat([]byte{hash}, 32), Time: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), KeyID: s.ID}
	n, err := audit.CheckpointNote(cp, s.NoteSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckpointNote: the note has the C2SP tlog-checkpoint shape, opens
// with the right key only, and any change to its text breaks it.
func TestCheckpointNote(t *testing.T) {
	s := audittest.NewSigner("n")
	n := noteOf(t, s, 42, 7)
	lines := strings.Split(string(n), "\n")
	if lines[0] != audit.NoteOrigin || lines[1] != "42" || lines[3] != "time 2026-12-06T10:00:00.000000Z" || lines[4] != "" ||
		!strings.HasPrefix(lines[5], "— "+s.ID+" ") {
		t.Fatalf("note:\n%s", n)
	}
	w, err := audit.OpenCheckpointNote(n, s.Keyring())
	if err != nil || w.Size != 42 || !bytes.Equal(w.Hash, bytes.Repeat([]byte{7}, 32)) || w.KeyID != s.ID {
		t.Fatalf("open: %+v %v", w, err)
	}
	if _, err := audit.OpenCheckpointNote(n, audittest.NewSigner("other").Keyring()); !errors.Is(err, audit.ErrNote) {
		t.Fatalf("other key: %v", err)
	}
	forged := bytes.Replace(n, []byte("\n42\n"), []byte("\n43\n"), 1)
	if _, err := audit.OpenCheckpointNote(forged, s.Keyring()); !errors.Is(err, audit.ErrNote) {
		t.Fatalf("edited note: %v", err)
	}
	// A key claiming the real id but another public key is unknown too.
	evil := audittest.NewSigner("evil")
	evil.ID = s.ID
	if _, err := audit.OpenCheckpointNote(noteOf(t, evil, 42, 7), s.Keyring()); !errors.Is(err, audit.ErrNote) {
		t.Fatalf("impostor key: %v", err)
	}
}

// TestWitnessLog: a file of notes reads back by size; duplicates collapse,
// two hashes for one size are a conflict, an unsigned note is an error
// naming its entry, and a cut-off last note is a torn tail.
func TestWitnessLog(t *testing.T) {
	s := audittest.NewSigner("n")
	var f bytes.Buffer
	for _, e := range []struct {
		seq  int64
		hash byte
	}{{10, 1}, {20, 2}, {20, 2}, {5, 9}} {
		f.Write(noteOf(t, s, e.seq, e.hash))
		f.WriteByte('\n')
	}
	l, err := audit.ReadWitnessLog(bytes.NewReader(f.Bytes()), s.Keyring())
	if err != nil || l.Entries != 4 || len(l.Checkpoints) != 3 || l.Checkpoints[0].Size != 5 || l.Checkpoints[2].Size != 20 || len(l.Conflicts) != 0 || l.TornTail {
		t.Fatalf("log %+v %v", l, err)
	}
	withConflict := append(bytes.Clone(f.Bytes()), append(noteOf(t, s, 20, 3), '\n')...)
	if l, err := audit.ReadWitnessLog(bytes.NewReader(withConflict), s.Keyring()); err != nil || len(l.Conflicts) != 1 || l.Conflicts[0].Size != 20 {
		t.Fatalf("conflict: %+v %v", l, err)
	}
	torn := append(bytes.Clone(f.Bytes()), noteOf(t, s, 30, 3)[:60]...)
	if l, err := audit.ReadWitnessLog(bytes.NewReader(torn), s.Keyring()); err != nil || !l.TornTail || len(l.Checkpoints) != 3 {
		t.Fatalf("torn: %+v %v", l, err)
	}
	noBlank := append(bytes.Clone(f.Bytes()), noteOf(t, s, 30, 3)...) // complete, last blank line missing
	if l, err := audit.ReadWitnessLog(bytes.NewReader(noBlank), s.Keyring()); err != nil || l.TornTail || len(l.Checkpoints) != 4 {
		t.Fatalf("complete last note: %+v %v", l, err)
	}
	bad := append(append(append([]byte{}, noteOf(t, audittest.NewSigner("x"), 3, 3)...), '\n'), f.Bytes()...)
	var le *audit.WitnessLogError
	if _, err := audit.ReadWitnessLog(bytes.NewReader(bad), s.Keyring()); !errors.As(err, &le) || le.Entry != 1 || le.Line != 1 {
		t.Fatalf("unsigned first entry: %v", err)
	}
}

// TestFileWitnessConcurrent: goroutines appending to one file (as several
// processes do, each with O_APPEND) never interleave notes.
func TestFileWitnessConcurrent(t *testing.T) {
	s := audittest.NewSigner("n")
	path := filepath.Join(t.TempDir(), "w.log")
	var wg sync.WaitGroup
	for g := range 4 {
		w := audit.NewFileWitness(path) // its own descriptor, like another process
		defer w.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if err := w.Add(context.Background(), noteOf(t, s, int64(g*100+i+1), byte(g))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	l, err := audit.ReadWitnessLog(fh, s.Keyring())
	if err != nil || l.Entries != 100 || len(l.Checkpoints) != 100 || l.TornTail {
		t.Fatalf("%d entries, %d checkpoints, torn %v: %v", l.Entries, len(l.Checkpoints), l.TornTail, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("witness file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestHTTPWitness: each checkpoint is POSTed over TLS; a non-2xx answer is
// an error; http:// is refused except to a loopback host (allowed only so
// tests and a local relay can use it).
func TestHTTPWitness(t *testing.T) {
	s := audittest.NewSigner("n")
	var mu sync.Mutex
	var got [][]byte
	fail := false
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got = append(got, b)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	w, err := audit.OpenWitness(srv.URL+"/add?token=secret", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.String(), "secret") {
		t.Fatalf("witness name shows the query: %s", w)
	}
	n := noteOf(t, s, 7, 1)
	if err := w.Add(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	ok := len(got) == 1 && bytes.Equal(got[0], n)
	fail = true
	mu.Unlock()
	if !ok {
		t.Fatal("the server did not receive the note")
	}
	if err := w.Add(context.Background(), n); !errors.Is(err, audit.ErrWitness) || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("503: %v", err)
	}
	// A redirect is not followed (it could lead to plain http).
	redir := httptest.NewTLSServer(http.RedirectHandler("http://witness.example.com/add", http.StatusFound))
	defer redir.Close()
	rw, err := audit.OpenWitness(redir.URL, redir.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Add(context.Background(), n); !errors.Is(err, audit.ErrWitness) || !strings.Contains(err.Error(), "302") {
		t.Fatalf("redirect: %v", err)
	}
	for _, u := range []string{"http://witness.example.com/add", "ftp://127.0.0.1/x", "https://"} {
		if _, err := audit.OpenWitness(u, nil); !errors.Is(err, audit.ErrWitness) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:9/x", "http://[::1]:9/x", "http://localhost:9/x"} {
		if _, err := audit.OpenWitness(u, nil); err != nil {
			t.Errorf("%s (loopback): %v", u, err)
		}
	}
}

// FuzzReadWitnessLog: any input reads without panicking, and whatever it
// accepts holds only notes the key signed.
func FuzzReadWitnessLog(f *testing.F) {
	s := audittest.NewSigner("n")
	good := append(noteOf(f, s, 10, 1), '\n')
	f.Add(good)
	f.Add(append(bytes.Clone(good), good[:50]...))
	f.Add([]byte("\n\n\n"))
	f.Add([]byte(audit.NoteOrigin + "\n1\nAAAA\n\n— x YWJj\n\n"))
	keys := s.Keyring()
	pub := s.Priv.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := audit.ReadWitnessLog(bytes.NewReader(b), keys)
		if err != nil {
			return
		}
		for _, c := range l.Checkpoints {
			if c.Size < 1 || len(c.Hash) != 32 || c.KeyID != s.ID || len(pub) == 0 {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

// TestFileWitnessLatestIncremental: Latest reads only what was appended
// since its last call, sees other writers' notes, and survives a torn tail
// completed later.
func TestFileWitnessLatestIncremental(t *testing.T) {
	s := audittest.NewSigner("n")
	keys := s.Keyring()
	path := filepath.Join(t.TempDir(), "w.log")
	a, b := audit.NewFileWitness(path), audit.NewFileWitness(path)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	if _, ok, err := a.Latest(ctx, keys); ok || err != nil {
		t.Fatalf("no file: %v %v", ok, err)
	}
	for i, w := range []*audit.FileWitness{a, b, a} {
		if err := w.Add(ctx, noteOf(t, s, int64(10*(i+1)), 1)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := a.Latest(ctx, keys)
		if err != nil || !ok || got.Size != int64(10*(i+1)) {
			t.Fatalf("after note %d: %+v %v %v", i, got, ok, err)
		}
	}
	// A write cut short, then the rest of it: the note counts once complete.
	n := append(noteOf(t, s, 40, 1), '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(n[:30])
	if got, _, err := a.Latest(ctx, keys); err != nil || got.Size != 30 {
		t.Fatalf("torn: %+v %v", got, err)
	}
	f.Write(n[30:])
	if got, _, err := a.Latest(ctx, keys); err != nil || got.Size != 40 {
		t.Fatalf("completed: %+v %v", got, err)
	}
}
