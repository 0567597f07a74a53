// Package users keeps the accounts of the console and the API and turns what a
// request presents (a session cookie, a bearer token) into an authz.Principal.
//
// An account is an email, a role, a password hashed with argon2id, a TOTP
// second factor with one-time recovery codes, and a disabled flag. The email
// is personal data: it is stored encrypted by the vault under the account's
// own key ("user:<id>", AAD users/email/<id>) with a blind index to find it,
// decrypted only to list accounts for an admin; the audit trail and the logs
// only ever see the account's id ("usr_..."). The TOTP secret is encrypted
// the same way; recovery codes, session and token secrets are kept as SHA-256
// hashes, so a copy of the database signs nobody in.
//
// Sign-in is two steps: the password (SignIn) opens a short session at the
// second-factor stage (or the enrolment stage for an account without one);
// the code (SecondFactor, ConfirmEnrolment) replaces it with a signed-in
// session under a new id and secret. Failures are throttled per account (a
// keyed hash of the email typed, so an account that does not exist is
// throttled alike) and per client address, and answer ErrSignInFailed after
// the same argon2id work whether the account exists or not.
//
// Sessions are kept in the store with an idle timeout and an absolute
// lifetime; API tokens never expire unless asked, and a revoked token, an
// ended session or a disabled account stops working at the next request
// (every request reads the store). Every change is an audit record in the
// transaction that makes it, naming accounts, sessions and tokens by id.
package users

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Defaults of Service's settings.
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
	// DefaultPendingLifetime is how long a session waits at the second
	// factor or enrolment stage.
	DefaultPendingLifetime = 10 * time.Minute
	DefaultAccountFailures = 5
	DefaultAddressFailures = 50
	DefaultThrottleWindow  = 15 * time.Minute
	DefaultIssuer          = "intercom-privacy"
	// MaxConcurrentHashes is how many argon2id hashes run at once (64 MiB each).
	MaxConcurrentHashes = 4
	// touchEvery is how stale LastSeenAt may get before a request writes it:
	// one write a minute per session, not one per request.
	touchEvery = time.Minute
)

// Service keeps the accounts. Zero values of the optional fields take the
// defaults above.
type Service struct {
	Store store.Store
	Vault *vault.Vault
	Chain *audit.Chain
	// Actor names who acts in audit records when the context carries no
	// authz.Principal ("cli:<os user>" for the commands).
	Actor string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Params are argon2id's costs (DefaultParams when zero).
	Params Params
	// Issuer names the product in authenticator apps.
	Issuer string
	// SessionIdle ends a session not used for this long.
	SessionIdle time.Duration
	// SessionLifetime ends a session this long after sign-in, used or not.
	SessionLifetime time.Duration
	// PendingLifetime is how long the second-factor step may take.
	PendingLifetime time.Duration
	// AccountFailures and AddressFailures are the failed sign-ins allowed
	// per account and per client address in ThrottleWindow; then sign-ins
	// are refused until the window ends.
	AccountFailures int
	AddressFailures int
	ThrottleWindow  time.Duration

	hashes    chan struct{}
	dummyOnce sync.Once
	dummy     string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) params() Params {
	if s.Params == (Params{}) {
		return DefaultParams
	}
	return s.Params
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *Service) actor(ctx context.Context) string {
	return authz.ActorFrom(ctx, or(s.Actor, "cli"))
}

// Init checks the settings and prepares the password hashing; call it once
// before use (the zero value of every optional setting is its default).
func (s *Service) Init() error {
	if s.Store == nil || s.Vault == nil || s.Chain == nil {
		return errors.New("users: Service needs a Store, a Vault and a Chain")
	}
	if s.hashes == nil {
		s.hashes = make(chan struct{}, MaxConcurrentHashes)
	}
	return nil
}

// hash and verify run argon2id under the semaphore: a burst of sign-ins
// waits rather than taking 64 MiB each at once.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashes }()
	return HashPassword(pw, s.params()), nil
}

func (s *Service) verify(ctx context.Context, encoded, pw string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashes }()
	if encoded == "" {
		// No password set (reset, identity provider only) or no account:
		// the same work, never a match. The hash checked against is made
		// at the first use, so that commands that never sign anyone in
		// never pay for it.
		s.Prepare()
		VerifyPassword(s.dummy, pw)
		return false, nil
	}
	return VerifyPassword(encoded, pw), nil
}

// Prepare makes the hash that sign-ins of unknown accounts are checked
// against (once; later calls return at once). A server calls it at start, so
// that the first such sign-in costs no more than the others; otherwise the
// first verify makes it.
func (s *Service) Prepare() {
	s.dummyOnce.Do(func() { s.dummy = HashPassword("intercom-privacy: no such account", s.params()) })
}

