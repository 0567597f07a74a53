package users

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; match them with errors.Is. No error of this package holds
// an email, a password, a code or a secret.
var (
	// ErrInvalidEmail: the email given is not a bare address (name@example.com).
	ErrInvalidEmail = errors.New("users: not an email address (write it bare: name@example.com)")
	// ErrUserExists: an account with this email exists.
	ErrUserExists = errors.New("users: an account with this email exists")
	// ErrNoUser: no account has this email (admin commands only; sign-in
	// answers ErrSignInFailed instead, whether the account exists or not).
	ErrNoUser = errors.New("users: no account with this email")
	// ErrSignInFailed: the email, the password or the code is wrong (or the
	// account is disabled). The same error, after the same work, for an
	// account that does not exist.
	ErrSignInFailed = errors.New("users: wrong email, password or code")
	// ErrWrongPassword: a password change gave a current password that is
	// not the account's (counted like a failed sign-in).
	ErrWrongPassword = errors.New("users: the current password is not right")
	// ErrThrottled: too many failed sign-ins for this account or from this
	// address; see ThrottledError for when to try again.
	ErrThrottled = errors.New("users: too many failed sign-ins")
	// ErrUnauthenticated: the session or token is unknown, ended, expired,
	// revoked, or its account disabled.
	ErrUnauthenticated = errors.New("users: not signed in")
	// ErrWrongStage: the session is not at the step of the sign-in asked for
	// (a second factor sent before the password, an enrolment for an account
	// that has a second factor).
	ErrWrongStage = errors.New("users: this step of the sign-in is not expected now")
	// ErrNoToken: no API token has this id.
	ErrNoToken = errors.New("users: no such API token")
	// ErrInvalidToken: a token's name or expiry is not acceptable.
	ErrInvalidToken = errors.New("users: invalid API token settings")
	// ErrDisabled: the account is disabled (admin commands on it).
	ErrDisabled = errors.New("users: the account is disabled")
	// ErrLastAdmin: disabling this account would leave no active admin.
	ErrLastAdmin = errors.New("users: this is the last active admin: add another admin first (users add --role admin)")
	// ErrNotProvisioned: the identity provider vouched for an email that has
	// no account, and provisioning is off.
	ErrNotProvisioned = errors.New("users: no account for this identity; ask an admin to add one")
	// ErrNoRole: the identity provider's claim maps to no role.
	ErrNoRole = errors.New("users: the identity provider gave no role this product knows")
)

// PasswordError is a password that does not meet the rules; it matches
// ErrWeakPassword.
type PasswordError struct{ Problem string }

// ErrWeakPassword is matched by every *PasswordError.
var ErrWeakPassword = errors.New("users: password not accepted")

func (e *PasswordError) Error() string { return "users: the password " + e.Problem }

// Is matches ErrWeakPassword.
func (e *PasswordError) Is(target error) bool { return target == ErrWeakPassword }

// ThrottledError says when a throttled sign-in may be tried again. It matches
// ErrThrottled. It is the same for an account that exists and one that does not.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("users: too many failed sign-ins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Is matches ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
