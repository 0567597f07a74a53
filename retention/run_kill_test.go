package retention

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Environment of the kill test's child process.
const (
	envKillURL    = "RETENTION_KILL_CHILD_URL"
	envKillMaster = "RETENTION_KILL_CHILD_MASTER"
)

// TestSIGKILLedRunIsFinishedByTheNext runs a retention run in a child
// process (this test binary), kills it with SIGKILL between and during
// delete batches, and checks that the next run marks it interrupted, deletes
// exactly what it left, and that the audit trail shows both runs and
// verifies.
func TestSIGKILLedRunIsFinishedByTheNext(t *testing.T) {
	if u := os.Getenv(envKillURL); u != "" {
		killChild(t, u, os.Getenv(envKillMaster))
		return
	}
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			text, err := vault.GenerateMasterKey()
			must(t, err)
			master, err := vault.ParseMasterKey(text)
			must(t, err)
			url := b.NewURL(t)
			a := openApp(t, url, master)
			const n = 400
			storetestBulkContacts(t, a.Store, b.Name, "x", n, now.AddDate(0, 0, -40))
			storetestBulkContacts(t, a.Store, b.Name, "y", n, now.AddDate(0, 0, -1))

			cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLedRunIsFinishedByTheNext$", "-test.count=1")
			cmd.Env = append(os.Environ(), envKillURL+"="+url, envKillMaster+"="+text)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			must(t, err)
			must(t, cmd.Start())
			deadline := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
			defer deadline.Stop()
			batches := 0
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "batch "); ok {
					batches, _ = strconv.Atoi(v)
					if batches == 5 {
						// The child holds its run open here, its row
						// still "running", until the kill.
						must(t, cmd.Process.Signal(syscall.SIGKILL))
						break
					}
				}
			}
			_ = cmd.Wait()
			if batches != 5 {
				t.Fatalf("the child stopped after %d batches", batches)
			}
			left, err := a.Store.CountExpired(bg, store.CategoryContactCache, now.AddDate(0, 0, -30))
			must(t, err)
			if left == 0 || left > n-5*20 {
				t.Fatalf("%d expired rows left after 5 batches of 20", left)
			}
			r := runnerFor(a)
			r.StaleAfter = 300 * time.Millisecond
			// Ten minutes later by the next runner's clock, the dead run's
			// last heartbeat is stale.
			r.Clock = func() time.Time { return time.Now().Add(10 * time.Minute) }
			res, err := r.Run(bg, Default(), RunOptions{Now: now, BatchSize: 20})
			must(t, err)
			if len(res.Interrupted) != 1 || counts(res)[ContactCache] != left {
				t.Fatalf("second run: interrupted %v, deleted %d of %d left", res.Interrupted, counts(res)[ContactCache], left)
			}
			remaining, err := a.Store.CountExpired(bg, store.CategoryContactCache, now.Add(time.Hour))
			must(t, err)
			if remaining != n {
				t.Fatalf("%d contacts remain, want the %d fresh ones", remaining, n)
			}
			var states []string
			for _, rec := range auditRecords(t, a.Store) {
				if rec.Action == audit.ActionRetentionRun {
					states = append(states, rec.ObjectIDs[0]+" "+strings.Fields(rec.Reason)[0])
				}
			}
			want := fmt.Sprintf("%s started|%s interrupted:|%s started|%s finished", res.Interrupted[0], res.Interrupted[0], res.RunID, res.RunID)
			if strings.Join(states, "|") != want {
				t.Fatalf("run records %v, want %s", states, want)
			}
			verifyChain(t, a)
		})
	}
}

// killChild announces each batch and stops after the fifth, its run still
// open, until it is killed.
func killChild(t *testing.T, url, masterText string) {
	master, err := vault.ParseMasterKey(masterText)
	must(t, err)
	a := openApp(t, url, master)
	r := runnerFor(a)
	r.StaleAfter = 300 * time.Millisecond
	r.afterBatch = func(_ store.Category, batch int) error {
		fmt.Printf("batch %d\n", batch)
		if batch == 5 {
			select {} // until SIGKILL
		}
		return nil
	}
	_, err = r.Run(bg, Default(), RunOptions{Now: now, BatchSize: 20, Pause: -1})
	t.Fatalf("the child run ended before it was killed: %v", err)
}
