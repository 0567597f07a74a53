package dsar_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// switchable serves the sandbox, or a fault while a switch is on: 401 (the token
// revoked) or 503 (an outage).
type switchable struct {
	next          http.Handler
	revoked, down atomic.Bool
	// forbidDeleteConversations answers 403 to DELETE /conversations/{id} (a token
	// without the delete_conversations_and_metrics scope).
	forbidDeleteConversations atomic.Bool
	// stripTicketIDs removes the id of every ticket a ticket search answers.
	stripTicketIDs atomic.Bool
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case s.revoked.Load():
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"error.list","request_id":"t","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}`))
	case s.forbidDeleteConversations.Load() && r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/conversations/"):
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"type":"error.list","request_id":"t","errors":[{"code":"api_plan_restricted","message":"Missing scope"}]}`))
	case s.down.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type":"error.list","request_id":"t","errors":[{"code":"service_unavailable","message":"Service Unavailable"}]}`))
	case s.stripTicketIDs.Load() && r.Method == http.MethodPost && r.URL.Path == "/tickets/search":
		rec := httptest.NewRecorder()
		s.next.ServeHTTP(rec, r)
		var l map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			panic(err)
		}
		tickets, _ := l["tickets"].([]any)
		for _, t := range tickets {
			delete(t.(map[string]any), "id")
		}
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(l)
	default:
		s.next.ServeHTTP(w, r)
	}
}

// TestTicketWithoutIDStopsErasure: a ticket search answering a ticket without an
// id fails the delete-tickets step with intercom.ErrBadIdentifier (after the
// client's retries; the worker then cancels the job rather than retrying it), and
// no DELETE is sent.
func TestTicketWithoutIDStopsErasure(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	sw, a := openSwitchable(t, h)
	sw.stripTicketIDs.Store(true)
	r := file(t, h, store.RequestErasure, personIdentifiers(h.sb.SamplePerson()))
	err := a.DSAR.Run(context.Background(), r.ID)
	if !errors.Is(err, intercom.ErrBadIdentifier) || !strings.Contains(err.Error(), "ticket.id") {
		t.Fatalf("run: %v", err)
	}
	if n := h.sb.Stats().Endpoints["DELETE /tickets/{id}"].Calls; n != 0 {
		t.Errorf("%d ticket DELETEs sent", n)
	}
	steps, err := a.Store.Steps(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.Name == dsar.StepDeleteTickets && st.State == store.StepDone {
			t.Errorf("delete-tickets step recorded done: %+v", st)
		}
	}
}

// openSwitchable serves the harness's sandbox behind a switchable and opens an App
// on the harness's store whose Intercom client talks to it, with few retries so
// that tests of outages stay short.
func openSwitchable(t *testing.T, h *harness) (*switchable, *app.App) {
	t.Helper()
	sw := &switchable{next: h.sb.Handler()}
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	a, err := app.Open(context.Background(), app.Settings{
		DatabaseURL: h.dbURL, MasterKey: h.master, InitKeys: true, Actor: "test",
		Intercom: intercom.Config{Token: intercom.Token(h.sb.Token()), BaseURL: srv.URL, Timeout: 5 * time.Second, MaxRetries: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return sw, a
}

// runUntilDone runs a request again and again, as River would after each failed
// attempt, and fails the test after max attempts.
func runUntilDone(t *testing.T, s *dsar.Service, id string, max int) int {
	t.Helper()
	for i := 1; i <= max; i++ {
		err := s.Run(context.Background(), id)
		if err == nil {
			return i
		}
		if strings.Contains(strings.ToLower(err.Error()), "@") {
			t.Errorf("error carries something like an email: %v", err)
		}
	}
	t.Fatalf("request %s not done after %d attempts", id, max)
	return 0
}

func TestErasureUnderFaults(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{
		ErrorRate: 0.08, DropRate: 0.08, Burst429: sandbox.Burst{Every: 15, Length: 2}, RateLimit: 500, Window: time.Second,
		Seed: 7,
	})
	h.app.Config.Erasure.DeleteConversations = true
	p := h.sb.SamplePerson()
	c := seedCache(t, h, p)
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	n := runUntilDone(t, h.app.DSAR, r.ID, 50)
	t.Logf("completed after %d attempts; sandbox: %d dropped, %d 5xx, %d 429", n,
		h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Dropped }),
		h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.ServerErrors }),
		h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.RateLimited }))
	checkErased(t, h, p, c)
	for _, id := range p.LiveContactIDs {
		if got := h.sb.Stats().Effect(sandbox.EffectContactDeleted, id); got != 1 {
			t.Errorf("contact %s deleted %d times", id, got)
		}
	}
}

