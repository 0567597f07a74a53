package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Topic is an Intercom webhook topic, such as "contact.deleted". Any topic
// parses; the constants below are the ones the project acts on.
type Topic string

// Topics. "Verified" means named in Intercom's webhook-model pages or
// changelog as summarised in intercom-api-notes §13; the others are the
// names Intercom's topic pattern suggests and are NOT verified here: code
// must treat an unknown topic as "store and acknowledge".
const (
	// Verified (2.7 webhook models): a contact was permanently deleted.
	// From 2.16 the item carries only identifying fields.
	TopicContactDeleted Topic = "contact.deleted"
	// Verified (2.7 webhook models): a contact was archived.
	TopicContactArchived Topic = "contact.archived"
	// Unverified name (2.6 changelog mentions "unarchived (User & Lead)").
	TopicContactUnarchived Topic = "contact.unarchived"
	// Unverified name (2.6 changelog mentions "merged (User & Lead)").
	TopicContactMerged Topic = "contact.merged"
	// Unverified here (named in this project's brief): user created.
	TopicContactUserCreated Topic = "contact.user.created"
	// Unverified here (2.6 changelog mentions "updated (User)").
	TopicContactUserUpdated Topic = "contact.user.updated"
	// Unverified here (named in this project's brief): lead created.
	TopicContactLeadCreated Topic = "contact.lead.created"
	// Unverified here (named in this project's brief): lead updated.
	TopicContactLeadUpdated Topic = "contact.lead.updated"
	// Verified (1.x webhook models): a conversation was deleted.
	TopicConversationDeleted Topic = "conversation.deleted"
	// Verified (1.1 webhook models): a user or lead started a conversation.
	TopicConversationUserCreated Topic = "conversation.user.created"
	// Verified (1.1 webhook models): a user or lead replied.
	TopicConversationUserReplied Topic = "conversation.user.replied"
	// Verified (1.1 webhook models): an admin replied.
	TopicConversationAdminReplied Topic = "conversation.admin.replied"
	// Verified (1.1 webhook models): an admin closed a conversation.
	TopicConversationAdminClosed Topic = "conversation.admin.closed"
	// Verified (webhook models): a company was deleted (archived, per the
	// 2.16 DELETE /companies description).
	TopicCompanyDeleted Topic = "company.deleted"
	// Verified (1.x): in API 1.0 "user.deleted" meant archived; not sent
	// for bulk archiving.
	TopicUserDeleted Topic = "user.deleted"
	// Unverified shape: the test notification ("ping") Intercom sends from
	// the Developer Hub; its id may be null, so Parse allows an empty ID
	// for this topic only.
	TopicPing Topic = "ping"
)

// PurgesContact reports whether the topic means the contact must leave the
// local store (deleted or archived; user.deleted from API 1.x too).
func (t Topic) PurgesContact() bool {
	return t == TopicContactDeleted || t == TopicContactArchived || t == TopicUserDeleted
}

// UpdatesContact reports whether the topic carries a contact to refresh in
// the minimal sync (created, updated or unarchived).
func (t Topic) UpdatesContact() bool {
	switch t {
	case TopicContactUserCreated, TopicContactUserUpdated, TopicContactLeadCreated, TopicContactLeadUpdated, TopicContactUnarchived:
		return true
	}
	return false
}

// EnvelopeType is the only envelope type Parse accepts.
const EnvelopeType = "notification_event"

// Notification is a parsed webhook envelope. Item is kept raw: it holds
// personal data, and only the caller decides what of it to keep.
type Notification struct {
	// ID is the notification id, the de-duplication key. Empty only for
	// TopicPing.
	ID string
	// Topic is the event topic.
	Topic Topic
	// AppID is the workspace's id_code (compare with GET /me app.id_code).
	AppID string
	// CreatedAt is when the event happened (zero when absent).
	CreatedAt time.Time
	// FirstSentAt is the first delivery attempt (zero when absent).
	FirstSentAt time.Time
	// DeliveryAttempts counts deliveries including this one (0 when absent).
	DeliveryAttempts int
	// DataType is data.type, normally "notification_event_data".
	DataType string
	// Item is data.item as received: a JSON object.
	Item json.RawMessage
}

// Parse errors, for errors.Is. Parse returns them inside a *ParseError.
var (
	// ErrMalformedJSON: the body is not one JSON value.
	ErrMalformedJSON = errors.New("malformed JSON")
	// ErrWrongType: a field has the wrong JSON type, or the envelope is not
	// a notification_event.
	ErrWrongType = errors.New("wrong type")
	// ErrMissingField: a required field (id, topic, data.item) is absent.
	ErrMissingField = errors.New("missing field")
	// ErrInvalidValue: a field is too long, holds control characters, or a
	// timestamp is out of range.
	ErrInvalidValue = errors.New("invalid value")
)

