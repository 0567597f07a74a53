package scan_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

const (
	envNoteChild = "SCAN_NOTE_CHILD"
	envNoteAdmin = "SCAN_NOTE_ADMIN"
)

// noteChild is serve's continuous mode in redact+note: it works the
// redactions the parent accepted until it is killed.
func noteChild() int {
	ctx := context.Background()
	a, err := openChild(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
	if err != nil {
		return 3
	}
	m := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedactNote,
		NoteAdminID: os.Getenv(envNoteAdmin), SweepInterval: 20 * time.Millisecond,
		Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Backoff: 10 * time.Millisecond,
			Lease: scan.LeaseOptions{Holder: "note-worker"}}}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// The internal note of redact+note is posted exactly once when the process
// is SIGKILLed at the note's request, before Intercom acts on it and after
// (Intercom posted it, the process never heard): the restarted process looks
// for the note in the conversation and posts it only when it is not there.
func TestCrashNote(t *testing.T) {
	if testing.Short() {
		t.Skip("child processes skipped in -short mode")
	}
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("after_effect=%v", after), func(t *testing.T) {
			var killNotes atomic.Bool
			killNotes.Store(true)
			var mu sync.Mutex
			var child *exec.Cmd
			var killed atomic.Bool
			var sb http.Handler
			wrap := func(h http.Handler) http.Handler {
				sb = h
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/reply") || !killNotes.Load() {
						h.ServeHTTP(w, r)
						return
					}
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					if !strings.Contains(string(body), `"note"`) {
						h.ServeHTTP(w, r)
						return
					}
					if after {
						sb.ServeHTTP(discard{}, r) // Intercom posts the note; the process never hears
					}
					mu.Lock()
					if child != nil && !killed.Swap(true) {
						_ = child.Process.Kill()
					}
					mu.Unlock()
					if hj, ok := w.(http.Hijacker); ok {
						if c, _, err := hj.Hijack(); err == nil {
							c.Close()
						}
					}
				})
			}
			w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 10, Seed: 5}, Wrap: wrap})
			a := w.Open("webhook")
			admin := w.Sandbox.Workspace().Admins()[0].ID
			var conv, part string
			for k := range cardParts(w.Sandbox) {
				conv, part, _ = strings.Cut(k, "/")
				break
			}
			if conv == "" {
				t.Fatal("no card part")
			}
			engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
			if err != nil {
				t.Fatal(err)
			}
			accept := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook", Engine: engine, Mode: scan.ModeRedactNote,
				NoteAdminID: admin, Redactor: &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "webhook",
					Lease: scan.LeaseOptions{Holder: "note-worker"}}} // the worker that accepted it, restarted
			n, err := webhook.Parse(notification(t, a, "n1", conv, part))
			if err != nil {
				t.Fatal(err)
			}
			if dup, err := accept.Accept(bg, n); err != nil || dup {
				t.Fatalf("accept: %v %v", dup, err)
			}
			start := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), envNoteChild+"=run", envCrashDB+"="+w.DatabaseURL, envCrashKey+"="+w.MasterKeyText,
					envCrashAPI+"="+w.Server.URL, envCrashToken+"="+w.Sandbox.Token(), envNoteAdmin+"="+admin)
				mu.Lock()
				defer mu.Unlock()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				child = cmd
				return cmd
			}
			_ = start().Wait()
			if !killed.Load() {
				t.Fatal("the child was not killed at the note")
			}
			sc := scans(t, a)
			if x, _ := sc.GetRedaction(bg, conv, part); x.State != store.RedactionDone || x.NoteState != "intended" {
				t.Fatalf("after the kill: %+v", x)
			}
			// The restarted process settles the note.
			killNotes.Store(false)
			cmd := start()
			testwait.Until(t, "the note settled", func() bool {
				x, err := sc.GetRedaction(bg, conv, part)
				return err == nil && x.NoteState == "posted"
			})
			_ = cmd.Process.Kill()
			_ = cmd.Wait()

			c, err := a.Intercom.GetConversation(bg, conv, intercom.GetConversationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			notes := 0
			for _, p := range c.ConversationParts.ConversationParts {
				if p.PartType == "note" && strings.Contains(p.Body, "redaction of part "+part+".") {
					notes++
				}
			}
			if notes != 1 {
				t.Fatalf("%d notes for the redaction of part %s, want exactly 1", notes, part)
			}
			if n := w.Sandbox.Stats().Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + w.Sandbox.Stats().Effect(sandbox.EffectPartRedacted, conv+"/source:"+part); n != 1 {
				t.Fatalf("part redacted %d times", n)
			}
			if rep, err := a.VerifyAudit(bg); err != nil || !rep.OK() {
				t.Fatalf("audit: %+v %v", rep, err)
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// openChild opens the application a child process works with.
func openChild(ctx context.Context) (*app.App, error) {
	master, err := vaultKey()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, app.Settings{DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "webhook",
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI), Timeout: 5 * time.Second, MaxRetries: 1}})
}