func TestOutageMarksNothingDone(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	sw, a := openSwitchable(t, h)
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	sw.down.Store(true)
	for range 3 {
		err := a.DSAR.Run(ctx, r.ID)
		if !errors.Is(err, intercom.ErrServer) {
			t.Fatalf("run during an outage: %v", err)
		}
	}
	steps, err := a.Store.Steps(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if !strings.HasPrefix(s.Name, "_") && s.State == store.StepDone {
			t.Errorf("step %s marked done during an outage", s.Name)
		}
	}
	cur, _ := a.DSAR.Get(ctx, r.ID)
	if cur.State != store.StateInProgress {
		t.Errorf("state during an outage: %s", cur.State)
	}
	sw.down.Store(false)
	if err := a.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	checkErased(t, h, p, cached{})
}

func TestRevokedTokenPausesAndResumes(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	// The token is revoked after the resolve step: every request from then on is
	// refused until it is restored.
	sw, a := openSwitchable(t, h)
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	var runs atomic.Int32
	err := a.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepResolve && pr.State == "done" {
			sw.revoked.Store(true)
		}
		runs.Add(1)
	}})
	var paused *dsar.PausedError
	if !errors.As(err, &paused) || paused.Reason != dsar.PauseUnauthorized || !errors.Is(err, intercom.ErrUnauthorized) {
		t.Fatalf("run with a revoked token: %v", err)
	}
	// Retries while revoked record nothing more.
	for range 3 {
		if err := a.DSAR.Run(ctx, r.ID); !errors.As(err, &paused) {
			t.Fatalf("retry while revoked: %v", err)
		}
	}
	sw.revoked.Store(false)
	if err := a.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	var pausedN, resumedN int
	for rec, err := range a.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		switch audit.Action(rec.Action) {
		case audit.ActionRequestPaused:
			pausedN++
			if !strings.Contains(string(rec.Body), dsar.PauseUnauthorized) {
				t.Error("pause record without its reason")
			}
		case audit.ActionRequestResumed:
			resumedN++
		}
	}
	if pausedN != 1 || resumedN != 1 {
		t.Errorf("paused recorded %d times, resumed %d times; want 1 and 1", pausedN, resumedN)
	}
	checkErased(t, h, p, cached{})
}

func TestLeaseKeepsSecondRunnerOut(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	second := h.open("worker-2")
	var inner error
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w1", Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteContacts && pr.State == "started" && inner == nil {
			inner = second.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w2"})
			if inner == nil {
				inner = errors.New("second runner ran")
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, dsar.ErrLeaseHeld) {
		t.Fatalf("second runner while the first holds the lease: %v", inner)
	}
	checkErased(t, h, p, cached{})
}

func TestExpiredLeaseIsTakenOverAndOldRunnerStops(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	now := time.Now()
	clock := func() time.Time { return now }
	h.app.DSAR.Now = clock
	second := h.open("worker-2")
	var inner error
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w1", LeaseTTL: time.Hour, Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteTickets && pr.State == "started" && inner == nil {
			// w1 stalls past its lease; w2 takes over and finishes the request.
			second.DSAR.Now = func() time.Time { return now.Add(2 * time.Hour) }
			inner = second.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w2"})
			if inner == nil {
				inner = errors.New("ok")
			}
		}
	}})
	if inner == nil || inner.Error() != "ok" {
		t.Fatalf("takeover run: %v", inner)
	}
	if !errors.Is(err, dsar.ErrLeaseLost) {
		t.Fatalf("the stalled runner after a takeover: %v, want ErrLeaseLost", err)
	}
	checkErased(t, h, p, cached{})
	cur, _ := h.app.DSAR.Get(ctx, r.ID)
	if cur.State != store.StateCompleted {
		t.Fatalf("state %s", cur.State)
	}
}

