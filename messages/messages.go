// Package messages writes the messages the law asks a business to send a
// person about their request (GDPR Art. 12(3)-(4); CCPA §§7021, 7022(e),
// 7024, 7101): acknowledgement, verification link and code, extension with
// its reasons, denial with its basis and the right to complain, completion of
// an access request (how to download) and of an erasure (what was deleted,
// what was kept and why, that a record is kept, Intercom's 7-day recovery
// window), the download code, and the operators' deadline reminder; and the
// answers to the other rights (GDPR Arts. 16, 18, 19, 21; CCPA §§7023, 7026,
// 7027; the US state laws' appeals): a correction (the field names corrected,
// never values, and that the recipients were told), a correction refused as
// more likely inaccurate (§7023(b)), a restriction and how to lift it, its
// lifting, an objection or opt-out (the scopes that took effect) and the
// decision on an appeal (the reason, the authority).
//
// Each kind is a pair of templates (text/template for the text part,
// html/template for the HTML part) per jurisdiction and language, embedded in
// the binary and overridable by files of the same name in a directory (the
// configuration's mail.templates_dir): KIND.JURISDICTION.LANG.txt,
// KIND.JURISDICTION.txt, KIND.LANG.txt and KIND.txt are tried in that order,
// each first in the directory, then embedded; the same for .html. A text
// template defines "subject". The law's own texts (its name and clock, the
// authority and complaint route, that a record is kept) come from package
// jurisdiction, so one template serves every law.
//
// [Service] implements dsar.Messenger: it renders the milestone's message
// and writes it to the outbox (package mail) inside the milestone's
// transaction. Bodies carry the request reference, dates, the law's texts
// and counts; no personal data beyond the address the person gave, which is
// only the recipient.
package messages

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
)

// Kind names a message.
type Kind string

// The messages.
const (
	Acknowledgement  Kind = "acknowledgement"
	Verification     Kind = "verification"
	Extension        Kind = "extension"
	Denial           Kind = "denial"
	AccessCompleted  Kind = "access_completed"
	ErasureCompleted Kind = "erasure_completed"
	DownloadCode     Kind = "download_code"
	DeadlineReminder Kind = "deadline_reminder"
	// CorrectionCompleted: which fields were corrected (names, never
	// values) and that the recipients of the data were told (GDPR Art. 16,
	// 19; CCPA §7023(c)).
	CorrectionCompleted Kind = "correction_completed"
	// CorrectionDenied: a correction refused as more likely inaccurate
	// (CCPA Regulations §7023(b), (f)).
	CorrectionDenied Kind = "correction_denied"
	// RestrictionCompleted: what is restricted and how to lift it (Art. 18).
	RestrictionCompleted Kind = "restriction_completed"
	// RestrictionLifted: the restriction is lifted (Art. 18(3)).
	RestrictionLifted Kind = "restriction_lifted"
	// ObjectionCompleted: the scopes of an objection or opt-out that took
	// effect (Art. 21; CCPA §§7026, 7027).
	ObjectionCompleted Kind = "objection_completed"
	// AppealDecided: the decision on an appeal, its reason, and the
	// authority and how to complain (US state laws).
	AppealDecided Kind = "appeal_decided"
	// AgentAcknowledgement tells an authorised agent (CCPA Regs §7063) that
	// the request they made for someone was received, that the person must
	// confirm it from their own address and that the permission is checked.
	AgentAcknowledgement Kind = "agent_acknowledgement"
	// RecipientNotice tells a recipient of the data (a processor, a
	// controller) of an erasure, a correction, a restriction or an opt-out
	// (GDPR Art. 19, CCPA §7022(b)); its kind is notice.MailKind.
	RecipientNotice Kind = "recipient_notice"
)

// Kinds lists every message, in the order of a request's life.
func Kinds() []Kind {
	return []Kind{Acknowledgement, Verification, Extension, Denial, AccessCompleted, ErasureCompleted, DownloadCode, DeadlineReminder,
		CorrectionCompleted, CorrectionDenied, RestrictionCompleted, RestrictionLifted, ObjectionCompleted, AppealDecided, RecipientNotice,
		AgentAcknowledgement}
}

// ParseKind checks a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, 0, len(Kinds()))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("%w: the kinds are %s", ErrUnknownKind, strings.Join(names, ", "))
}

// Errors of this package.
var (
	ErrUnknownKind = errors.New("messages: unknown message kind")
	ErrLanguage    = errors.New("messages: a language is a code such as en, de or pt-BR")
	ErrTemplate    = errors.New("messages: template refused")
)

