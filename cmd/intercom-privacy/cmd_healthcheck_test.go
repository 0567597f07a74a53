package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/health"
)

func TestHealthcheckCommand(t *testing.T) {
	c := health.New(health.Options{})
	g := c.Gate("workers", nil)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	_, err := dsarCLI(t, "healthcheck", "--url", srv.URL+health.PathReady)
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "[-] workers") {
		t.Errorf("not ready: %v", err)
	}
	g.Set(nil)
	out, err := dsarCLI(t, "healthcheck", "--url", srv.URL+health.PathReady)
	if err != nil || !strings.HasPrefix(out, "ready") {
		t.Errorf("ready: %q %v", out, err)
	}
	if _, err := dsarCLI(t, "healthcheck", "--url", srv.URL+health.PathLive); err != nil {
		t.Errorf("livez: %v", err)
	}
	srv.Close()
	if _, err := dsarCLI(t, "healthcheck", "--url", srv.URL+health.PathLive); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("nothing listening: %v", err)
	}
	if _, err := dsarCLI(t, "healthcheck", "--url", "ftp://x"); err == nil {
		t.Error("an ftp URL was accepted")
	}
}
