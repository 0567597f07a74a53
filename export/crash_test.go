package export_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The crash child: run one export and print each phase. At the
// EXPORT_CRASH_HALT_NTH report of phase EXPORT_CRASH_HALT_PHASE it prints "halted"
// and stops right there (the report is synchronous with the export's work) until
// the parent kills it: the kill lands at that exact point however slow or busy
// the machine is, never a little earlier or later.
func TestMain(m *testing.M) {
	if os.Getenv("EXPORT_CRASH_CHILD") == "1" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

func crashChild() int {
	ctx := context.Background()
	mk, err := vault.ParseMasterKey(os.Getenv("EXPORT_CRASH_KEY"))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	a, err := app.Open(ctx, app.Settings{DatabaseURL: os.Getenv("EXPORT_CRASH_DB"), MasterKey: mk, Actor: "worker",
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv("EXPORT_CRASH_TOKEN")), BaseURL: os.Getenv("EXPORT_CRASH_API"), Timeout: 5 * time.Second}})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	svc := &export.Service{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom, Actor: "worker", Lease: time.Second}
	since, _ := export.ParseDate(os.Getenv("EXPORT_CRASH_SINCE"))
	until, _ := export.ParseDate(os.Getenv("EXPORT_CRASH_UNTIL"))
	haltPhase := export.Phase(os.Getenv("EXPORT_CRASH_HALT_PHASE"))
	haltNth, _ := strconv.Atoi(os.Getenv("EXPORT_CRASH_HALT_NTH"))
	seen := 0
	_, err = svc.Run(ctx, export.Params{Since: since, Until: until, OutDir: os.Getenv("EXPORT_CRASH_OUT"), Keep: true,
		TempDir:      os.Getenv("EXPORT_CRASH_TMP"),
		PollInterval: 20 * time.Millisecond, Timeout: time.Minute,
		Progress: func(s export.Status) {
			fmt.Println("phase", s.Phase)
			if s.Phase == haltPhase {
				if seen++; seen == haltNth {
					fmt.Println("halted")
					select {} // until SIGKILL
				}
			}
		}})
	fmt.Println("end", err)
	return 0
}

// TestSIGKILL kills a process running an export (SIGKILL: no cleanup at all)
// while it polls and while it writes the files, and runs the export again: the
// same job is resumed, no second job is created, the files are whole, nothing is
// left half-written, and the audit chain verifies.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, tc := range []struct {
		name  string
		phase export.Phase
		nth   int // kill at the nth report of phase
	}{
		{"polling", export.PhaseWaiting, 1},
		{"download-started", export.PhaseDownloading, 1},
		// The second report comes after the file was written to the staging
		// directory and sealed, before the rename and the record.
		{"file-written", export.PhaseDownloading, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phase := tc.phase
			h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: 1500 * time.Millisecond})
			out := t.TempDir()
			p := h.params(out)
			p.Keep = true
			p.TempDir = t.TempDir()
			keyText := h.keyText
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "EXPORT_CRASH_CHILD=1", "EXPORT_CRASH_DB="+h.dbURL, "EXPORT_CRASH_KEY="+keyText,
				"EXPORT_CRASH_TOKEN="+h.sb.Token(), "EXPORT_CRASH_TMP="+p.TempDir, "EXPORT_CRASH_API="+h.srv.URL, "EXPORT_CRASH_OUT="+out,
				"EXPORT_CRASH_SINCE="+p.Since.UTC().Format(time.DateOnly), "EXPORT_CRASH_UNTIL="+p.Until.UTC().Format(time.DateOnly),
				"EXPORT_CRASH_HALT_PHASE="+string(phase), fmt.Sprint("EXPORT_CRASH_HALT_NTH=", tc.nth))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			killed := false
			for sc.Scan() {
				line := sc.Text()
				if line == "halted" { // the child waits at the phase for the kill
					cmd.Process.Kill()
					killed = true
					break
				}
				if strings.HasPrefix(line, "end") || strings.HasPrefix(line, "error") {
					t.Fatalf("child ended before the kill: %s", line)
				}
			}
			cmd.Wait()
			if !killed {
				t.Fatal("child never reached the phase")
			}
			if tc.name == "file-written" {
				// The kill left a staging directory behind.
				found := false
				for _, e := range entries(t, out) {
					found = found || strings.HasSuffix(e, ".partial")
				}
				if !found {
					t.Fatalf("no staging directory after the kill: %v", entries(t, out))
				}
			}
			res, err := h.service(h.open()).Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Resumed || res.Outcome != export.OutcomeDownloaded || h.created() != 1 {
				t.Fatalf("%+v, %d created", res, h.created())
			}
			checkDir(t, res)
			for _, e := range entries(t, out) {
				if strings.HasPrefix(filepath.Base(e), ".") {
					t.Fatalf("debris left: %s", e)
				}
			}
			if left := entries(t, p.TempDir); len(left) != 0 {
				t.Fatalf("sealed temporary files left: %v", left)
			}
			h.verifyAudit()
		})
	}
}
