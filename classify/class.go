// Package classify assigns every field of the Intercom objects the project
// handles to a class, and redacts JSON documents and decoded Go values by
// that table.
//
// The classes are:
//
//   - PII: personal data held in a dedicated field (email, name, phone,
//     location, avatar, social profiles, IP, browser and device details).
//     Redacted with a field operator: by default the value is replaced with
//     a tag such as "[EMAIL]".
//   - Identifier: ids used for look-ups (id, external_id, user_id,
//     workspace_id). Kept, or pseudonymised with a keyed HMAC when the
//     output is meant for display.
//   - Content: free text (bodies, subjects, titles, descriptions, event
//     metadata). Scanned by the pii engine; HTML bodies with RedactHTML.
//   - CustomAttribute: custom attributes, configured per attribute name.
//     Sensitive names (address, ssn, dob, passport, iban, phone, password,
//     ...) are PII by default; the rest are scanned as Content.
//   - System: timestamps, states, types and counts. Kept.
//
// A field that is not in the table is Content (scanned), never System: the
// table fails closed. Inside an unknown field the generic key rules (the
// same list the redacting log handler uses) apply as well.
package classify

import (
	"fmt"
	"strings"
)

// Class is the privacy class of a field. The zero value is ClassContent, so
// an unclassified field is scanned rather than kept.
type Class uint8

// The classes.
const (
	ClassContent         Class = iota // free text, scanned by the pii engine
	ClassPII                          // personal data in a dedicated field, redacted whole
	ClassIdentifier                   // look-up identifier: kept, or pseudonymised for display
	ClassCustomAttribute              // a custom attribute map, classified per attribute
	ClassSystem                       // system metadata, kept
	numClasses
)

var classNames = [numClasses]string{"content", "pii", "identifier", "custom_attribute", "system"}

// String returns the lower-case name of c, such as "pii".
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// ParseClass returns the Class whose String form is s ("pii", "content",
// "identifier", "custom_attribute", "system"), case-insensitively; it is
// meant for configuration files that classify custom attributes.
func ParseClass(s string) (Class, error) {
	for c := Class(0); c < numClasses; c++ {
		if strings.EqualFold(s, classNames[c]) {
			return c, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownClass, truncate(s, 40), strings.Join(classNames[:], ", "))
}

// Label names the kind of personal data a PII field holds. Its String form
// is the tag the Replace operator writes: LabelEmail becomes "[EMAIL]".
// The zero value, LabelPII, is the generic label.
type Label uint8

// The labels.
const (
	LabelPII         Label = iota // personal data of no more specific kind
	LabelEmail                    // e-mail address or e-mail domain
	LabelPhone                    // phone number
	LabelName                     // a person's name
	LabelAddress                  // postal address
	LabelLocation                 // geographic location (city, region, country)
	LabelIP                       // IP address
	LabelDevice                   // browser, operating system, device: fingerprinting data
	LabelURL                      // a URL that identifies the person (avatar, social profile)
	LabelDateOfBirth              // date of birth
	LabelNationalID               // SSN, passport, tax or national id
	LabelFinancial                // IBAN, card number
	LabelSecret                   // password, token, API key, cookie, authorization
	NumLabels                     // number of labels; not a label
)

var labelNames = [NumLabels]string{
	LabelPII:         "PII",
	LabelEmail:       "EMAIL",
	LabelPhone:       "PHONE",
	LabelName:        "NAME",
	LabelAddress:     "ADDRESS",
	LabelLocation:    "LOCATION",
	LabelIP:          "IP_ADDRESS",
	LabelDevice:      "DEVICE",
	LabelURL:         "URL",
	LabelDateOfBirth: "DATE_OF_BIRTH",
	LabelNationalID:  "NATIONAL_ID",
	LabelFinancial:   "FINANCIAL",
	LabelSecret:      "SECRET",
}

// String returns the tag text of l, such as "EMAIL".
func (l Label) String() string {
	if l < NumLabels {
		return labelNames[l]
	}
	return fmt.Sprintf("Label(%d)", uint8(l))
}

// ParseLabel returns the Label whose String form is s ("EMAIL", "ADDRESS",
// ...), case-insensitively.
func ParseLabel(s string) (Label, error) {
	for l := Label(0); l < NumLabels; l++ {
		if strings.EqualFold(s, labelNames[l]) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownLabel, truncate(s, 40), strings.Join(labelNames[:], ", "))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ObjectKind is the kind of Intercom object a document holds. It selects
// the field table. The zero value, KindGeneric, has no table: every key is
// checked against the generic key rules and every value is scanned, which
// is what arbitrary JSON logs need.
type ObjectKind uint8

// The object kinds.
const (
	KindGeneric             ObjectKind = iota // no table: key rules plus content scanning
	KindAuto                                  // dispatch on the object's "type" field; lists of objects too
	KindContact                               // contact (user or lead)
	KindCompany                               // company
	KindConversation                          // conversation
	KindConversationPart                      // conversation part
	KindSource                                // conversation source (the first message)
	KindAuthor                                // author of a part or source
	KindNote                                  // note on a contact or company
	KindTag                                   // tag
	KindSegment                               // segment
	KindSubscription                          // subscription type
	KindTicket                                // ticket
	KindTicketPart                            // ticket part
	KindDataEvent                             // data event with metadata
	KindWebhookNotification                   // webhook notification envelope; data.item by its type
	KindDataExportCSV                         // a row of the content data export CSV, by column name
	KindAdmin                                 // admin (teammate)
	KindContactReference                      // a reference to a contact (type, id, external_id)
	KindReference                             // a generic reference (type, id)
	KindAddressableList                       // a list of references with urls (contact.tags, contact.companies)
	KindAttachment                            // an attachment of a part
	KindTicketType                            // ticket type
	KindTicketState                           // ticket state
	KindEmailHeader                           // an e-mail address header of an e-mail message
	numKinds
)

var kindNames = [numKinds]string{
	"generic", "auto", "contact", "company", "conversation", "conversation_part", "source",
	"author", "note", "tag", "segment", "subscription", "ticket", "ticket_part", "data_event",
	"webhook_notification", "data_export_csv", "admin", "contact_reference", "reference",
	"addressable_list", "attachment", "ticket_type", "ticket_state", "email_header",
}

// String returns the name of k, such as "conversation_part".
func (k ObjectKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("ObjectKind(%d)", uint8(k))
}

// ParseKind returns the ObjectKind whose String form is s.
func ParseKind(s string) (ObjectKind, error) {
	for k := ObjectKind(0); k < numKinds; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownKind, truncate(s, 40))
}

// Field is the classification of one field path of an object kind.
type Field struct {
	// Class is the field's class.
	Class Class
	// Label is the kind of personal data, for ClassPII fields.
	Label Label
	// HTML marks Content fields that hold HTML (conversation bodies); they
	// are scanned with RedactHTML so the markup stays well-formed.
	HTML bool
	// Ref, when not KindGeneric, says the field holds an object (or an array
	// of objects) of that kind, classified by that kind's table.
	Ref ObjectKind
	// Nested says the field holds an object whose members have their own
	// entries in the same table, at Path + "." + member.
	Nested bool
}

// FieldInfo is one row of the table, as returned by Fields.
type FieldInfo struct {
	// Path is the field's dotted path inside its object, without array
	// indices. Fields only lists a kind's own rows; Lookup also follows
	// paths into referenced kinds ("source.author.email").
	Path string
	Field
}
