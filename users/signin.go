package users

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"time"

	"github.com/pquerna/otp"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Started is a session a sign-in step opened: Secret goes into the cookie
// (it is shown nowhere else and stored only as a hash).
type Started struct {
	Secret  string
	Session store.Session
}

// anonymous is the audit actor of a sign-in step whose account is not
// proven yet.
const anonymous = "anonymous"

// addressKey is the throttle key of a client address: a keyed hash of the
// address (IPv6 cut to its /64, which one client usually holds whole), so the
// store never holds the address. "" when addr does not parse.
func (s *Service) addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	idx, err := s.Vault.BlindIndex(vault.KindExternalID, "signin-address/"+a.String())
	if err != nil {
		return ""
	}
	return "address:" + hex.EncodeToString(idx)
}

// throttled returns a *ThrottledError when any of keys has reached its limit
// in the current window.
func (s *Service) throttled(ctx context.Context, now time.Time, keys ...throttleKey) error {
	window := or(s.ThrottleWindow, DefaultThrottleWindow)
	var wait time.Duration
	for _, k := range keys {
		if k.key == "" {
			continue
		}
		n, start, err := s.Store.SignInFailures(ctx, k.key)
		if err != nil {
			return err
		}
		if n >= k.limit && now.Before(start.Add(window)) {
			wait = max(wait, start.Add(window).Sub(now))
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

type throttleKey struct {
	key   string
	limit int
}

func (s *Service) keys(emailIndex []byte, addr string) []throttleKey {
	return []throttleKey{
		{s.accountKeyOf(emailIndex), or(s.AccountFailures, DefaultAccountFailures)},
		{s.addressKey(addr), or(s.AddressFailures, DefaultAddressFailures)},
	}
}

// fail counts a failed step against keys and records it, in one
// transaction, and returns ErrSignInFailed.
func (s *Service) fail(ctx context.Context, now time.Time, keys []throttleKey, userID, reason string) error {
	rec := audit.Record{Actor: anonymous, Action: audit.ActionSignIn, Outcome: audit.OutcomeFailure, Reason: reason}
	if userID != "" {
		rec.ObjectIDs = []string{userID}
	}
	if err := s.countFailure(ctx, now, keys, rec); err != nil {
		return err
	}
	return ErrSignInFailed
}

// countFailure counts a failed step against keys and appends rec (its
// reason told when the limit is reached), in one transaction.
func (s *Service) countFailure(ctx context.Context, now time.Time, keys []throttleKey, rec audit.Record) error {
	window := or(s.ThrottleWindow, DefaultThrottleWindow)
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		locked := false
		for _, k := range keys {
			if k.key == "" {
				continue
			}
			n, _, err := tx.RecordSignInFailure(ctx, k.key, now, window)
			if err != nil {
				return err
			}
			locked = locked || n == k.limit
		}
		if locked {
			rec.Reason += "; sign-ins throttled for the rest of the window"
		}
		_, err := s.Chain.Append(ctx, tx, rec)
		return err
	})
	if err != nil {
		return errorf("recording a failed sign-in", err)
	}
	return nil
}

// SignIn checks an email and password typed from the client address addr.
// On success it opens a session at the second-factor stage
// (store.StagePassword) or, for an account without a second factor, at the
// enrolment stage (store.StageEnrol), valid for PendingLifetime. It returns
// ErrSignInFailed for a wrong email or password, an account without a
// password or a disabled one, after the same work, and a *ThrottledError once
// the account's email or the address had too many failures.
func (s *Service) SignIn(ctx context.Context, email, password, addr string) (Started, error) {
	now := s.now()
	norm, err := NormalizeEmail(email)
	if err != nil {
		// Not an email: no account can match; the address is throttled and
		// the same work done as for a wrong password.
		addrKey := []throttleKey{{s.addressKey(addr), or(s.AddressFailures, DefaultAddressFailures)}}
		if terr := s.throttled(ctx, now, addrKey...); terr != nil {
			return Started{}, terr
		}
		if _, err := s.verify(ctx, "", password); err != nil {
			return Started{}, err
		}
		return Started{}, s.fail(ctx, now, addrKey, "", "not an email address")
	}
	idx, err := s.emailIndex(norm)
	if err != nil {
		return Started{}, err
	}
	keys := s.keys(idx, addr)
	if err := s.throttled(ctx, now, keys...); err != nil {
		return Started{}, err
	}
	u, err := s.Store.UserByEmailIndex(ctx, idx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, err := s.verify(ctx, "", password); err != nil {
			return Started{}, err
		}
		return Started{}, s.fail(ctx, now, keys, "", "no account with this email")
	case err != nil:
		return Started{}, err
	}
	ok, err := s.verify(ctx, u.PasswordHash, password)
	if err != nil {
		return Started{}, err
	}
	switch {
	case !ok && u.PasswordHash == "":
		return Started{}, s.fail(ctx, now, keys, u.ID, "the account has no password")
	case !ok:
		return Started{}, s.fail(ctx, now, keys, u.ID, "wrong password")
	case u.Disabled():
		return Started{}, s.fail(ctx, now, keys, u.ID, "the account is disabled")
	}
	stage := store.StagePassword
	if !u.TOTPConfirmed {
		stage = store.StageEnrol
	}
	var rehash string
	if NeedsRehash(u.PasswordHash, s.params()) {
		if rehash, err = s.hash(ctx, password); err != nil {
			return Started{}, err
		}
	}
	secret, hash := newSecret(SessionPrefix)
	var ses store.Session
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		if rehash != "" {
			cur, err := tx.GetUser(ctx, u.ID)
			if err != nil {
				return err
			}
			if cur.PasswordHash == u.PasswordHash {
				cur.PasswordHash, cur.UpdatedAt = rehash, now
				if err := tx.UpdateUser(ctx, cur); err != nil {
					return err
				}
			}
		}
		if err := tx.ClearSignInFailures(ctx, keys[0].key); err != nil {
			return err
		}
		var err error
		ses, err = tx.CreateSession(ctx, store.Session{SecretHash: hash, UserID: u.ID, Stage: stage, Via: string(authz.ViaSession),
			CreatedAt: now, ExpiresAt: now.Add(or(s.PendingLifetime, DefaultPendingLifetime))})
		return err
	})
	if err != nil {
		return Started{}, err
	}
	return Started{Secret: secret, Session: ses}, nil
}

