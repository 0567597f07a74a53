package redactstream

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/internal/evalgen"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// TestInstructionCount runs one of three workloads on 1 MiB of the
// independent log corpus, chosen by REDACT_INSTR: "none" (build the corpus
// and the filter only), "engine" (pii.Engine.Find line by line) or "e2e"
// (`redact --format text` with one worker). Run under valgrind, it counts
// instructions and (simulated) mispredicted branches: the difference
// between a workload and "none" is its cost, which, unlike CPU time, does
// not depend on what else runs on the machine:
//
//	go test -c -o /tmp/rs.test ./redactstream
//	REDACT_INSTR=e2e GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1 \
//	    valgrind --tool=callgrind --branch-sim=yes --callgrind-out-file=/dev/null \
//	    /tmp/rs.test -test.run TestInstructionCount
//
// (the "Collected" line gives Ir and the mispredicted branches Bcm);
// REDACT_INSTR_CORPUS=loghub runs it on 1 MiB of the real log samples
// (loghubCorpus) instead; see docs/bench/pii.md.
func TestInstructionCount(t *testing.T) {
	mode := os.Getenv("REDACT_INSTR")
	if mode == "" {
		t.Skip("set REDACT_INSTR=none|engine|e2e and run under valgrind (see the comment)")
	}
	f, err := newFilter(Options{Format: FormatText, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	data := evalCorpus(evalgen.Logs(1, 4000), 1<<20)
	if os.Getenv("REDACT_INSTR_CORPUS") == "loghub" {
		data = loghubCorpus(t, 1<<20) // the real log samples instead
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fs := make([]pii.Finding, 0, 64)
	// Warm up both paths (lexicons, libphonenumber metadata, pools) in
	// every mode, so that "none" holds the one-time costs.
	for _, l := range lines[:200] {
		fs = f.engine.Find(l, nil, fs[:0])
	}
	if _, err := f.run(context.Background(), bytes.NewReader(data[:64<<10]), io.Discard); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "engine":
		for _, l := range lines {
			fs = f.engine.Find(l, nil, fs[:0])
		}
	case "e2e":
		if _, err := f.run(context.Background(), bytes.NewReader(data), io.Discard); err != nil {
			t.Fatal(err)
		}
	case "none":
	default:
		t.Fatalf("REDACT_INSTR=%q: want none, engine or e2e", mode)
	}
}
