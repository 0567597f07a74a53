package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// TestAuditWitnessEndToEnd: an erasure run with --wait signs every record
// it writes and witnesses the checkpoints (before, the run wrote no
// checkpoint and most records were unsigned); audit verify --witness then
// catches a rollback the database alone cannot show, and says so without
// the witness.
func TestAuditWitnessEndToEnd(t *testing.T) {
	sb, dbURL := sandboxEnv(t, sandbox.Options{Contacts: 20, RateLimit: -1})
	witness := filepath.Join(t.TempDir(), "witness.log")
	t.Setenv(audit.EnvWitness, witness)
	type report struct {
		OK             bool  `json:"ok"`
		Records        int64 `json:"records"`
		LastSeq        int64 `json:"last_seq"`
		LastCheckpoint int64 `json:"last_checkpoint"`
		Unsigned       int64 `json:"unsigned"`
		WitnessedSize  int64 `json:"witnessed_size"`
		Witness        *struct {
			Checkpoints int   `json:"checkpoints"`
			Lag         int64 `json:"lag"`
		} `json:"witness"`
		Problems []audit.Break `json:"problems"`
	}
	verify := func(wantCheckpoints int) report {
		t.Helper()
		out, err := dsarCLI(t, "audit", "verify", "--json")
		if err != nil {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		var rep report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !rep.OK || rep.Records < 5 || rep.Unsigned != 0 || rep.WitnessedSize != rep.LastSeq || rep.Witness == nil ||
			rep.Witness.Checkpoints < wantCheckpoints || rep.Witness.Lag != 0 {
			t.Fatalf("after erase --wait with a witness, want every record signed and witnessed:\n%s", out)
		}
		return rep
	}
	if _, err := dsarCLI(t, "dsar", "erase", "--email", sb.SamplePerson().Email, "--wait", "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	first := verify(1)
	// A second process continues the witness file: every checkpoint its
	// run wrote is witnessed, each checked to extend the one before.
	if _, err := dsarCLI(t, "dsar", "erase", "--phone", "+44 20 7946 0000", "--wait", "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	rep := verify(3)

	// Roll the database back to its second witnessed checkpoint, as a table
	// owner could: triggers dropped, later records and checkpoints deleted,
	// the head moved back.
	st, err := store.Open(context.Background(), dbURL, store.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	var cps []audit.Checkpoint
	for cp, err := range st.Checkpoints(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	i := slices.IndexFunc(cps, func(c audit.Checkpoint) bool { return c.Seq == first.LastSeq })
	if i < 0 {
		t.Fatalf("no checkpoint at %d", first.LastSeq)
	}
	to := cps[i]
	exec := st.(interface {
		ExecRaw(context.Context, string, ...any) (int64, error)
	}).ExecRaw
	for _, q := range []string{
		`DROP TRIGGER audit_records_no_delete`, `DROP TRIGGER audit_checkpoints_no_delete`, `DROP TRIGGER audit_head_forward_only`,
	} {
		if _, err := exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	for q, args := range map[string][]any{
		`DELETE FROM audit_records WHERE seq > $1`:               {to.Seq},
		`DELETE FROM audit_checkpoints WHERE seq > $1`:           {to.Seq},
		`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`: {to.Seq, to.Hash},
	} {
		if _, err := exec(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	out, err := dsarCLI(t, "audit", "verify", "--witness", "")
	if err != nil || !strings.Contains(out, "audit chain OK") || !strings.Contains(out, "cannot detect") || !strings.Contains(out, "rolling the database back") {
		t.Fatalf("without the witness, want OK and the plain statement of what it cannot detect: %v\n%s", err, out)
	}
	out, err = dsarCLI(t, "audit", "verify")
	var broken brokenChainError
	if !errors.As(err, &broken) || broken.ExitCode() != int(exitAuditBroken) {
		t.Fatalf("with the witness: %v, want the broken-chain exit\n%s", err, out)
	}
	for _, want := range []string{"BROKEN", "truncated", "missing_checkpoint", "the witness holds a checkpoint of " + itoa(rep.LastSeq) + " records"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestAuditPruneCLI: a prune of records inside the retention is refused, a
// date before every checkpoint removes nothing, and --dry-run changes
// nothing.
func TestAuditPruneCLI(t *testing.T) {
	cliEnv(t)
	out, err := dsarCLI(t, "audit", "prune", "--before", "2026-01-01", "--dry-run")
	if !errors.Is(err, audit.ErrPruneTooYoung) {
		t.Fatalf("prune inside the retention: %v\n%s", err, out)
	}
	out, err = dsarCLI(t, "audit", "prune", "--before", "2012-01-01")
	if err != nil || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("prune before any record: %v\n%s", err, out)
	}
	if _, err := dsarCLI(t, "audit", "prune", "--before", "yesterday"); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("bad date: %v", err)
	}
	if _, err := dsarCLI(t, "audit", "prune"); err == nil || !strings.Contains(err.Error(), "--before") {
		t.Fatalf("no date: %v", err)
	}
}