// pending returns the live session of secret at stage, and its account.
func (s *Service) pending(ctx context.Context, secret string, stage store.SessionStage) (store.Session, store.User, error) {
	ses, err := s.session(ctx, secret)
	if err != nil {
		return store.Session{}, store.User{}, err
	}
	if ses.Stage != stage {
		return store.Session{}, store.User{}, ErrWrongStage
	}
	u, err := s.Store.GetUser(ctx, ses.UserID)
	if err != nil {
		return store.Session{}, store.User{}, ErrUnauthenticated
	}
	return ses, u, nil
}

// session returns the live (not ended, not expired, not idle) session of a
// cookie value, at any stage.
func (s *Service) session(ctx context.Context, secret string) (store.Session, error) {
	h, err := ParseSecret(SessionPrefix, secret)
	if err != nil {
		return store.Session{}, ErrUnauthenticated
	}
	ses, err := s.Store.SessionBySecretHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, ErrUnauthenticated
	}
	if err != nil {
		return store.Session{}, err
	}
	now := s.now()
	if !ses.EndedAt.IsZero() || !now.Before(ses.ExpiresAt) || now.Sub(ses.LastSeenAt) >= or(s.SessionIdle, DefaultSessionIdle) {
		return store.Session{}, ErrUnauthenticated
	}
	return ses, nil
}

// Stage returns the stage of the live session of a cookie value
// (ErrUnauthenticated when there is none).
func (s *Service) Stage(ctx context.Context, secret string) (store.SessionStage, error) {
	ses, err := s.session(ctx, secret)
	return ses.Stage, err
}

