package scan_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestOver500Parts: Intercom returns the 500 most recent parts; the report says
// how many older parts could not be scanned.
func TestOver500Parts(t *testing.T) {
	w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 3, Seed: 2}})
	w.Sandbox.AddPerson(sandbox.PersonSpec{Name: "Long Thread", Email: "long.thread@example.org", Conversations: 1, PartsPerConversation: 620})
	a := w.Open("cli")
	res, err := scanner(a).Run(bg, scan.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated != 1 {
		t.Fatalf("truncated conversations: %d, want 1", res.Truncated)
	}
	rep, err := scan.BuildReport(bg, a.Store, scan.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Coverage.Truncated != 1 || rep.Coverage.PartsNotScanned != 120 {
		t.Fatalf("coverage %+v, want 1 conversation with 120 parts not scanned", rep.Coverage)
	}
	if !strings.Contains(strings.Join(rep.Notices, " "), "120 older part(s) could not be scanned") {
		t.Fatalf("notices: %q", rep.Notices)
	}
}

// TestIntercomFailingForMinutes: 5xx, bursts of 429 and dropped connections
// (before and after the effect) on every kind of request: the scan accounts for
// every conversation (a failure is retried by the next run, never skipped
// silently) and every card part is redacted exactly once.
func TestIntercomFailingForMinutes(t *testing.T) {
	if testing.Short() {
		t.Skip("the client's backoff makes this test take about a minute")
	}
	w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 25, Seed: 5,
		ErrorRate: 0.2, DropRate: 0.05, Burst429: sandbox.Burst{Every: 25, Length: 2}, Window: time.Second}, Timeout: 2 * time.Second})
	a := w.Open("cli")
	want := cardParts(w.Sandbox)
	total := int64(len(w.Sandbox.Workspace().Conversations()))
	var runs []store.ScanRun
	for i := 0; i < 20; i++ {
		res, err := scanner(a).Run(bg, scan.ScanOptions{Types: []pii.Type{pii.TypeCard}})
		if err != nil {
			continue // resumable: the next call resumes the run
		}
		runs = append(runs, res.Run)
		r := res.Run
		if r.Scanned+r.Unchanged+r.Failed != r.Total {
			t.Fatalf("run %+v does not account for every conversation", r)
		}
		if r.Failed == 0 {
			break
		}
	}
	if len(runs) == 0 || runs[len(runs)-1].Failed != 0 {
		t.Fatalf("runs never scanned everything: %+v", runs)
	}
	cov, err := scans(t, a).ScanCoverage(bg)
	if err != nil || cov.Conversations != total || cov.Failed != 0 {
		t.Fatalf("coverage %+v, want %d conversations, none failed", cov, total)
	}
	r := redactor(a)
	r.RetryFor, r.Backoff = time.Minute, time.Millisecond
	for i := 0; ; i++ {
		_, err := r.Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
		if err == nil {
			break
		}
		if i > 10 {
			t.Fatal(err)
		}
	}
	st := w.Sandbox.Stats()
	for k := range want {
		conv, part, _ := strings.Cut(k, "/")
		if n := st.Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + st.Effect(sandbox.EffectPartRedacted, conv+"/source:"+part); n != 1 {
			t.Errorf("%s redacted %d times", k, n)
		}
	}
	if left := cardParts(w.Sandbox); len(left) != 0 {
		t.Fatalf("%d card parts left", len(left))
	}
}

// TestResumeAfterStop: a run stopped part way stays open; the next Run resumes
// it and fetches only what the first did not scan.
func TestResumeAfterStop(t *testing.T) {
	var gets atomic.Int64
	w := apptest.New(t, storetest.SQLite(), apptest.Options{Sandbox: sandbox.Options{Contacts: 40, Seed: 7},
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/conversations/") {
					gets.Add(1)
				}
				h.ServeHTTP(rw, r)
			})
		}})
	a := w.Open("cli")
	total := int64(len(w.Sandbox.Workspace().Conversations()))
	s := scanner(a)
	s.Parallelism = 2
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	_, err := s.Run(ctx, scan.ScanOptions{Progress: func(p scan.Progress) {
		if p.Done >= total/2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	open, err := scans(t, a).LatestScanRun(bg, store.ScanRunning)
	if err != nil {
		t.Fatalf("the stopped run is not open: %v", err)
	}
	res, err := s.Run(bg, scan.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Run.ID != open.ID || res.Run.State != store.ScanDone {
		t.Fatalf("second run %+v (resumed %v), want run %s resumed and done", res.Run, res.Resumed, open.ID)
	}
	if res.Run.Scanned != total || res.Run.Unchanged != 0 || res.Run.Failed != 0 || res.Run.Total != total {
		t.Fatalf("resumed run %+v: want %d scanned in all, each counted once", res.Run, total)
	}
	// At most the conversations in flight when the run stopped are fetched twice.
	if n := gets.Load(); n > total+int64(s.Parallelism) {
		t.Fatalf("%d conversation fetches for %d conversations", n, total)
	}
}