func (s *Service) acquire(ctx context.Context) error {
	if s.hashes == nil {
		return errors.New("users: Service.Init was not called")
	}
	select {
	case s.hashes <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NormalizeEmail returns the canonical form of a bare email address, or
// ErrInvalidEmail.
func NormalizeEmail(email string) (string, error) {
	n, err := vault.Normalize(vault.KindEmail, email)
	if err != nil || len(n) > 254 {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(n)
	if err != nil || a.Address != n || a.Name != "" {
		return "", ErrInvalidEmail
	}
	return n, nil
}

func (s *Service) emailIndex(email string) ([]byte, error) {
	return s.Vault.BlindIndex(vault.KindEmail, email)
}

func userKeyID(id string) string { return "user:" + id }

func emailAAD(id string) vault.AAD { return vault.AAD{Table: "users", Column: "email", Row: id} }
func totpAAD(id string) vault.AAD  { return vault.AAD{Table: "users", Column: "totp_secret", Row: id} }

// User is an account as an admin sees it.
type User struct {
	ID    string
	Email string
	Role  authz.Role
	// Enrolled says the account has a confirmed second factor.
	Enrolled    bool
	HasPassword bool
	Disabled    bool
	CreatedAt   time.Time
	// LastSeen is the last use of a signed-in session (zero: never).
	LastSeen time.Time
}

// AddInput is what Add needs. Password may be empty: the account then has no
// password, and signs in through the identity provider (or gets one with Reset).
type AddInput struct {
	Email    string
	Role     authz.Role
	Password string
}

// Add creates an account and its audit record in one transaction and returns
// its id.
func (s *Service) Add(ctx context.Context, in AddInput) (string, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return "", err
	}
	if !in.Role.Valid() {
		_, err := authz.ParseRole(string(in.Role))
		return "", err
	}
	var hash string
	if in.Password != "" {
		if err := CheckPassword(in.Password); err != nil {
			return "", err
		}
		if hash, err = s.hash(ctx, in.Password); err != nil {
			return "", err
		}
	}
	return s.create(ctx, email, in.Role, hash, "", s.actor(ctx), "added by an admin")
}

func (s *Service) create(ctx context.Context, email string, role authz.Role, hash, subject, actor, reason string) (string, error) {
	idx, err := s.emailIndex(email)
	if err != nil {
		return "", err
	}
	id := store.NewID("usr_")
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		ct, err := s.Vault.With(tx).Encrypt(ctx, userKeyID(id), emailAAD(id), []byte(email))
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.CreateUser(ctx, store.User{ID: id, EmailIndex: idx, EmailEnc: ct, Role: string(role),
			PasswordHash: hash, OIDCSubject: subject, CreatedAt: now, UpdatedAt: now}); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return ErrUserExists
			}
			return err
		}
		if actor == "" {
			actor = "user:" + id
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionUserAdded, Outcome: audit.OutcomeSuccess,
			ObjectIDs: []string{id}, Reason: reason + "; role " + string(role)})
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// byEmail finds the account of an email (ErrNoUser when none).
func (s *Service) byEmail(ctx context.Context, email string) (store.User, error) {
	n, err := NormalizeEmail(email)
	if err != nil {
		return store.User{}, err
	}
	idx, err := s.emailIndex(n)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.Store.UserByEmailIndex(ctx, idx)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrNoUser
	}
	return u, err
}

// Lookup returns the id of the account with this email (ErrNoUser when none).
func (s *Service) Lookup(ctx context.Context, email string) (string, error) {
	u, err := s.byEmail(ctx, email)
	return u.ID, err
}

// List returns every account, with its email decrypted, oldest first.
func (s *Service) List(ctx context.Context) ([]User, error) {
	us, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	seen, err := s.Store.LastSeen(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(us))
	for _, u := range us {
		v := s.view(ctx, u)
		v.LastSeen = seen[u.ID]
		out = append(out, v)
	}
	return out, nil
}

// Get returns one account by id.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	u, err := s.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, err
	}
	return s.view(ctx, u), nil
}

func (s *Service) view(ctx context.Context, u store.User) User {
	email := "(unreadable)"
	if b, err := s.Vault.Decrypt(ctx, userKeyID(u.ID), emailAAD(u.ID), u.EmailEnc); err == nil {
		email = string(b)
	}
	return User{ID: u.ID, Email: email, Role: authz.Role(u.Role), Enrolled: u.TOTPConfirmed, HasPassword: u.PasswordHash != "",
		Disabled: u.Disabled(), CreatedAt: u.CreatedAt}
}