// SecondFactor checks a TOTP code or a recovery code for a session at the
// second-factor stage and, when it is right, ends that session and opens a
// signed-in one under a new id and secret (the session is rotated). A TOTP
// code is accepted once; a recovery code once ever. Failures count against
// the account and the address like wrong passwords.
func (s *Service) SecondFactor(ctx context.Context, secret, code, addr string) (Started, error) {
	ses, u, err := s.pending(ctx, secret, store.StagePassword)
	if err != nil {
		return Started{}, err
	}
	now := s.now()
	keys := s.keys(u.EmailIndex, addr)
	if err := s.throttled(ctx, now, keys...); err != nil {
		return Started{}, err
	}
	if u.Disabled() {
		return Started{}, s.fail(ctx, now, keys, u.ID, "the account is disabled")
	}
	c := NormalizeCode(code)
	var step int64
	how := "password and TOTP"
	switch {
	case isTOTPCode(c):
		key, err := s.Vault.Decrypt(ctx, userKeyID(u.ID), totpAAD(u.ID), u.TOTPEnc)
		if err != nil {
			return Started{}, errorf("reading the second factor", err)
		}
		var ok bool
		if step, ok = matchTOTP(string(key), c, now); !ok {
			return Started{}, s.fail(ctx, now, keys, u.ID, "wrong TOTP code")
		}
	case isRecoveryCode(c):
		how = "password and recovery code"
	default:
		return Started{}, s.fail(ctx, now, keys, u.ID, "not a TOTP or recovery code")
	}
	var out Started
	var reused bool
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		reused = false
		if step != 0 {
			ok, err := tx.UseTOTPStep(ctx, u.ID, step)
			if err != nil {
				return err
			}
			reused = !ok
		} else {
			ok, err := tx.UseRecoveryCode(ctx, u.ID, recoveryHash(c), now)
			if err != nil {
				return err
			}
			reused = !ok
		}
		if reused {
			return nil
		}
		if err := tx.ClearSignInFailures(ctx, keys[0].key); err != nil {
			return err
		}
		out, err = s.openFull(ctx, tx, u, ses, authz.ViaSession, how)
		return err
	})
	if err != nil {
		return Started{}, err
	}
	if reused {
		if step != 0 {
			return Started{}, s.fail(ctx, now, keys, u.ID, "TOTP code already used")
		}
		return Started{}, s.fail(ctx, now, keys, u.ID, "wrong or used recovery code")
	}
	return out, nil
}

// openFull ends the pending session prev (if any) and opens a signed-in
// session for u, with the sign-in's audit record, inside tx.
func (s *Service) openFull(ctx context.Context, tx store.Tx, u store.User, prev store.Session, via authz.Via, how string) (Started, error) {
	now := s.now()
	ids := []string{u.ID}
	if prev.ID != "" {
		if _, err := tx.EndSession(ctx, prev.ID, now, "rotated"); err != nil {
			return Started{}, err
		}
	}
	secret, hash := newSecret(SessionPrefix)
	ses, err := tx.CreateSession(ctx, store.Session{SecretHash: hash, UserID: u.ID, Stage: store.StageFull, Via: string(via),
		CreatedAt: now, ExpiresAt: now.Add(or(s.SessionLifetime, DefaultSessionLifetime))})
	if err != nil {
		return Started{}, err
	}
	ids = append(ids, ses.ID)
	_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: "user:" + u.ID, Action: audit.ActionSignIn, Outcome: audit.OutcomeSuccess,
		ObjectIDs: ids, Reason: "signed in with " + how})
	if err != nil {
		return Started{}, err
	}
	return Started{Secret: secret, Session: ses}, nil
}

// Enrolment is the second factor an account at the enrolment stage is asked
// to add to an authenticator app.
type Enrolment struct {
	// Key is the TOTP key: Key.Secret() for typing, Key.URL() for the QR
	// code (Key.Image renders it).
	Key *otp.Key
}