// Count is one line of "what we deleted".
type Count struct {
	What string
	N    int64
}

// KeptItem is one line of "what we kept, and why".
type KeptItem struct {
	What, Why string
}

// Data is what a template sees. Every field holds either the request's own
// reference and dates, the configuration's texts, the law's texts or counts;
// Code and the URLs are secrets meant for the recipient alone.
type Data struct {
	Kind Kind
	Lang string
	// Controller and Contact are the configuration's access.controller and
	// access.contact_dpo.
	Controller, Contact string
	RequestID           string
	// RequestWhat is the request in words ("a copy of your personal data").
	RequestWhat string
	// State is the request's state (the operators' reminder).
	State string
	// Law is the request's law: its clock, authority and texts.
	Law               jurisdiction.Info
	ReceivedAt, DueAt time.Time
	ExtensionReason   string
	DenialReason      string
	NeedsVerification bool
	VerifyURL, Code   string
	DownloadURL       string
	ExpiresAt         time.Time
	DownloadUses      int
	NothingFound      bool
	// CategoriesOnly: an access request answered with the categories only,
	// verified to a reasonable degree (CCPA Regs §7024); HigherLevelURL is
	// the page telling how to reach the higher level (PublicURL +
	// HigherLevelPath, "" without a public form) and HigherLevelHow that in
	// a sentence.
	CategoriesOnly bool
	HigherLevelHow string
	HigherLevelURL string
	// ViaAgent: the request was made by an authorised agent (the
	// verification message says so to the person).
	ViaAgent       bool
	Deleted        []Count
	Kept           []KeptItem
	RecoveryWindow string
	// Fields are the names of the fields a correction changed (never their
	// values); Recipients how many recipients of the data are told.
	Fields     []string
	Recipients int
	// Scopes are the parts of an objection or opt-out that took effect.
	Scopes []ScopeText
	// LinkedID is the request a lift or an appeal is about.
	LinkedID string
	// Reversed and DecisionReason are an appeal's decision.
	Reversed       bool
	DecisionReason string
	// A recipient notice's: the notice id, the change (erasure, ...), the
	// law that makes it owed, the recipient's configured name and when the
	// notice was planned. No identifier of the person: as the webhook
	// notice, it names the request.
	NoticeID, Event, Basis, Recipient string
	OccurredAt                        time.Time
	Subject                           string // set for the HTML layout
}

// ScopeText is one scope of an objection as the person reads it.
type ScopeText struct {
	Name, What string
}

// Rendered is a message ready for the outbox.
type Rendered struct {
	Subject, Text, HTML string
}

//go:embed templates/*
var embedded embed.FS

// Templates are the parsed templates: the embedded ones and the overrides.
type Templates struct {
	dir   string
	files map[string]string // name → source, overrides over embedded
	over  map[string]bool   // names that came from dir
}

var langRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)

// Load reads the embedded templates and, when dir is set, every *.txt and
// *.html file in dir over them, and checks that every one parses; the error
// names the file. An override named for no known kind is refused, so a
// misspelt file name is not silently ignored.
func Load(dir string) (*Templates, error) {
	t := &Templates{dir: dir, files: map[string]string{}, over: map[string]bool{}}
	err := fs.WalkDir(embedded, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		t.files[d.Name()] = string(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: the templates directory cannot be read: %v", ErrTemplate, errors.Unwrap(err))
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || (!strings.HasSuffix(name, ".txt") && !strings.HasSuffix(name, ".html")) {
				continue
			}
			if !knownName(name) {
				return nil, fmt.Errorf("%w: %s is not named KIND[.JURISDICTION][.LANG].txt|.html for a known kind (or footer.txt, layout.html)", ErrTemplate, name)
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("%w: %s cannot be read", ErrTemplate, name)
			}
			t.files[name], t.over[name] = string(b), true
		}
	}
	// Every file must parse with its companions.
	for name := range t.files {
		if name == "footer.txt" || name == "layout.html" {
			continue
		}
		if strings.HasSuffix(name, ".txt") {
			if _, err := t.text(name); err != nil {
				return nil, err
			}
		} else if _, err := t.html(name); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func knownName(name string) bool {
	if name == "footer.txt" || name == "layout.html" {
		return true
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".txt"), ".html")
	kind, rest, _ := strings.Cut(base, ".")
	if _, err := ParseKind(kind); err != nil {
		return false
	}
	for _, part := range strings.Split(rest, ".") {
		if part == "" && rest == "" {
			continue
		}
		if !langRE.MatchString(part) && !isJurisdiction(part) {
			return false
		}
	}
	return true
}

func isJurisdiction(s string) bool {
	_, err := deadline.ParseJurisdiction(s)
	return err == nil
}

var funcs = map[string]any{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "(not set)"
		}
		return t.UTC().Format("2 January 2006")
	},
}

