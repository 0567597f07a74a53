// Package config reads the project's YAML configuration file: what to sync, what an
// erasure deletes, the Art. 15 supplementary information an access package carries, and
// the classes of custom attributes. The retention policy has its own section, parsed by
// package retention.
//
// Precedence is flags, then environment, then this file; this package handles the file
// and the environment, the command line handles flags.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/intercom-privacy/intercom-privacy/disclosure"
)

// EnvFile names the environment variable that points at the configuration file.
const EnvFile = "INTERCOM_PRIVACY_CONFIG"

// Config is the whole configuration. The zero value is not useful; use Default or Load.
type Config struct {
	// Sync says which contact fields the minimal sync keeps.
	Sync Sync `yaml:"sync"`
	// Erasure says what an erasure request deletes in Intercom.
	Erasure Erasure `yaml:"erasure"`
	// Access is the Art. 15 supplementary information put in every access package.
	Access Access `yaml:"access"`
	// Recipients is the registry of every system and organisation that receives
	// Intercom data (Art. 15(1)(c), Art. 19, Art. 30); see RecipientEntry. When
	// empty, access packages name access.recipients.
	Recipients []RecipientEntry `yaml:"recipients"`
	// CustomAttributes assigns a class to named custom attributes ("pii", "content",
	// "system", or one of the kinds an access package never discloses:
	// "government_id", "financial_account", "credential", "secret", "health_id",
	// "biometric"); attributes not named are scanned as content.
	CustomAttributes map[string]string `yaml:"custom_attributes"`
	// Requests configures the handling common to every request and the
	// product's own records of privacy requests.
	Requests Requests `yaml:"requests"`
	// Disclosure lists the custom attributes an operator allowed into access
	// packages although their class, name or content marks them as never disclosed.
	Disclosure Disclosure `yaml:"disclosure"`
	// Retention is the raw retention section, parsed by package retention.
	Retention yaml.Node `yaml:"retention"`
	// Schedule is the raw schedule section, parsed by package retention.
	Schedule yaml.Node `yaml:"schedule"`
	// Audit configures the audit trail's checkpoints and their witness.
	Audit Audit `yaml:"audit"`
	// Scan configures the workspace scan and its redactions (package scan).
	Scan Scan `yaml:"scan"`
	// Rights configures how restrictions and objections mark the person in
	// Intercom (tags, subscription types).
	Rights Rights `yaml:"rights"`
	// Auth configures sign-in to the console and the API (package users).
	Auth Auth `yaml:"auth"`
	// Mail configures the e-mail sent to people and operators (package mail).
	Mail Mail `yaml:"mail"`
	// Intake configures the public request form (package web/intake).
	Intake Intake `yaml:"intake"`
}

// Intake configures the public request form served at /privacy/request.
type Intake struct {
	// Title and Intro are the page's heading and first paragraph; Organisation
	// names who answers (default: access.controller).
	Title        string `yaml:"title"`
	Intro        string `yaml:"intro"`
	Organisation string `yaml:"organisation"`
	// Types are the request types offered, in order (default: access,
	// erasure); the form posts them as type=access|erasure|correction|opt_out.
	Types []string `yaml:"types"`
	// Jurisdictions are the laws a person may choose (default: gdpr, ccpa);
	// DefaultJurisdiction is used when the form does not say (default: the
	// first).
	Jurisdictions       []string `yaml:"jurisdictions"`
	DefaultJurisdiction string   `yaml:"default_jurisdiction"`
	// MaxPending bounds the requests waiting for verification (default
	// 1000); PerEmail bounds those for one address (default 3); PerClient
	// is how many forms one network address may post per hour (default 10).
	MaxPending int `yaml:"max_pending"`
	PerEmail   int `yaml:"per_email"`
	PerClient  int `yaml:"per_client"`
	// DownloadUses is how many times the link to an access package works
	// (default 3), each time after a fresh code mailed to the person.
	DownloadUses int `yaml:"download_uses"`
	// VerificationAttribute names an Intercom custom attribute whose value
	// is the answer to VerificationQuestion, the second data point a person
	// gives to reach the higher verification level (CCPA Regs §7062(c)) on
	// the form; when empty, the question is the phone number on the contact.
	VerificationAttribute string `yaml:"verification_attribute"`
	VerificationQuestion  string `yaml:"verification_question"`
	// Intercom files requests from Intercom conversations given a configured
	// tag (package tagintake; off when no tag is configured).
	Intercom IntercomIntake `yaml:"intercom"`
}