// BeginEnrolment returns the TOTP key of a session at the enrolment stage,
// making and storing it (encrypted, unconfirmed) the first time; asking
// again shows the same key until it is confirmed.
func (s *Service) BeginEnrolment(ctx context.Context, secret string) (Enrolment, error) {
	_, u, err := s.pending(ctx, secret, store.StageEnrol)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TOTPConfirmed {
		return Enrolment{}, ErrWrongStage
	}
	email, err := s.Vault.Decrypt(ctx, userKeyID(u.ID), emailAAD(u.ID), u.EmailEnc)
	if err != nil {
		return Enrolment{}, errorf("reading the account", err)
	}
	issuer := or(s.Issuer, DefaultIssuer)
	if u.TOTPEnc != nil {
		sec, err := s.Vault.Decrypt(ctx, userKeyID(u.ID), totpAAD(u.ID), u.TOTPEnc)
		if err != nil {
			return Enrolment{}, errorf("reading the second factor", err)
		}
		k, err := keyFromSecret(issuer, string(email), string(sec))
		return Enrolment{Key: k}, err
	}
	k, err := newTOTPKey(issuer, string(email))
	if err != nil {
		return Enrolment{}, errorf("making a TOTP key", err)
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.TOTPEnc != nil || cur.TOTPConfirmed {
			return errConcurrentEnrolment
		}
		ct, err := s.Vault.With(tx).Encrypt(ctx, userKeyID(u.ID), totpAAD(u.ID), []byte(k.Secret()))
		if err != nil {
			return err
		}
		cur.TOTPEnc, cur.UpdatedAt = ct, s.now()
		return tx.UpdateUser(ctx, cur)
	})
	if errors.Is(err, errConcurrentEnrolment) {
		return s.BeginEnrolment(ctx, secret) // another request stored one first: show that one
	}
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Key: k}, nil
}

var (
	errConcurrentEnrolment = errors.New("users: enrolment began concurrently")
	errCodeUsed            = errors.New("users: TOTP code already used")
)

func keyFromSecret(issuer, account, secret string) (*otp.Key, error) {
	k, err := newTOTPKeyURL(issuer, account, secret)
	if err != nil {
		return nil, errorf("rebuilding the TOTP key", err)
	}
	return k, nil
}

// ConfirmEnrolment checks the first code of the key BeginEnrolment showed;
// when it is right the second factor is confirmed, RecoveryCodes new
// recovery codes replace any old ones (returned once, to be shown once), and
// the session is rotated into a signed-in one, all in one transaction with
// the audit records.
func (s *Service) ConfirmEnrolment(ctx context.Context, secret, code, addr string) (Started, []string, error) {
	ses, u, err := s.pending(ctx, secret, store.StageEnrol)
	if err != nil {
		return Started{}, nil, err
	}
	now := s.now()
	keys := s.keys(u.EmailIndex, addr)
	if err := s.throttled(ctx, now, keys...); err != nil {
		return Started{}, nil, err
	}
	if u.Disabled() {
		return Started{}, nil, s.fail(ctx, now, keys, u.ID, "the account is disabled")
	}
	if u.TOTPEnc == nil || u.TOTPConfirmed {
		return Started{}, nil, ErrWrongStage
	}
	key, err := s.Vault.Decrypt(ctx, userKeyID(u.ID), totpAAD(u.ID), u.TOTPEnc)
	if err != nil {
		return Started{}, nil, errorf("reading the second factor", err)
	}
	step, ok := matchTOTP(string(key), NormalizeCode(code), now)
	if !ok {
		return Started{}, nil, s.fail(ctx, now, keys, u.ID, "wrong TOTP code at enrolment")
	}
	shown, hashes := newRecoveryCodes(RecoveryCodes)
	var out Started
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.TOTPConfirmed || string(cur.TOTPEnc) != string(u.TOTPEnc) {
			return ErrWrongStage
		}
		if ok, err := tx.UseTOTPStep(ctx, u.ID, step); err != nil || !ok {
			if err == nil {
				err = errCodeUsed
			}
			return err
		}
		cur, err = tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		cur.TOTPConfirmed, cur.UpdatedAt = true, now
		if err := tx.UpdateUser(ctx, cur); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
			return err
		}
		if _, err := s.Chain.Append(ctx, tx, audit.Record{Actor: "user:" + u.ID, Action: audit.ActionUserEnrolled,
			Outcome: audit.OutcomeSuccess, ObjectIDs: []string{u.ID}, Reason: "TOTP second factor and recovery codes",
			Counts: map[string]int64{"recovery_codes": int64(len(hashes))}}); err != nil {
			return err
		}
		if err := tx.ClearSignInFailures(ctx, keys[0].key); err != nil {
			return err
		}
		out, err = s.openFull(ctx, tx, cur, ses, authz.ViaSession, "password and TOTP (enrolled)")
		return err
	})
	if errors.Is(err, errCodeUsed) {
		return Started{}, nil, s.fail(ctx, now, keys, u.ID, "TOTP code already used at enrolment")
	}
	if err != nil {
		return Started{}, nil, err
	}
	return out, shown, nil
}