func (t *Templates) where(name string) string {
	if t.over[name] {
		return filepath.Join(t.dir, name)
	}
	return "embedded " + name
}

func (t *Templates) text(name string) (*texttemplate.Template, error) {
	tt, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(t.files[name])
	if err == nil {
		_, err = tt.New("footer.txt").Parse(t.files["footer.txt"])
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, t.where(name), err)
	}
	if tt.Lookup("subject") == nil {
		return nil, fmt.Errorf("%w: %s defines no \"subject\"", ErrTemplate, t.where(name))
	}
	return tt, nil
}

func (t *Templates) html(name string) (*htmltemplate.Template, error) {
	ht, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(t.files[name])
	if err == nil {
		_, err = ht.New("layout.html").Parse(t.files["layout.html"])
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, t.where(name), err)
	}
	if ht.Lookup("body") == nil {
		return nil, fmt.Errorf("%w: %s defines no \"body\"", ErrTemplate, t.where(name))
	}
	return ht, nil
}

// pick returns the first of KIND.J.LANG.ext, KIND.J.ext, KIND.LANG.ext,
// KIND.ext that exists.
func (t *Templates) pick(kind Kind, j deadline.Jurisdiction, lang, ext string) (string, bool) {
	jl := strings.ToLower(string(j))
	for _, n := range []string{
		fmt.Sprintf("%s.%s.%s.%s", kind, jl, lang, ext),
		fmt.Sprintf("%s.%s.%s", kind, jl, ext),
		fmt.Sprintf("%s.%s.%s", kind, lang, ext),
		fmt.Sprintf("%s.%s", kind, ext),
	} {
		if _, ok := t.files[n]; ok {
			return n, true
		}
	}
	return "", false
}

// Render renders kind for jurisdiction j in lang ("" is en) with d.
func (t *Templates) Render(kind Kind, j deadline.Jurisdiction, lang string, d Data) (Rendered, error) {
	if _, err := ParseKind(string(kind)); err != nil {
		return Rendered{}, err
	}
	if lang == "" {
		lang = "en"
	}
	if !langRE.MatchString(lang) {
		return Rendered{}, ErrLanguage
	}
	if d.Law.Clock.Jurisdiction == "" {
		law, err := jurisdiction.For(j)
		if err != nil {
			return Rendered{}, err
		}
		d.Law = law
	}
	d.Kind, d.Lang = kind, lang
	name, ok := t.pick(kind, j, lang, "txt")
	if !ok {
		return Rendered{}, fmt.Errorf("%w: no text template for %s", ErrTemplate, kind)
	}
	tt, err := t.text(name)
	if err != nil {
		return Rendered{}, err
	}
	var subj, body bytes.Buffer
	if err := tt.ExecuteTemplate(&subj, "subject", d); err != nil {
		return Rendered{}, fmt.Errorf("%w: %s: %v", ErrTemplate, t.where(name), err)
	}
	if err := tt.ExecuteTemplate(&body, name, d); err != nil {
		return Rendered{}, fmt.Errorf("%w: %s: %v", ErrTemplate, t.where(name), err)
	}
	out := Rendered{Subject: strings.Join(strings.Fields(subj.String()), " "), Text: tidy(body.String())}
	if out.Subject == "" {
		return Rendered{}, fmt.Errorf("%w: %s renders an empty subject", ErrTemplate, t.where(name))
	}
	if hname, ok := t.pick(kind, j, lang, "html"); ok {
		ht, err := t.html(hname)
		if err != nil {
			return Rendered{}, err
		}
		d.Subject = out.Subject
		var h bytes.Buffer
		if err := ht.ExecuteTemplate(&h, "layout", d); err != nil {
			return Rendered{}, fmt.Errorf("%w: %s: %v", ErrTemplate, t.where(hname), err)
		}
		out.HTML = h.String()
	}
	return out, nil
}

// tidy trims trailing spaces and collapses runs of blank lines, which
// templates with optional sections leave.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank || len(out) == 0 {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
