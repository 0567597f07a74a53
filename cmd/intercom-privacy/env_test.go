package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// cliStore points the commands at a fresh SQLite store with keysets (`keys
// init`): DATABASE_URL and a throwaway master key in the environment, and no
// configuration file. It returns the database URL.
func cliStore(t *testing.T) string {
	t.Helper()
	key, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "t.db")
	t.Setenv(vault.EnvMasterKey, key)
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv(config.EnvFile, "")
	if _, err := dsarCLI(t, "keys", "init"); err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// cliEnv points the commands at a fresh store (cliStore), and at an Intercom
// that is never called (nothing here runs a request).
func cliEnv(t *testing.T) {
	t.Helper()
	t.Setenv("INTERCOM_ACCESS_TOKEN", "test-token")
	t.Setenv(intercom.EnvAPIURL, "http://127.0.0.1:1")
	cliStore(t)
}

// sandboxEnv serves a sandbox workspace made with opts over HTTP, points the
// commands at it and at a fresh store (cliStore), and returns the sandbox and
// the database URL. Everything is released when the test ends.
func sandboxEnv(t *testing.T, opts sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Setenv("INTERCOM_ACCESS_TOKEN", sb.Token())
	t.Setenv(intercom.EnvAPIURL, srv.URL)
	db := cliStore(t)
	// Access packages need a controller and a DPO contact.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("access:\n  controller: Example Trading Ltd\n  contact_dpo: dpo@example-trading.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.EnvFile, cfg)
	return sb, db
}
