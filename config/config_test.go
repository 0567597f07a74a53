package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Erasure.DeleteTickets || !c.Erasure.RetainMetrics || c.Erasure.DeleteConversations {
		t.Fatalf("erasure defaults: %+v", c.Erasure)
	}
	if len(c.Access.Recipients) == 0 || c.Access.Complaint == "" {
		t.Fatal("access defaults lack recipients or complaint route")
	}
}

func TestParseOverridesAndRejectsUnknown(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("sync:\n  pii: [email]\n  custom_attributes: [plan, tier]\nerasure:\n  delete_conversations: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Erasure.DeleteConversations || len(c.Sync.CustomAttributes) != 2 || c.Sync.PII[0] != "email" {
		t.Fatalf("not applied: %+v", c)
	}
	if !c.Erasure.DeleteTickets {
		t.Fatal("a default not named in the file was lost")
	}
	_, err = Parse("t.yaml", strings.NewReader("sync:\n  piii: [email]\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml") {
		t.Fatalf("unknown key: %v", err)
	}
	_, err = Parse("t.yaml", strings.NewReader("sync:\n  pii: [ssn]\n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "sync.pii") {
		t.Fatalf("bad pii field: %v", err)
	}
	_, err = Parse("t.yaml", strings.NewReader("custom_attributes:\n  dob: sensitive\n"))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad class: %v", err)
	}
	_, err = Parse("t.yaml", strings.NewReader("disclosure:\n  allow:\n    loyalty_pin: \"\"\n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "disclosure.allow") {
		t.Fatalf("an allowed attribute without a reason: %v", err)
	}
}

func TestErasureGrace(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("erasure:\n  grace: 24h\n"))
	if err != nil || c.Erasure.Grace != 24*time.Hour {
		t.Fatalf("grace: %v %v", c, err)
	}
	for _, bad := range []string{"-1h", "720h", "soon"} {
		if _, err := Parse("t.yaml", strings.NewReader("erasure:\n  grace: "+bad+"\n")); err == nil {
			t.Errorf("grace %q accepted", bad)
		}
	}
}

func TestDisclosureSettings(t *testing.T) {
	c, err := Parse("t.yaml", strings.NewReader("custom_attributes:\n  tax_ref: government_id\n  plan: system\ndisclosure:\n  allow:\n    loyalty_pin: membership number printed on the card, reviewed by the DPO\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.CustomAttributes["tax_ref"] != "government_id" || c.Disclosure.Allow["loyalty_pin"] == "" {
		t.Fatalf("%+v", c)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("sync:\n  pii: [email]\n")
	f.Add("access:\n  purposes: [a, b]\n")
	f.Add(":\n- [")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("fuzz.yaml", strings.NewReader(s))
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}
