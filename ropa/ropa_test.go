package ropa

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/retention"
)

const cfgYAML = `access:
  controller: "=Example Ltd"
  contact_dpo: dpo@example.com
recipients:
  - {name: "Intercom, Inc.", role: processor, country: US, safeguard: SCCs}
  - {name: "Warehouse *internal*", role: controller, categories: [contact details], notify: {method: manual}}
retention:
  contact_cache: 14d
  audit: 10y
`

func build(t *testing.T) Record {
	t.Helper()
	cfg, err := config.Parse("t.yaml", strings.NewReader(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, err := retention.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return Build(cfg, p, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
}

func TestBuildFromConfigAndPolicy(t *testing.T) {
	r := build(t)
	if len(r.Activities) != 4 {
		t.Fatalf("%d activities", len(r.Activities))
	}
	ic := r.Activities[0]
	if len(ic.Recipients) != 2 || ic.Recipients[1].Name != "Warehouse *internal*" || ic.Recipients[0].Safeguard != "SCCs" {
		t.Errorf("registry recipients: %+v", ic.Recipients)
	}
	if !strings.Contains(strings.Join(ic.Retention, "|"), "local copy of contacts: 14 days") {
		t.Errorf("configured contact cache age not in words: %q", ic.Retention)
	}
	if !strings.Contains(strings.Join(r.Activities[3].Retention, "|"), "10 years") {
		t.Errorf("audit age: %q", r.Activities[3].Retention)
	}
	for _, a := range r.Activities {
		if a.Name == "" || len(a.Purposes) == 0 || a.LegalBasis == "" || len(a.Categories) == 0 || len(a.Retention) == 0 || len(a.Security) == 0 {
			t.Errorf("incomplete activity %+v", a)
		}
	}
}

func TestWriteFormats(t *testing.T) {
	r := build(t)
	var b bytes.Buffer
	if err := Write(&b, r, CSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	if got := rows[1][10]; got != "'=Example Ltd" {
		t.Errorf("a formula-looking controller was not neutralised: %q", got)
	}
	b.Reset()
	if err := Write(&b, r, JSON); err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Activities) != 4 || back.ContactDPO != "dpo@example.com" {
		t.Fatalf("json: %v %+v", err, back)
	}
	b.Reset()
	if err := Write(&b, r, Markdown); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `Warehouse \*internal\*`) || !strings.Contains(out, "# Record of processing activities") {
		t.Errorf("markdown: %s", out)
	}
	if err := Write(&b, r, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestWordsOfAges(t *testing.T) {
	for s, want := range map[string]string{"1d": "1 day", "30d": "30 days", "7y": "7 years", "24mo": "24 months", "36h": "36 hours", "2w": "2 weeks"} {
		a, err := retention.ParseAge(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := words(a); got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	if got := words(retention.Age{}); !strings.Contains(got, "no automatic limit") {
		t.Errorf("off: %q", got)
	}
}
