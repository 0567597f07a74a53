package users

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings: RFC 6238 defaults every authenticator app reads (SHA-1,
// six digits, 30 s), a 160-bit secret (RFC 4226 §4), and one step of skew
// either way for clocks that drift.
const (
	totpPeriod = 30
	totpSkew   = 1
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NormalizeCode returns the form a typed code is checked in: spaces and
// dashes dropped, lower case. It returns "" for something that is neither a
// six-digit TOTP code nor a recovery code (RecoveryCodeLen letters and
// digits of the recovery alphabet), so nothing else reaches the checks.
func NormalizeCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		default:
			return ""
		}
	}
	c := b.String()
	if isTOTPCode(c) || isRecoveryCode(c) {
		return c
	}
	return ""
}

func isTOTPCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for i := range len(c) {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// matchTOTP returns the time step at which code is valid for secret within
// the skew around now, or 0 and false. Every candidate is compared in
// constant time.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if !isTOTPCode(code) {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	var found int64
	for d := -totpSkew; d <= totpSkew; d++ {
		s := step + int64(d)
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			found = s
		}
	}
	return found, found != 0
}

// newTOTPKey makes a new TOTP secret for the account shown as account in
// the authenticator app.
func newTOTPKey(issuer, account string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// newTOTPKeyURL rebuilds the key of a stored secret.
func newTOTPKeyURL(issuer, account, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, errors.New("stored TOTP secret is not base32")
	}
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// totpCodeAt is the code of secret at t (tests and tools).
func totpCodeAt(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}
