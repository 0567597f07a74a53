package messages_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
)

func sample() messages.Data {
	received := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	d := messages.Data{
		Controller: "Example Trading Ltd", Contact: "dpo@example-trading.test", RequestID: "req_0123456789abcdef0123456789abcdef",
		RequestWhat: messages.RequestWhat(store.RequestErasure), State: "in_progress",
		ReceivedAt: received, DueAt: received.AddDate(0, 1, 0),
		ExtensionReason: "the request covers several years of conversations",
		DenialReason:    "GDPR Art. 12(5): manifestly excessive",
		VerifyURL:       "https://privacy.example.test/privacy/verify/tok", Code: "482913",
		DownloadURL: "https://privacy.example.test/privacy/download/tok", ExpiresAt: received.AddDate(0, 0, 37), DownloadUses: 3,
	}
	d.Deleted, d.Kept = messages.Erased(dsar.Outcome{Result: "completed", Counts: map[string]int64{
		"contacts_deleted": 2, "tickets_deleted": 1, "conversations_shared_kept": 1, "suppressed_email": 1}})
	d.RecoveryWindow = dsar.RecoveryWindowNotice
	return d
}

// Every message renders for every law, with a subject, a text and an HTML
// part, and carries the law's own texts where the law asks for them.
func TestEveryKindForEveryLaw(t *testing.T) {
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, law := range jurisdiction.All() {
		j := law.Clock.Jurisdiction
		for _, k := range messages.Kinds() {
			r, err := tpl.Render(k, j, "", sample())
			if err != nil {
				t.Fatalf("%s/%s: %v", j, k, err)
			}
			if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") || r.Text == "" || !strings.HasPrefix(r.HTML, "<!DOCTYPE html>") {
				t.Fatalf("%s/%s: %+v", j, k, r)
			}
			if strings.Contains(r.Text, "<no value>") || strings.Contains(r.HTML, "<no value>") || strings.Contains(r.Text, "\n\n\n") {
				t.Fatalf("%s/%s: unfilled or untidy: %s", j, k, r.Text)
			}
			switch k {
			case messages.Denial, messages.Extension:
				if !strings.Contains(r.Text, law.Authority.Complaint) {
					t.Errorf("%s/%s: no complaint route", j, k)
				}
			case messages.ErasureCompleted:
				for _, want := range []string{law.RecordKept, "7 days", "Intercom contact records (profile, notes, tags, events and subscriptions): 2",
					"conversations you took part in with other people", "keyed fingerprint", law.ErasureBasis} {
					if !strings.Contains(r.Text, want) {
						t.Errorf("%s/%s: missing %q in\n%s", j, k, want, r.Text)
					}
				}
			case messages.Verification:
				if !strings.Contains(r.Text, "482913") || !strings.Contains(r.HTML, `href="https://privacy.example.test/privacy/verify/tok"`) {
					t.Errorf("%s/%s: no link or code", j, k)
				}
			}
		}
	}
}

// Text given by an operator or a person (a denial reason) is escaped in the
// HTML part.
func TestHTMLEscapesData(t *testing.T) {
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := sample()
	d.DenialReason = `<script>alert(1)</script><a href="https://evil.example">x</a>`
	d.Controller = `Evil & <b>Co</b>`
	r, err := tpl.Render(messages.Denial, deadline.GDPR, "", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, `<a href="https://evil.example">`) || strings.Contains(r.HTML, "<b>Co</b>") {
		t.Fatalf("unescaped: %s", r.HTML)
	}
	if !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Fatalf("escaped form missing: %s", r.HTML)
	}
}