// NewPassword makes a password to hand to a person once: 24 characters of
// lower-case base32, 120 bits.
func NewPassword() string { return strings.ToLower(rand.Text()[:24]) }

// Invite adds an account with a new random password, returned once to be
// handed to the person (the admin pages show it on one answer only); the
// second factor is enrolled at the first sign-in.
func (s *Service) Invite(ctx context.Context, email string, role authz.Role) (id, password string, err error) {
	password = NewPassword()
	id, err = s.Add(ctx, AddInput{Email: email, Role: role, Password: password})
	if err != nil {
		return "", "", err
	}
	return id, password, nil
}

// Disable disables the account of email, ends its sessions and revokes its
// API tokens, with the audit records, in one transaction. Disabling a
// disabled account changes nothing and returns ErrDisabled; the last active
// admin is not disabled (ErrLastAdmin): add another admin first.
func (s *Service) Disable(ctx context.Context, email string) (string, error) {
	u, err := s.byEmail(ctx, email)
	if err != nil {
		return "", err
	}
	return u.ID, s.DisableID(ctx, u.ID)
}

// DisableID is Disable for an account id (the admin pages name accounts by
// id); an unknown id is ErrNoUser.
func (s *Service) DisableID(ctx context.Context, id string) error {
	actor := s.actor(ctx)
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoUser
		}
		if err != nil {
			return err
		}
		if u.Disabled() {
			return ErrDisabled
		}
		if u.Role == string(authz.RoleAdmin) {
			all, err := tx.ListUsers(ctx)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(all, func(o store.User) bool { return o.ID != u.ID && o.Role == u.Role && !o.Disabled() }) {
				return ErrLastAdmin
			}
		}
		now := s.now()
		u.DisabledAt, u.UpdatedAt = now, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		ended, err := tx.EndUserSessions(ctx, u.ID, "", now, "user_disabled")
		if err != nil {
			return err
		}
		revoked, err := tx.RevokeUserAPITokens(ctx, u.ID, now)
		if err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionUserDisabled, Outcome: audit.OutcomeSuccess,
			ObjectIDs: append(append([]string{u.ID}, ended...), revoked...),
			Counts:    map[string]int64{"sessions_ended": int64(len(ended)), "tokens_revoked": int64(len(revoked))}})
		return err
	})
}

// ResetInput says what Reset does. The password and the second factor are
// reset together unless SecondFactorOnly: a reset is for an account whose
// owner lost access, and a lost phone with a known password (or the reverse)
// is the exception the flag covers.
type ResetInput struct {
	Email string
	// Password is the new password; empty leaves the account without one
	// until the next reset (identity-provider accounts need none).
	Password string
	// SecondFactorOnly keeps the password and resets only the second factor.
	SecondFactorOnly bool
}

// Reset resets an account's password and second factor (the TOTP secret and
// the recovery codes: the owner enrols again at the next sign-in), re-enables
// nothing, and ends every session of the account, with the audit record, in
// one transaction. API tokens are kept (revoke them with `tokens revoke` when
// they may have leaked too).
func (s *Service) Reset(ctx context.Context, in ResetInput) (string, error) {
	u, err := s.byEmail(ctx, in.Email)
	if err != nil {
		return "", err
	}
	var hash string
	if !in.SecondFactorOnly && in.Password != "" {
		if err := CheckPassword(in.Password); err != nil {
			return "", err
		}
		if hash, err = s.hash(ctx, in.Password); err != nil {
			return "", err
		}
	}
	actor := s.actor(ctx)
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		now := s.now()
		what := "second factor"
		if !in.SecondFactorOnly {
			u.PasswordHash = hash
			what = "password and second factor"
		}
		u.TOTPEnc, u.TOTPConfirmed, u.UpdatedAt = nil, false, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, nil); err != nil {
			return err
		}
		ended, err := tx.EndUserSessions(ctx, u.ID, "", now, "user_reset")
		if err != nil {
			return err
		}
		if err := tx.ClearSignInFailures(ctx, s.accountKeyOf(u.EmailIndex)); err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionUserReset, Outcome: audit.OutcomeSuccess,
			ObjectIDs: append([]string{u.ID}, ended...), Reason: what + " reset",
			Counts: map[string]int64{"sessions_ended": int64(len(ended))}})
		return err
	})
	return u.ID, err
}

// accountKeyOf is the throttle key of an account: its email's blind index,
// which exists whether an account has this email or not.
func (s *Service) accountKeyOf(emailIndex []byte) string {
	return "account:" + hex.EncodeToString(emailIndex)
}

// errorf wraps an unexpected error without personal data.
func errorf(what string, err error) error { return fmt.Errorf("users: %s: %w", what, err) }