// Authenticate returns the Principal of a signed-in session's cookie value.
// The account is read at every call, so a disabled account or a changed role
// takes effect at the next request. It returns ErrUnauthenticated for a
// malformed, unknown, ended, expired or idle session, one not signed in fully,
// or a disabled account.
func (s *Service) Authenticate(ctx context.Context, secret string) (authz.Principal, error) {
	ses, err := s.session(ctx, secret)
	if err != nil {
		return authz.Principal{}, err
	}
	if ses.Stage != store.StageFull {
		return authz.Principal{}, ErrUnauthenticated
	}
	u, err := s.Store.GetUser(ctx, ses.UserID)
	if err != nil || u.Disabled() {
		return authz.Principal{}, ErrUnauthenticated
	}
	now := s.now()
	if now.Sub(ses.LastSeenAt) >= touchEvery {
		if err := s.Store.TouchSession(ctx, ses.ID, now); err != nil {
			return authz.Principal{}, err
		}
	}
	return authz.Principal{UserID: u.ID, Role: authz.Role(u.Role), Via: authz.Via(ses.Via), SessionID: ses.ID}, nil
}

// SignOut ends the session of a cookie value (at any stage), with its audit
// record; an unknown or ended session is not an error (signing out twice
// is harmless).
func (s *Service) SignOut(ctx context.Context, secret string) error {
	h, err := ParseSecret(SessionPrefix, secret)
	if err != nil {
		return nil
	}
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		ses, err := tx.SessionBySecretHash(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok, err := tx.EndSession(ctx, ses.ID, s.now(), "signed_out")
		if err != nil || !ok {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: "user:" + ses.UserID, Action: audit.ActionSessionEnded,
			Outcome: audit.OutcomeSuccess, ObjectIDs: []string{ses.UserID, ses.ID}, Reason: "signed out",
			Counts: map[string]int64{"sessions_ended": 1}})
		return err
	})
}

// SignOutEverywhere ends every session of the principal's account (the
// current one included) and returns how many it ended.
func (s *Service) SignOutEverywhere(ctx context.Context, p authz.Principal) (int, error) {
	if p.UserID == "" {
		return 0, ErrUnauthenticated
	}
	var n int
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		ended, err := tx.EndUserSessions(ctx, p.UserID, "", s.now(), "signed_out_everywhere")
		if err != nil {
			return err
		}
		n = len(ended)
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: p.Actor(), Action: audit.ActionSessionEnded, Outcome: audit.OutcomeSuccess,
			ObjectIDs: append([]string{p.UserID}, ended...), Reason: "signed out everywhere",
			Counts: map[string]int64{"sessions_ended": int64(n)}})
		return err
	})
	return n, err
}
