// Package ropa builds the record of processing activities (GDPR Art. 30(1))
// for the personal data a deployment keeps about people in Intercom, and for
// the product's own processing (the request log, the suppression list, the
// audit trail), from the same sources the access package's Art. 15
// information comes from: the configuration's access section and recipients
// registry, and the retention policy. One place feeds both, so the record an
// authority reads and the answer a person gets cannot drift apart.
package ropa

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/retention"
)

// Recipient is a recipient of one activity's data.
type Recipient struct {
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Categories []string `json:"categories,omitempty"`
	Country    string   `json:"country,omitempty"`
	Safeguard  string   `json:"safeguard,omitempty"`
}

// Activity is one processing activity: a row of the record.
type Activity struct {
	Name         string      `json:"name"`
	Purposes     []string    `json:"purposes"`
	LegalBasis   string      `json:"legal_basis"`
	DataSubjects []string    `json:"data_subjects"`
	Categories   []string    `json:"categories"`
	Recipients   []Recipient `json:"recipients"`
	Transfers    string      `json:"transfers"`
	Retention    []string    `json:"retention"`
	Security     []string    `json:"security"`
	Source       string      `json:"source,omitempty"`
}

// Record is the whole record of processing activities.
type Record struct {
	Controller string     `json:"controller"`
	ContactDPO string     `json:"contact_dpo"`
	Generated  time.Time  `json:"generated"`
	Activities []Activity `json:"activities"`
}

// Build assembles the record from the configuration and the retention policy,
// dated now.
func Build(cfg *config.Config, p retention.Policy, now time.Time) Record {
	a := cfg.Access
	audit := words(p.Age(retention.Audit))
	security := []string{
		"personal data kept locally only as ciphertext (AES-GCM through Tink) under a key per person, with associated data binding each value to its place",
		"look-ups through keyed HMAC blind indexes, never plain or unsalted hashes",
		"keys wrapped by a master key kept outside the database (a KMS or a mounted secret); destroying a person's key makes every copy unreadable, backups included",
		"an append-only, hash-chained and signed audit trail holding no plaintext personal data",
	}
	intercom := Activity{
		Name:         "Customer support and messaging through Intercom",
		Purposes:     a.Purposes,
		LegalBasis:   "as stated for each purpose",
		DataSubjects: []string{"customers and prospective customers (Intercom users and leads)", "visitors who contact us"},
		Categories:   a.Categories,
		Recipients:   recipients(cfg),
		Transfers:    a.Transfers,
		Retention: []string{
			a.Retention,
			"local copy of contacts: " + words(p.Age(retention.ContactCache)),
			"local copy of conversations: " + words(p.Age(retention.ConversationCache)),
			"Intercom webhook notifications: " + words(p.Age(retention.WebhookEvents)),
			"bulk export files: " + words(p.Age(retention.ExportFiles)),
		},
		Security: security,
		Source:   a.Source,
	}
	requests := Activity{
		Name:         "Answering requests about personal data",
		Purposes:     []string{"answering access, erasure and other requests within their legal deadlines, and demonstrating that we did"},
		LegalBasis:   "legal obligation (GDPR Art. 6(1)(c), Arts. 12-22; CCPA Regulations §7101)",
		DataSubjects: []string{"people who make a request, and agents acting for them"},
		Categories: []string{
			"request records: type, channel, dates received, acknowledged and answered, outcome and denial reason (CCPA §7101)",
			"the identifiers the request was filed with, encrypted under a key of the request's own (pseudonymised personal data)",
			"access packages, encrypted under a key of their own",
		},
		Recipients: []Recipient{{Name: "none outside the controller", Role: "controller"}},
		Transfers:  "none",
		Retention: []string{
			"access packages: " + words(p.Age(retention.AccessPackages)) + ", then deleted with their key",
			"the identifiers of an erasure: destroyed when it completes; of an access request: destroyed after the answer and a dispute window",
			"request records and their audit records: " + audit + " (never less than 24 months)",
		},
		Security: security,
		Source:   "the person, or an agent they authorised",
	}
	suppression := Activity{
		Name:         "Keeping erased people erased (suppression list)",
		Purposes:     []string{"making sure the data of a person who asked for erasure is not collected again (CCPA Regulations §7022(e))"},
		LegalBasis:   "legal obligation and accountability (GDPR Art. 5(2), 6(1)(c); CCPA §7022(e))",
		DataSubjects: []string{"people whose data was erased at their request"},
		Categories:   []string{"keyed HMAC-SHA256 of the identifiers an erasure was filed with (pseudonymised personal data; no plain value is kept)"},
		Recipients:   []Recipient{{Name: "none outside the controller", Role: "controller"}},
		Transfers:    "none",
		Retention:    []string{"until the index key is destroyed, which makes every entry unlinkable; entries are never kept in clear"},
		Security:     security,
	}
	auditTrail := Activity{
		Name:         "Audit trail of privacy operations",
		Purposes:     []string{"proving to the person, to auditors and to authorities what was done with each request and each copy of the data"},
		LegalBasis:   "accountability (GDPR Art. 5(2)) and record keeping (CCPA Regulations §7101)",
		DataSubjects: []string{"people who made a request", "operators of this tool"},
		Categories:   []string{"request and object identifiers, keyed references to people (pseudonymised personal data), actions, dates, counts; never names, emails or content"},
		Recipients:   []Recipient{{Name: "auditors and authorities, on request", Role: "third_party"}},
		Transfers:    "none",
		Retention:    []string{audit + ", removed only through a signed prune record"},
		Security:     security,
	}
	return Record{
		Controller: a.Controller, ContactDPO: a.ContactDPO, Generated: now.UTC(),
		Activities: []Activity{intercom, requests, suppression, auditTrail},
	}
}