// IntercomIntake configures intake from Intercom itself: a conversation tagged
// Tag files a request of Type under Jurisdiction; Tags maps further tags, each
// to its own type and jurisdiction. With Reply, an acknowledgement note is
// posted in the conversation as the teammate AdminID. Checked when serve
// starts (tagintake.New).
//
// ReplyAs chooses the reply: "note" (the default: an internal note with the
// request's reference) or "comment" (a reply the customer sees, with the
// acknowledgement's text, and later the extension, denial and completion
// messages as replies too, each posted once by the workers). TicketTypes
// file a request for each ticket created with one of those ticket types
// (ticket.created).
type IntercomIntake struct {
	Tag          string             `yaml:"tag"`
	Type         string             `yaml:"type"`
	Jurisdiction string             `yaml:"jurisdiction"`
	Tags         []IntakeTag        `yaml:"tags"`
	Reply        bool               `yaml:"reply"`
	ReplyAs      string             `yaml:"reply_as"`
	AdminID      string             `yaml:"admin_id"`
	TicketTypes  []IntakeTicketType `yaml:"ticket_types"`
}

// IntakeTicketType maps a ticket type (its id or its name) to the request a
// ticket of that type files.
type IntakeTicketType struct {
	TicketType   string `yaml:"ticket_type"`
	Type         string `yaml:"type"`
	Jurisdiction string `yaml:"jurisdiction"`
}

// IntakeTag maps one tag to the request it files.
type IntakeTag struct {
	Tag          string `yaml:"tag"`
	Type         string `yaml:"type"`
	Jurisdiction string `yaml:"jurisdiction"`
}

// Enabled reports whether any tag or ticket type is configured.
func (c IntercomIntake) Enabled() bool {
	return c.Tag != "" || len(c.Tags) > 0 || len(c.TicketTypes) > 0
}

// CustomerReplies reports whether milestones are posted as replies the
// customer sees.
func (c IntercomIntake) CustomerReplies() bool { return c.Reply && c.ReplyAs == "comment" }

// Mail configures the e-mail the product sends. The environment variables
// INTERCOM_PRIVACY_SMTP_URL and INTERCOM_PRIVACY_PUBLIC_URL override the two
// URLs; package mail parses and checks them (app.Open refuses a bad one).
type Mail struct {
	// SMTPURL is smtp://user:password@host:587?from=privacy@example.com
	// (STARTTLS required unless starttls=false) or smtps://... (TLS). Empty:
	// no mail is written or sent.
	SMTPURL string `yaml:"smtp_url"`
	// PublicURL is the base URL the links in messages point to
	// (https://privacy.example.com).
	PublicURL string `yaml:"public_url"`
	// TemplatesDir holds templates that replace the built-in messages
	// (KIND[.JURISDICTION][.LANG].txt and .html, see package messages); a
	// relative path is taken from the configuration file's directory.
	TemplatesDir string `yaml:"templates_dir"`
	// Language is the language of the messages (default en), when templates
	// in it exist.
	Language string `yaml:"language"`
	// Operators are the addresses told when a request's deadline nears
	// (none: no reminders); ReminderDays is how many days before the due
	// date (default 3).
	Operators    []string `yaml:"operators"`
	ReminderDays int      `yaml:"reminder_days"`
}