func TestHeartbeatKeepsLeaseDuringLongRun(t *testing.T) {
	// Both runners read one clock, stopped while the first runner is held
	// in its run; the test moves it on two lease lifetimes. Only the first
	// runner's heartbeat, renewing the lease at the new time, keeps the
	// second out.
	const ttl = 300 * time.Millisecond
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	t0 := time.Now().UTC()
	var offset atomic.Int64
	clock := func() time.Time { return t0.Add(time.Duration(offset.Load())) }
	h.app.DSAR.Now = clock
	second := h.open("worker-2")
	second.DSAR.Now = clock
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	held, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w1", LeaseTTL: ttl, Progress: func(dsar.Progress) {
			once.Do(func() { close(held); <-hold })
		}})
	}()
	<-held
	moved := clock().Add(2 * ttl)
	offset.Store(int64(2 * ttl))
	testwait.Until(t, "the heartbeat to renew the lease at the moved clock", func() bool {
		return !leaseUntil(t, h, r.ID).Before(moved.Add(ttl))
	})
	if err := second.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Owner: "w2", LeaseTTL: ttl}); !errors.Is(err, dsar.ErrLeaseHeld) {
		t.Fatalf("the second runner, two lease lifetimes into the first's run: %v, want ErrLeaseHeld", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkErased(t, h, p, cached{})
}

// leaseUntil reads when the request's lease ends.
func leaseUntil(t *testing.T, h *harness, id string) time.Time {
	t.Helper()
	steps, err := h.app.Store.Steps(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.Name == "_lease" {
			var d struct {
				Until time.Time `json:"until"`
			}
			if err := json.Unmarshal(st.Detail, &d); err != nil {
				t.Fatal(err)
			}
			return d.Until
		}
	}
	return time.Time{}
}

func TestDenyWhileRunningStopsTheRun(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteTickets && pr.State == "done" {
			if _, err := h.app.DSAR.Deny(ctx, r.ID, "GDPR Art. 17(3)(e) legal claims"); err != nil {
				t.Error(err)
			}
		}
	}})
	if err != nil {
		t.Fatalf("run after a denial: %v", err)
	}
	cur, _ := h.app.DSAR.Get(ctx, r.ID)
	if cur.State != store.StateDenied {
		t.Fatalf("state %s", cur.State)
	}
	for _, id := range p.LiveContactIDs {
		if n := h.sb.Stats().Effect(sandbox.EffectContactDeleted, id); n != 0 {
			t.Errorf("contact %s deleted after the request was denied", id)
		}
	}
	checkAudit(t, h, p)
}

func TestMissingScopePausesAndResumes(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	sw, a := openSwitchable(t, h)
	sw.forbidDeleteConversations.Store(true)
	a.Config.Erasure.DeleteConversations = true
	a.Config.Erasure.RetainMetrics = false
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	err := a.DSAR.Run(ctx, r.ID)
	var paused *dsar.PausedError
	if !errors.As(err, &paused) || paused.Reason != dsar.PauseForbidden || !strings.Contains(err.Error(), "scope") {
		t.Fatalf("run without the scope: %v", err)
	}
	for _, id := range p.LiveContactIDs {
		if n := h.sb.Stats().Effect(sandbox.EffectContactDeleted, id); n != 0 {
			t.Fatalf("contact %s deleted while conversation deletion was refused", id)
		}
	}
	sw.forbidDeleteConversations.Store(false)
	if err := a.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	checkErased(t, h, p, cached{})
}

// TestPauseReasonChangeRecorded: a paused request whose cause changes (the token
// replaced by one Intercom accepts but that lacks a scope) is reported with the new
// reason: Paused (which the worker's start summary, `dsar show` and `--wait` read)
// names it with its fix, and a request.paused record marks each cause once
// (issue #10: the reason is reported once per change, never a stale one).
func TestPauseReasonChangeRecorded(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	sw, a := openSwitchable(t, h)
	a.Config.Erasure.DeleteConversations = true
	a.Config.Erasure.RetainMetrics = false
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	var paused *dsar.PausedError
	err := a.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepResolve && pr.State == "done" {
			sw.revoked.Store(true)
		}
	}})
	if !errors.As(err, &paused) || paused.Reason != dsar.PauseUnauthorized {
		t.Fatalf("run with a revoked token: %v", err)
	}
	// A new token: accepted, but without the scope to delete conversations.
	sw.revoked.Store(false)
	sw.forbidDeleteConversations.Store(true)
	for range 2 {
		if err := a.DSAR.Run(ctx, r.ID); !errors.As(err, &paused) || paused.Reason != dsar.PauseForbidden {
			t.Fatalf("run without the scope: %v", err)
		}
	}
	pz, ok, err := a.DSAR.Paused(ctx, r.ID)
	if err != nil || !ok || pz.Reason != dsar.PauseForbidden || !strings.Contains(pz.Fix(), "scope") {
		t.Fatalf("Paused after the cause changed: %+v %v %v, want %s", pz, ok, err, dsar.PauseForbidden)
	}
	var reasons []string
	for rec, err := range a.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if audit.Action(rec.Action) == audit.ActionRequestPaused {
			for _, reason := range []string{dsar.PauseUnauthorized, dsar.PauseForbidden} {
				if strings.Contains(string(rec.Body), reason) {
					reasons = append(reasons, reason)
				}
			}
		}
	}
	if len(reasons) != 2 || reasons[0] != dsar.PauseUnauthorized || reasons[1] != dsar.PauseForbidden {
		t.Fatalf("request.paused records %q, want one per cause: %s then %s", reasons, dsar.PauseUnauthorized, dsar.PauseForbidden)
	}
	sw.forbidDeleteConversations.Store(false)
	if err := a.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.DSAR.Paused(ctx, r.ID); ok {
		t.Fatal("still paused after both causes were fixed")
	}
}