func recipients(cfg *config.Config) []Recipient {
	if len(cfg.Recipients) == 0 {
		out := make([]Recipient, len(cfg.Access.Recipients))
		for i, r := range cfg.Access.Recipients {
			out[i] = Recipient{Name: r.Name, Role: r.Role, Country: r.Country}
		}
		return out
	}
	out := make([]Recipient, len(cfg.Recipients))
	for i, r := range cfg.Recipients {
		out[i] = Recipient{Name: r.Name, Role: strings.ReplaceAll(r.Role, "_", " "), Categories: r.Categories, Country: r.Country, Safeguard: r.Safeguard}
	}
	return out
}

// words writes a retention age for people ("30 days", "7 years"), saying
// what "off" means in a record of processing.
func words(a retention.Age) string {
	if a.IsOff() {
		return "no automatic limit (kept until removed by another rule)"
	}
	return a.Words()
}

// Formats Write knows.
const (
	Markdown = "md"
	CSV      = "csv"
	JSON     = "json"
)

// Write renders the record as md, csv or json.
func Write(w io.Writer, r Record, format string) error {
	switch format {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case CSV:
		return writeCSV(w, r)
	case Markdown, "":
		return writeMarkdown(w, r)
	}
	return fmt.Errorf("ropa: unknown format %q (want md, csv or json)", format)
}

func writeCSV(w io.Writer, r Record) error {
	cw := csv.NewWriter(w)
	header := []string{"activity", "purposes", "legal_basis", "data_subjects", "categories", "recipients", "transfers", "retention", "security", "source", "controller", "contact_dpo"}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, a := range r.Activities {
		rec := []string{a.Name, join(a.Purposes), a.LegalBasis, join(a.DataSubjects), join(a.Categories),
			join(recipientLines(a.Recipients)), a.Transfers, join(a.Retention), join(a.Security), a.Source, r.Controller, r.ContactDPO}
		for i, f := range rec {
			rec[i] = neutralise(f)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// neutralise keeps a spreadsheet from reading a cell as a formula.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func join(s []string) string { return strings.Join(s, "; ") }

func recipientLines(rs []Recipient) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		line := r.Name + " (" + r.Role
		if r.Country != "" {
			line += ", " + r.Country
		}
		if r.Safeguard != "" {
			line += ", safeguard: " + r.Safeguard
		}
		out[i] = line + ")"
	}
	return out
}

func writeMarkdown(w io.Writer, r Record) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Record of processing activities (GDPR Art. 30)\n\n")
	fmt.Fprintf(&b, "- Controller: %s\n- Contact / DPO: %s\n- Generated: %s\n", md(r.Controller), md(orNone(r.ContactDPO)), r.Generated.Format("2006-01-02"))
	for _, a := range r.Activities {
		fmt.Fprintf(&b, "\n## %s\n\n", md(a.Name))
		list := func(title string, items []string) {
			fmt.Fprintf(&b, "**%s**\n\n", title)
			for _, it := range items {
				fmt.Fprintf(&b, "- %s\n", md(it))
			}
			b.WriteString("\n")
		}
		list("Purposes", a.Purposes)
		fmt.Fprintf(&b, "**Legal basis:** %s\n\n", md(a.LegalBasis))
		list("Data subjects", a.DataSubjects)
		list("Categories of personal data", a.Categories)
		list("Recipients", recipientLines(a.Recipients))
		fmt.Fprintf(&b, "**Transfers to third countries:** %s\n\n", md(orNone(a.Transfers)))
		list("Time limits for erasure", a.Retention)
		list("Security measures", a.Security)
		if a.Source != "" {
			fmt.Fprintf(&b, "**Source:** %s\n", md(a.Source))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(not configured)"
	}
	return s
}

// md escapes the characters Markdown would read as markup in configured text.
func md(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "#", `\#`, "|", `\|`, "\n", " ")
	return r.Replace(s)
}
