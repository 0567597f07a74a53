// Package accesspkg builds the package a person receives in answer to an access
// request (GDPR Art. 15 and 20, CCPA right to know): a zip holding
//
//   - data.json, the complete data, versioned, with the data the person provided marked
//     apart from the data observed about them and the data derived from it (Art. 20
//     portability covers what was provided);
//   - data.schema.json, the JSON Schema data.json follows;
//   - one CSV file per kind of record, for spreadsheets;
//   - report.html, a self-contained report a non-engineer can read (no external fonts,
//     scripts, images or requests of any kind);
//   - supplementary.json, the Art. 15(1)-(2) information (purposes, recipients,
//     retention, source, rights, complaint route, transfers);
//   - manifest.json, the SHA-256 and size of every other file.
//
// The package knows nothing about Intercom's API or the store: the access workflow
// fills a Package and calls Build. Third-party redaction happens before, in the
// workflow, with the PII engine.
package accesspkg

import (
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
)

// SchemaVersion is the version of data.json's layout; it changes when a field changes
// meaning or is removed (additions keep it).
const SchemaVersion = "1.0"

// Record is one Intercom object as JSON, after redaction of other people's data.
type Record = map[string]any

// Package is everything an access package holds.
type Package struct {
	SchemaVersion string    `json:"schema_version"`
	RequestID     string    `json:"request_id"`
	Jurisdiction  string    `json:"jurisdiction"`
	ReceivedAt    time.Time `json:"received_at"`
	GeneratedAt   time.Time `json:"generated_at"`
	// Identifiers are the identifiers the person gave with the request.
	Identifiers []Identifier `json:"identifiers"`
	// Contacts are the Intercom contacts found for the person.
	Contacts []Contact `json:"contacts"`
	// Local is what this installation's own store held about the person.
	Local LocalData `json:"local_store"`
	// Notices explain limits of the answer (events older than 90 days, conversations
	// longer than 500 parts, archived contacts found only by id, redactions).
	Notices []Notice `json:"notices"`
	// Withheld lists the values held about the person that the package does not
	// disclose (government ids, financial account and card numbers, passwords and
	// security answers, secrets, health ids, biometric data): where, of what kind,
	// and how many. In their place the data holds a sentence saying so.
	Withheld []Withheld `json:"withheld,omitempty"`
	// Supplementary is the Art. 15 information.
	Supplementary config.Access `json:"supplementary_information"`
	// CategoriesOnly, when set, makes this the categories-only answer (CCPA
	// Regs §7024): the identity was verified to a reasonable degree only, so
	// the package lists the categories of data held (with the sources,
	// purposes and recipients of Supplementary) and holds no value of the
	// person's data: Identifiers, Contacts, Local and Withheld are empty.
	CategoriesOnly *CategoriesOnly `json:"categories_only,omitempty"`
}

// CategoriesOnly is the categories-only answer's own part.
type CategoriesOnly struct {
	// Reason says why only categories are given.
	Reason string `json:"reason"`
	// HowToGetCopy says how to reach the higher level of verification.
	HowToGetCopy string `json:"how_to_get_copy"`
	// Held are the categories of personal data held about the person.
	Held []HeldCategory `json:"held"`
}

// HeldCategory is one category of personal data held, without its values.
type HeldCategory struct {
	// Code names the category for programs ("identifiers", "communications").
	Code string `json:"code"`
	// Category is the category as the person reads it.
	Category string `json:"category"`
	// Records is how many records of it are held.
	Records int64 `json:"records"`
}

// Withheld is one kind of value the package does not disclose, in one place.
type Withheld struct {
	// Where is "profile", "messages" (conversations, tickets and notes) or
	// "local_store".
	Where string `json:"where"`
	// Attribute names the custom attribute, when the value is one.
	Attribute string `json:"attribute,omitempty"`
	// Kind is the disclosure kind ("government_id", "financial_account",
	// "credential", "secret", "health_id", "biometric").
	Kind string `json:"kind"`
	// What says what the value is, for the person ("a US Social Security number").
	What string `json:"what"`
	// Basis says what marked it: "configured_class", "attribute_name" or "content".
	Basis string `json:"basis"`
	// Count is how many such values.
	Count int64 `json:"count"`
}

