package main

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// TestMeAndMigrateJSON: `me --json` and `migrate --json` print one JSON
// object with the fields the text output shows, and never the token.
func TestMeAndMigrateJSON(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Contacts: 5, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	cliEnv(t)
	t.Setenv("INTERCOM_ACCESS_TOKEN", sb.Token())
	t.Setenv("INTERCOM_API_URL", srv.URL)

	out, err := dsarCLI(t, "me", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var me meJSON
	if err := json.Unmarshal([]byte(out), &me); err != nil {
		t.Fatalf("me --json: %v %s", err, out)
	}
	if me.AppID == "" || me.Workspace == "" || me.APIURL != srv.URL || me.IntercomVersion == "" {
		t.Errorf("me --json: %+v", me)
	}
	if strings.Contains(out, sb.Token()) {
		t.Error("me --json prints the token")
	}

	out, err = dsarCLI(t, "migrate", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var m migrateJSON
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("migrate --json: %v %s", err, out)
	}
	if m.Backend != "sqlite" || m.After < 1 || m.Before != m.After || !strings.HasPrefix(m.Database, "sqlite://") {
		t.Errorf("migrate --json: %+v", m)
	}
}

// TestFlagHelpNames: cobra takes a back-quoted word in a flag's usage for the
// name of its value, so "--file `audit export`" rendered as a flag of type
// "audit export". No flag's usage holds a back quote; and every command that
// prints records offers --json.
func TestFlagHelpNames(t *testing.T) {
	root := newRootCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: back quote in the usage: %q", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for _, path := range [][]string{{"me"}, {"migrate"}, {"dsar", "list"}, {"dsar", "show"}, {"sync", "contacts"},
		{"retention", "run"}, {"retention", "show"}, {"audit", "verify"}, {"demo"}} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Flags().Lookup("json") == nil {
			t.Errorf("%s has no --json", c.CommandPath())
		}
	}
}
