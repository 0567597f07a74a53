package config

import (
	"errors"
	"strings"
	"testing"
)

const registryYAML = `recipients:
  - name: Intercom, Inc.
    role: processor
    country: US
    safeguard: standard contractual clauses
    notify: {method: manual, events: []}
  - name: Warehouse
    role: controller
    categories: [contact details]
    notify: {method: webhook, url: "https://dw.example.com/privacy", secret_env: DW_NOTICE_SECRET}
  - name: Mailer
    role: third_party
    notify: {method: email, email: privacy@mailer.example}
`

func TestRecipientsRegistry(t *testing.T) {
	c, err := Parse("r.yaml", strings.NewReader(registryYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Recipients) != 3 {
		t.Fatalf("%d recipients", len(c.Recipients))
	}
	if c.Recipients[0].NotifiedOf("erasure") {
		t.Error("an empty events list means no notices")
	}
	if !c.Recipients[1].NotifiedOf("erasure") || !c.Recipients[2].NotifiedOf("restriction") {
		t.Error("events default to erasure, correction and restriction")
	}
	got := c.AccessRecipients()
	if len(got) != 3 || got[2].Name != "Mailer" || got[2].Role != "third party" || got[0].Country != "US" {
		t.Errorf("access recipients from the registry: %+v", got)
	}
	d := Default()
	if len(d.AccessRecipients()) != len(d.Access.Recipients) {
		t.Error("without a registry, the access section's recipients are named")
	}
}

func TestRecipientsRegistryRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, field string }{
		"no name":         {"recipients:\n  - role: processor\n", "recipients[0].name"},
		"bad role":        {"recipients:\n  - {name: A, role: friend}\n", "recipients[0].role"},
		"duplicate":       {"recipients:\n  - {name: A, role: processor}\n  - {name: a, role: controller}\n", "recipients[1].name"},
		"plain http":      {"recipients:\n  - {name: A, role: processor, notify: {method: webhook, url: 'http://dw.example.com/x', secret_env: S}}\n", "recipients[0].notify.url"},
		"no secret env":   {"recipients:\n  - {name: A, role: processor, notify: {method: webhook, url: 'https://dw.example.com/x'}}\n", "recipients[0].notify.secret_env"},
		"user in url":     {"recipients:\n  - {name: A, role: processor, notify: {method: webhook, url: 'https://u:p@dw.example.com/x', secret_env: S}}\n", "recipients[0].notify.url"},
		"bad email":       {"recipients:\n  - {name: A, role: processor, notify: {method: email, email: 'Bob <b@example.com>'}}\n", "recipients[0].notify.email"},
		"bad method":      {"recipients:\n  - {name: A, role: processor, notify: {method: fax}}\n", "recipients[0].notify.method"},
		"bad event":       {"recipients:\n  - {name: A, role: processor, notify: {events: [access]}}\n", "recipients[0].notify.events"},
		"unknown setting": {"recipients:\n  - {name: A, role: processor, secret: x}\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("r.yaml", strings.NewReader(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.field != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field)) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "u:p") || strings.Contains(err.Error(), "b@example.com") {
				t.Errorf("error repeats a value: %q", err)
			}
		})
	}
	if _, err := Parse("r.yaml", strings.NewReader("recipients:\n  - {name: A, role: processor, notify: {method: webhook, url: 'http://127.0.0.1:9/x', secret_env: S}}\n")); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
}