// A directory's templates replace the built-in ones, the most specific name
// first; a file that does not parse or names no kind stops Load naming it.
func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("denial.txt", `{{define "subject"}}Generic{{end}}generic {{.RequestID}}`)
	write("denial.ccpa.txt", `{{define "subject"}}CCPA{{end}}ccpa {{.Law.Authority.Name}}`)
	write("denial.ccpa.de.txt", `{{define "subject"}}Ablehnung{{end}}abgelehnt`)
	tpl, err := messages.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		j          deadline.Jurisdiction
		lang, subj string
	}{
		{deadline.GDPR, "en", "Generic"}, {deadline.CCPA, "en", "CCPA"}, {deadline.CCPA, "de", "Ablehnung"}, {deadline.GDPR, "de", "Generic"},
	} {
		r, err := tpl.Render(messages.Denial, tc.j, tc.lang, sample())
		if err != nil || r.Subject != tc.subj {
			t.Errorf("%s/%s: %q, %v", tc.j, tc.lang, r.Subject, err)
		}
	}
	// The built-in HTML part is still there for the overridden text.
	if r, _ := tpl.Render(messages.Denial, deadline.GDPR, "en", sample()); !strings.Contains(r.HTML, "cannot act on your request") {
		t.Errorf("html: %s", r.HTML)
	}
	write("denial.gdpr.txt", `{{define "subject"}}x{{end}}{{.Nope`)
	if _, err := messages.Load(dir); !errors.Is(err, messages.ErrTemplate) || !strings.Contains(err.Error(), "denial.gdpr.txt") {
		t.Errorf("broken template: %v", err)
	}
	os.Remove(filepath.Join(dir, "denial.gdpr.txt"))
	write("denail.txt", `{{define "subject"}}x{{end}}x`)
	if _, err := messages.Load(dir); !errors.Is(err, messages.ErrTemplate) || !strings.Contains(err.Error(), "denail.txt") {
		t.Errorf("misspelt name: %v", err)
	}
	os.Remove(filepath.Join(dir, "denail.txt"))
	write("extension.txt", `{{define "subject"}}x{{end}}{{.NoSuchField}}`)
	tpl, err = messages.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render(messages.Extension, deadline.GDPR, "", sample()); !errors.Is(err, messages.ErrTemplate) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := tpl.Render(messages.Extension, deadline.GDPR, "../../etc", sample()); !errors.Is(err, messages.ErrLanguage) {
		t.Errorf("bad language: %v", err)
	}
	if _, err := messages.ParseKind("nope"); !errors.Is(err, messages.ErrUnknownKind) {
		t.Error(err)
	}
}

// What a legal hold or an exception kept is told to the person with its basis
// in the law's words, counted per kind, never by id.
func TestErasedSaysWhatWasKeptAndWhy(t *testing.T) {
	until := time.Date(2032, 3, 1, 0, 0, 0, 0, time.UTC)
	_, kept := messages.Erased(dsar.Outcome{Result: "completed", Counts: map[string]int64{"contacts_deleted": 1}, Kept: []dsar.KeptObject{
		{Object: "ticket", ID: "tk_1", Why: dsar.WhyException, Basis: "legal_claims", Citation: "GDPR Art. 17(3)(e)", Text: "we need it to establish or defend a legal claim", KeepUntil: until},
		{Object: "ticket", ID: "tk_2", Why: dsar.WhyException, Basis: "legal_claims", Citation: "GDPR Art. 17(3)(e)", Text: "we need it to establish or defend a legal claim", KeepUntil: until.AddDate(0, -1, 0)},
		{Object: "conversation", ID: "cv_9", Why: dsar.WhyLegalHold, Basis: "legal_obligation", Citation: "GDPR Art. 17(3)(b)", Text: "a legal obligation requires us to keep it"},
		{Object: "contact", ID: "ct_3", Why: dsar.WhyKeepsObject},
		{Object: "conversation", ID: "cv_shared", Why: dsar.WhyShared},
	}})
	var lines []string
	for _, k := range kept {
		lines = append(lines, k.What+": "+k.Why)
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"2 support tickets: we need it to establish or defend a legal claim (GDPR Art. 17(3)(e)); we delete it by 1 March 2032",
		"1 conversation: a legal obligation requires us to keep it (GDPR Art. 17(3)(b)); we delete it once that reason ends",
		"1 customer profile (kept with the records above",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, id := range []string{"tk_1", "tk_2", "cv_9", "ct_3", "cv_shared"} {
		if strings.Contains(got, id) {
			t.Errorf("an object id %s is told to the person:\n%s", id, got)
		}
	}
	if len(kept) != 3 {
		t.Errorf("%d lines, want 3 (shared conversations are said by their count):\n%s", len(kept), got)
	}
}