// Audit configures the audit trail's checkpoints.
type Audit struct {
	// Witness is where every signed checkpoint is also kept, outside the
	// database: a file path or an https:// URL (INTERCOM_PRIVACY_AUDIT_WITNESS
	// overrides it). Empty: no witness.
	Witness string `yaml:"witness"`
	// CheckpointEvery is the most records appended between two signed
	// checkpoints (default 256).
	CheckpointEvery int `yaml:"checkpoint_every"`
	// CheckpointInterval is the longest a record stays unsigned in a running
	// serve or worker (default 10s).
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

// Scan configures `scan redact` and the continuous mode of `serve`. Type and
// mode names are checked by package scan when a command uses them.
type Scan struct {
	// MaxRedactionsPerRun is the most parts one `scan redact` run redacts
	// without --yes (0: the default, 100).
	MaxRedactionsPerRun int `yaml:"max_redactions_per_run"`
	// Monitor is the continuous mode of serve.
	Monitor ScanMonitor `yaml:"monitor"`
}

// ScanMonitor configures the scanning of new messages as their webhooks arrive.
type ScanMonitor struct {
	// Mode is off (the default), report, redact or redact+note.
	Mode string `yaml:"mode"`
	// Types are redacted (default: card, password, secret).
	Types []string `yaml:"types"`
	// AdminTopics scans teammates' messages too (conversation.admin.* topics).
	AdminTopics bool `yaml:"admin_topics"`
	// NoteAdminID is the admin who writes the internal notes of redact+note.
	NoteAdminID string `yaml:"note_admin_id"`
}

// Sync is the allow-list of the minimal contact sync.
type Sync struct {
	// CustomAttributes are the custom attributes kept (default: plan).
	CustomAttributes []string `yaml:"custom_attributes"`
	// PII are personal fields kept, encrypted with blind indexes: any of email, name,
	// phone. Default: none.
	PII []string `yaml:"pii"`
}

// Erasure configures what an erasure deletes besides the contacts themselves.
type Erasure struct {
	// DeleteTickets deletes the person's tickets (default true).
	DeleteTickets bool `yaml:"delete_tickets"`
	// DeleteConversations deletes the person's conversations explicitly (Intercom
	// also removes them with the contact). Default false.
	DeleteConversations bool `yaml:"delete_conversations"`
	// RetainMetrics keeps Intercom's reporting data when deleting conversations
	// (default true; false needs the delete_conversations_and_metrics scope).
	RetainMetrics bool `yaml:"retain_metrics"`
	// SuppressWhenNothingFound adds the identifiers of an erasure that found and
	// erased nothing to the suppression list all the same (default false: the
	// list then holds only people who were erased).
	SuppressWhenNothingFound bool `yaml:"suppress_when_nothing_found"`
	// RedactShared redacts, through Intercom's redact API, the messages the
	// person wrote in conversations shared with other people, which are kept
	// (default true).
	RedactShared bool `yaml:"redact_shared"`
	// Grace is the waiting period after an erasure is filed during which it can
	// still be cancelled: no worker starts it before it ends (e.g. "24h"; default
	// 0, none; at most MaxGrace).
	Grace time.Duration `yaml:"grace"`
	// Exceptions keep objects of a kind an erasure would otherwise delete, on a
	// legal basis (GDPR Art. 17(3), CCPA §1798.105(d)); see Exception.
	Exceptions []Exception `yaml:"exceptions"`
	// Approval says whether an erasure waits, once verified, for a second
	// privacy officer (not the one who filed it) before anything is deleted
	// (four eyes): "required" for every erasure, "none" for none; empty (the
	// default) requires it for erasures filed through the console or the API
	// and not for the command line, whose operator holds the master key.
	Approval string `yaml:"approval"`
}

// Exception is a configured exception to erasure: the objects of one kind that
// match it are kept (not deleted, and not redacted unless Redact), each
// recorded with its basis and until when, and the person is told the basis.
// An exception applies only under the laws that know its basis (package
// jurisdiction); a legal hold on one object (`retention hold add --ticket-id`)
// keeps that object whatever the law.
//
// Intercom tickets have no tags: a ticket is matched by its ticket type (name
// or id), its state's category, or the value of one of its ticket attributes
// (a list attribute "Dispute" of the type, for instance). Conversations and
// contacts are matched by the names of their tags. Every criterion given must
// match (an empty list matches any value); an exception with no criterion
// matches every object of its kind.
type Exception struct {
	// Name identifies the exception in plans, outcomes and the audit trail
	// (letters, digits, "-", "_", ".", at most 64).
	Name string `yaml:"name"`
	// Objects is the kind: ticket, conversation or contact.
	Objects string `yaml:"objects"`
	// Basis is a code of package jurisdiction: legal_claims,
	// legal_obligation, security_incident, complete_transaction,
	// public_interest, freedom_of_expression, research.
	Basis string `yaml:"basis"`
	// KeepFor is how long the object is kept from the erasure ("6y", "24mo",
	// "90d", "12w"); required.
	KeepFor string `yaml:"keep_for"`
	// Redact redacts the person's own messages in a kept conversation (default
	// false: kept as they are, as a legal claim needs them).
	Redact bool `yaml:"redact"`
	// Tags are tag names (conversations, contacts).
	Tags []string `yaml:"tags"`
	// TicketTypes are ticket type names or ids (tickets).
	TicketTypes []string `yaml:"ticket_types"`
	// TicketStates are ticket state categories: submitted, in_progress,
	// waiting_on_customer, resolved (tickets).
	TicketStates []string `yaml:"ticket_states"`
	// TicketAttributes maps a ticket attribute's name to the values that
	// match (tickets).
	TicketAttributes map[string][]string `yaml:"ticket_attributes"`
}

// Values of erasure.approval.
const (
	ApprovalRequired = "required"
	ApprovalNone     = "none"
)

// Requests configures the product's own request records, which are
// pseudonymised personal data (keyed HMACs of identifiers, Intercom ids, the
// identifiers themselves encrypted under the request's key).
type Requests struct {
	// DisputeWindow is how long after an access request is answered the
	// identifiers it was filed with stay readable, to answer a dispute about the
	// answer; then its key is destroyed and they become unreadable (default
	// 720h, 30 days; at most 8760h).
	DisputeWindow time.Duration `yaml:"dispute_window"`
	// RepeatWindowDays flags a request filed by a person who filed another within
	// this many days before it (GDPR Art. 12(5): the operator judges whether a
	// repeat is manifestly unfounded or excessive; nothing is refused
	// automatically). Default 90; 0 turns the flag off.
	RepeatWindowDays int `yaml:"repeat_window_days"`
}

// DefaultDisputeWindow is the default of requests.dispute_window.
const DefaultDisputeWindow = 30 * 24 * time.Hour

// Disclosure configures what access packages may disclose.
type Disclosure struct {
	// Allow maps a custom attribute's name to the reason an operator allows it to
	// be disclosed (e.g. "membership number printed on the card; not a payment
	// card; reviewed by the DPO 2026-11"). The reason is recorded in the audit
	// trail with every package that discloses the attribute, so it must not hold
	// personal data.
	Allow map[string]string `yaml:"allow"`
}

// Access is the supplementary information GDPR Art. 15(1)-(2) requires with a copy.
type Access struct {
	Controller         string      `yaml:"controller" json:"controller"`
	ContactDPO         string      `yaml:"contact_dpo" json:"contact_dpo"`
	Purposes           []string    `yaml:"purposes" json:"purposes"`
	Categories         []string    `yaml:"categories" json:"categories"`
	Recipients         []Recipient `yaml:"recipients" json:"recipients"`
	Retention          string      `yaml:"retention" json:"retention"`
	Source             string      `yaml:"source" json:"source"`
	Rights             []string    `yaml:"rights" json:"rights"`
	Complaint          string      `yaml:"complaint" json:"complaint"`
	AutomatedDecisions string      `yaml:"automated_decisions" json:"automated_decisions"`
	Transfers          string      `yaml:"transfers" json:"transfers"`
	// UnarchiveToRead lets an access request by contact id read an archived
	// contact (Intercom answers 404 for it): unarchived, read, and archived
	// again, each recorded, so archived people get their data too. Default
	// false. Not part of the package's Art. 15 information.
	UnarchiveToRead bool `yaml:"unarchive_to_read" json:"-"`
}

// Recipient is a recipient or category of recipients of the personal data.
type Recipient struct {
	Name    string `yaml:"name" json:"name"`
	Role    string `yaml:"role" json:"role"`
	Country string `yaml:"country" json:"country"`
}

// Error is a configuration error; it names the file and the field, never a secret.
type Error struct {
	File  string
	Field string
	Err   error
}

func (e *Error) Error() string {
	where := e.File
	if e.Field != "" {
		where += ": " + e.Field
	}
	return "config " + where + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// MaxFileBytes is the largest configuration file Parse accepts.
const MaxFileBytes = 4 << 20

// MaxGrace is the longest erasure.grace accepted: the waiting period counts
// against the legal deadline (one month under the GDPR).
const MaxGrace = 7 * 24 * time.Hour

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid value")

var piiFields = []string{"email", "name", "phone"}

// attributeClasses are the classes a custom attribute may be given: the three of
// package classify, and the kinds an access package never discloses.
var attributeClasses = func() []string {
	out := []string{"pii", "content", "system"}
	for _, k := range disclosure.Kinds() {
		out = append(out, string(k))
	}
	return out
}()

// PlaceholderController is the controller named by the built-in configuration.
// An access package is refused with it outside the demo: the person must be told
// who the controller is (GDPR Art. 15(1), 13(1)(a)).
const PlaceholderController = "the organisation operating this Intercom workspace"

// DefaultRetentionText is the built-in access.retention sentence. An access
// package replaces it with the retention policy in force, in words.
const DefaultRetentionText = "Intercom data is kept while the customer relationship lasts."

// Missing lists the settings an access package needs that are not set: the
// controller's identity (access.controller, not the placeholder) and the
// contact of the data protection officer (access.contact_dpo).
func (a Access) Missing() []string {
	var out []string
	if strings.TrimSpace(a.Controller) == "" || a.Controller == PlaceholderController {
		out = append(out, "access.controller")
	}
	if strings.TrimSpace(a.ContactDPO) == "" {
		out = append(out, "access.contact_dpo")
	}
	return out
}

// Default returns the built-in configuration.
func Default() *Config {
	return &Config{
		Sync:    Sync{CustomAttributes: []string{"plan"}},
		Erasure: Erasure{DeleteTickets: true, RetainMetrics: true, RedactShared: true},
		Access: Access{
			Controller: PlaceholderController,
			Purposes: []string{
				"customer support and messaging through Intercom",
				"answering requests about personal data (legal obligation, GDPR Art. 6(1)(c))",
			},
			Categories: []string{"contact details", "identifiers", "conversation content",
				"tickets", "product usage events", "company affiliations", "subscription preferences"},
			Recipients: []Recipient{{Name: "Intercom, Inc. and its sub-processors", Role: "processor (service provider)", Country: "US/EU/AU per workspace region"}},
			Retention:  DefaultRetentionText,
			Source:     "provided by you through Intercom Messenger, email and our products, and observed from your use of them",
			Rights: []string{"rectification (Art. 16)", "erasure (Art. 17)", "restriction (Art. 18)",
				"portability (Art. 20)", "objection (Art. 21)", "withdraw consent at any time"},
			Complaint:          "You may lodge a complaint with a supervisory authority, in particular in the EU member state of your residence, place of work or of the alleged infringement (GDPR Art. 77).",
			AutomatedDecisions: "No decisions with legal or similarly significant effects are made solely by automated means.",
			Transfers:          "Transfers outside the EEA rely on the safeguards in the processing agreement with Intercom (Art. 46).",
		},
		CustomAttributes: map[string]string{},
		Requests:         Requests{DisputeWindow: DefaultDisputeWindow, RepeatWindowDays: 90},
	}
}

// Path returns the configuration file to read: explicit if set, else $INTERCOM_PRIVACY_CONFIG,
// else "" (built-in defaults).
func Path(explicit string) string {
	if explicit != "" {
		return explicit
	}
	return os.Getenv(EnvFile)
}

// Load reads the file at path over the defaults. An empty path returns Default().
func Load(path string) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a configuration from r over the defaults. name is used in errors only.
// Unknown keys are errors, so a misspelt setting is never silently ignored.
func Parse(name string, r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if len(data) > MaxFileBytes {
		// Never parse a prefix: a cut-off file may still be valid YAML and
		// silently lose the settings after the cut.
		return nil, &Error{File: name, Err: fmt.Errorf("%w: the file is larger than %d bytes", ErrInvalid, MaxFileBytes)}
	}
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Err: scrubYAMLError(err)}
	}
	// A second YAML document ("---") would be ignored by Decode: refuse it
	// rather than apply only the first part of the file.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: the file holds more than one YAML document (remove the '---' separators)", ErrInvalid)}
	}
	if err := cfg.validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = name
		}
		return nil, err
	}
	return cfg, nil
}

