package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSandboxFixtures: a fixtures file that does not fit is refused with the entry
// named and nothing quoted; a good one is served, its contacts found by search.
func TestSandboxFixtures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"contacts":[{"email":"dana@example.org","custom_attributes":{"ssn":"078-05-1120"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := dsarCLI(t, "sandbox", "--addr", "127.0.0.1:0", "--contacts", "10", "--fixtures", bad)
	if err == nil || !strings.Contains(err.Error(), "contacts[0]") || strings.Contains(err.Error(), "078-05") || strings.Contains(err.Error(), "dana@") {
		t.Fatalf("bad fixtures: %v", err)
	}

	root := newRootCmd()
	out, errb := &syncBuffer{}, &syncBuffer{}
	root.SetOut(out)
	root.SetErr(errb)
	root.SetArgs([]string{"sandbox", "--addr", "127.0.0.1:0", "--contacts", "10", "--fixtures", filepath.Join("..", "..", "sandbox", "testdata", "fixtures.json")})
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	ended := make(chan struct{})
	go func() {
		runErr = root.ExecuteContext(ctx)
		close(ended)
	}()
	defer func() {
		cancel()
		<-ended
		if runErr != nil {
			t.Errorf("sandbox: %v", runErr)
		}
	}()
	re := regexp.MustCompile(`INTERCOM_API_URL=(\S+)\nINTERCOM_ACCESS_TOKEN=(\S+)\n`)
	m := out.waitMatch(t, re, ended, errb)
	req, _ := http.NewRequest(http.MethodPost, m[1]+"/contacts/search",
		strings.NewReader(`{"query":{"field":"email","operator":"=","value":"dana.whitfield@example.org"}}`))
	req.Header.Set("Authorization", "Bearer "+m[2])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		TotalCount int `json:"total_count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || l.TotalCount != 2 {
		t.Errorf("fixture contacts: %d, %v", l.TotalCount, err)
	}
}
