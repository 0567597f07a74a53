package pii

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/internal/evalgen"
)

// TestFindingsDump writes every finding of the default engine, line by
// line, over the corpora the accuracy tests use (the issue-3 corpus, the
// independent chat and log corpora, the loghub samples) to the file named
// by PII_FINDINGS_DUMP. Two builds whose dumps are byte-identical find
// the same values: the check that a change made for speed changed no
// result (`cmp old.txt new.txt`; see docs/bench/pii.md).
func TestFindingsDump(t *testing.T) {
	path := os.Getenv("PII_FINDINGS_DUMP")
	if path == "" {
		t.Skip("set PII_FINDINGS_DUMP=file to write every finding over the test corpora")
	}
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w := bufio.NewWriter(fh)
	defer w.Flush()
	var fs []Finding
	dump := func(name string, texts []string) {
		for k, s := range texts {
			fs = e.Find([]byte(s), nil, fs[:0])
			for _, f := range fs {
				fmt.Fprintf(w, "%s %d %s %d %d %.2f %s %q\n", name, k, f.Type, f.Start, f.End, f.Confidence, f.Validator, s[f.Start:f.End])
			}
		}
	}
	var texts []string
	for _, s := range buildCorpus(20261128, 6000) {
		texts = append(texts, s.Text)
	}
	dump("issue3", texts)
	for _, c := range []struct {
		name    string
		samples []evalgen.Sample
	}{
		{"chat", evalgen.Chat(20261206, 8000)},
		{"logs", evalgen.Logs(20261207, 20000)},
		{"chat2", evalgen.Chat(2, 20000)},
		{"logs1", evalgen.Logs(1, 40000)},
	} {
		texts = texts[:0]
		for _, s := range c.samples {
			texts = append(texts, s.Text)
		}
		dump(c.name, texts)
	}
	real := realLogLines(t)
	names := make([]string, 0, len(real))
	for n := range real {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dump("loghub-"+n, real[n])
	}
}
