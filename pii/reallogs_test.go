package pii

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realLogLines reads the public log samples of testdata/loghub (2,000
// lines from each of 16 systems, from the loghub collection; licence in
// testdata/loghub/LICENSE): distributed storage, cloud controllers, a
// mobile OS, schedulers, web and SSH servers. They hold no phone
// numbers, cards, bank accounts or national ids: whatever the engine
// reports of those types there is a false hit on log structure.
func realLogLines(t testing.TB) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("testdata/loghub/*.log.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no log samples in testdata/loghub (%v)", err)
	}
	out := map[string][]string{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := strings.TrimSuffix(filepath.Base(f), "_2k.log.gz")
		for sc.Scan() {
			out[name] = append(out[name], sc.Text())
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	return out
}

// realLogAllowed are the types that do occur in the samples: client IP
// addresses (web and SSH servers), an e-mail address and URLs with
// credentials. Everything else is a false hit.
var realLogAllowed = map[Type]bool{TypeIPv4: true, TypeIPv6: true, TypeEmail: true, TypeURLSecret: true}

// realLogNames are the people the samples do name (the author of a Linux
// driver, in its banner).
var realLogNames = map[string]bool{"Dave Jones": true}

// TestRealLogsNoFalseHits runs the engine over the 32,000 real log lines
// and fails on any finding of a type the samples do not hold: no
// timestamp, counter, pid, block id or decimal may be taken for a phone,
// card or id.
func TestRealLogsNoFalseHits(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := realLogLines(t)
	total, lines := 0, 0
	for name, ls := range logs {
		bad := 0
		for _, l := range ls {
			lines++
			for _, f := range e.FindString(l, nil) {
				if realLogAllowed[f.Type] || f.Type == TypePerson && realLogNames[l[f.Start:f.End]] {
					continue
				}
				bad++
				if bad <= 5 {
					t.Errorf("%s: %s %q in %q", name, f.Type, l[f.Start:f.End], l)
				}
			}
		}
		total += bad
		if bad > 5 {
			t.Errorf("%s: %d false hits in all", name, bad)
		}
	}
	t.Logf("%d lines of %d systems, %d false hits", lines, len(logs), total)
}
