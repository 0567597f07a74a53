package users

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// The prefixes of the secrets this package hands out. A prefix tells a
// reader (and secret scanners) what a leaked string is.
const (
	// SessionPrefix starts a console session cookie's value.
	SessionPrefix = "ips_"
	// TokenPrefix starts an API token.
	TokenPrefix = "ipt_"
)

// secretBytes is the entropy of every session and token secret: 256 bits.
const secretBytes = 32

// secretLen is the length of an encoded secret after its prefix.
var secretLen = base64.RawURLEncoding.EncodedLen(secretBytes)

// ErrMalformedSecret is returned by ParseSecret for a string that is not a
// secret of the expected kind. It never repeats the string.
var ErrMalformedSecret = errors.New("users: malformed session or token")

// newSecret returns a new secret with prefix, and its hash for the store.
func newSecret(prefix string) (secret string, hash []byte) {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	h := sha256.Sum256(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b), h[:]
}

// ParseSecret checks that s is a secret with prefix ("ips_" or "ipt_"
// followed by 43 characters of unpadded base64url) and returns the hash the
// store keeps of it. The secrets are 256 random bits, so an unsalted SHA-256
// is enough: nothing can be guessed from it.
func ParseSecret(prefix, s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != secretLen {
		return nil, ErrMalformedSecret
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) != secretBytes {
		return nil, ErrMalformedSecret
	}
	h := sha256.Sum256(b)
	return h[:], nil
}