// ParseError says which envelope field is wrong. It never holds the
// field's value.
type ParseError struct {
	Field  string // JSON path, e.g. "data.item"; "" for the whole body
	Err    error  // one of the Err* sentinels above
	Detail string // what was expected
}

// Error formats "webhook: notification data.item: wrong type: want an object".
func (e *ParseError) Error() string {
	s := "webhook: notification"
	if e.Field != "" {
		s += " " + e.Field
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

const (
	maxIDLen    = 255
	maxTopicLen = 128
)

type envelope struct {
	Type             json.RawMessage `json:"type"`
	ID               json.RawMessage `json:"id"`
	Topic            json.RawMessage `json:"topic"`
	AppID            json.RawMessage `json:"app_id"`
	CreatedAt        json.RawMessage `json:"created_at"`
	FirstSentAt      json.RawMessage `json:"first_sent_at"`
	DeliveryAttempts json.RawMessage `json:"delivery_attempts"`
	Data             json.RawMessage `json:"data"`
}

type dataEnvelope struct {
	Type json.RawMessage `json:"type"`
	Item json.RawMessage `json:"item"`
}

// Parse decodes a notification envelope. It requires a JSON object with
// type "notification_event", a non-empty id (except for the ping topic), a
// topic, and data.item holding an object. created_at, first_sent_at (UNIX
// seconds, as numbers or numeric strings) and delivery_attempts are
// optional. Unknown fields are ignored. Errors are *ParseError values that
// name the field, never its content.
func Parse(body []byte) (Notification, error) {
	var n Notification
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		if json.Valid(body) {
			return n, &ParseError{Err: ErrWrongType, Detail: "want a JSON object"}
		}
		return n, &ParseError{Err: ErrMalformedJSON}
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		pe := &ParseError{Err: ErrMalformedJSON}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pe.Detail = fmt.Sprintf("syntax error at byte %d", se.Offset)
		}
		return n, pe
	}
	typ, err := str(env.Type, "type")
	if err != nil {
		return n, err
	}
	if typ != EnvelopeType {
		return n, &ParseError{Field: "type", Err: ErrWrongType, Detail: "want notification_event"}
	}
	topic, err := str(env.Topic, "topic")
	if err != nil {
		return n, err
	}
	if topic == "" {
		return n, &ParseError{Field: "topic", Err: ErrMissingField}
	}
	if err := checkToken(topic, "topic", maxTopicLen, true); err != nil {
		return n, err
	}
	n.Topic = Topic(topic)
	if n.ID, err = str(env.ID, "id"); err != nil {
		return n, err
	}
	if n.ID == "" && n.Topic != TopicPing {
		return n, &ParseError{Field: "id", Err: ErrMissingField, Detail: "needed to de-duplicate deliveries"}
	}
	if err := checkToken(n.ID, "id", maxIDLen, false); err != nil {
		return n, err
	}
	if n.AppID, err = str(env.AppID, "app_id"); err != nil {
		return n, err
	}
	if err := checkToken(n.AppID, "app_id", maxIDLen, false); err != nil {
		return n, err
	}
	if n.CreatedAt, err = unixTime(env.CreatedAt, "created_at"); err != nil {
		return n, err
	}
	if n.FirstSentAt, err = unixTime(env.FirstSentAt, "first_sent_at"); err != nil {
		return n, err
	}
	if n.DeliveryAttempts, err = smallInt(env.DeliveryAttempts, "delivery_attempts"); err != nil {
		return n, err
	}
	if err := object(env.Data, "data"); err != nil {
		return n, err
	}
	var data dataEnvelope
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return n, &ParseError{Field: "data", Err: ErrMalformedJSON}
	}
	if n.DataType, err = str(data.Type, "data.type"); err != nil {
		return n, err
	}
	if err := object(data.Item, "data.item"); err != nil {
		return n, err
	}
	n.Item = data.Item
	return n, nil
}