func (c *Config) validate() error {
	if c.Requests.RepeatWindowDays < 0 || c.Requests.RepeatWindowDays > 3650 {
		return &Error{Field: "requests.repeat_window_days", Err: fmt.Errorf("%w: want 0 (off) to 3650 days", ErrInvalid)}
	}
	if err := c.validateRecipients(); err != nil {
		return err
	}
	if err := c.validateRights(); err != nil {
		return err
	}
	if err := c.validateAuth(); err != nil {
		return err
	}
	if c.Audit.CheckpointEvery < 0 || c.Audit.CheckpointEvery > 1_000_000 {
		return &Error{Field: "audit.checkpoint_every", Err: fmt.Errorf("%w: %d (1 to 1000000 records; 0 for the default)", ErrInvalid, c.Audit.CheckpointEvery)}
	}
	if c.Audit.CheckpointInterval < 0 || (c.Audit.CheckpointInterval > 0 && c.Audit.CheckpointInterval < 100*time.Millisecond) || c.Audit.CheckpointInterval > 24*time.Hour {
		return &Error{Field: "audit.checkpoint_interval", Err: fmt.Errorf("%w: %v (100ms to 24h; 0 for the default)", ErrInvalid, c.Audit.CheckpointInterval)}
	}
	for _, f := range c.Sync.PII {
		if !slices.Contains(piiFields, f) {
			return &Error{Field: "sync.pii", Err: fmt.Errorf("%w: %q is not a personal field the sync can keep (valid: %s)", ErrInvalid, f, strings.Join(piiFields, ", "))}
		}
	}
	for name, class := range c.CustomAttributes {
		if !slices.Contains(attributeClasses, class) {
			return &Error{Field: "custom_attributes." + name, Err: fmt.Errorf("%w: class %q (valid: %s)", ErrInvalid, class, strings.Join(attributeClasses, ", "))}
		}
	}
	switch c.Erasure.Approval {
	case "", ApprovalRequired, ApprovalNone:
	default:
		return &Error{Field: "erasure.approval", Err: fmt.Errorf("%w: want required or none", ErrInvalid)}
	}
	if c.Erasure.Grace < 0 || c.Erasure.Grace > MaxGrace {
		return &Error{Field: "erasure.grace", Err: fmt.Errorf("%w: %v (want a duration from 0 to %v, e.g. 24h)", ErrInvalid, c.Erasure.Grace, MaxGrace)}
	}
	if err := c.validateExceptions(); err != nil {
		return err
	}
	if c.Requests.DisputeWindow <= 0 || c.Requests.DisputeWindow > 365*24*time.Hour {
		return &Error{Field: "requests.dispute_window", Err: fmt.Errorf("%w: %v (want a duration from 1h to 8760h, e.g. 720h for 30 days)", ErrInvalid, c.Requests.DisputeWindow)}
	}
	for name, reason := range c.Disclosure.Allow {
		if strings.TrimSpace(name) == "" || strings.TrimSpace(reason) == "" {
			return &Error{Field: "disclosure.allow", Err: fmt.Errorf("%w: every allowed attribute needs a name and a reason", ErrInvalid)}
		}
	}
	if c.Scan.MaxRedactionsPerRun < 0 {
		return &Error{Field: "scan.max_redactions_per_run", Err: fmt.Errorf("%w: must be 0 (the default) or more", ErrInvalid)}
	}
	switch c.Scan.Monitor.Mode {
	case "", "off", "report", "redact", "redact+note":
	default:
		return &Error{Field: "scan.monitor.mode", Err: fmt.Errorf("%w: valid: off, report, redact, redact+note", ErrInvalid)}
	}
	if c.Scan.Monitor.Mode == "redact+note" && c.Scan.Monitor.NoteAdminID == "" {
		return &Error{Field: "scan.monitor.note_admin_id", Err: fmt.Errorf("%w: redact+note needs the id of the admin who writes the notes", ErrInvalid)}
	}
	return nil
}
