// Package scan finds personal data and secrets inside the Intercom workspace's
// conversations, reports it, and redacts the parts that must not be kept.
//
// A Scanner walks the conversations updated in a window (search by updated_at),
// fetches each in full in parallel under the client's shared rate budget, runs the
// PII engine on every part (HTML bodies, subjects, attachment names) and stores
// what it found as references only: conversation id, part id, author role, type,
// confidence and validator, never a value. A conversation is recorded with the
// updated_at it was scanned at, so a killed run resumes without fetching it again
// and the next run is incremental.
//
// A Redactor asks Intercom to redact each part holding a finding of the chosen
// types. Intercom replaces the whole part with "This message was deleted": it
// cannot remove only the finding. Every part is redacted exactly once: its
// redaction is recorded (with an audit record, ids only) before the request and
// after it, a resumed run sends again only what it recorded as intended, and a
// second redaction (which Intercom answers 400) counts as done.
//
// A Monitor keeps new messages clean: it is the webhook sink for
// conversation.user.created and conversation.user.replied (and the admin topics
// when configured), scans the message in the notification, and reports,
// redacts, or redacts and posts an internal note, within seconds.
package scan
