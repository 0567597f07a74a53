package main

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsRequestsCommand: requests filed and denied last year appear in
// the year's report in each format; a bad year or format is a usage error.
func TestMetricsRequestsCommand(t *testing.T) {
	cliEnv(t)
	year := time.Now().Year() - 1
	received := strconv.Itoa(year) + "-03-01"
	out, err := dsarCLI(t, "dsar", "access", "--external-id", "u-77", "--jurisdiction", "ccpa", "--received-at", received, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ ID string }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if _, err := dsarCLI(t, "dsar", "deny", r.ID, "--reason", "identity not verified"); err != nil {
		t.Fatal(err)
	}
	out, err = dsarCLI(t, "metrics", "requests", "--year", strconv.Itoa(year), "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != "access" || recs[1][2] != "ccpa" || recs[1][3] != "1" || recs[1][5] != "1" ||
		recs[1][6] != "identity not verified: 1" {
		t.Fatalf("csv %v %v", recs, err)
	}
	if out, err := dsarCLI(t, "metrics", "requests", "--year", strconv.Itoa(year)); err != nil || !strings.Contains(out, "| access | ccpa | 1 | 0 | 1 |") {
		t.Fatalf("markdown: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--year", "1999"}, {"--year", strconv.Itoa(year + 2)}, {"--format", "pdf"}} {
		if _, err := dsarCLI(t, append([]string{"metrics", "requests"}, args...)...); err == nil || exitCodeOf(err, false) != exitUsage {
			t.Errorf("%v: %v", args, err)
		}
	}
}