// object checks that a required field is present and a JSON object.
func object(raw json.RawMessage, field string) error {
	if isNull(raw) {
		return &ParseError{Field: field, Err: ErrMissingField}
	}
	if raw[0] != '{' {
		return &ParseError{Field: field, Err: ErrWrongType, Detail: "want an object"}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// str decodes an optional JSON string ("" when absent or null).
func str(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", &ParseError{Field: field, Err: ErrWrongType, Detail: "want a string"}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &ParseError{Field: field, Err: ErrMalformedJSON}
	}
	return s, nil
}

// checkToken bounds the length of identifiers we log and store, and
// refuses control characters (so they cannot forge log lines).
func checkToken(s, field string, max int, topic bool) error {
	if len(s) > max {
		return &ParseError{Field: field, Err: ErrInvalidValue, Detail: fmt.Sprintf("longer than %d bytes", max)}
	}
	if !utf8.ValidString(s) {
		return &ParseError{Field: field, Err: ErrInvalidValue, Detail: "not valid UTF-8"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return &ParseError{Field: field, Err: ErrInvalidValue, Detail: "contains control characters"}
		}
		if topic && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return &ParseError{Field: field, Err: ErrInvalidValue, Detail: "want letters, digits, '.', '_' or '-'"}
		}
	}
	return nil
}

// maxUnix is 9999-12-31T23:59:59Z.
const maxUnix = 253402300799

func unixTime(raw json.RawMessage, field string) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		var err error
		if s, err = str(raw, field); err != nil {
			return time.Time{}, err
		}
		if s == "" {
			return time.Time{}, nil
		}
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, &ParseError{Field: field, Err: ErrWrongType, Detail: "want UNIX seconds"}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxUnix {
		return time.Time{}, &ParseError{Field: field, Err: ErrInvalidValue, Detail: "want UNIX seconds between 1970 and 9999"}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func smallInt(raw json.RawMessage, field string) (int, error) {
	if isNull(raw) {
		return 0, nil
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, &ParseError{Field: field, Err: ErrWrongType, Detail: "want a number"}
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n > 1<<30 {
		return 0, &ParseError{Field: field, Err: ErrInvalidValue, Detail: "want a whole number"}
	}
	return n, nil
}

// ItemRef is what identifies the object a notification is about: the
// fields Intercom keeps even in the minimal 2.16 *.deleted payloads.
type ItemRef struct {
	// Type is item.type ("contact", "conversation", "company", "ping"...).
	Type string
	// ID is the Intercom id (numbers are converted to their decimal text).
	ID string
	// ExternalID is the contact's external_id (user_id in API 1.x), if any.
	// It is an identifier of a person: treat it as personal data.
	ExternalID string
	// Role is "user" or "lead" for contacts, when present.
	Role string
}

type itemIDs struct {
	Type       json.RawMessage `json:"type"`
	ID         json.RawMessage `json:"id"`
	ExternalID json.RawMessage `json:"external_id"`
	UserID     json.RawMessage `json:"user_id"`
	Role       json.RawMessage `json:"role"`
}

// Ref extracts the item's type, id, external id and role without decoding
// the rest of the item. Absent fields are empty strings.
func (n Notification) Ref() (ItemRef, error) {
	var ids itemIDs
	if len(n.Item) == 0 || n.Item[0] != '{' {
		return ItemRef{}, &ParseError{Field: "data.item", Err: ErrWrongType, Detail: "want an object"}
	}
	if err := json.Unmarshal(n.Item, &ids); err != nil {
		return ItemRef{}, &ParseError{Field: "data.item", Err: ErrMalformedJSON}
	}
	var r ItemRef
	var err error
	if r.Type, err = str(ids.Type, "data.item.type"); err != nil {
		return ItemRef{}, err
	}
	if r.ID, err = idString(ids.ID, "data.item.id"); err != nil {
		return ItemRef{}, err
	}
	if r.ExternalID, err = idString(ids.ExternalID, "data.item.external_id"); err != nil {
		return ItemRef{}, err
	}
	if r.ExternalID == "" {
		if r.ExternalID, err = idString(ids.UserID, "data.item.user_id"); err != nil {
			return ItemRef{}, err
		}
	}
	if r.Role, err = str(ids.Role, "data.item.role"); err != nil {
		return ItemRef{}, err
	}
	return r, nil
}

// idString accepts a string or an integer id.
func idString(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		return str(raw, field)
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		var num json.Number
		if err := json.Unmarshal(raw, &num); err != nil {
			return "", &ParseError{Field: field, Err: ErrMalformedJSON}
		}
		if _, err := num.Int64(); err != nil {
			return "", &ParseError{Field: field, Err: ErrWrongType, Detail: "want a string or whole number"}
		}
		return num.String(), nil
	}
	return "", &ParseError{Field: field, Err: ErrWrongType, Detail: "want a string or whole number"}
}
