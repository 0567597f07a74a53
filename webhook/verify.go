// Package webhook receives Intercom webhook notifications: it verifies the
// X-Hub-Signature, parses the notification envelope, and serves
// POST /webhooks/intercom, handing each verified notification to a Sink
// (the store, in production) that de-duplicates and keeps it.
//
// What is verified and what is assumed (see intercom-api-notes §13):
//
//   - Signature: "X-Hub-Signature: sha1=<40 hex>", the HMAC-SHA1 (RFC 2104)
//     of the raw request body keyed with the app's client secret, compared
//     in constant time.
//   - Envelope: type "notification_event", id, topic, app_id and data.item
//     follow Intercom's v1.0 signed-notification example; created_at,
//     delivery_attempts and first_sent_at come from third-party material and
//     are parsed when present, never required.
//   - From API 2.16, *.deleted topics carry only identifying fields in
//     data.item; ItemRef reads exactly those (type, id, external_id).
//   - Delivery is at least once: the Sink de-duplicates on the id.
//
// Nothing here logs or returns the body, the secret, or any field value of
// the notification other than its id and topic.
package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
)

// SignatureHeader is the header Intercom signs notifications with.
const SignatureHeader = "X-Hub-Signature"

const sigPrefix = "sha1="

// Signature errors, for errors.Is.
var (
	// ErrMissingSignature: the header is absent or empty.
	ErrMissingSignature = errors.New("webhook: missing X-Hub-Signature header")
	// ErrMalformedSignature: the header is not "sha1=" followed by 40 hex
	// digits.
	ErrMalformedSignature = errors.New("webhook: malformed X-Hub-Signature header (want sha1=<40 hex digits>)")
	// ErrBadSignature: well-formed, but not the HMAC of this body under
	// this secret (wrong client secret, or a modified body).
	ErrBadSignature = errors.New("webhook: signature does not match the body")
	// ErrNoSecret: no client secret configured; every notification is
	// refused rather than accepted unsigned.
	ErrNoSecret = errors.New("webhook: no client secret configured (set INTERCOM_CLIENT_SECRET)")
)

// Sign returns the X-Hub-Signature value for body under secret, as Intercom
// computes it. The sandbox and tests use it to send signed notifications.
func Sign(secret, body []byte) string {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return sigPrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify checks header (the X-Hub-Signature value) against the HMAC-SHA1 of
// the raw body under secret. It returns nil, ErrNoSecret,
// ErrMissingSignature, ErrMalformedSignature or ErrBadSignature. The
// comparison is constant-time in the signature's value. The algorithm
// prefix is matched case-insensitively and the hex digits in either case.
func Verify(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissingSignature
	}
	if len(header) != len(sigPrefix)+2*sha1.Size || !strings.EqualFold(header[:len(sigPrefix)], sigPrefix) {
		return ErrMalformedSignature
	}
	var got [sha1.Size]byte
	if _, err := hex.Decode(got[:], []byte(header[len(sigPrefix):])); err != nil {
		return ErrMalformedSignature
	}
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), got[:]) {
		return ErrBadSignature
	}
	return nil
}
