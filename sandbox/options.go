package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Defaults used when an Options field is left at its zero value.
const (
	// DefaultContacts is the workspace size when Options.Contacts is 0.
	DefaultContacts = 200
	// DefaultRateLimit is the per-window budget when Options.RateLimit is 0: Intercom's
	// 10,000 calls a minute for a private app, spread over six 10-second windows.
	DefaultRateLimit = 1666
	// DefaultWindow is the length of a rate-limit window when Options.Window is 0.
	DefaultWindow = 10 * time.Second
	// DefaultExportDuration is how long a content export job takes when
	// Options.ExportDuration is 0.
	DefaultExportDuration = 2 * time.Second
	// DefaultVersion is the Intercom-Version assumed when a request sends none (the
	// version configured on the imitated app).
	DefaultVersion = "2.16"
	// MaxContacts bounds Options.Contacts so a typo cannot exhaust memory.
	MaxContacts = 1_000_000
)

// ExportStatus chooses how a finished content export job reports itself.
type ExportStatus string

// Export spellings. The description's enum says "completed"; the live API's own
// examples say "complete" (intercom-api-notes.md §10), so clients must accept both.
const (
	// ExportAlternate answers "completed" for even-numbered jobs and "complete" for
	// odd-numbered ones (the zero value).
	ExportAlternate ExportStatus = ""
	// ExportCompleted always answers "completed".
	ExportCompleted ExportStatus = "completed"
	// ExportComplete always answers "complete", as the live examples do.
	ExportComplete ExportStatus = "complete"
	// ExportFailed makes every job fail: its status is answered with HTTP 504 and
	// status "failed", as Intercom does for a job that ran too long.
	ExportFailed ExportStatus = "failed"
)

// ExportFormat chooses the container of a content export download.
type ExportFormat string

// Download containers. Intercom documents "a gzipped folder containing multiple CSVs";
// its help centre calls the UI equivalent a ZIP. A client must sniff.
const (
	// FormatTarGz serves a gzip-compressed tar of CSV files (the zero value).
	FormatTarGz ExportFormat = ""
	// FormatZip serves a ZIP archive of the same CSV files.
	FormatZip ExportFormat = "zip"
	// FormatGzipCSV serves only the receipts CSV, gzip-compressed.
	FormatGzipCSV ExportFormat = "csv.gz"
)

// Burst forces runs of 429 answers independent of the budget: after every Every
// authenticated requests, the next Length requests answer 429 rate_limit_exceeded.
// The zero value disables bursts.
type Burst struct {
	Every  int
	Length int
}

// WebhookOptions makes the sandbox POST signed notifications about its own changes
// (contact.deleted, contact.archived, contact.unarchived, contact.merged,
// contact.user.created, contact.lead.created, contact.user.updated,
// contact.lead.updated, contact.email.updated, contact.user.tag.created,
// contact.lead.tag.created, contact.user.tag.deleted, contact.lead.tag.deleted, conversation.user.created, conversation.user.replied,
// conversation.admin.replied, conversation.admin.noted, conversation_part.tag.created,
// conversation.deleted,
// ticket.deleted) to URL, signed as Intercom signs them: X-Hub-Signature:
// sha1=hex(HMAC-SHA1(body, Secret)).
type WebhookOptions struct {
	// URL receives the notifications.
	URL string
	// Secret is the app's client secret, the HMAC key. It is never logged.
	Secret string
	// Client sends the notifications (http.DefaultClient with a 5 s timeout when nil).
	Client *http.Client
}

// Options configures a sandbox. The zero value is a usable, fault-free workspace of
// DefaultContacts contacts generated from seed 0.
type Options struct {
	// Seed and Contacts determine the generated workspace; the same pair always yields
	// the same workspace.
	Seed     int64
	Contacts int
	// ContactsOnly generates contacts without conversations, tickets, notes or events
	// (for walking very large contact lists cheaply). SamplePerson and AddPerson still
	// get their full data.
	ContactsOnly bool
	// Token is the access token the sandbox accepts; a random one is generated when empty.
	Token string
	// Latency delays every answer; LatencyJitter adds a uniform random extra in [0, jitter).
	Latency, LatencyJitter time.Duration
	// ErrorRate is the share (0..1) of authenticated requests answered 500, 502 or 503
	// before any effect takes place.
	ErrorRate float64
	// DropRate is the share (0..1) of requests whose connection is closed without an
	// answer. Half of the drops happen before the request takes effect, half after (the
	// nastier case: the change was made but the client never heard).
	DropRate float64
	// RateLimit is the budget of requests per Window (DefaultRateLimit when 0; negative
	// disables rate limiting). Window is the window length (DefaultWindow when 0).
	RateLimit int
	Window    time.Duration
	// Burst429 forces runs of 429 answers.
	Burst429 Burst
	// Now is the clock (time.Now when nil). The generator anchors the workspace's
	// timestamps to Now at New.
	Now func() time.Time
	// ExportDuration is how long a content export job takes from creation to completion
	// (DefaultExportDuration when 0); it is in_progress for the second half.
	ExportDuration time.Duration
	// ExportStatus chooses the spelling of a finished job, or makes jobs fail.
	ExportStatus ExportStatus
	// ExportFormat chooses the download container.
	ExportFormat ExportFormat
	// Webhook, when set, receives signed notifications of the sandbox's changes.
	Webhook *WebhookOptions
	// Fixtures, when set, are added to the generated workspace (see Fixtures); New
	// answers a *FixtureError (ErrInvalidFixtures) when they do not fit it.
	Fixtures *Fixtures
}

// ErrInvalidOptions is matched (errors.Is) by every error New returns for bad Options.
var ErrInvalidOptions = errors.New("sandbox: invalid options")

// OptionError reports one invalid Options field.
type OptionError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *OptionError) Error() string {
	return fmt.Sprintf("sandbox: invalid option %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidOptions) true.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Contacts < 0 || o.Contacts > MaxContacts:
		return o, &OptionError{"Contacts", fmt.Sprintf("must be between 0 and %d", MaxContacts)}
	case o.Latency < 0 || o.LatencyJitter < 0:
		return o, &OptionError{"Latency", "must not be negative"}
	case !(o.ErrorRate >= 0 && o.ErrorRate <= 1):
		return o, &OptionError{"ErrorRate", "must be between 0 and 1"}
	case !(o.DropRate >= 0 && o.DropRate <= 1):
		return o, &OptionError{"DropRate", "must be between 0 and 1"}
	case o.Window < 0:
		return o, &OptionError{"Window", "must not be negative"}
	case o.Burst429.Every < 0 || o.Burst429.Length < 0:
		return o, &OptionError{"Burst429", "Every and Length must not be negative"}
	case o.ExportDuration < 0:
		return o, &OptionError{"ExportDuration", "must not be negative"}
	}
	switch o.ExportStatus {
	case ExportAlternate, ExportCompleted, ExportComplete, ExportFailed:
	default:
		return o, &OptionError{"ExportStatus", `must be "", "completed", "complete" or "failed"`}
	}
	switch o.ExportFormat {
	case FormatTarGz, FormatZip, FormatGzipCSV:
	default:
		return o, &OptionError{"ExportFormat", `must be "", "zip" or "csv.gz"`}
	}
	if o.Webhook != nil && o.Webhook.URL == "" {
		return o, &OptionError{"Webhook", "URL is required"}
	}
	if o.Contacts == 0 {
		o.Contacts = DefaultContacts
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.ExportDuration == 0 {
		o.ExportDuration = DefaultExportDuration
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