// Identifier is one identifier the person gave (kind: email, phone, external_id,
// contact_id).
type Identifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Contact is one Intercom contact of the person, with everything attached to it.
type Contact struct {
	ID   string `json:"id"`
	Role string `json:"role"`
	// Status is "active", "archived", "merged" or "not_found_or_archived" (a
	// contact id given that Intercom answered 404 for, with no conversation or
	// ticket to show it exists: Intercom does not tell archived contacts from
	// missing ones).
	Status string `json:"status"`
	// MergedInto is the canonical contact a merged contact now lives in.
	MergedInto string `json:"merged_into,omitempty"`
	// MatchedBy says why the contact belongs to the person, e.g. "email", "contact_id".
	MatchedBy []string `json:"matched_by"`
	// Provided are the profile fields the person gave (name, email, phone, custom
	// attributes they entered); Observed are recorded from their use (location,
	// devices, last seen); Derived are inferred (segments, tags, scores).
	Provided Record `json:"provided"`
	Observed Record `json:"observed"`
	Derived  Record `json:"derived"`

	Companies     []Record       `json:"companies"`
	Tags          []Record       `json:"tags"`
	Segments      []Record       `json:"segments"`
	Notes         []Record       `json:"notes"`
	Subscriptions []Record       `json:"subscriptions"`
	Events        []Record       `json:"events"`
	EventSummary  []Record       `json:"event_summary"`
	Conversations []Conversation `json:"conversations"`
	Tickets       []Record       `json:"tickets"`
}

// Conversation is one conversation with all the parts Intercom returned.
type Conversation struct {
	ID        string    `json:"id"`
	Title     string    `json:"title,omitempty"`
	State     string    `json:"state,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// PartsTotal is how many parts the conversation has; PartsIncluded how many
	// Intercom returned (at most the 500 most recent).
	PartsTotal    int       `json:"parts_total"`
	PartsIncluded int       `json:"parts_included"`
	Messages      []Message `json:"messages"`
	// Raw is the conversation object without its parts, for completeness.
	Raw Record `json:"raw,omitempty"`
}

// Message is the opening message or one part of a conversation or ticket.
type Message struct {
	ID string `json:"id"`
	// Author is who wrote it: the person ("you"), a teammate by name, a bot, or
	// another person whose identity is redacted.
	Author string `json:"author"`
	// AuthorRole is "subject", "teammate", "bot" or "other".
	AuthorRole string    `json:"author_role"`
	Kind       string    `json:"kind"`
	CreatedAt  time.Time `json:"created_at"`
	// Body is the message as HTML, with other people's personal data redacted.
	Body string `json:"body"`
	// Text is Body as plain text.
	Text string `json:"text"`
	// ProvidedBySubject marks messages the person wrote (portable under Art. 20).
	ProvidedBySubject bool `json:"provided_by_subject"`
	Redacted          bool `json:"redacted_by_intercom,omitempty"`
	// Attachments are the files attached to the message.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file attached to a message. For the person's own messages and the
// staff's, Name and URL (Intercom's download link, which expires) are given; a file
// another person attached is listed as Withheld, with its type and size only.
type Attachment struct {
	Name        string `json:"name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	URL         string `json:"url,omitempty"`
	Withheld    bool   `json:"withheld,omitempty"`
}

// LocalData is what the local store held about the person, decrypted for the package.
type LocalData struct {
	Contacts      []Record `json:"contacts"`
	Conversations []Record `json:"conversations"`
	WebhookEvents []Record `json:"webhook_events"`
}

// Notice explains a limit or a choice made in answering.
type Notice struct {
	// Code is stable, e.g. "events_90_days", "conversation_truncated",
	// "archived_by_id_only", "third_party_redacted", "nothing_found".
	Code string `json:"code"`
	Text string `json:"text"`
}
