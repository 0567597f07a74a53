// Package sandbox is an imitation Intercom workspace served over real HTTP.
//
// It answers the endpoints the project's Intercom client needs (GET /me; contacts:
// retrieve, find by external id, list, search, delete, archive, unarchive, merge and the
// per-contact tags, segments, companies, notes and subscriptions; conversations: search,
// retrieve, delete, redact; tickets: search, retrieve, delete; data events; the content
// data export) with Intercom's status codes, its error.list envelope, its field names,
// cursor pagination and the quirks Intercom's description leaves out (see
// ../shared/docs/intercom-api-notes.md, and the deviation table in conformance_test.go).
//
// The workspace is generated deterministically from a seed and a size. Conversation
// parts hold realistic personal data in free text inside HTML bodies: names, e-mail
// addresses, phone numbers in several countries' formats, card numbers with a valid Luhn
// digit, IBANs with valid mod-97 check digits and postal addresses. The data is
// synthetic; nothing in it belongs to a real person.
//
// Faults can be injected for testing a client: latency with jitter, a share of 5xx
// answers, dropped connections, rate limiting in fixed windows with Intercom's
// X-RateLimit-* headers and forced 429 bursts. Every endpoint and every effect (delete,
// archive, merge, redact, export) is counted per object id in Stats, so a test can prove
// that nothing happened twice.
//
// The package deliberately does not import the project's client (package intercom): both
// are checked against Intercom's OpenAPI description, not against each other.
package sandbox
