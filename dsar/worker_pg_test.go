package dsar_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// riverChild is a worker process as `intercom-privacy worker` runs it: River on the
// database given, the privacy_request worker, EnqueuePending at start. It stops
// when every request named in the environment is finished, and prints how many
// jobs it completed.
func riverChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	master, err := vault.ParseMasterKey(os.Getenv(envCrashKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	owner := os.Getenv(envCrashOwner)
	a, err := app.Open(ctx, app.Settings{
		DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "worker", Config: apptest.Config(),
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI), Timeout: 5 * time.Second},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	a.Config.Erasure.DeleteConversations = true
	workers := river.NewWorkers()
	dsar.RegisterWorkersWith(workers, a.DSAR, dsar.RunOptions{Owner: owner, LeaseTTL: 5 * time.Second})
	q, err := jobs.Open(ctx, os.Getenv(envCrashDB), jobs.Options{Workers: workers, MaxWorkers: 3, ID: owner, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer q.Close()
	done, stop := q.Subscribe(river.EventKindJobCompleted)
	defer stop()
	if _, err := a.DSAR.EnqueuePending(ctx, q); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	if err := q.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	ids := strings.Split(os.Getenv(envCrashRequests), ",")
	worked := 0
	for {
		open := 0
		for _, id := range ids {
			r, err := a.DSAR.Get(ctx, id)
			if err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				return 3
			}
			if !dsar.Finished(r.State) {
				open++
			}
		}
		if open == 0 {
			break
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr, "child: timed out with", open, "requests open")
			return 4
		case <-done:
			worked++
		case <-time.After(50 * time.Millisecond):
		}
	}
	stopCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	_ = q.Stop(stopCtx)
	for len(done) > 0 {
		<-done
		worked++
	}
	fmt.Printf("worked %d\n", worked)
	return 0
}

// TestTwoWorkerProcessesOnPostgres runs two worker processes on one PostgreSQL
// database over the same requests: every request completes, every effect happens
// once, and every step is recorded once.
func TestTwoWorkerProcessesOnPostgres(t *testing.T) {
	b := storetest.RequirePostgres(t)
	w := newWorld(t, b.NewURL(t), sandbox.Options{Contacts: 20, RateLimit: -1, Seed: 5, Latency: 2 * time.Millisecond})
	var ids []string
	var people []sandbox.Person
	var caches []cached
	for i := 0; i < 8; i++ {
		p := w.h.sb.AddPerson(sandbox.PersonSpec{Users: 2, Leads: 1, Archived: 1, Merged: 1, Conversations: 3, Tickets: 2})
		people = append(people, p)
		caches = append(caches, seedCache(t, w.h, p))
		ids = append(ids, file(t, w.h, store.RequestErasure, personIdentifiers(p)).ID)
	}
	// River's tables exist before the workers start (as after `intercom-privacy
	// migrate`): two processes migrating an empty database at the same instant race
	// in River's migrator.
	q, err := jobs.Open(context.Background(), w.h.dbURL, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	var outs [2]bytes.Buffer
	var errs [2]bytes.Buffer
	var cmds [2]*os.Process
	waits := make(chan error, 2)
	for i := range 2 {
		cmd := w.command("river", fmt.Sprintf("pg-worker-%d", i+1), ids)
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd.Process
		go func() { waits <- cmd.Wait() }()
	}
	for range 2 {
		if err := <-waits; err != nil {
			t.Fatalf("worker process: %v\nworker 1: %s\nworker 2: %s", err, errs[0].String(), errs[1].String())
		}
	}
	t.Logf("worker 1: %s; worker 2: %s", strings.TrimSpace(outs[0].String()), strings.TrimSpace(outs[1].String()))
	ctx := context.Background()
	for i, id := range ids {
		r, err := w.h.app.DSAR.Get(ctx, id)
		if err != nil || r.State != store.StateCompleted {
			t.Fatalf("%s: %s %v", id, r.State, err)
		}
		checkErasureWorld(t, w, people[i], caches[i], id)
	}
	perRequest := map[string]map[string]int{}
	for rec, err := range w.h.app.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if perRequest[rec.RequestID] == nil {
			perRequest[rec.RequestID] = map[string]int{}
		}
		perRequest[rec.RequestID][rec.Action]++
	}
	for _, id := range ids {
		got := perRequest[id]
		for action, want := range map[audit.Action]int{
			audit.ActionRequestCompleted: 1, audit.ActionErasureLocalPurged: 1, audit.ActionErasureKeyDestroyed: 1,
			audit.ActionErasureSuppressed: 1, audit.ActionErasureVerified: 1, audit.ActionErasureIntercomDeleted: 3,
			audit.ActionRequestStep: 2, // work started, resolve
		} {
			if got[string(action)] != want {
				t.Errorf("%s: %s recorded %d times, want %d", id, action, got[string(action)], want)
			}
		}
	}
}
