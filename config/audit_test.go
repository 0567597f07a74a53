package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
)

func TestAuditSection(t *testing.T) {
	c, err := config.Parse("t.yaml", strings.NewReader("audit:\n  witness: /var/lib/witness.log\n  checkpoint_every: 50\n  checkpoint_interval: 5s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.Witness != "/var/lib/witness.log" || c.Audit.CheckpointEvery != 50 || c.Audit.CheckpointInterval != 5*time.Second {
		t.Fatalf("%+v", c.Audit)
	}
	for _, bad := range []string{"audit:\n  checkpoint_every: -1\n", "audit:\n  checkpoint_interval: 1ms\n", "audit:\n  witnes: x\n"} {
		if _, err := config.Parse("t.yaml", strings.NewReader(bad)); err == nil {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
