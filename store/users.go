package store

import (
	"context"
	"time"
)

// User is an account of the console and the API (package users keeps the
// rules; the store keeps the rows). It holds no personal data in clear: the
// email is EmailEnc (encrypted by the vault under the user's own key) and
// EmailIndex (its blind index, unique); the password is an argon2id hash; the
// TOTP secret is encrypted.
type User struct {
	ID         string
	EmailIndex []byte
	EmailEnc   []byte
	// Role is an authz.Role name.
	Role string
	// PasswordHash is the encoded argon2id hash; empty means the account has
	// no password (it signs in through the identity provider, or was reset).
	PasswordHash string
	// TOTPEnc is the encrypted TOTP secret; nil when none was issued.
	TOTPEnc []byte
	// TOTPConfirmed is set once a code made from TOTPEnc was accepted: until
	// then the account is enrolling.
	TOTPConfirmed bool
	// TOTPLastStep is the last TOTP time step accepted, so that a code is
	// accepted once (UseTOTPStep).
	TOTPLastStep int64
	// OIDCSubject is the identity provider's "sub" once the account signed in
	// through it.
	OIDCSubject string
	DisabledAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Disabled reports whether the account is disabled.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// Users keeps the accounts.
type Users interface {
	// CreateUser inserts an account (ID generated when empty, CreatedAt and
	// UpdatedAt set to now when zero); an EmailIndex already taken fails with
	// ErrDuplicate.
	CreateUser(ctx context.Context, u User) (User, error)
	// GetUser returns one account.
	GetUser(ctx context.Context, id string) (User, error)
	// UserByEmailIndex returns the account whose EmailIndex is idx.
	UserByEmailIndex(ctx context.Context, idx []byte) (User, error)
	// ListUsers lists every account, oldest first.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces the mutable fields (Role, PasswordHash, TOTPEnc,
	// TOTPConfirmed, TOTPLastStep, OIDCSubject, DisabledAt, UpdatedAt) of an
	// existing account.
	UpdateUser(ctx context.Context, u User) error
	// UseTOTPStep records step as the account's last accepted TOTP step if it
	// is later than the one stored, in one conditional statement; it reports
	// false (no error) for a step already used or earlier (a replayed code).
	UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	// ReplaceRecoveryCodes deletes the account's recovery codes and stores
	// hashes as its new, unused ones.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error
	// UseRecoveryCode marks the unused code with this hash as used at at; it
	// reports false (no error) for an unknown or already used code.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error)
	// UnusedRecoveryCodes counts the account's unused recovery codes.
	UnusedRecoveryCodes(ctx context.Context, userID string) (int, error)
}

// SessionStage says how far a session's sign-in went.
type SessionStage string

// The stages of a session.
const (
	// StagePassword: the password was right; the second factor is awaited.
	StagePassword SessionStage = "password"
	// StageEnrol: the password was right; the account has no second factor
	// yet and must enrol one.
	StageEnrol SessionStage = "enrol"
	// StageFull: signed in.
	StageFull SessionStage = "full"
)

// Session is a console session. The cookie holds a random secret; the store
// keeps only its SHA-256 (SecretHash), so a copy of the database opens no
// session.
type Session struct {
	ID         string
	SecretHash []byte
	UserID     string
	Stage      SessionStage
	// Via is an authz.Via name ("session" or "oidc").
	Via        string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, whatever its use.
	ExpiresAt time.Time
	// EndedAt is when it was ended (sign-out, rotation, ...); zero while live.
	EndedAt time.Time
	// EndReason says why it ended: "signed_out", "signed_out_everywhere",
	// "rotated", "user_disabled", "user_reset", ...
	EndReason string
}

// Sessions keeps console sessions. Package users/sessiontest is its
// conformance suite.
type Sessions interface {
	// CreateSession inserts a session (ID generated when empty; CreatedAt and
	// LastSeenAt set to now when zero). SecretHash must be unique
	// (ErrDuplicate otherwise) and ExpiresAt set.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// SessionBySecretHash returns the session with this secret hash, ended or
	// not (the caller decides what an ended or expired session means).
	SessionBySecretHash(ctx context.Context, hash []byte) (Session, error)
	// GetSession returns one session by id.
	GetSession(ctx context.Context, id string) (Session, error)
	// TouchSession sets LastSeenAt of a live session to at if at is later;
	// it is a no-op on an ended session.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// EndSession ends a live session; it reports false (no error) when the
	// session was already ended or does not exist.
	EndSession(ctx context.Context, id string, at time.Time, reason string) (bool, error)
	// EndUserSessions ends every live session of a user but exceptID (""
	// for none) and returns the ids it ended.
	EndUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) ([]string, error)
	// UserSessions lists a user's live sessions (not ended, ExpiresAt after
	// now), oldest first.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// LastSeen returns, per user id, the latest LastSeenAt of the user's
	// signed-in (StageFull) sessions, ended or not; users who never signed in
	// are absent.
	LastSeen(ctx context.Context) (map[string]time.Time, error)
	// DeleteSessionsBefore deletes the sessions that ended, or expired,
	// before before, and returns how many it deleted.
	DeleteSessionsBefore(ctx context.Context, before time.Time) (int64, error)
}

// APIToken is a bearer token for scripts. The token itself is shown once;
// the store keeps its SHA-256 (SecretHash).
type APIToken struct {
	ID         string
	SecretHash []byte
	UserID     string
	// Name is the label its owner gave it (no personal data expected; it is
	// never written to the audit trail).
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never expires
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// APITokens keeps API tokens.
type APITokens interface {
	// CreateAPIToken inserts a token (ID generated when empty, CreatedAt now
	// when zero); a SecretHash already stored fails with ErrDuplicate.
	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	// APITokenBySecretHash returns the token with this secret hash, revoked
	// or not.
	APITokenBySecretHash(ctx context.Context, hash []byte) (APIToken, error)
	// GetAPIToken returns one token by id.
	GetAPIToken(ctx context.Context, id string) (APIToken, error)
	// APITokens lists the tokens of userID ("" for every user), oldest first.
	APITokens(ctx context.Context, userID string) ([]APIToken, error)
	// RevokeAPIToken revokes a token; it reports false (no error) when it was
	// already revoked or does not exist.
	RevokeAPIToken(ctx context.Context, id string, at time.Time) (bool, error)
	// RevokeUserAPITokens revokes every token of a user and returns the ids
	// it revoked.
	RevokeUserAPITokens(ctx context.Context, userID string, at time.Time) ([]string, error)
	// TouchAPIToken sets LastUsedAt to at if at is later.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
}

// SignInThrottle counts failed sign-ins per opaque key (package users makes
// the keys: keyed hashes of an email typed or a client address).
type SignInThrottle interface {
	// RecordSignInFailure counts one failure for key at now in a window of
	// length window: a window that started before now-window starts again at
	// now with one failure. It returns the failures in the current window and
	// when it started; concurrent calls never lose a count.
	RecordSignInFailure(ctx context.Context, key string, now time.Time, window time.Duration) (failures int, windowStart time.Time, err error)
	// SignInFailures returns the failures counted for key and when their
	// window started (0 and the zero time when none).
	SignInFailures(ctx context.Context, key string) (failures int, windowStart time.Time, err error)
	// ClearSignInFailures forgets the failures of key.
	ClearSignInFailures(ctx context.Context, key string) error
	// DeleteSignInFailuresBefore forgets the keys whose window started before
	// before, and returns how many.
	DeleteSignInFailuresBefore(ctx context.Context, before time.Time) (int64, error)
}
